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

Every test ends in one :class:`.outcome.Outcome` attached to its report; an
exception inside the oracle becomes an ``oracle-error`` outcome, never a
verdict on the candidate.
"""

from __future__ import annotations

import shlex
import traceback

import pytest

from . import domain, hygiene
from .fingerprint import identify
from .generated import draw_case
from .grading import grade
from .metamorphic import independence, permutation, scale_invariance
from .options import argv
from .outcome import KEY, Outcome, Stats
from .session import Session


def pytest_generate_tests(metafunc):
    names = {"ccase", "ctarget_dtype", "ctarget", "cfinger"} & set(metafunc.fixturenames)
    if not names:
        return
    s = Session.of(metafunc.config)
    (name,) = names
    if name == "ccase":
        s.resolve()
        params = [(t.name, d, c.name) for t in s.targets for d in s.dtypes for c in s.cases(d) if t.applies(c)]
        if s.golden_error:  # one test that fails loudly: the replays could not be built
            params += [(t.name, None, GOLDEN_DATA) for t in s.targets]
        ids = [f"{t}-{c}-{d}" if d else f"{t}-{c}" for t, d, c in params]
    elif name == "ctarget_dtype":
        params = [(t.name, d) for t in s.targets for d in s.dtypes]
        ids = [f"{t}-{d}" for t, d in params]
    elif name == "ctarget":
        params = ids = [t.name for t in s.targets]
    else:
        params = ids = [t.name for t in s.fingerprinted()]
    metafunc.parametrize(name, params, ids=ids)


class Verdict:
    """``with Verdict(request, target, test, dtype) as v: ...``: the test's one outcome.

    The body sets ``v.outcome`` (or calls :meth:`skip`); an exception escaping
    the body is an oracle error.  On exit the outcome is attached to the report
    and turned into pytest's pass, fail or skip.
    """

    def __init__(self, request, target, test: str, dtype) -> None:
        self.request, self.target, self.test, self.dtype = request, target, test, dtype
        self.outcome = None

    def __enter__(self) -> "Verdict":
        return self

    def set(self, status: str, detail: str = "", **more) -> None:
        self.outcome = Outcome(self.target.name, self.test, self.dtype, status, detail,
                               convention=self.target.spec, **more)

    def graded(self, g, steps: int) -> None:
        self.set(g.status, g.message, stats=g.stats, compared_steps=g.last_step, steps=steps)

    def __exit__(self, etype, exc, tb) -> bool:
        if etype is not None and not issubclass(etype, Exception):
            return False  # KeyboardInterrupt, SystemExit of the oracle's own process: pytest handles them
        if etype is not None or self.outcome is None:
            text = "".join(traceback.format_exception(etype, exc, tb)) if etype else "no verdict was recorded"
            self.set("oracle-error", f"ORACLE ERROR (a bug in rmsprop-oracle, not a verdict on the candidate) in "
                                     f"{self.test}:\n{text}")
        conclude(self.request, self.target, self.outcome)
        return True


def conclude(request, target, outcome: Outcome) -> None:
    """Attach ``outcome`` to the test's report and end the test accordingly."""
    outcome.nodeid = request.node.nodeid
    try:
        out = target.candidate.output()
    except Exception:  # the output is an extra; never let it hide the verdict
        out = {"bytes": 0, "text": ""}
    outcome.output_bytes = out["bytes"]
    if outcome.status == "failed":
        if out["bytes"]:
            tail = "\n".join("    " + line for line in out["text"].rstrip().splitlines()[-12:])
            outcome.detail += f"\n  the candidate wrote {out['bytes']:,} bytes to stdout/stderr; the last lines:\n{tail}"
        outcome.rerun = rerun_command(request, target, outcome.dtype)
        outcome.detail += f"\n  rerun this case: {outcome.rerun}"
    request.node.user_properties.append((KEY, outcome.to_json()))
    if outcome.status in ("failed", "oracle-error"):
        pytest.fail(outcome.detail, pytrace=False)
    if outcome.status in ("skipped", "declined"):
        pytest.skip(outcome.detail)


def rerun_command(request, target, dtype) -> str:
    """A command that reruns exactly this test (the convention pinned unless it is the fingerprint test)."""
    s = Session.of(request.config)
    opts = {k: s.opts[k] for k in ("optimizer", "oracle_profile", "case_timeout", "isolation")}
    if s.opts["optimizer"]:
        fingerprint = request.node.originalname == "test_fingerprint"
        opts["convention"] = s.opts["convention"] if fingerprint or not target.spec else target.spec
        if fingerprint and s.opts["hyperparameters"]:
            opts["hyperparameters"] = s.opts["hyperparameters"]
    elif not target.builtin:
        opts["convention"] = target.spec
    if dtype:
        opts["dtype"] = dtype
    node = f"{request.node.path}::{request.node.name}"
    return " ".join(shlex.quote(a) for a in ["pytest", *argv(opts), "-p", "no:randomly", node])


def _spec_or_skip(v: Verdict) -> bool:
    if v.target.spec is None:
        v.set("skipped", "no convention agrees with the candidate on the probes (see the fingerprint test); "
                         "certify it with an explicit --convention")
        return False
    return True


