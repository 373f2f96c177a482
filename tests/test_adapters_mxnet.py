"""MXNet 1.9.1 adapters: ``mx.optimizer.RMSProp`` (float32 only) and the document's Gluon function on ``mx.nd``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mxnet")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402

from oracle.adapters import mxnet as adapter  # noqa: E402
from oracle.adapters import textbook  # noqa: E402


def test_optimizer_certified_as_mxnet_float32_all():
    """``mx.optimizer.RMSProp`` is certified under ``mxnet,float32=all`` in float32, its one dtype."""
    assert_certified("oracle.adapters.mxnet:rmsprop", ["float32"])


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_optimizer_declines_other_dtypes(dtype):
    """create_state makes float32 state whatever the weight dtype: float64 and float16 are declined."""
    with pytest.raises(NotImplementedError, match=f"^mxnet {dtype}: RMSProp.create_state makes float32 state"):
        adapter.rmsprop([np.zeros(2, dtype)], lr=0.1, rho=0.9, eps=1e-8)


def test_optimizer_declines_momentum_without_centered():
    with pytest.raises(NotImplementedError, match=r"^mxnet momentum=0.9 without centered: "):
        adapter.rmsprop([np.zeros(2, np.float32)], lr=0.1, rho=0.9, eps=1e-8, momentum=0.9)


def test_kernel_rounds_lr_to_float32_even_for_float64_state():
    """rmsprop_update takes lr as a float parameter: with float64 weight and state, lr is float32's 0.1."""
    import mxnet as mx

    w, n = mx.nd.array([0.0], dtype="float64"), mx.nd.zeros((1,), dtype="float64")
    mx.nd.rmsprop_update(w, mx.nd.array([1.0], dtype="float64"), n, lr=0.1, gamma1=0.5, epsilon=0.0, out=w)
    assert w.asnumpy()[0] == -float(np.float32(0.1)) / np.sqrt(0.5) != -0.1 / np.sqrt(0.5)


def test_gluon_function_certified_as_seed_in_every_dtype():
    """The source document's function, run on real mx.nd arrays, is certified under ``seed``."""
    assert_certified("oracle.adapters.textbook:gluon_rmsprop", ["float64", "float32", "float16"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_gluon_function_equals_the_numpy_transcription_bit_for_bit(dtype):
    """mx.nd evaluates the document's function exactly as numpy does (double scalars, per-op rounding)."""
    rng = np.random.default_rng(0)
    p0 = rng.uniform(-2, 2, 300).astype(dtype)
    a = textbook.gluon_rmsprop([p0], lr=0.1, rho=0.9, eps=1e-3)
    b = textbook.seed_rmsprop([p0], lr=0.1, rho=0.9, eps=1e-3)
    for _ in range(5):
        g = rng.standard_normal(300).astype(dtype)
        np.testing.assert_array_equal(a([g])[0], b([g])[0])
