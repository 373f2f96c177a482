"""The conformance tests the pytest plugin collects (``pytest --optimizer=MODULE:ATTR``).

Each test function is parametrized by ``pytest_generate_tests`` below over its tests in
:func:`~oracle.conformance.judge.run.suite_tests` (one
:class:`~oracle.conformance.judge.run.SuiteTest` each: the session's targets, dtypes,
cases and checks).  What is checked:

* every reference case (:mod:`.cases`), open and closed loop, graded against the
  error bound of the target's convention (:mod:`.grading`); golden replays only
  for a convention with the golden file's structure;
* hypothesis-generated cases over shapes, hyperparameters, options and gradient
  regimes (tiny, huge, exact zeros, sign flips, closed loop);
* metamorphic properties: permutation of elements, independence of parameter
  arrays, scale invariance (where it holds: v0 = 0, no weight decay);
* state hygiene: inputs not mutated, returned arrays not aliased to later state,
  two instances independent, determinism;
* the fingerprint (a built-in candidate is identified as its own preset; under
  ``--convention=auto`` a convention must agree with every probe).

Every test ends in one :class:`~oracle.conformance.judge.outcome.Outcome`, computed
by :func:`~oracle.conformance.judge.run.run_test` -- the function the judge calls when
it runs the same tests without pytest -- and attached to its report; an exception
inside the oracle becomes an ``oracle-error`` outcome, never a verdict on the candidate.
"""

from __future__ import annotations

import shlex

import pytest

from ..judge import domain, run as J
from ..judge.options import argv
from ..judge.outcome import KEY, Outcome
from ..judge.status import Status
from .plugin import ABSENT, PARAM
from .state import session_of


def pytest_generate_tests(metafunc):
    """Parametrize each test function over its tests in :func:`.judge.run.suite_tests` (the judge's list is
    pytest's); a function with none gets one placeholder marked ``ABSENT`` (the plugin drops it)."""
    if PARAM not in metafunc.fixturenames:
        return
    kind = metafunc.function.__name__.removeprefix("test_").replace("_", "-")
    listed = [t for t in J.suite_tests(session_of(metafunc.config)) if t.kind == kind]
    if not listed:
        metafunc.parametrize(PARAM, [pytest.param(None, marks=getattr(pytest.mark, ABSENT))], ids=["none"])
        return
    metafunc.parametrize(PARAM, listed, ids=[t.id for t in listed])


def judged(request, test: J.SuiteTest) -> None:
    """Run ``test`` (:func:`.judge.run.run_test`), record what its cases covered, and end it as its outcome says."""
    s = session_of(request.config)
    covered: dict = {}
    outcome = J.run_test(s, test, covered)
    if covered:
        domain.record(request.node, covered)
    conclude(request, s.target(test.target), outcome)


def conclude(request, target, outcome: Outcome) -> None:
    """Attach ``outcome`` to the test's report and end the test accordingly."""
    outcome.nodeid = request.node.nodeid
    if outcome.status == Status.FAILED:
        outcome.rerun = rerun_command(request, target, outcome.dtype)
        outcome.detail += f"\n  rerun this case: {outcome.rerun}"
    elif outcome.status == Status.PASSED and outcome.stats.values:  # where its worst values are can be rerun
        outcome.rerun = rerun_command(request, target, outcome.dtype)
    request.node.user_properties.append((KEY, outcome.to_json()))
    if outcome.status.pytest == "failed":
        pytest.fail(outcome.detail, pytrace=False)
    if outcome.status.pytest == "skipped":
        pytest.skip(outcome.detail)


def rerun_command(request, target, dtype) -> str:
    """A command that reruns exactly this test (the convention pinned unless it is the fingerprint test)."""
    settings = session_of(request.config).settings
    keep = ("convention", "hyperparameters", "dtype", "certificate")  # set below (a rerun writes no certificate)
    opts = {k: v for k, v in settings.options().items() if k not in keep}  # every other option kept
    if settings.optimizer:
        fingerprint = request.node.originalname == "test_fingerprint"
        opts["convention"] = settings.convention if fingerprint or not target.spec else target.spec
        if settings.hyperparameters:  # kept even where target.spec holds the rounding: the same spec results
            opts["hyperparameters"] = settings.hyperparameters
    elif not target.builtin:
        opts["convention"] = target.spec
    if dtype:
        opts["dtype"] = dtype
    node = f"{request.node.path}::{request.node.name}"
    return " ".join(shlex.quote(a) for a in ["pytest", *argv(opts), "-p", "no:randomly", node])


GOLDEN_DATA = J.GOLDEN_DATA
"""The case standing for the golden replays when the golden data is missing or damaged."""


def test_case(suite_test, request):
    """The candidate follows the reference of one fixed case within the error bound."""
    judged(request, suite_test)


def test_generated(suite_test, request):
    """Hypothesis-generated cases (shapes, hyperparameters, options, regimes) stay within the bound."""
    judged(request, suite_test)


def test_permutation(suite_test, request):
    """Permuting the elements of an array permutes the result (within the bound)."""
    judged(request, suite_test)


def test_independence(suite_test, request):
    """An array's trajectory does not depend on the other parameter arrays."""
    judged(request, suite_test)


def test_scale_invariance(suite_test, request):
    """Scaling gradients by 4 and eps by 16 (inside) or 4 (outside) leaves the trajectory unchanged."""
    judged(request, suite_test)


def test_hygiene(suite_test, request):
    """State hygiene: inputs not mutated, outputs not aliased, instances independent, determinism."""
    judged(request, suite_test)


def test_fingerprint(suite_test, request):
    """The probes identify a convention agreeing with the candidate (its own preset for a built-in)."""
    judged(request, suite_test)
