"""Flush to zero (the ``subnormals`` convention field): validation and the spec round trip, the error bounds'
widening (ErrorBoundArith, BoundArith, the compiled kernel), the float backend's FTZ/DAZ emulation certified
against its own bound, the fingerprint probe and the diagnosis.  Direct calls only (docs/subnormals.md)."""

import re
from fractions import Fraction

import numpy as np
import pytest

from oracle.accuracy import compared, float_vs_bound
from oracle.algorithm import simulate
from oracle.conformance.judge import mistakes, reference as R
from oracle.conformance.isolation.candidate import Candidate
from oracle.conformance.judge.cases import builtin_cases
from oracle.conformance.judge.fingerprint import identify
from oracle.conformance.judge.grading import grade
from oracle.conventions import parse, preset
from oracle.engines.bound.errorbound import ErrorBoundArith
from oracle.engines.bound.ladder import bounded_run
from oracle.engines.floating import FloatArith, Flushed
from oracle.engines.bound.vecbound import BoundArith

TINY = {"float64": 2.0**-1022, "float32": 2.0**-126}
FTZ = "flush:float64+float32+bfloat16"


# -- the field ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["flsh", "flush:", "flush:float8", "flush:float32+float32", "", None, 1])
def test_bad_value_names_the_field_and_echoes_it(value):
    expected = r"subnormals must be 'gradual', 'flush' or 'flush:NAMES' \(.*\), got " + re.escape(repr(value))
    with pytest.raises(ValueError, match=expected):
        preset("tf1", subnormals=value)


def test_spec_round_trip_and_canonical_form():
    c = parse("tf1,subnormals=flush:bfloat16+float32+float64")
    assert c.subnormals == FTZ and c.spec() == f"tf1,subnormals={FTZ}" and parse(c.spec()) == c
    assert parse("optax,subnormals=flush:float64+float32+float16+bfloat16").spec() == "optax,subnormals=flush"
    assert preset("optax").spec() == "optax" and "subnormals" not in preset("optax").describe()
    assert c.describe()["subnormals"] == FTZ
    assert [c.flushes(d) for d in ("float64", "float32", "float16", "bfloat16")] == [True, True, False, True]
    assert c.structure() == preset("tf1").structure()  # the exact update is the same: golden replays apply
    with pytest.raises(ValueError, match="convention spec 'tf1,subnormals=ftz': subnormals must be"):
        parse("tf1,subnormals=ftz")


