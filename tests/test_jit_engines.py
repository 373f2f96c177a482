"""The compiled engines (optional extra ``jit``): the same numbers as the object engines, bit for bit.

* :mod:`oracle.engines.bound.jitbound` (grading): every hi, lo and bound equals BoundArith's, hence the bound
  is never below ErrorBoundArith's (checked directly too) and the value agrees with the certified
  interval engine; refusals (out of range) are BoundArith's.
* :mod:`oracle.engines.certify.jitarb` (golden): every ball equals :mod:`oracle.engines.certify.arb`'s (midpoint and
  radius), the certified digits equal the mpmath definition's, golden files regenerate identically.

Timings are never asserted here (``benchmarks/bench.py`` measures them).
"""

import json
import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from option_support import draw_options, fullest, switched

numba = pytest.importorskip("numba")

from oracle.algorithm import simulate  # noqa: E402
from oracle.conformance.judge import reference as R  # noqa: E402
from oracle.conformance.judge.cases import arr, scale  # noqa: E402
from oracle.problems.quadratic import Diagonal as Quadratic  # noqa: E402
from oracle.conventions import PRESET_NAMES, preset  # noqa: E402
from oracle.engines.bound import jitbound as J  # noqa: E402
from oracle.engines import trace as T  # noqa: E402
from oracle.engines.bound.errorbound import ErrorBoundArith  # noqa: E402
from oracle.engines.certify import certified_run, run_rung  # noqa: E402
from oracle.engines.bound.ladder import bounded_run  # noqa: E402
from oracle.engines.bound.vecbound import BoundArith  # noqa: E402
from oracle.engines.rungs import Decline  # noqa: E402

REGIMES = ("normal", "tiny", "huge", "zeros", "flips", "closed", "near-zero-variance", "out-of-range")


def _draw_case(data, dtypes=("float64", "float32", "float16")):
    """A convention (any preset, its options), a dtype, a regime and its inputs."""
    dtype = data.draw(st.sampled_from(dtypes))
    name = data.draw(st.sampled_from(PRESET_NAMES))
    regime = data.draw(st.sampled_from(REGIMES))
    opts = draw_options(data.draw, preset(name), centered=st.booleans().map(lambda c: c or regime == "near-zero-variance"),
                        momentum=switched(0.5, 0.9), weight_decay=switched(0.01, 0.5))
    sc = scale(dtype)
    hyper = dict(lr=data.draw(st.sampled_from([1e-3, 0.01, 0.5])), rho=data.draw(st.sampled_from([0.0, 0.5, 0.99])),
                 eps=data.draw(st.sampled_from([sc["eps"], 0.1, 0.0])))
    if opts.get("centered") and hyper["rho"] == 0.0:
        hyper["rho"] = 0.5
    if data.draw(st.booleans()):
        hyper = {k: str(v) for k, v in hyper.items()}  # exact decimals
    conv = preset(name, **hyper, **opts)
    if data.draw(st.booleans()):
        conv = conv.replace(hyperparameters="float32")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    size, steps = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 7))
    mag = {"tiny": sc["tiny"], "huge": sc["huge"], "out-of-range": 2.0**950 if dtype == "float64" else 1.0}.get(regime, 1.0)
    params0 = [arr(rng.uniform(-2, 2, size), dtype)]
    if regime == "closed":
        problem = Quadratic([arr(rng.uniform(0.25, 4, size), dtype)], [arr(rng.uniform(-2, 2, size), dtype)])
        return conv, dtype, params0, steps, dict(grad_fn=problem.grad_fn())
    grads = []
    for t in range(steps):
        g = rng.standard_normal(size) * mag
        if regime == "zeros":
            g = np.where(rng.random(size) < 0.5, 0.0, g)
        if regime == "flips":
            g = np.abs(g) * (-1) ** t
        if regime == "near-zero-variance":
            g = np.full(size, 0.75) + 1e-9 * g  # v - m^2 is a tiny difference of nearly equal values
        grads.append([arr(g, dtype)])
    return conv, dtype, params0, steps, dict(grads=grads)


