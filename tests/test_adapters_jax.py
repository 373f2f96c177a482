"""jax adapters: ``optax.rmsprop`` and ``jax.example_libraries.optimizers.rmsprop`` / ``rmsprop_momentum``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402

ALL = ["float64", "float32", "float16"]


@pytest.mark.parametrize("factory", ["oracle.adapters.jax_example:rmsprop", "oracle.adapters.jax_example:rmsprop_momentum"])
def test_example_libraries_certified(factory):
    """rmsprop under seed, rmsprop_momentum under optax,allows=momentum, in every dtype."""
    assert_certified(factory, ALL)


def test_optax_certified():
    pytest.importorskip("optax")
    assert_certified("oracle.adapters.optax:rmsprop", ALL)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_example_libraries_match_their_formula_bit_for_bit(dtype):
    """x -= step*g/sqrt(avg + eps) and mom = mu*mom + step*g/sqrt(avg + eps): numpy in the same order."""
    from oracle.adapters import jax_example

    rng = np.random.default_rng(2)
    p0 = rng.uniform(-2, 2, 200).astype(dtype)
    grads = [rng.standard_normal(200).astype(dtype) for _ in range(4)]
    plain = jax_example.rmsprop([p0], lr=0.1, rho=0.9, eps=1e-3)
    heavy = jax_example.rmsprop_momentum([p0], lr=0.1, rho=0.9, eps=1e-3, momentum=0.9)
    t = np.dtype(dtype).type
    x, y, avg, mom = p0, p0, np.zeros_like(p0), np.zeros_like(p0)
    for g in grads:
        avg = avg * t(0.9) + np.square(g) * t(1.0 - 0.9)
        x = x - t(0.1) * g / np.sqrt(avg + t(1e-3))
        mom = t(0.9) * mom + t(0.1) * g / np.sqrt(avg + t(1e-3))
        y = y - mom
        np.testing.assert_array_equal(plain([g])[0], x)
        np.testing.assert_array_equal(heavy([g])[0], y)


def test_optax_schedule_callable_keeps_lr_inside_the_trace():
    """lr_schedule through optax's own schedule callable (eager and jit): lr inside the momentum trace,
    convention optax, confirmed by the schedule cases and the lr-in-momentum probe."""
    pytest.importorskip("optax")
    from adapter_support import assert_schedule_convention

    assert_schedule_convention("oracle.adapters.optax:rmsprop", "optax", ALL)
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {"ORACLE_GPU_DEVICE": "cpu"}):  # the jit path (a table of the values)
        assert_schedule_convention("oracle.adapters.optax:rmsprop_gpu_jit", "optax", ["float32", "float16"])


def test_optax_inject_hyperparams_variant():
    """``optax.inject_hyperparams(optax.rmsprop)`` with ``opt_state.hyperparams["learning_rate"]`` written per
    step: every hyperparameter becomes an array of the parameters' dtype, so ``1 - decay`` is formed in that
    dtype: certified under optax,hyper_dtype=param (bfloat16 included) and not under plain optax, where
    rho-near-one fails in float32 and float16; lr stays inside the trace (schedule cases and probe).  jax's
    CPU flushes float32 and bfloat16 subnormals to zero (as for ``optax:rmsprop``): INJECT_CONVENTION says
    so (``subnormals=flush:...``), and the subnormal cases pass under it."""
    pytest.importorskip("optax")
    from adapter_support import assert_schedule_convention, grade_cases

    from oracle.adapters.optax import INJECT_CONVENTION

    factory = "oracle.adapters.optax:rmsprop_inject"
    dtypes = ["float32", "float16", "bfloat16"]  # float64: hyper_dtype=param changes nothing
    graded = grade_cases(factory, INJECT_CONVENTION, dtypes)
    assert {d for d, _ in graded} == set(dtypes)
    assert {s for s, _ in graded.values()} <= {"passed", "skipped"}, {k: v for k, v in graded.items()
                                                                      if v[0] not in ("passed", "skipped")}
    plain = grade_cases(factory, "optax", ["float32", "float16"], skip_tags=("subnormal",))
    assert {k for k, v in plain.items() if v[0] == "failed"} == {("float32", "rho-near-one"),
                                                                  ("float16", "rho-near-one")}
    assert_schedule_convention(factory, INJECT_CONVENTION, ["float32", "float16"])
