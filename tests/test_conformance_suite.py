"""The conformance suite on the package's own float implementations of every preset.

Without ``--optimizer`` the suite's tests (``oracle/conformance/pytest/suite.py``) are
collected here and certify ``oracle.conformance.judge.builtin:<preset>`` against its
own preset in every dtype (quick profile unless ``--oracle-profile`` says
otherwise).  With ``--optimizer`` the plugin collects the suite itself and the
duplicate items collected here are deselected.
"""

from oracle.conformance.pytest.suite import *  # noqa: F401,F403  (tests and pytest_generate_tests)