# -- the bounds ----------------------------------------------------------------------------------------------
def _run(ar, conv, p0, grads):
    return [ar.split(r["params"][0]) for r in simulate(conv, ar, [p0], grads=[[g] for g in grads],
                                                       steps=len(grads))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_flush_widens_the_bound_to_the_smallest_normal_and_charges_subnormal_inputs(dtype):
    n = TINY[dtype]
    conv = preset("pytorch", lr=0.5, rho=0.75, eps=1.0)
    p0, grads = np.array([0.5, -0.25, 0.0, 3.0]) * n, [np.array([0.7, 0.0, -0.3, 1.0]) * n] * 3
    gradual = _run(ErrorBoundArith(dtype), conv, p0, grads)
    flush = _run(ErrorBoundArith(dtype, subnormals="flush"), conv, p0, grads)
    (h0, _, e0), (_, _, g0) = flush[0], gradual[0]
    assert np.all(g0 < n / 1000) and np.all(e0[:3] >= np.abs(h0[:3]))  # DAZ: 0.5N and 0.25N may be read as 0
    assert e0[2] < n / 1000 and e0[3] < n / 1000  # an exact zero and a normal input stay exact
    for (_, _, eg), (_, _, ef) in zip(gradual[1:], flush[1:]):
        assert np.all(ef >= eg) and np.all(ef >= n / 4) and np.all(ef <= 40 * n)
    normal = preset("pytorch", lr=0.01)
    big = [_run(ErrorBoundArith(dtype, subnormals=s), normal, np.array([1.0, -2.0]), [np.array([0.3, 1e-3])] * 3)
           for s in ("gradual", "flush")]
    for (_, _, eg), (_, _, ef) in zip(*big):  # normal numbers: the bound moves by at most a few N
        assert np.all(ef >= eg) and np.all(ef - eg <= 40 * n)
    vec = _run(BoundArith(dtype, subnormals="flush"), conv, p0, grads)
    for (_, _, ev), (_, _, ef) in zip(vec, flush):  # the vectorized bound is never below the definition
        assert np.all(ev >= ef)


def test_gradual_bounds_are_unchanged_and_the_compiled_kernel_matches_under_flush():
    pytest.importorskip("numba")
    case = next(c for c in builtin_cases("float64", "quick") if c.name == "subnormal-momentum")
    for spec in ("optax", "optax,subnormals=flush"):
        job = R._job(parse(spec).replace(**case.hyper, **case.options), case)
        jit, vec = (bounded_run(job.conv, job.dtype, job.params0, steps=job.steps, grads=job.grads, engine=e)
                    for e in ("jitbound", "vecbound"))
        assert jit["engine"] == "jitbound" and vec["engine"] == "vecbound"
        assert all(np.array_equal(x, y) for a, b in zip(jit["params"], vec["params"]) for ta, tb in zip(a, b)
                   for x, y in zip(ta, tb))
    assert BoundArith("float64")._c_abs == 2.0**-1075 * (1 + 2.0**-46) + 2.0**-1060  # gradual: tiny, as before


def test_horizon_keeps_values_near_the_smallest_normal_compared_under_flush():
    n = TINY["float64"]
    assert compared([n], [n], "float64").tolist() == [True]
    assert compared([n], [3 * n], "float64").tolist() == [False]
    assert compared([n], [3 * n], "float64", flush=True).tolist() == [True]
    assert compared([n], [1e6 * n], "float64", flush=True).tolist() == [False]


# -- the float backend ---------------------------------------------------------------------------------------
def test_float_backend_flushes_results_and_inputs():
    n = TINY["float64"]
    ar = FloatArith("float64", subnormals="flush")
    x = ar.array(np.array([n / 4, -n / 4, n, 3.0]))
    assert isinstance(x, Flushed) and np.asarray(x).tolist() == [0.0, -0.0, n, 3.0]  # DAZ on entry
    y = ar.lift(np.array([n, 2 * n])) * ar.const(Fraction(1, 4))  # results below N: zero
    assert np.asarray(y).tolist() == [0.0, 0.0] and np.asarray(ar.sqrt(ar.lift(np.array([n])))).tolist() == [n**0.5]
    assert FloatArith("float64", subnormals=FTZ).flush and not FloatArith("float16", subnormals=FTZ).flush
    gradual = FloatArith("float64")
    assert (gradual.lift(np.array([n])) * 0.25).tolist() == [n / 4]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_float_backend_is_certified_against_its_own_bound(dtype):
    """Flushing float runs stay within the flush bound; gradual runs too (flush *may* happen); a flushing run
    breaks the gradual bound by orders of magnitude."""
    n = TINY[dtype]
    rng = np.random.default_rng(17)
    p0 = [n * rng.uniform(-2, 2, 8)]
    grads = [[n * rng.uniform(-3, 3, 8) * (1 if t % 2 else 2.0**-8)] for t in range(8)]
    flush = preset("tf1", lr=0.43, rho=0.83, eps=1.0, momentum=0.5, subnormals="flush")
    assert float_vs_bound(flush, dtype, p0, steps=8, grads=grads)["worst_ratio"] <= 1.0
    emulated = [r["params"][0] for r in simulate(flush, FloatArith(dtype, subnormals="flush"), p0, grads=grads,
                                                 steps=8)]
    bound = ErrorBoundArith(dtype)
    exact = [bound.split(r["params"][0]) for r in simulate(flush, bound, p0, grads=grads, steps=8)]
    assert max(float(np.max(np.abs(np.asarray(e, dtype=np.float64) - h) / b))
               for e, (h, _, b) in zip(emulated[1:], exact[1:])) > 1e3


# -- the builtin flushing implementation, the probe and the diagnosis --------------------------------------
def test_builtin_flushing_implementation_is_certified_probed_and_diagnosed():
    c = Candidate("mutants.deviations:flush_to_zero", isolation="inline")
    try:
        assert c.convention is None
        fp = identify(c, ("float64", "float16"))  # float16 keeps its subnormals (as TensorFlow and XLA)
        assert fp.matched and fp.spec == "pytorch,subnormals=flush:float64", fp.header()
        case = next(k for k in builtin_cases("float64", "quick") if k.name == "subnormal-momentum")
        held = grade(c, parse("pytorch,subnormals=flush:float64+float32").replace(**case.hyper, **case.options),
                     case)
        assert held.status == "passed" and held.compared == 72, held.message
        plain = grade(c, parse("pytorch").replace(**case.hyper, **case.options), case)
        cause = next(m.cause for m in mistakes.catalogue(parse("pytorch")) if m.name == "flush-subnormals")
        assert plain.status == "failed" and plain.cause.startswith(f"most likely cause: {cause}"), plain.cause
    finally:
        c.close()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_flush_gap_mutant_fails_gradual_and_passes_flush(dtype):
    case = next(k for k in builtin_cases(dtype, "quick") if k.name == "subnormal")
    c = Candidate("mutants.gaps:flush_to_zero", isolation="inline")
    try:
        assert grade(c, parse("seed").replace(**case.hyper), case, diagnose=False).status == "failed"
        assert grade(c, parse("seed,subnormals=flush").replace(**case.hyper), case).status == "passed"
    finally:
        c.close()
