"""chainer ``optimizers.RMSprop`` adapters (eps outside, and ``eps_inside_sqrt=True``)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("chainer")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402

from oracle.adapters import chainer as adapter  # noqa: E402


@pytest.mark.parametrize("factory", ["rmsprop", "rmsprop_eps_inside"])
def test_certified_under_its_convention(factory):
    """Certified (float64, float32) under pytorch,allows=weight_decay / seed,allows=weight_decay."""
    assert_certified(f"oracle.adapters.chainer:{factory}", ["float64", "float32"])


def test_declines_an_eps_that_vanishes_in_float16():
    """chainer refuses eps=1e-8 for float16 gradients; the adapter declines it on the first step."""
    step = adapter.rmsprop([np.zeros(2, np.float16)], lr=0.01, rho=0.99, eps=1e-8)
    with pytest.raises(NotImplementedError, match=r"^chainer eps=1e-08 in float16: eps of RMSprop optimizer is too small"):
        step([np.ones(2, np.float16)])


def test_float16_with_a_representable_eps_runs():
    step = adapter.rmsprop([np.zeros(2, np.float16)], lr=0.5, rho=0.5, eps=2.0**-8)
    (out,) = step([np.ones(2, np.float16)])
    want = np.float16(-0.5 / (np.sqrt(0.5) + 2.0**-8))
    assert out.dtype == np.float16 and abs(float(out[0]) - float(want)) <= float(np.spacing(want))


@pytest.mark.parametrize("inside", [False, True], ids=["eps-outside", "eps-inside"])
@pytest.mark.parametrize("wd", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_update_rule_bit_for_bit(dtype, wd, inside):
    """The hook and update_core_cpu transcribed to numpy reproduce chainer bit for bit in every dtype."""
    rng = np.random.default_rng(0)
    p0 = rng.uniform(-2, 2, 500).astype(dtype)
    grads = [rng.standard_normal(500).astype(dtype) for _ in range(4)]
    factory = adapter.rmsprop_eps_inside if inside else adapter.rmsprop
    step = factory([p0], lr=0.1, rho=0.9, eps=1e-2, weight_decay=wd)
    p, ms, eps = p0.copy(), np.zeros_like(p0), np.dtype(dtype).type(1e-2)
    for g0 in grads:
        g = g0.copy()
        if wd:
            g += wd * p
        ms *= 0.9
        ms += (1 - 0.9) * g * g
        p -= 0.1 * g / (np.sqrt(ms + eps) if inside else np.sqrt(ms) + eps)
        np.testing.assert_array_equal(step([g0])[0], p)
