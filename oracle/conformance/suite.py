"""The conformance tests the pytest plugin collects (``pytest --optimizer=MODULE:ATTR``).

Each test is parametrized by ``pytest_generate_tests`` below over the session's
targets (:mod:`.session`), dtypes and cases.  What is checked:

* every reference case (:mod:`.cases`), open and closed loop, graded against the
  error bound of the target's convention (:mod:`.grading`);
* hypothesis-generated cases over shapes, hyperparameters, options and gradient
  regimes (tiny, huge, exact zeros, sign flips, closed loop);
* metamorphic properties: permutation of elements, independence of parameter
  arrays, scale invariance (where it holds: v0 = 0, no weight decay);
* state hygiene: inputs not mutated, returned arrays not aliased to later state,
  two instances independent, determinism;
* the fingerprint (a built-in candidate is identified as its own preset; a
  candidate under ``--convention=auto`` matches some preset).
"""

from __future__ import annotations

import pytest

from .session import Session


def pytest_generate_tests(metafunc):
    names = {"ccase", "ctarget_dtype", "ctarget"} & set(metafunc.fixturenames)
    if not names:
        return
    s = Session.of(metafunc.config)
    (name,) = names
    if name == "ccase":
        params = [(t.name, d, c.name) for t in s.targets for d in s.dtypes for c in s.cases(d)]
        ids = [f"{t}-{c}-{d}" for t, d, c in params]
    elif name == "ctarget_dtype":
        params = [(t.name, d) for t in s.targets for d in s.dtypes]
        ids = [f"{t}-{d}" for t, d in params]
    else:
        params = [t.name for t in s.targets]
        ids = params
    metafunc.parametrize(name, params, ids=ids)


def _record(request, target, test, dtype, grade=None, status=None, detail=""):
    from .certificate import Entry

    s = Session.of(request.config)
    if grade is not None:
        entry = Entry(target, test, dtype, grade.status, grade.ulps, grade.lres, grade.worst_ratio, grade.message)
    else:
        entry = Entry(target, test, dtype, status, detail=detail)
    s.ledger.add(entry)
    if entry.status == "failed":
        pytest.fail(entry.detail, pytrace=False)
    if entry.status == "skipped":
        pytest.skip(entry.detail)


def _conv_or_skip(request, target, test, dtype, case):
    try:
        conv = target.conv(case)
    except ValueError as exc:
        _record(request, target.name, test, dtype, status="skipped", detail=f"not in the convention: {exc}")
    if case.exact is not None and case.exact["preset"] != conv.name:
        _record(request, target.name, test, dtype, status="skipped",
                detail=f"golden replay of the {case.exact['preset']!r} convention; the candidate follows {conv.name!r}")
    return conv


def test_case(ccase, request):
    """The candidate follows the reference of one fixed case within the error bound."""
    from .grading import grade

    name, dtype, case_name = ccase
    s = Session.of(request.config)
    target, case = s.target(name), s.case(dtype, case_name)
    conv = _conv_or_skip(request, target, case.id, dtype, case)
    _record(request, name, case.id, dtype, grade(target.candidate, conv, case))


def test_generated(ctarget_dtype, request):
    """Hypothesis-generated cases (shapes, hyperparameters, options, regimes) stay within the bound."""
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    from .generated import draw_case
    from .grading import grade

    name, dtype = ctarget_dtype
    s = Session.of(request.config)
    target = s.target(name)
    n = {"quick": 4, "default": 12, "thorough": 150}[s.profile]
    seen = {"passed": 0, "skipped": 0, "ulps": [], "lres": [], "ratio": 0.0}

    @settings(max_examples=n, deadline=None, database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        case = draw_case(data, dtype, target)
        g = grade(target.candidate, target.conv(case), case)
        if g.status == "failed":
            raise AssertionError(g.message)
        seen[g.status] += 1
        seen["ulps"] += g.ulps
        seen["lres"] += g.lres
        seen["ratio"] = max(seen["ratio"], g.worst_ratio)

    from .certificate import Entry

    try:
        run()
        failure = None
    except Exception as exc:  # hypothesis re-raises the candidate's failure
        failure = f"hypothesis-generated case failed:\n{exc}"
    if failure:
        _record(request, name, f"generated-{dtype}", dtype, status="failed", detail=failure)
    Session.of(request.config).ledger.add(Entry(name, f"generated-{dtype}", dtype, "passed", seen["ulps"],
                                                seen["lres"], seen["ratio"],
                                                f"{seen['passed']} generated cases graded"))


def test_permutation(ctarget_dtype, request):
    """Permuting the elements of an array permutes the result (within the bound)."""
    from .metamorphic import permutation

    name, dtype = ctarget_dtype
    target = Session.of(request.config).target(name)
    status, detail = permutation(target, dtype)
    _record(request, name, f"permutation-{dtype}", dtype, status=status, detail=detail)


def test_independence(ctarget_dtype, request):
    """An array's trajectory does not depend on the other parameter arrays."""
    from .metamorphic import independence

    name, dtype = ctarget_dtype
    target = Session.of(request.config).target(name)
    status, detail = independence(target, dtype)
    _record(request, name, f"independence-{dtype}", dtype, status=status, detail=detail)


def test_scale_invariance(ctarget_dtype, request):
    """Scaling gradients by 4 and eps by 16 (inside) or 4 (outside) leaves the trajectory unchanged."""
    from .metamorphic import scale_invariance

    name, dtype = ctarget_dtype
    target = Session.of(request.config).target(name)
    status, detail = scale_invariance(target, dtype)
    _record(request, name, f"scale-invariance-{dtype}", dtype, status=status, detail=detail)


@pytest.mark.parametrize("check", ["inputs_not_mutated", "no_aliasing", "instances_independent", "deterministic"])
def test_hygiene(ctarget, check, request):
    """State hygiene: inputs not mutated, outputs not aliased, instances independent, determinism."""
    from . import hygiene

    s = Session.of(request.config)
    target = s.target(ctarget)
    status, detail = getattr(hygiene, check)(target, s.dtypes[0])
    _record(request, ctarget, f"hygiene-{check}", s.dtypes[0], status=status, detail=detail)


def test_fingerprint(ctarget, request):
    """The fingerprint identifies a preset the candidate follows (its own preset for a built-in)."""
    from .fingerprint import identify

    target = Session.of(request.config).target(ctarget)
    fp = target.fingerprint or identify(target.candidate)
    if target.builtin:
        ok = fp.matched and target.builtin in fp.equivalent
        detail = f"built-in {target.builtin}: {fp.header()}"
    else:
        ok = fp.matched
        detail = fp.header()
    _record(request, ctarget, "fingerprint", None, status="passed" if ok else "failed", detail=detail)