GOLDEN_DATA = "golden-data"
"""The case standing for the golden replays when the golden data is missing or damaged."""


def _covered(case, g) -> "domain.Domain":
    d = domain.Domain()
    d.add(case, g.last_step)
    return d


def test_case(ccase, request):
    """The candidate follows the reference of one fixed case within the error bound."""
    name, dtype, case_name = ccase
    s = Session.of(request.config)
    target = s.target(name)
    if case_name == GOLDEN_DATA:
        with Verdict(request, target, GOLDEN_DATA, None) as v:
            v.set("oracle-error", f"ORACLE ERROR: the golden replays could not be built: {s.golden_error}")
        return
    case = s.case(dtype, case_name)
    with Verdict(request, target, case.id, dtype) as v:
        if _spec_or_skip(v):
            try:
                conv = target.conv(case)
            except ValueError as exc:
                v.set("skipped", f"not in the convention {target.spec}: {exc}")
            else:
                g = grade(target.candidate, conv, case)
                v.graded(g, case.steps)
                domain.record(request.node, {domain.bucket(g.status): _covered(case, g)})


class OracleBug(Exception):
    """An exception inside the oracle while hypothesis runs an example (re-raised as an oracle error)."""


def test_generated(ctarget_dtype, request):
    """Hypothesis-generated cases (shapes, hyperparameters, options, regimes) stay within the bound."""
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    name, dtype = ctarget_dtype
    s = Session.of(request.config)
    target = s.target(name)
    n = {"quick": 4, "default": 12, "thorough": 150}[s.profile]
    seen = {"passed": 0, "skipped": 0, "declined": 0, "declines": set(), "stats": Stats(), "domains": {}}

    @settings(max_examples=n, deadline=None, database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        case = draw_case(data, dtype, target)
        try:
            g = grade(target.candidate, target.conv(case), case)
        except Exception as exc:
            raise OracleBug("".join(traceback.format_exception(exc))) from None
        if g.status == "failed":
            raise AssertionError(g.message)
        seen[g.status] += 1
        seen["domains"].setdefault(domain.bucket(g.status), domain.Domain()).add(case, g.last_step)
        if g.status == "declined":
            seen["declines"].add(g.message)
        seen["stats"].merge(g.stats)

    with Verdict(request, target, f"generated-{dtype}", dtype) as v:
        if _spec_or_skip(v):
            try:
                run()
                domain.record(request.node, seen["domains"])
            except OracleBug as exc:
                v.set("oracle-error", f"ORACLE ERROR (a bug in rmsprop-oracle) in a generated case:\n{exc}")
            except AssertionError as exc:
                v.set("failed", f"hypothesis-generated case failed:\n{exc}")
            else:
                if seen["passed"]:
                    v.set("passed", f"{seen['passed']} generated cases graded", stats=seen["stats"])
                elif seen["declined"]:
                    v.set("declined", "; ".join(sorted(seen["declines"])))
                else:
                    v.set("skipped", "no generated case could be graded (all beyond the dtype's reach)")


def _property(request, ctarget_dtype, test: str, check) -> None:
    name, dtype = ctarget_dtype
    target = Session.of(request.config).target(name)
    with Verdict(request, target, f"{test}-{dtype}", dtype) as v:
        if _spec_or_skip(v):
            v.set(*check(target, dtype))


def test_permutation(ctarget_dtype, request):
    """Permuting the elements of an array permutes the result (within the bound)."""
    _property(request, ctarget_dtype, "permutation", permutation)


def test_independence(ctarget_dtype, request):
    """An array's trajectory does not depend on the other parameter arrays."""
    _property(request, ctarget_dtype, "independence", independence)


def test_scale_invariance(ctarget_dtype, request):
    """Scaling gradients by 4 and eps by 16 (inside) or 4 (outside) leaves the trajectory unchanged."""
    _property(request, ctarget_dtype, "scale-invariance", scale_invariance)


@pytest.mark.parametrize("check", ["inputs_not_mutated", "no_aliasing", "instances_independent", "deterministic"])
def test_hygiene(ctarget, check, request):
    """State hygiene: inputs not mutated, outputs not aliased, instances independent, determinism."""
    s = Session.of(request.config)
    target = s.target(ctarget)
    with Verdict(request, target, f"hygiene-{check}", None) as v:
        for dtype in s.dtypes:  # the first dtype the candidate does not decline
            status, detail = getattr(hygiene, check)(target, dtype)
            v.set(status, f"{detail} ({dtype})" if status != "failed" else f"{dtype}: {detail}")
            if status != "declined":
                break


def test_fingerprint(cfinger, request):
    """The probes identify a convention agreeing with the candidate (its own preset for a built-in)."""
    s = Session.of(request.config)
    target = s.target(cfinger)
    with Verdict(request, target, "fingerprint", None) as v:
        fp = target.fingerprint or identify(target.candidate, s.dtypes)
        if target.builtin:
            ok = fp.matched and target.builtin in fp.equivalent
            detail = f"built-in {target.builtin}: {fp.header()}"
        else:
            ok = fp.matched
            detail = fp.header()
            if not ok and fp.spec:
                detail += f"; the other tests ran against {fp.spec}"
        v.set("passed" if ok else "failed", detail)
