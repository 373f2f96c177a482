"""pytest's reports of the suite's tests, read into the judge's ledger.

The plugin hands every report of a suite test to :func:`record`, with the category
pytest's own terminal reporter gives it (:func:`category`), so the ledger's counts
are pytest's closing line; under pytest-xdist this happens on the controller, which
sees every worker's reports.  A test's report carries its
:class:`~oracle.conformance.judge.outcome.Outcome` (``user_properties``, under
:data:`~oracle.conformance.judge.outcome.KEY`) and what its cases covered; a suite test
that failed without an outcome, and any setup or teardown error, is an *oracle error*
(a bug in rmsprop-oracle, never a verdict on the candidate), named by the identity
the plugin attached before it ran (:data:`ID_KEY`).
"""

from __future__ import annotations

from typing import Any

from ..judge import domain
from ..judge.certificate import Ledger
from ..judge.outcome import KEY, Outcome
from ..judge.status import Status

ID_KEY = "rmsprop_oracle_test"
"""The user property identifying a suite test (target, test, dtype), set before it runs."""


def record(ledger: Ledger, report: Any, category: str) -> None:
    """One report of a suite test (any phase) with pytest's category for it ('' for none)."""
    if category:
        ledger.pytest_counts[category] += 1
    props = {k: v for k, v in getattr(report, "user_properties", ()) or ()}
    ident = props.get(ID_KEY) or {"target": "?", "test": report.nodeid, "dtype": None}
    if report.when == "call" and domain.KEY in props:
        per = ledger.domains.setdefault(ident["target"], {}).setdefault(ident["dtype"] or "(checks)", {})
        domain.merge_into(per, props[domain.KEY])
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if KEY in props and report.when == "call":
            outcome = Outcome.from_json(props[KEY])
        elif report.skipped:
            outcome = Outcome(ident["target"], ident["test"], ident["dtype"], Status.SKIPPED, _reason(report))
        elif report.failed:
            outcome = Outcome(ident["target"], ident["test"], ident["dtype"], Status.ORACLE_ERROR,
                              f"the suite test raised outside a verdict ({report.when}):\n{_text(report)}")
        else:
            outcome = Outcome(ident["target"], ident["test"], ident["dtype"], Status.ORACLE_ERROR,
                              "the suite test passed without recording a verdict")
        outcome.nodeid = report.nodeid
        ledger.outcomes[report.nodeid] = outcome
    elif report.when == "teardown" and report.failed:
        ledger.extra_errors.append(Outcome(ident["target"], ident["test"], ident["dtype"], Status.ORACLE_ERROR,
                                           f"teardown failed:\n{_text(report)}"))


def category(config: Any, report: Any) -> str:
    """pytest's own category for a report (what its closing line counts), '' for none."""
    res = config.hook.pytest_report_teststatus(report=report, config=config)
    return res[0] if res else ""


def _reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return _text(report)


def _text(report: Any) -> str:
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    return text[-4000:]