def _object_run(conv, dtype, params0, steps, kw):
    """BoundArith's records split like the conformance reference, or the step where it refuses."""
    ar = BoundArith(dtype)
    try:
        recs = simulate(conv, ar, params0, steps=steps, **kw)
    except Decline:
        return None
    return [([ar.split(p) for p in r["params"]], {k: [ar.split(s) for s in v] for k, v in r["state"].items()})
            for r in recs]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_grading_kernel_is_bitwise_boundarith(data):
    """All presets, dtypes, options and regimes: hi, lo and err identical; refusals identical."""
    conv, dtype, params0, steps, kw = _draw_case(data)
    want = _object_run(conv, dtype, params0, steps, kw)
    got = J.bound_run(conv, dtype, params0, steps=steps, **kw)
    if want is None:
        assert got.refused is not None and got.refused <= steps
        return
    assert got.refused is None or got.refused > steps
    for t, (params, state) in enumerate(want):
        for a, b in zip(params, got.params[t]):
            for x, y in zip(a, b):
                assert np.array_equal(x.reshape(-1), y, equal_nan=True), (t, x, y)
        for k in state:
            for a, b in zip(state[k], got.state[t][k]):
                for x, y in zip(a, b):
                    assert np.array_equal(x.reshape(-1), y, equal_nan=True), (t, k, x, y)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_grading_bound_never_below_errorbound_arith(data):
    """The compiled bound against ErrorBoundArith directly: never below it, the value within 1e-6 of it."""
    conv, dtype, params0, steps, kw = _draw_case(data)
    got = J.bound_run(conv, dtype, params0, steps=steps, **kw)
    if got.refused is not None and got.refused <= steps:
        return
    eb = ErrorBoundArith(dtype)
    ctx = eb.ctx
    try:
        ref = simulate(conv, eb, params0, steps=steps, **kw)
    except ZeroDivisionError:  # eps = 0 and a zero gradient: the exact update is undefined
        return
    for t, rec in enumerate(ref):
        pairs = list(zip(rec["params"], got.params[t]))
        for k in rec["state"]:
            pairs += list(zip(rec["state"][k], got.state[t][k]))
        for exact, (hi, lo, err) in pairs:
            for x, h, l, s in zip(np.asarray(exact, dtype=object).reshape(-1), hi, lo, err):
                if ctx.isnan(x.err):
                    assert not np.isfinite(s)
                    continue
                assert ctx.mpf(float(s)) >= x.err
                if ctx.isfinite(x.err) and x.err > 0:
                    assert abs(ctx.mpf(float(h)) + ctx.mpf(float(l)) - x.val) <= 1e-6 * x.err


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_grading_values_agree_with_the_certified_interval_engine(name):
    """hi + lo within 1e-6 of the bound of the certified value (mpmath definition), open and closed loop."""
    conv = preset(name, lr=0.01, rho=0.9, eps=1e-8, **fullest(preset(name), momentum=0.5, weight_decay=0.01))
    rng = np.random.default_rng(8)
    p0 = [rng.uniform(-1, 1, 3)]
    grads = [[rng.standard_normal(3)] for _ in range(8)]
    problem = Quadratic([np.array([1.0, 4.0, 0.5])], [np.array([0.5, -1.0, 2.0])])
    for kw in (dict(grads=grads), dict(grad_fn=problem.grad_fn())):
        cert = certified_run(conv, p0, steps=8, digits=30, engine="mpmath", **kw)
        got = J.bound_run(conv, "float64", p0, steps=8, **kw)
        for t, rc in enumerate(cert.records):
            hi, lo, err = got.params[t][0]
            for cv, h, l, e in zip(rc["params"][0].reshape(-1), hi, lo, err):
                assert abs(Fraction(float(h)) + Fraction(float(l)) - cv.mid()) <= Fraction(float(e)) / 10**6


