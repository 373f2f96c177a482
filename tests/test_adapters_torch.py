"""torch.optim.RMSprop adapters: the single-tensor (CPU default) and foreach paths, certified as ``pytorch``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402


def test_single_tensor_path_certified_in_every_dtype():
    assert_certified("oracle.adapters.torch:rmsprop_single", ["float64", "float32", "float16", "bfloat16"])


def test_foreach_path_certified_in_float32():
    assert_certified("oracle.adapters.torch:rmsprop_foreach", ["float32"])


@pytest.mark.slow
def test_foreach_path_certified_in_every_dtype():
    assert_certified("oracle.adapters.torch:rmsprop_foreach", ["float64", "float32", "float16"])


def test_float16_default_eps_vanishes():
    """float16 on CPU: eps = 1e-8 rounds to 0, so a zero gradient on a zero accumulator gives 0/0 = NaN."""
    from oracle.adapters import torch as adapter

    step = adapter.rmsprop_single([np.zeros(2, np.float16)], lr=0.01, rho=0.99, eps=1e-8)
    assert np.isnan(step([np.zeros(2, np.float16)])[0]).all()
    step = adapter.rmsprop_single([np.zeros(2, np.float16)], lr=0.01, rho=0.99, eps=1e-3)
    assert (step([np.zeros(2, np.float16)])[0] == 0).all()
