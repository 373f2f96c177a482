"""The vectorized grading engine: its bound is never below ErrorBoundArith's, its value is exact to a tiny
fraction of the bound, and the chunked reference is identical whatever the chunking."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from option_support import draw_options, fullest, switched

from oracle.algorithm import simulate
from oracle.conformance.judge import reference as R
from oracle.conformance.judge.cases import arr, builtin_cases, scale
from oracle.problems.quadratic import Diagonal
from oracle.conventions import PRESET_NAMES, preset
from oracle.engines.bound.errorbound import ErrorBoundArith
from oracle.engines.bound.vecbound import BoundArith
from oracle.engines.rungs import Decline

REGIMES = ("normal", "tiny", "huge", "zeros", "flips", "closed")


def _pairs(rec_a, rec_b):
    out = list(zip(rec_a["params"], rec_b["params"]))
    for k in rec_a["state"]:
        out += list(zip(rec_a["state"][k], rec_b["state"][k]))
    if rec_a["grads"] is not None:
        out += list(zip(rec_a["grads"], rec_b["grads"]))
    return out


def compare(conv, dtype, params0, steps, grads=None, grad_fn=None):
    """Assert bound(BoundArith) >= bound(ErrorBoundArith) and |W - V| <= 1e-6 bound, everywhere."""
    eb = ErrorBoundArith(dtype)
    ctx = eb.ctx
    ref = simulate(conv, eb, params0, steps=steps, grads=grads, grad_fn=grad_fn)
    bar = BoundArith(dtype)
    got = simulate(conv, bar, params0, steps=steps, grads=grads, grad_fn=grad_fn)
    n = 0
    for ra, rb in zip(ref, got):
        for a, b in _pairs(ra, rb):
            hi, lo, err = bar.split(b)
            for x, h, l, s in zip(np.asarray(a, dtype=object).reshape(-1), hi.reshape(-1), lo.reshape(-1),
                                  err.reshape(-1)):
                if ctx.isnan(x.err):  # ErrorBoundArith makes no claim (inf * 0 past an overflow)
                    assert not np.isfinite(s)
                    continue
                assert ctx.mpf(float(s)) >= x.err, (float(s), x.err)
                if ctx.isfinite(x.err) and x.err > 0:
                    assert abs(ctx.mpf(float(h)) + ctx.mpf(float(l)) - x.val) <= 1e-6 * x.err
                n += 1
    return n


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_bound_never_below_errorbound_arith(data):
    """All presets, dtypes, options and regimes (tiny, huge, zeros, flips, closed loop)."""
    dtype = data.draw(st.sampled_from(["float64", "float32", "float16"]))
    name = data.draw(st.sampled_from(PRESET_NAMES))
    regime = data.draw(st.sampled_from(REGIMES))
    opts = draw_options(data.draw, preset(name), centered=st.booleans(), momentum=switched(0.5, 0.9),
                        weight_decay=switched(0.01, 0.5))
    sc = scale(dtype)
    hyper = dict(lr=data.draw(st.sampled_from([1e-3, 0.01, 0.5])), rho=data.draw(st.sampled_from([0.0, 0.5, 0.99])),
                 eps=data.draw(st.sampled_from([sc["eps"], 0.1])))
    if opts.get("centered") and hyper["rho"] == 0.0:
        hyper["rho"] = 0.5
    conv = preset(name, **hyper, **opts)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    size, steps = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 6))
    mag = {"tiny": sc["tiny"], "huge": sc["huge"]}.get(regime, 1.0)
    params0 = [arr(rng.uniform(-2, 2, size), dtype)]
    if regime == "closed":
        problem = Diagonal([arr(rng.uniform(0.25, 4, size), dtype)], [arr(rng.uniform(-2, 2, size), dtype)])
        try:
            compare(conv, dtype, params0, steps, grad_fn=problem.grad_fn())
        except Decline:
            pass
        return
    grads = []
    for t in range(steps):
        g = rng.standard_normal(size) * mag
        if regime == "zeros":
            g = np.where(rng.random(size) < 0.5, 0.0, g)
        if regime == "flips":
            g = np.abs(g) * (-1) ** t
        grads.append([arr(g, dtype)])
    try:
        compare(conv, dtype, params0, steps, grads=grads)
    except Decline:
        pass


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_exact_decimal_inputs_and_long_runs(name):
    """Decimal-string inputs (golden replays) and a 60-step run of every preset, float64."""
    conv = preset(name, lr="0.01", rho="0.9", eps="1e-8")
    rng = np.random.default_rng(3)
    grads = [[[f"{x:.3f}" for x in rng.standard_normal(2)]] for _ in range(60)]
    assert compare(conv, "float64", [["0.5", "-1.25"]], 60, grads=grads) > 0


def test_out_of_range_is_refused_and_the_reference_falls_back():
    """A value beyond 2^900: BoundArith declines, naming ErrorBoundArith, which the reference then runs."""
    conv = preset("seed", lr=0.01, rho=0.9, eps=1e-8)
    with pytest.raises(Decline) as refused:
        simulate(conv, BoundArith("float64"), [np.array([1.0])], steps=1, grads=[[np.array([2.0**950])]])
    job = R.Job(conv, "float64", 2, [np.array([1.0, 2.0])], [[np.array([2.0**950, 1.0])], [np.array([1.0, 1.0])]])
    assert refused.value.to == "errorbound"
    res = R.run_job(job)
    assert res["undefined"] is None and len(res["params"]) == 3 and res["engine"] == "errorbound"


def _case(size=70001, steps=3):
    rng = np.random.default_rng(5)
    return R.Job(preset("pytorch", lr=0.01, rho=0.9, eps=1e-8, centered=True, momentum=0.9), "float64", steps,
                 [rng.uniform(-1, 1, size)], [[rng.standard_normal(size)] for _ in range(steps)])


def _same(a, b):
    assert len(a["params"]) == len(b["params"])
    for pa, pb, sa, sb, ma, mb in zip(a["params"], b["params"], a["state"], b["state"], a["masks"], b["masks"]):
        for x, y in zip(pa[0] + sum((sa[k][0] for k in sa), ()), pb[0] + sum((sb[k][0] for k in sb), ())):
            assert np.array_equal(x, y)
        assert np.array_equal(ma[0], mb[0])


def test_chunked_reference_is_identical_whatever_the_chunking():
    """Chunks of 1 element, 7 elements, the default size and the whole array give the same arrays."""
    job = _case(size=301)
    whole = R.run_job(job)
    for size in (1, 7, 100):
        bounds = [(lo, min(lo + size, 301)) for lo in range(0, 301, size)]
        _same(whole, R.run_chunks(job, bounds, workers=1))


def test_chunks_that_stop_early_are_carried_to_the_end():
    """A chunk past its horizon at once is recomputed to the last step of the others (as unchunked)."""
    conv = preset("seed", lr=0.5, rho=0.0, eps=1e-300)
    p0 = [np.array([1e-300, 1e-300, 1.0, 2.0])]
    grads = [[np.array([1e-300, -1e-300, 1.0, -1.0])] for _ in range(4)]
    job = R.Job(conv, "float64", 4, p0, grads)
    whole = R.run_job(job)
    _same(whole, R.run_chunks(job, [(0, 2), (2, 4)], workers=1))


def test_two_workers_give_identical_results():
    """The local process pool computes the same reference (spawned workers)."""
    job = _case(size=40000, steps=2)
    bounds = [(lo, min(lo + R.CHUNK, 40000)) for lo in range(0, 40000, R.CHUNK)]
    _same(R.run_chunks(job, bounds, workers=1), R.run_chunks(job, bounds, workers=2))


def test_dask_local_cluster_gives_identical_results():
    """--scheduler: the same chunks on a Dask LocalCluster."""
    distributed = pytest.importorskip("distributed")
    job = _case(size=40000, steps=2)
    bounds = [(lo, min(lo + R.CHUNK, 40000)) for lo in range(0, 40000, R.CHUNK)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cl:
        got = R.run_chunks(job, bounds, scheduler=cl.scheduler_address)
    _same(R.run_chunks(job, bounds, workers=1), got)


def test_large_case_follows_every_element():
    """The large case has no sample: the reference covers every element, and agrees with
    ErrorBoundArith on a few of them."""
    case = next(c for c in builtin_cases("float32", "quick") if "large" in c.tags)
    assert case.sample is None and case.params0[0].size > 65536
    conv = preset("pytorch", **case.hyper)
    ref = R.reference(conv, case)
    hi, lo, err = ref.params[-1][0]
    assert hi.size == case.params0[0].size and ref.masks[-1][0].mean() > 0.99
    idx = [0, 1, hi.size // 2, hi.size - 1]
    small = [p.reshape(-1)[idx] for p in case.params0]
    eb = simulate(conv, ErrorBoundArith("float32"), small, steps=case.steps,
                  grads=[[g.reshape(-1)[idx] for g in step] for step in case.grads])
    for k, x in enumerate(eb[-1]["params"][0]):
        assert err[idx[k]] >= float(x.err) and abs(hi[idx[k]] + lo[idx[k]] - float(x.val)) <= 1e-6 * float(x.err)


def test_workers_option_is_validated():
    """--workers must be a positive integer (a usage error otherwise); the reference runs where it says."""
    from oracle.conformance.judge.options import Compute, validate

    with pytest.raises(ValueError, match="--workers must be a positive integer, got 'two'"):
        validate({"workers": "two"})
    assert validate({}).compute == Compute(1, None) and validate({"workers": "2"}).compute == Compute(2, None)


@pytest.mark.parametrize("name", ["seed", "pytorch", "tf1", "graves2013"])
def test_values_agree_with_the_certified_interval_engine(name):
    """hi + lo is within 1e-6 of the bound of the certified exact value (open and closed loop)."""
    from fractions import Fraction

    from oracle.engines.certify import certified_run

    conv = preset(name, lr=0.01, rho=0.9, eps=1e-8, **fullest(preset(name), momentum=0.5, weight_decay=0))
    rng = np.random.default_rng(8)
    p0 = [rng.uniform(-1, 1, 3)]
    grads = [[rng.standard_normal(3)] for _ in range(12)]
    problem = Diagonal([np.array([1.0, 4.0, 0.5])], [np.array([0.5, -1.0, 2.0])])
    for kw in (dict(grads=grads), dict(grad_fn=problem.grad_fn())):
        cert = certified_run(conv, p0, steps=12, digits=30, **kw)
        bar = BoundArith("float64")
        got = simulate(conv, bar, p0, steps=12, **kw)
        for rc, rb in zip(cert.records, got):
            hi, lo, err = bar.split(rb["params"][0])
            for cv, h, l, e in zip(rc["params"][0].reshape(-1), hi, lo, err):
                assert abs(Fraction(float(h)) + Fraction(float(l)) - cv.mid()) <= Fraction(float(e)) / 10**6


def test_the_bound_ladder_reports_and_forces_its_rungs():
    """bounded_run names the rung that ran; ``engine`` starts lower; the rungs agree bit for bit."""
    from oracle.engines.bound.ladder import RUNGS, bounded_run

    conv = preset("seed", lr=0.01, rho=0.9, eps=1e-8)
    p0, grads = [np.array([1.0, 2.0])], [[np.array([0.5, -1.0])], [np.array([1.0, 1.0])]]
    vec = bounded_run(conv, "float64", p0, steps=2, grads=grads, engine="vecbound")
    top = bounded_run(conv, "float64", p0, steps=2, grads=grads)
    assert vec["engine"] == "vecbound" and top["engine"] in RUNGS[:2]
    for a, b in zip(vec["params"], top["params"]):
        assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
    assert bounded_run(conv, "float64", p0, steps=2, grads=grads, engine="errorbound")["engine"] == "errorbound"
    pairs = [np.array([[1.0, 0.5]])]  # complex parameters, modulus reading: the compiled rung declines
    assert bounded_run(conv, "float64", pairs, steps=1, grads=[[np.array([[0.5, 1.0]])]], modulus=True,
                       engine="jitbound")["engine"] == "vecbound"
    with pytest.raises(ValueError, match="engine must be one of"):
        bounded_run(conv, "float64", p0, steps=1, grads=grads, engine="gpu")