def _same_reference(a, b):
    assert a["undefined"] == b["undefined"] and len(a["params"]) == len(b["params"])
    for pa, pb, sa, sb, ma, mb in zip(a["params"], b["params"], a["state"], b["state"], a["masks"], b["masks"]):
        for x, y in zip(pa, pb):
            assert all(np.array_equal(u, v, equal_nan=True) for u, v in zip(x, y))
        for k in sa:
            for x, y in zip(sa[k], sb[k]):
                assert all(np.array_equal(u, v, equal_nan=True) for u, v in zip(x, y))
        assert all(np.array_equal(u, v) for u, v in zip(ma, mb))


@pytest.mark.parametrize("closed", [False, True])
def test_conformance_reference_is_the_same_compiled_or_not(closed):
    """The bound ladder's compiled rung equals its vectorized one: values, bounds, masks, where it stops;
    the conformance reference runs the compiled one and says so."""
    rng = np.random.default_rng(2)
    conv = preset("pytorch", lr=0.01, rho=0.9, eps=1e-8, centered=True, momentum=0.9)
    n, steps = 1000, 30
    problem = Quadratic([rng.uniform(0.5, 2, n)], [rng.uniform(-1, 1, n)]) if closed else None
    grads = None if closed else [[rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3)] for _ in range(steps)]
    job = R.Job(conv, "float32", steps, [rng.uniform(-1, 1, n).astype(np.float32)], grads, problem)
    compiled = R.run_job(job)
    assert compiled["engine"] == "jitbound"
    kw = dict(steps=steps, grads=grads, grad_fn=problem.grad_fn() if closed else None, alive=R._masks)
    vector = bounded_run(conv, "float32", job.params0, engine="vecbound", **kw)
    assert vector["engine"] == "vecbound"
    _same_reference(compiled, vector)
    _same_reference(R.run_job(job, until=5), bounded_run(conv, "float32", job.params0, engine="vecbound", until=5,
                                                         **kw))


def test_out_of_range_falls_back_to_errorboundarith():
    """A gradient beyond 2^900 at step 2: the compiled run refuses there, the reference falls back."""
    conv = preset("seed", lr=0.01, rho=0.9, eps=1e-8)
    grads = [[np.array([1.0, 2.0])], [np.array([2.0**950, 1.0])], [np.array([1.0, 1.0])]]
    run = J.bound_run(conv, "float64", [np.array([1.0, 2.0])], steps=3, grads=grads)
    assert run.refused == 2
    res = R.run_job(R.Job(conv, "float64", 3, [np.array([1.0, 2.0])], grads))
    assert res["undefined"] is None and len(res["params"]) == 4 and res["engine"] == "errorbound"


def test_untraceable_computations_are_declined():
    """An element access, a comparison, an untraced operand: Decline (the object engine runs instead)."""
    from oracle.problems import quadratic as q

    conv = preset("seed")
    with pytest.raises(T.Decline):
        T.trace(conv, [(2,)], q.grad_fn())  # a 2 x 2 matrix product mixes the elements
    with pytest.raises(T.Decline):
        T.trace(conv, [(2,)], lambda ar, ps: [ps[0] * 2.0])
    with pytest.raises(T.Decline):
        T.trace(conv, [(2,)], lambda ar, ps: [ps[0] if ps[0] > ar.const(Fraction(0)) else -ps[0]])
    assert not T.pure(lambda ar, ps: ps) and T.pure(None) and T.pure(q.grad_fn())


# -- the golden engine -----------------------------------------------------------------------------

from oracle.engines.certify import jitarb as JA  # noqa: E402  (importable without python-flint: unavailable then)

pytestmark_jit = pytest.mark.skipif(not JA.available(), reason=f"compiled Arb engine unavailable: "
                                    f"{JA.unavailable_reason()}")
if JA.available():
    import flint

    from oracle.engines.certify import arb as A


def _balls(run):
    for rec in run.records:
        arrays = list(rec["params"]) + [a for v in rec["state"].values() for a in v] + list(rec["grads"] or [])
        for a in arrays:
            for cv in np.asarray(a, dtype=object).reshape(-1):
                yield np.shape(a), cv.lo, cv.hi


