"""The conformance tests the pytest plugin collects (``pytest --optimizer=MODULE:ATTR``).

Each test is parametrized by ``pytest_generate_tests`` below over the session's
targets (:mod:`.session`), dtypes and cases.  What is checked:

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

Every test ends in one :class:`.outcome.Outcome`, computed by :mod:`.judge`
(which also runs the same tests without pytest) and attached to its report; an
exception inside the oracle becomes an ``oracle-error`` outcome, never a
verdict on the candidate.
"""

from __future__ import annotations

import shlex

import pytest

from ..judge import domain, run as J
from ..judge.options import BY_NAME, argv
from ..judge.outcome import KEY, Outcome
from ..judge.session import Session


def pytest_generate_tests(metafunc):
    """Parametrize each test function over its tests in :func:`.judge.suite_tests` (the judge's list is pytest's)."""
    names = {"ccase", "ctarget_dtype", "ctarget", "cfinger"} & set(metafunc.fixturenames)
    if not names:
        return
    (name,) = names
    kind = metafunc.function.__name__.removeprefix("test_").replace("_", "-")
    listed = [t for t in J.suite_tests(Session.of(metafunc.config)) if t.kind == kind]
    if name == "ccase":
        params = [(t.target, t.dtype, t.item) for t in listed]
    elif name == "ctarget_dtype":
        params = [(t.target, t.dtype) for t in listed]
    else:  # hygiene (its check parametrized below), fingerprint: one test per target
        params = list(dict.fromkeys(t.target for t in listed))
    ids = [t.id for t in listed] if name != "ctarget" else params
    metafunc.parametrize(name, params, ids=ids)


class Verdict:
    """``with Verdict(request, target, test, dtype) as v: v.outcome = ...``: the test's one outcome.

    The body sets ``v.outcome`` (from :mod:`.judge`); an exception escaping the
    body is an oracle error.  On exit the outcome is attached to the report and
    turned into pytest's pass, fail or skip.
    """

    def __init__(self, request, target, test: str, dtype) -> None:
        self.request, self.target, self.test, self.dtype = request, target, test, dtype
        self.outcome = None

    def __enter__(self) -> "Verdict":
        return self

    def __exit__(self, etype, exc, tb) -> bool:
        if etype is not None and not issubclass(etype, Exception):
            return False  # KeyboardInterrupt, SystemExit of the oracle's own process: pytest handles them
        if etype is not None or self.outcome is None:
            self.outcome = J.oracle_error(self.target, self.test, self.dtype, exc)
        conclude(self.request, self.target, self.outcome)
        return True


def conclude(request, target, outcome: Outcome) -> None:
    """Attach ``outcome`` to the test's report and end the test accordingly."""
    outcome.nodeid = request.node.nodeid
    J.attach_output(target, outcome)
    if outcome.status == "failed":
        outcome.rerun = rerun_command(request, target, outcome.dtype)
        outcome.detail += f"\n  rerun this case: {outcome.rerun}"
    elif outcome.status == "passed" and outcome.stats.values:  # where its worst values are can be rerun
        outcome.rerun = rerun_command(request, target, outcome.dtype)
    request.node.user_properties.append((KEY, outcome.to_json()))
    if outcome.status in ("failed", "oracle-error"):
        pytest.fail(outcome.detail, pytrace=False)
    if outcome.status in ("skipped", "declined"):
        pytest.skip(outcome.detail)


def rerun_command(request, target, dtype) -> str:
    """A command that reruns exactly this test (the convention pinned unless it is the fingerprint test)."""
    s = Session.of(request.config)
    keep = ("convention", "hyperparameters", "dtype", "certificate")  # set below (a rerun writes no certificate)
    opts = {k: v for k, v in s.opts.items() if k in BY_NAME and k not in keep}  # every other option kept
    if s.opts["optimizer"]:
        fingerprint = request.node.originalname == "test_fingerprint"
        opts["convention"] = s.opts["convention"] if fingerprint or not target.spec else target.spec
        if s.opts["hyperparameters"]:  # kept even where target.spec holds the rounding: the same spec results
            opts["hyperparameters"] = s.opts["hyperparameters"]
    elif not target.builtin:
        opts["convention"] = target.spec
    if dtype:
        opts["dtype"] = dtype
    node = f"{request.node.path}::{request.node.name}"
    return " ".join(shlex.quote(a) for a in ["pytest", *argv(opts), "-p", "no:randomly", node])


GOLDEN_DATA = J.GOLDEN_DATA
"""The case standing for the golden replays when the golden data is missing or damaged."""


def test_case(ccase, request):
    """The candidate follows the reference of one fixed case within the error bound."""
    name, dtype, case_name = ccase
    s = Session.of(request.config)
    target = s.target(name)
    if case_name == GOLDEN_DATA:
        with Verdict(request, target, GOLDEN_DATA, None) as v:
            v.outcome = J.golden_data_outcome(target, str(s.golden_error))
        return
    case = s.case(dtype, case_name)
    with Verdict(request, target, case.id, dtype) as v:
        covered: dict = {}
        v.outcome = J.case_outcome(target, case, covered)
        if covered:
            domain.record(request.node, covered)


def test_generated(ctarget_dtype, request):
    """Hypothesis-generated cases (shapes, hyperparameters, options, regimes) stay within the bound."""
    name, dtype = ctarget_dtype
    s = Session.of(request.config)
    target = s.target(name)
    with Verdict(request, target, f"generated-{dtype}", dtype) as v:
        covered: dict = {}
        v.outcome = J.generated_outcome(target, dtype, s.profile, covered)
        if covered:
            domain.record(request.node, covered)


def _property(request, ctarget_dtype, test: str) -> None:
    name, dtype = ctarget_dtype
    target = Session.of(request.config).target(name)
    with Verdict(request, target, f"{test}-{dtype}", dtype) as v:
        v.outcome = J.property_outcome(target, dtype, test)


def test_permutation(ctarget_dtype, request):
    """Permuting the elements of an array permutes the result (within the bound)."""
    _property(request, ctarget_dtype, "permutation")


def test_independence(ctarget_dtype, request):
    """An array's trajectory does not depend on the other parameter arrays."""
    _property(request, ctarget_dtype, "independence")


def test_scale_invariance(ctarget_dtype, request):
    """Scaling gradients by 4 and eps by 16 (inside) or 4 (outside) leaves the trajectory unchanged."""
    _property(request, ctarget_dtype, "scale-invariance")


@pytest.mark.parametrize("check", J.HYGIENE_CHECKS)
def test_hygiene(ctarget, check, request):
    """State hygiene: inputs not mutated, outputs not aliased, instances independent, determinism."""
    s = Session.of(request.config)
    target = s.target(ctarget)
    with Verdict(request, target, f"hygiene-{check}", None) as v:
        v.outcome = J.hygiene_outcome(target, s.dtypes, check)


def test_fingerprint(cfinger, request):
    """The probes identify a convention agreeing with the candidate (its own preset for a built-in)."""
    s = Session.of(request.config)
    target = s.target(cfinger)
    with Verdict(request, target, "fingerprint", None) as v:
        v.outcome = J.fingerprint_outcome(target, s.dtypes, s.cases)
