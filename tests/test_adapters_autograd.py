"""autograd ``misc.optimizers.rmsprop`` adapter: certified as ``autograd``; the loop's own arithmetic."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

pytest.importorskip("autograd")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402

from oracle.adapters import autograd as adapter  # noqa: E402


def test_certified_as_autograd_in_every_dtype():
    """The suite certifies the adapter under ``autograd`` (v0 = 1, eps outside) in float64, float32, float16."""
    assert_certified("oracle.adapters.autograd:rmsprop", ["float64", "float32", "float16"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_reproduces_the_float64_loop_bit_for_bit(dtype):
    """Each step equals a numpy transcription of autograd's loop: float64 ones accumulator, x kept float64."""
    rng = np.random.default_rng(3)
    p0 = rng.uniform(-2, 2, 500).astype(dtype)
    grads = [rng.standard_normal(500).astype(dtype) for _ in range(5)]
    step = adapter.rmsprop([p0], lr=0.1, rho=0.9, eps=1e-3)
    x, avg = p0, np.ones(500)
    for g in grads:
        avg = avg * 0.9 + g**2 * (1 - 0.9)
        x = x - 0.1 * g / (np.sqrt(avg) + 1e-3)
        assert x.dtype == np.float64  # what autograd hands back for any input dtype
        np.testing.assert_array_equal(step([g])[0], x.astype(dtype))


def test_worker_thread_ends_when_the_step_is_discarded():
    """The thread running autograd's loop stops once the step function is garbage collected."""
    before = threading.active_count()
    step = adapter.rmsprop([np.ones(2)], lr=0.1, rho=0.9, eps=1e-8)
    step([np.ones(2)])
    assert threading.active_count() == before + 1
    del step
    gc.collect()
    for _ in range(100):
        if threading.active_count() == before:
            break
        threading.Event().wait(0.01)
    assert threading.active_count() == before