def _same_balls(a, b):
    assert a.prec == b.prec and a.steps == b.steps
    assert list(_balls(a)) == list(_balls(b))


@pytestmark_jit
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_golden_kernel_balls_are_arbs(data):
    """Every preset, option, regime, exact or float inputs, open and closed loop: identical balls."""
    conv, dtype, params0, steps, kw = _draw_case(data, ("float64",))
    if "grads" in kw and data.draw(st.booleans()):  # exact decimal inputs (as the golden streams)
        kw = dict(grads=[[[f"{x:.4g}" for x in np.asarray(g[0], dtype=float)]] for g in kw["grads"]])
        params0 = [[f"{x:.3f}" for x in params0[0]]]
    digits = data.draw(st.sampled_from([20, 50, 100]))
    try:
        want = run_rung("arb-objects", conv, params0, steps=steps, digits=digits, max_prec=1 << 12, **kw)
    except ArithmeticError as exc:
        with pytest.raises(type(exc)):
            run_rung("arb-jit", conv, params0, steps=steps, digits=digits, max_prec=1 << 12, **kw)
        return
    got = run_rung("arb-jit", conv, params0, steps=steps, digits=digits, max_prec=1 << 12, **kw)
    assert (want.engine, got.engine) == ("arb-objects", "arb-jit")
    _same_balls(want, got)


@pytestmark_jit
@pytest.mark.parametrize("name", PRESET_NAMES)
def test_golden_digits_are_the_definitions(name):
    """Open and closed loop, every preset with its options: the digits and floats of the mpmath definition."""
    conv = preset(name, lr="0.01", rho="0.9", eps="1e-8", **fullest(preset(name), momentum="0.5", weight_decay="0.01"))
    rng = np.random.default_rng(4)
    p0 = [rng.uniform(-1, 1, 3)]
    problem = Quadratic([np.array([1.0, 4.0, 0.5])], [np.array([0.5, -1.0, 2.0])])
    for kw in (dict(grads=[[rng.standard_normal(3)] for _ in range(12)]), dict(grad_fn=problem.grad_fn())):
        a = certified_run(conv, p0, steps=12, digits=40, engine="mpmath", **kw)
        b = certified_run(conv, p0, steps=12, digits=40, engine="arb-jit", **kw)
        assert a.prec == b.prec and isinstance(b.records[1]["params"][0][0], JA.FlintValue)
        for rx, ry in zip(a.records, b.records):
            for x, y in zip(np.asarray(rx["params"][0]).reshape(-1), np.asarray(ry["params"][0]).reshape(-1)):
                assert x.sci(40) == y.sci(40) and x.binary("float32") == y.binary("float32")


