"""The float backend stays within the documented error bound of the certified reference.

The bound (oracle/engines/bound/errorbound.py) is propagated through every step; a
ratio |float - exact| / bound above 1 would mean the bound is wrong (or the
float implementation is).  Teeth: implementations that deviate from the
convention by one rounding-sized change are caught.
"""

from fractions import Fraction

import numpy as np
import pytest

from oracle.accuracy import float_vs_bound
from oracle.algorithm import simulate
from oracle.conventions import PRESET_NAMES, preset
from oracle.engines.floating import FloatArith
from oracle.problems import docs_example as ex


def variants(name):
    """plain, centered, momentum (with centered where it needs it) and weight decay, where the convention has them."""
    sets = preset(name).option_sets(momentum=0.9, weight_decay=0.01)
    return [sets[n] for n in ("plain", "centered", "momentum", "centered-momentum", "weight-decay") if n in sets
            and (n != "centered-momentum" or "momentum" not in sets)]


CASES = [(n, v) for n in PRESET_NAMES for v in variants(n)]


def stream(seed, steps, size, scale=1.0, dtype="float64"):
    rng = np.random.default_rng(seed)
    return [[(scale * rng.standard_normal(size)).astype(dtype)] for _ in range(steps)]


FIRST_AND_LAST = sorted({(n, tuple(variants(n)[i].items())) for n in PRESET_NAMES for i in (0, -1)})


@pytest.mark.parametrize("name, opts", [(n, dict(o)) for n, o in FIRST_AND_LAST])
def test_float64_open_loop_1000_steps_within_bound(name, opts):
    """1,000 float64 steps of each preset variant stay within the propagated bound."""
    r = float_vs_bound(preset(name, lr=0.01, **opts), "float64", [np.array([0.5, -1.5])], steps=1000,
                       grads=stream(1, 1000, 2))
    assert r["worst_ratio"] <= 1 and r["horizon"] is None


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("name, opts", CASES)
def test_every_variant_and_dtype_1000_steps_within_bound(name, opts, dtype):
    """The full matrix: every preset variant in every dtype, 1,000 steps."""
    r = float_vs_bound(preset(name, lr=0.01, eps=1e-3 if dtype == "float16" else 1e-8, **opts), dtype,
                       [np.array([0.5, -1.5], dtype=dtype)], steps=1000, grads=stream(2, 1000, 2, dtype=dtype))
    assert r["worst_ratio"] <= 1


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name", ["pytorch", "tf1", "keras"])
def test_lower_precision_dtypes_within_bound(name, dtype):
    """float32 and float16 runs (hyperparameters rounded once to the dtype) stay within the bound."""
    r = float_vs_bound(preset(name, lr=0.01, eps=1e-3, momentum=0.5), dtype,
                       [np.array([0.5, -1.5], dtype=dtype)], steps=200, grads=stream(3, 200, 2, dtype=dtype))
    assert r["worst_ratio"] <= 1


REGIMES = {
    "far below sqrt(eps)": dict(scale=1e-12, eps=1e-8),
    "huge gradients": dict(scale=1e150, eps=1e-8),
    "squares underflow": dict(scale=1e-300, eps=1e-300),
    "eps dominates outside the root": dict(scale=1e-6, eps=1e-2),
}


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("name", ["pytorch", "seed", "tf1"])
def test_hard_regimes_within_bound(name, regime):
    """Extreme gradient scales keep the float64 run within the bound."""
    cfg = REGIMES[regime]
    opts = {"momentum": 0.9} if name != "seed" else {}
    r = float_vs_bound(preset(name, lr=0.01, eps=cfg["eps"], **opts), "float64", [np.array([1.0, -1.0])],
                       steps=300, grads=stream(4, 300, 2, scale=cfg["scale"]))
    assert r["worst_ratio"] <= 1


def test_exact_zeros_and_sign_flips_within_bound():
    """Runs of exact zero gradients and alternating signs stay within the bound (centered, momentum)."""
    grads = [[np.array([0.0, (-1.0) ** k * 3.0, 0.0 if k % 5 else 1e-3])] for k in range(500)]
    r = float_vs_bound(preset("pytorch", centered=True, momentum=0.9, eps=1e-8), "float64",
                       [np.array([0.0, 1.0, -2.0])], steps=500, grads=grads)
    assert r["worst_ratio"] <= 1


@pytest.mark.parametrize("dtype, horizon", [("float64", 61), ("float32", 38), ("float16", 9)])
def test_closed_loop_docs_example_bound_is_honest_and_has_a_horizon(dtype, horizon):
    """In closed loop the bound grows with the dynamics; it stays a bound, and gives the horizon."""
    r = float_vs_bound(ex.convention("binary64"), dtype, [0.0], steps=300, grad_fn=ex.grad_fn("docs"))
    assert r["worst_ratio"] <= 1
    assert r["horizon"] == horizon


def test_float64_lands_exactly_on_the_minimum_while_the_exact_run_cycles():
    """float64 reaches w = 2.0 exactly at step 57 (g = 0, stuck); the exact run does not."""
    recs = simulate(ex.convention("binary64"), FloatArith("float64"), [0.0], steps=300, grad_fn=ex.grad_fn("docs"))
    ws = [float(r["params"][0]) for r in recs]
    assert ws.index(2.0) == 57 and all(w == 2.0 for w in ws[57:])
    exact = ex.certified("docs", "binary64", steps=300, digits=20).records
    assert abs(float(exact[300]["params"][0].item().mid()) - 2) > 0.04


class TestTeeth:
    """The bound is tight enough to catch rounding-sized departures from a convention."""

    def run_ratio(self, conv_float, conv_ref, dtype="float64", steps=200, scale=1.0):
        from oracle.engines.bound.errorbound import ErrorBoundArith
        from oracle.engines.certify.interval import mpf_to_fraction

        grads = stream(5, steps, 3, scale=scale)
        got = simulate(conv_float, FloatArith(dtype), [np.array([0.3, -0.7, 1.1])], steps=steps, grads=grads)
        ref = simulate(conv_ref, ErrorBoundArith(dtype), [np.array([0.3, -0.7, 1.1])], steps=steps, grads=grads)
        worst = 0.0
        for a, b in zip(got[1:], ref[1:]):
            for x, y in zip(a["params"][0], b["params"][0]):
                worst = max(worst, float(abs(Fraction(float(x)) - mpf_to_fraction(y.val))) / float(y.err))
        return worst

    def test_hyperparameters_rounded_to_float32_are_caught_in_float64(self):
        """A float64 run whose rho and lr were rounded to float32 exceeds the exact-hyperparameter bound."""
        ref = preset("pytorch", lr=0.01, rho=0.99)
        assert self.run_ratio(ref.replace(hyperparameters="float32"), ref) > 10
        assert self.run_ratio(ref, ref) <= 1

    def test_eps_on_the_wrong_side_is_caught_where_eps_matters(self):
        """eps inside instead of outside exceeds the bound when gradients are near sqrt(eps)."""
        ref = preset("pytorch", lr=0.01, eps=1e-8)
        assert self.run_ratio(ref.replace(eps_placement="inside"), ref, scale=1e-4) > 10
