"""One vocabulary for what the suite concludes: a test's :class:`Status`, a verdict (:class:`Verdict`).

Every module that grades, counts, summarizes or writes a conclusion uses these
names: the grade of a case (:mod:`.grading`), the checks (:mod:`.hygiene`,
:mod:`.metamorphic`), a test's :class:`~.outcome.Outcome`, the verdicts and the
summary of the certificate (:mod:`.certificate`), the judge (:mod:`.run`), and the
pytest skin, which turns a status into pytest's pass, fail or skip.  The values
are the words the certificate's JSON holds (``docs/certificate.md``); the labels
are the words the terminal summary prints.

>>> Status.ORACLE_ERROR.label, Status.DECLINED.pytest, Status.FAILED.failure, Status("passed") == "passed"
('ORACLE ERROR', 'skipped', True, True)
>>> Verdict.worst([Verdict.CERTIFIED, Verdict.INCOMPLETE, Verdict.FAILED]).label
'FAILED'
>>> [str(v) for v in SEVERITY]
['certified', 'incomplete', 'interrupted', 'nothing certified', 'failed', 'error']
"""

from __future__ import annotations

import enum
from typing import Iterable


class Status(str, enum.Enum):
    """What one test (or the grade of one case, or one check) concluded about the candidate."""

    PASSED = "passed"
    """The candidate stayed within the error bound (or the check held)."""
    FAILED = "failed"
    """A verdict on the candidate: outside the bound, a broken protocol, a failed check."""
    SKIPPED = "skipped"
    """The test does not apply (an option the factory lacks, a value outside the convention, ...)."""
    DECLINED = "declined"
    """The candidate raised ``NotImplementedError`` for it."""
    ORACLE_ERROR = "oracle-error"
    """An exception inside the oracle: a bug in rmsprop-oracle, never a verdict on the candidate."""

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:  # shown as the word it is equal to ('passed' == Status.PASSED)
        return repr(self.value)

    @property
    def label(self) -> str:
        """The word the summary prints (``FAILED``, ``ORACLE ERROR``)."""
        return self.value.replace("-", " ").upper()

    @property
    def failure(self) -> bool:
        """Whether the test fails (as pytest counts it): a failure or an oracle error."""
        return self in (Status.FAILED, Status.ORACLE_ERROR)

    @property
    def pytest(self) -> str:
        """pytest's category for a test with this status: ``passed``, ``failed`` or ``skipped``."""
        return "failed" if self.failure else "skipped" if self in (Status.SKIPPED, Status.DECLINED) else "passed"


class Verdict(str, enum.Enum):
    """What a run, one candidate, or one dtype of a candidate amounts to."""

    CERTIFIED = "certified"
    """Every test passed or did not apply, and values were graded."""
    INCOMPLETE = "incomplete"
    """Tests were deselected, or the run has not finished (the certificate written at session start)."""
    INTERRUPTED = "interrupted"
    """The run was stopped before its end."""
    NOTHING_CERTIFIED = "nothing certified"
    """No value was graded: every case declined, skipped or deselected."""
    FAILED = "failed"
    """A test failed."""
    ERROR = "error"
    """An oracle error, or pytest's internal error: the run's verdict cannot stand."""
    PASSED = "passed"
    """A dtype's row only: its tests passed without grading values (the checks' row)."""
    DECLINED = "declined"
    """A dtype's row only: the candidate declined what was not skipped."""

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:  # shown as the word it is equal to ('certified' == Verdict.CERTIFIED)
        return repr(self.value)

    @property
    def label(self) -> str:
        """The words the summary prints (``CERTIFIED``, ``NOTHING CERTIFIED``)."""
        return self.value.upper()

    @classmethod
    def worst(cls, verdicts: Iterable["Verdict"]) -> "Verdict":
        """The most severe of run or candidate verdicts (:data:`SEVERITY`)."""
        return max(verdicts, key=SEVERITY.index)


SEVERITY = (Verdict.CERTIFIED, Verdict.INCOMPLETE, Verdict.INTERRUPTED, Verdict.NOTHING_CERTIFIED, Verdict.FAILED,
            Verdict.ERROR)
"""A run's or a candidate's verdicts from best to worst; the overall verdict is the worst of the candidates'."""
