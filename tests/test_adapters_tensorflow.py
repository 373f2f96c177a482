"""TensorFlow adapters: tf.compat.v1 RMSPropOptimizer, the raw kernels, tf_keras RMSprop and legacy RMSprop.

Besides certification, numpy emulations of the documented evaluation order and
hyperparameter rounding reproduce every path bit for bit in float64 and float32.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402

F32 = lambda x: float(np.float32(x))  # noqa: E731
ALL = ["float64", "float32", "float16"]


@pytest.mark.parametrize("factory,dtypes", [
    ("oracle.adapters.tensorflow:rmsprop_v1", ALL),
    ("oracle.adapters.tensorflow:resource_apply_rmsprop", ALL),
    ("oracle.adapters.tensorflow:apply_rmsprop", ALL),
])
def test_tf1_paths_certified(factory, dtypes):
    """RMSPropOptimizer under tf1,float32=all; the raw kernels under tf1 (exact)."""
    assert_certified(factory, dtypes)


@pytest.mark.parametrize("factory", ["oracle.adapters.tf_keras:rmsprop", "oracle.adapters.tf_keras:rmsprop_legacy"])
def test_tf_keras_certified(factory):
    """tf_keras RMSprop under keras,float32=lr+weight_decay; legacy under keras2_legacy,hyper_dtype=param
    (float16 included: its rho-near-one case fails under plain keras2_legacy)."""
    pytest.importorskip("tf_keras")
    assert_certified(factory, ALL)


def _kernel(dt, p0, grads, lr, rho, eps, mu, centered, v0):
    p, ms, mom, mg, out, one = p0.copy(), np.full_like(p0, v0), np.zeros_like(p0), np.zeros_like(p0), [], dt.type(1)
    lr, rho, eps, mu = (dt.type(x) for x in (lr, rho, eps, mu))
    for g in grads:
        ms = ms + (g * g - ms) * (one - rho)
        if centered:
            mg = mg + (g - mg) * (one - rho)
            mom = mom * mu + (g * lr) / np.sqrt((ms - mg * mg) + eps)
        else:
            mom = mom * mu + (g * lr) / np.sqrt(ms + eps)
        p = p - mom
        out.append(p)
    return out


def _legacy(dt, p0, grads, lr, rho, eps, mu, centered, one_minus_rho=None):
    """_prepare_local: lr, rho, momentum (float32 variables) cast to the variable dtype, epsilon (a Python
    float) converted to it, 1 - rho formed in it from the cast rho (``one_minus_rho``: that value instead)."""
    lr, rho, mu = F32(lr), F32(rho), F32(mu)  # _set_hyper: float32 variables; epsilon a Python float
    if mu:
        return _kernel(dt, p0, grads, lr, rho, eps, mu, centered, 0)
    L, R, E, one = dt.type(lr), dt.type(rho), dt.type(eps), dt.type(1)
    S = one - R if one_minus_rho is None else dt.type(one_minus_rho)
    p, rms, mg, out = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), []
    for g in grads:
        rms = R * rms + S * np.square(g)
        den = rms
        if centered:
            mg = R * mg + S * g
            den = rms - np.square(mg)
        p = p - L * g / (np.sqrt(den) + E)
        out.append(p)
    return out


OPTIONS = [dict(mu=0.0, centered=False), dict(mu=0.0, centered=True), dict(mu=0.9, centered=False),
           dict(mu=0.5, centered=True)]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bit_for_bit(dtype, opts):
    """v1: the kernel with every hyperparameter via float32 and ms0 = 1; raw ops: the kernel exactly;
    legacy: eps outside without momentum, the kernel (ms0 = 0) with it, lr/rho/momentum via float32."""
    pytest.importorskip("tf_keras")
    from oracle.adapters import tensorflow as tfa
    from oracle.adapters import tf_keras as tka

    dt = np.dtype(dtype)
    rng = np.random.default_rng(1)
    p0 = rng.uniform(-2, 2, 300).astype(dt)
    grads = [rng.standard_normal(300).astype(dt) for _ in range(4)]
    h = dict(lr=0.1, rho=0.9, eps=1e-3)
    mu, centered = opts["mu"], opts["centered"]
    expect = {
        tfa.rmsprop_v1: _kernel(dt, p0, grads, *(F32(h[k]) for k in ("lr", "rho", "eps")), F32(mu), centered, 1),
        tfa.resource_apply_rmsprop: _kernel(dt, p0, grads, h["lr"], h["rho"], h["eps"], mu, centered, 1),
        tfa.apply_rmsprop: _kernel(dt, p0, grads, h["lr"], h["rho"], h["eps"], mu, centered, 1),
        tka.rmsprop_legacy: _legacy(dt, p0, grads, h["lr"], h["rho"], h["eps"], mu, centered),
    }
    for factory, want in expect.items():
        step = factory([p0], **h, momentum=mu, centered=centered)
        for g, w in zip(grads, want):
            np.testing.assert_array_equal(step([g])[0], w, err_msg=factory.__name__)
    if dtype == "float64":  # the float32 rounding is visible: exact hyperparameters do not reproduce v1
        step = tfa.rmsprop_v1([p0], **h, momentum=mu, centered=centered)
        exact = _kernel(dt, p0, grads, h["lr"], h["rho"], h["eps"], mu, centered, 1)
        assert np.any(step([grads[0]])[0] != exact[0])


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_legacy_float16_forms_one_minus_rho_from_rho_in_float16(opts):
    """float16, rho = 0.9997 (the suite's rho-near-one case): legacy RMSprop is reproduced bit for bit by
    lr, rho, momentum via float32 then float16, eps in float16 and 1 - rho formed in float16 from the cast
    rho (1 - (1 - 2^-11) = 2^-11, 63% above 3e-4): keras2_legacy,hyper_dtype=param. 1 - rho rounded once
    from binary64 (as the new optimizer and Keras 3 do) does not reproduce it."""
    pytest.importorskip("tf_keras")
    from oracle.adapters import tf_keras as tka

    dt = np.dtype("float16")
    rng = np.random.default_rng(2)
    p0 = rng.uniform(-2, 2, 300).astype(dt)
    grads = [rng.standard_normal(300).astype(dt) for _ in range(4)]
    h = dict(lr=0.01, rho=0.9997, eps=2.0**-8)
    mu, centered = opts["mu"], opts["centered"]
    step = tka.rmsprop_legacy([p0], **h, momentum=mu, centered=centered)
    got = [step([g])[0] for g in grads]
    for g, w in zip(got, _legacy(dt, p0, grads, h["lr"], h["rho"], h["eps"], mu, centered)):
        np.testing.assert_array_equal(g, w)
    if not mu:
        other = _legacy(dt, p0, grads, h["lr"], h["rho"], h["eps"], mu, centered, one_minus_rho=1 - h["rho"])
        assert np.any(got[-1] != other[-1])


def test_new_optimizer_rounds_weight_decay_to_float32():
    """tf_keras RMSprop: with a zero gradient one step is p - p * wd * lr with wd and lr both float32."""
    pytest.importorskip("tf_keras")
    from oracle.adapters import tf_keras as tka

    p0 = np.random.default_rng(0).uniform(0.5, 2, 200)
    (got,) = tka.rmsprop([p0], lr=0.1, rho=0.9, eps=1e-3, weight_decay=0.3)([np.zeros(200)])
    np.testing.assert_array_equal(got, p0 - p0 * F32(0.3) * F32(0.1))
    assert np.any(got != p0 - p0 * 0.3 * F32(0.1))


def test_legacy_declines_eps_zero():
    """tf_keras legacy RMSprop silently turns epsilon=0 into 1e-7: the adapter declines eps=0."""
    pytest.importorskip("tf_keras")
    from oracle.adapters import tf_keras as tka

    with pytest.raises(NotImplementedError, match=r"^tf_keras legacy RMSprop epsilon=0.0: .*1e-7"):
        tka.rmsprop_legacy([np.zeros(2)], lr=0.1, rho=0.9, eps=0.0)


@pytest.mark.parametrize("factory", ["oracle.adapters.tensorflow:rmsprop_v1",
                                     "oracle.adapters.tensorflow:resource_apply_rmsprop",
                                     "oracle.adapters.tensorflow:apply_rmsprop"])
def test_tf1_schedule_keeps_lr_inside_the_buffer(factory):
    """lr_schedule as TF1 code feeds it (a float32 tf.Variable assigned before each step; a placeholder fed
    each session.run; the step's lr tensor): the kernel keeps lr inside the momentum buffer, confirmed by the
    schedule cases and the lr-in-momentum probe under each path's convention."""
    from adapter_support import assert_schedule_convention
    from oracle.adapters.certify import adapter_convention

    assert_schedule_convention(factory, adapter_convention(factory), ALL)


@pytest.mark.parametrize("factory", ["oracle.adapters.tf_keras:rmsprop", "oracle.adapters.tf_keras:rmsprop_legacy"])
def test_tf_keras_learning_rate_schedule_keeps_lr_inside_the_buffer(factory):
    """lr_schedule through a tf_keras LearningRateSchedule subclass (float32 values): lr inside the buffer
    under each optimizer's convention, confirmed by the schedule cases and the lr-in-momentum probe."""
    pytest.importorskip("tf_keras")
    from adapter_support import assert_schedule_convention
    from oracle.adapters.certify import adapter_convention

    assert_schedule_convention(factory, adapter_convention(factory), ALL)
