"""User cases: one's own RMSProp problem as data, certified like the shipped ones (docs/user-cases.md).

* :mod:`oracle.cases.expr` -- loss and gradient expressions: read safely, differentiated exactly
  by sympy, evaluated with context operations in every engine;
* :mod:`oracle.cases.files` -- reading case files (TOML, or a Python module for what TOML cannot say);
* :mod:`oracle.cases.case` -- :class:`~oracle.cases.case.Case` (from a file, a dict or keyword
  arguments), validated, with errors naming the file, line, key and value;
* :mod:`oracle.cases.trajectory` -- the certified trajectory of a case, any shape, as decimals,
  floats or enclosures, and tables;
* :mod:`oracle.cases.checktable` -- a published table checked digit by digit.

Golden files of user cases, their folders and citable tables with provenance are in
:mod:`oracle.golden.usercases` and :mod:`oracle.golden.usercite`; ``python -m oracle run`` and
``check-table`` in :mod:`oracle.usercli`; the pytest fixture in :mod:`oracle.conformance.pytest.usercases`.
"""