@pytestmark_jit
def test_golden_engine_dispatch_and_fallbacks(monkeypatch):
    """'arb-jit' compiles what it can trace, 'arb' too when the run is large or the loop loaded; both run the
    rest (stateful or non-elementwise gradients) as object arrays; without the compiled engine 'arb' is
    arb.py's."""
    from oracle.problems import docs_example as ex
    from oracle.problems import quadratic as q

    run = certified_run(ex.convention("decimal"), [ex.W0], grad_fn=ex.grad_fn("docs"), steps=5, engine="arb-jit")
    assert isinstance(run.records[5]["params"][0].item(), JA.FlintValue)
    assert run.records[5]["params"][0].item().sci(50) == "9.5107269803292540908356040117627183514623562385978e-1"
    for engine in ("arb", "arb-jit"):
        quad = certified_run(preset("seed"), [list(q.P0)], grad_fn=q.grad_fn(), steps=3, engine=engine)
        assert isinstance(quad.records[3]["params"][0][0], A.BallValue)  # declined: object arrays
        assert quad.engine == "arb-objects"
        calls = []
        stateful = lambda ar, ps: calls.append(1) or [ps[0] * ar.const(Fraction(2))]  # noqa: E731
        certified_run(preset("seed"), [[0.5]], grad_fn=stateful, steps=2, engine=engine)
        assert len(calls) == 2  # never called on traced values: arb.py ran it, once per step
    with pytest.raises(Decline, match="cannot be traced"):  # the rung alone: no fallback
        run_rung("arb-jit", preset("seed"), [list(q.P0)], grad_fn=q.grad_fn(), steps=3)
    obj = certified_run(preset("seed"), [[0.5]], grads=[[[1.0]]], steps=1, engine="arb-objects")
    assert isinstance(obj.records[1]["params"][0][0], A.BallValue)
    big = [np.linspace(-1, 1, JA.WORTH // 2)]
    assert JA.worth(big, 2) and (JA.warm() or not JA.worth([[0.5]], 1))
    assert isinstance(certified_run(preset("seed"), [[0.5]], grads=[[[1.0]]], steps=1,
                                    engine="arb").records[1]["params"][0][0], JA.FlintValue)  # warm by now
    monkeypatch.setattr(JA.flintlib, "LIB", None)
    assert isinstance(certified_run(preset("seed"), [[0.5]], grads=[[[1.0]]], steps=1).records[1]["params"][0][0],
                      A.BallValue)


@pytestmark_jit
def test_golden_shapes_errors_precision_and_pickling():
    """0-d, empty and 2-D arrays keep their shapes; 0/0 is reported as the definition does; flint's and
    mpmath's precision untouched; a published value pickles to a plain CertifiedValue."""
    import mpmath

    params = [np.zeros((2, 3)), np.float64(1.5), np.zeros((0,))]
    grads = [[np.ones((2, 3)), np.float64(-1), np.zeros((0,))]]
    before = (flint.ctx.prec, mpmath.mp.prec)
    run = certified_run(preset("keras"), params, grads=grads, steps=1, digits=20, engine="arb-jit")
    assert (flint.ctx.prec, mpmath.mp.prec) == before
    assert [p.shape for p in run.records[1]["params"]] == [(2, 3), (), (0,)]
    with pytest.raises(ArithmeticError, match="the update is undefined at step 1"):
        certified_run(preset("seed", eps=0), [0], grads=[[0]], steps=1, digits=20, engine="arb-jit")
    with pytest.raises(ValueError, match="do not match"):
        certified_run(preset("seed"), [[0.0, 1.0]], grads=[[[1.0]]], steps=1, engine="arb-jit")
    cv = run.records[1]["params"][1].item()
    back = pickle.loads(pickle.dumps(cv))
    assert type(back) is not JA.FlintValue and (back.lo, back.hi, back.cap) == (cv.lo, cv.hi, cv.cap)


QUICK = ["docs-docs-decimal-200", "stream-pytorch-centered", "stream-graves2013-centered-momentum",
         "stream-paddle-weight-decay", "quadratic-tf1-momentum", "gluon-V3-R3"]


def _comparable(text):
    from test_arb_engine import comparable

    return comparable(text)


@pytestmark_jit
@pytest.mark.parametrize("name", QUICK)
def test_golden_files_regenerate_identically_compiled(name, monkeypatch):
    """Representative golden files rebuilt with ORACLE_ENGINE=arb-jit (compiled where traceable)."""
    from oracle.golden import GOLDEN_DIR, cases

    monkeypatch.setenv("ORACLE_ENGINE", "arb-jit")
    disk = (GOLDEN_DIR / f"{name}.json").read_text(encoding="ascii")
    assert _comparable(cases.build(name)) == _comparable(disk)


@pytestmark_jit
@pytest.mark.slow
def test_every_golden_file_regenerates_identically_compiled(monkeypatch):
    """Every non-long golden case (--run-slow), through the compiled engine wherever it applies."""
    from oracle.golden import GOLDEN_DIR, cases

    monkeypatch.setenv("ORACLE_ENGINE", "arb-jit")
    for name, case in cases.all_cases().items():
        if case.long:
            continue
        disk = (GOLDEN_DIR / f"{name}.json").read_text(encoding="ascii")
        assert _comparable(cases.build(name)) == _comparable(disk), name
    assert json  # (the comparison drops exactly the provenance fields of tests/test_arb_engine.py)
