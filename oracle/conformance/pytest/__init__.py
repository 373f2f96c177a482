"""The pytest skin of the suite: the plugin, the collected tests, the fixture, ``certify``.

This room may import :mod:`..judge` and :mod:`..isolation`; nothing imports it but pytest
(the ``pytest11`` entry point) and the command line.

Modules (one job each):

``plugin``      the ``pytest11`` entry point (imports nothing heavy at load)
``report``      pytest's reports of the suite's tests, read into the judge's ledger (pytest's counts)
``state``       the session's state on the pytest config: one ``StashKey``, one ``State``
``suite``       the test functions the plugin collects (each asks :mod:`..judge.run` for its outcome)
``fixture``     the ``rmsprop_oracle`` fixture (imports pytest alone)
``usercases``   user cases in pytest: the fixture's checks and ``--oracle-cases``
``cli``         ``python -m oracle certify MODULE:ATTR`` (runs pytest on the suite; ``certify.ini``)
"""
