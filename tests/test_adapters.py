"""Tests of the framework adapters in ``oracle.adapters``.

Each adapter is checked for (a) the candidate protocol (shapes, dtypes, fresh
unaliased outputs, untouched inputs, independent instances) and (b) agreement, to
a few ulps of its dtype over 20 steps, with an independent 256-bit mpmath
computation of its own convention's equations written out below (``_reference``),
with the hyperparameters rounded the way the adapter's docstring says the framework
rounds them.  The reference is "teacher forced": step t starts from the candidate's
own parameters after step t-1, while the optimizer state (v, m, b) is exact, so the
tolerance measures one step's error and does not grow with the step count.
Frameworks that are not installed are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys

import mpmath
import numpy as np
import pytest

F16, F32, F64 = np.float16, np.float32, np.float64
DTYPES = [F64, F32, F16]
SHAPES = [(2, 3)]  # equation checks: one shape keeps jax's per-shape compilations few
PROTOCOL_SHAPES = [(2, 3), (4,), ()]  # protocol checks (float32 only): several shapes, 0-d too
STEPS = 20
TOL_ULPS = 3
HP = dict(lr=0.01, rho=0.9, eps=1e-3)
MU, WD = 0.9, 0.1

CTX = mpmath.MPContext()
CTX.prec = 256


# --------------------------------------------------------------------------- data


def _problem(dtype, seed=0, steps=STEPS, shapes=SHAPES):
    """Initial params in +-[0.5, 2] and gradients in +-[0.1, 3]: no zero crossings, no f16 subnormals."""
    rng = np.random.default_rng(seed)

    def draw(shape, lo, hi):
        mag = rng.uniform(lo, hi, size=shape)
        return (np.where(rng.random(shape) < 0.5, -mag, mag)).astype(dtype)

    params = [draw(s, 0.5, 2.0) for s in shapes]
    grads = [[draw(s, 0.1, 3.0) for s in shapes] for _ in range(steps)]
    return params, grads


# ------------------------------------------------------------ exact reference


def _r(x, dtype):
    """The exact value of Python float ``x`` rounded to ``dtype``, as a 256-bit mpf."""
    return CTX.mpf(float(np.dtype(dtype).type(x)))


def _hypers(dtype, lr, rho, eps, mu=0.0, wd=0.0, lr_dtype=None):
    """Hyperparameters rounded to the parameter dtype (``1 - rho`` formed in binary64 first)."""
    out = dict(
        lr=_r(lr, dtype), rho=_r(rho, dtype), omr=_r(1 - rho, dtype),
        eps=_r(eps, dtype), mu=_r(mu, dtype), wd=_r(wd, dtype),
    )
    if lr_dtype is not None:
        out["lr"] = _r(float(np.dtype(lr_dtype).type(lr)), dtype)
    out["lr_mom"] = out["lr"]
    return out


def _reference(convention, h, p_prev, g, state, *, momentum, centered, wd, eps_inside=None):
    """One exact step of ``convention`` for one element; returns the new parameter, mutates ``state``."""
    p, g = CTX.mpf(float(p_prev)), CTX.mpf(float(g))
    inside = {"pytorch": False}.get(convention, True) if eps_inside is None else eps_inside
    v, m, b = state.get("v", CTX.zero), state.get("m", CTX.zero), state.get("b", CTX.zero)
    if wd and convention == "pytorch":
        g = g + h["wd"] * p  # coupled L2
    if wd and convention == "keras":
        p = p * h["wd_factor"] if "wd_factor" in h else p - p * h["wd"] * h["lr"]  # decoupled, first
    v = h["rho"] * v + h["omr"] * g * g
    s = v
    if centered:
        m = m + h["omr"] * (g - m) if convention == "pytorch" else h["rho"] * m + h["omr"] * g
        s = v - m * m
    d = CTX.sqrt(s + h["eps"]) if inside else CTX.sqrt(s) + h["eps"]
    if convention == "pytorch":  # lr outside the momentum buffer
        if momentum:
            b = h["mu"] * b + g / d
            p = p - h["lr_mom"] * b
        else:
            p = p - h["lr"] * g / d
    else:  # lr inside the buffer (optax, keras); seed has no momentum
        u = h["lr"] * g / d
        if momentum:
            b = h["mu"] * b + u
            u = b
        p = p - u
    state.update(v=v, m=m, b=b)
    return p


def _ulp_errors(make_step, params, grads, convention, h, *, momentum=False, centered=False,
                wd=False, eps_inside=None):
    """Run the candidate and return its largest per-step error in ulps of its dtype."""
    dtype = params[0].dtype
    step = make_step(params)
    prev = [p.copy() for p in params]
    states = [[{} for _ in range(p.size)] for p in params]
    worst = 0.0
    for gs in grads:
        out = step(gs)
        assert [(o.shape, o.dtype) for o in out] == [(p.shape, p.dtype) for p in params]
        for k, (o, pp, g) in enumerate(zip(out, prev, gs)):
            for i, (oi, pi, gi) in enumerate(zip(o.ravel(), pp.ravel(), g.ravel())):
                ref = _reference(convention, h, pi, gi, states[k][i], momentum=momentum,
                                 centered=centered, wd=wd, eps_inside=eps_inside)
                scale = max(abs(float(ref)), abs(float(pi)))
                ulp = float(np.spacing(dtype.type(scale)))
                if not np.isfinite(oi):
                    return float("inf")
                worst = max(worst, float(abs(CTX.mpf(float(oi)) - ref)) / ulp)
        prev = out
    return worst


# --------------------------------------------------------------- protocol


def _check_protocol(make_step, dtype=F32):
    """Shared protocol checks: shapes, dtypes, fresh outputs, untouched inputs, independence."""
    params, grads = _problem(dtype, seed=1, steps=3, shapes=PROTOCOL_SHAPES)
    params_copy = [p.copy() for p in params]
    grads_copy = [[g.copy() for g in gs] for gs in grads]

    a = make_step(params)
    b = make_step(params)
    fresh = make_step(params)
    solo = [fresh(gs) for gs in grads]  # a lone instance fed the same gradients as `a`
    other = [[-g for g in gs] for gs in grads]
    for t, gs in enumerate(grads):
        out_a = a(gs)
        b(other[t])  # interleaved second instance with different gradients
        assert isinstance(out_a, list) and len(out_a) == len(params)
        for o, p, g, s in zip(out_a, params, gs, solo[t]):
            assert type(o) is np.ndarray
            assert o.shape == p.shape and o.dtype == p.dtype
            assert not np.shares_memory(o, p) and not np.shares_memory(o, g)
            np.testing.assert_array_equal(o, s)
        for o in out_a:  # scribbling on an output must not reach the candidate's state
            o[...] = np.nan
    for p, c in zip(params, params_copy):
        np.testing.assert_array_equal(p, c)
    for gs, cs in zip(grads, grads_copy):
        for g, c in zip(gs, cs):
            np.testing.assert_array_equal(g, c)
    out1, out2 = a(grads[0]), a(grads[0])
    for x, y in zip(out1, out2):
        assert not np.shares_memory(x, y)


# ----------------------------------------------------------------- torch


@pytest.fixture(scope="module")
def torch_adapter():
    pytest.importorskip("torch")
    from oracle.adapters import torch as adapter

    return adapter


def _torch_hypers(dtype, momentum, wd, foreach):
    h = _hypers(dtype, **HP, mu=MU if momentum else 0.0, wd=WD if wd else 0.0)
    if dtype is F16:  # CPU float16: kernels in float32, but some scalars rounded to float16
        single = not foreach
        mu = MU if momentum else 0.0
        h.update(
            lr=_r(HP["lr"], F32), lr_mom=_r(HP["lr"], F16), omr=_r(1 - HP["rho"], F32),
            rho=_r(HP["rho"], F32 if single else F16), mu=_r(mu, F32 if single else F16),
            eps=_r(HP["eps"], F16), wd=_r(WD if wd else 0.0, F16),
        )
    return h


CASES = {
    "plain": dict(),
    "centered": dict(centered=True),
    "momentum": dict(momentum=True),
    "weight_decay": dict(wd=True),
    "all": dict(centered=True, momentum=True, wd=True),
}


def test_torch_protocol(torch_adapter):
    """The torch adapter follows the candidate protocol."""
    _check_protocol(lambda p: torch_adapter.rmsprop(p, **HP, momentum=MU, centered=True,
                                                    weight_decay=WD))


@pytest.mark.parametrize("foreach", [False, True], ids=["single", "foreach"])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_torch_matches_pytorch_equations(torch_adapter, dtype, case, foreach):
    """torch.optim.RMSprop follows the pytorch equations to a few ulps for 20 steps."""
    c = CASES[case]
    params, grads = _problem(dtype)
    h = _torch_hypers(dtype, c.get("momentum"), c.get("wd"), foreach)
    make = lambda p: torch_adapter.rmsprop(
        p, **HP, momentum=MU if c.get("momentum") else 0.0, centered=c.get("centered", False),
        weight_decay=WD if c.get("wd") else 0.0, foreach=foreach)
    err = _ulp_errors(make, params, grads, "pytorch", h, **c)
    assert err <= TOL_ULPS, f"{err:.2f} ulps"


# ----------------------------------------------------------------- optax


@pytest.fixture(scope="module")
def optax_adapter():
    pytest.importorskip("jax")
    pytest.importorskip("optax")
    from oracle.adapters import optax as adapter

    return adapter


def test_optax_protocol(optax_adapter):
    """The optax adapter follows the candidate protocol."""
    _check_protocol(lambda p: optax_adapter.rmsprop(p, **HP, momentum=MU, centered=True))


OPTAX_CASES = ["plain", "centered", "momentum"]


@pytest.mark.parametrize("case", OPTAX_CASES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_optax_matches_optax_equations(optax_adapter, dtype, case):
    """optax.rmsprop follows the optax equations to a few ulps for 20 steps."""
    c = CASES[case]
    params, grads = _problem(dtype)
    h = _hypers(dtype, **HP, mu=MU if c.get("momentum") else 0.0)
    make = lambda p: optax_adapter.rmsprop(
        p, **HP, momentum=MU if c.get("momentum") else 0.0, centered=c.get("centered", False))
    err = _ulp_errors(make, params, grads, "optax", h, **c)
    assert err <= TOL_ULPS, f"{err:.2f} ulps"


def test_optax_float64_is_really_float64(optax_adapter):
    """With float64 params the optax adapter computes in float64 (x64 is switched on)."""
    step = optax_adapter.rmsprop([np.array([1.0])], lr=0.1, rho=0.5, eps=0.0)
    (out,) = step([np.array([1.0])])
    expected = 1 - CTX.mpf(0.1) / CTX.sqrt(CTX.mpf(0.5))  # v = 0.5, one exact step
    assert abs(CTX.mpf(float(out[0])) - expected) < 1e-15


# ----------------------------------------------------------------- keras


@pytest.fixture(scope="module")
def keras_adapter():
    from oracle.adapters import keras as adapter

    try:
        backend = adapter.backend_name()  # sets KERAS_BACKEND before keras is imported
    except ImportError as exc:
        pytest.skip(f"keras with a jax/torch backend is not available: {exc}")
    pytest.importorskip("keras")
    if backend not in ("jax", "torch"):
        pytest.skip(f"keras backend {backend!r} is not one the adapter documents")
    pytest.importorskip(backend)
    return adapter, backend


def _keras_hypers(dtype, backend, momentum, wd):
    h = _hypers(dtype, **HP, mu=MU if momentum else 0.0, wd=WD if wd else 0.0, lr_dtype=F32)
    if wd and backend == "torch":  # p *= float32(1 - float32(float32(wd) * float32(lr)))
        prod = F32(F32(WD) * F32(HP["lr"]))
        h["wd_factor"] = CTX.mpf(float(F32(F32(1) - prod)))
    return h


def test_keras_protocol(keras_adapter):
    """The keras adapter follows the candidate protocol."""
    adapter, _ = keras_adapter
    _check_protocol(lambda p: adapter.rmsprop(p, **HP, momentum=MU, centered=True,
                                              weight_decay=WD))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_keras_matches_keras_equations(keras_adapter, dtype, case):
    """keras.optimizers.RMSprop follows the keras equations (lr in float32) to a few ulps for 20 steps."""
    adapter, backend = keras_adapter
    c = CASES[case]
    params, grads = _problem(dtype)
    h = _keras_hypers(dtype, backend, c.get("momentum"), c.get("wd"))
    make = lambda p: adapter.rmsprop(
        p, **HP, momentum=MU if c.get("momentum") else 0.0, centered=c.get("centered", False),
        weight_decay=WD if c.get("wd") else 0.0)
    err = _ulp_errors(make, params, grads, "keras", h, **c)
    assert err <= TOL_ULPS, f"{err:.2f} ulps"


def test_keras_rounds_lr_to_float32(keras_adapter):
    """Keras's float64 result is explained by a float32 lr and not by the exact lr."""
    adapter, _ = keras_adapter
    step = adapter.rmsprop([np.array([1.0])], lr=0.1, rho=0.5, eps=0.0)
    (out,) = step([np.array([1.0])])
    got = CTX.mpf(float(out[0]))
    with_f32 = 1 - CTX.mpf(float(F32(0.1))) / CTX.sqrt(CTX.mpf(0.5))
    with_f64 = 1 - CTX.mpf(0.1) / CTX.sqrt(CTX.mpf(0.5))
    assert abs(got - with_f32) < 1e-15 < abs(got - with_f64)


# -------------------------------------------------------------- textbook


@pytest.fixture(scope="module")
def textbook():
    from oracle.adapters import textbook

    return textbook


def test_seed_protocol(textbook):
    """The seed textbook adapter follows the candidate protocol."""
    _check_protocol(lambda p: textbook.seed_rmsprop(p, **HP))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_seed_matches_seed_equations(textbook, dtype):
    """The transcribed source-document function follows the seed equations to a few ulps for 20 steps."""
    params, grads = _problem(dtype)
    err = _ulp_errors(lambda p: textbook.seed_rmsprop(p, **HP), params, grads, "seed",
                      _hypers(dtype, **HP))
    assert err <= TOL_ULPS, f"{err:.2f} ulps"


def test_wrap_inplace_passes_batch_size_and_grad(textbook):
    """wrap_inplace hands fn GradArray params with .grad set, zero sqrs, and its batch_size."""
    seen = {}

    def fn(params, sqrs, lr, alpha, batch_size, eps):
        seen.update(grad=params[0].grad.copy(), sqr=sqrs[0].copy(), args=(lr, alpha, batch_size, eps))
        params[0][:] = params[0] - lr * params[0].grad / batch_size

    step = textbook.wrap_inplace(fn, batch_size=4)(
        [np.array([1.0, 2.0])], lr=0.5, rho=0.9, eps=1e-6)
    (out,) = step([np.array([4.0, 8.0])])
    np.testing.assert_array_equal(seen["grad"], [4.0, 8.0])
    np.testing.assert_array_equal(seen["sqr"], [0.0, 0.0])
    assert seen["args"] == (0.5, 0.9, 4, 1e-6)
    np.testing.assert_array_equal(out, [0.5, 1.0])
    assert type(out) is np.ndarray


# ------------------------------------------------ discrimination and imports


def test_reference_tells_eps_placement_apart(textbook):
    """The ulp check has power: the seed adapter fails the same check with eps moved outside the root."""
    params, grads = _problem(F64)
    err = _ulp_errors(lambda p: textbook.seed_rmsprop(p, **HP), params, grads, "seed",
                      _hypers(F64, **HP), eps_inside=False)
    assert err > 1000


MISSING = [
    ("torch", "rmsprop", "rmsprop-oracle[torch]", "torch"),
    ("torch", "rmsprop_foreach", "rmsprop-oracle[torch]", "torch"),
    ("optax", "rmsprop", "rmsprop-oracle[optax]", "optax"),
    ("keras", "rmsprop", "rmsprop-oracle[keras]", "keras"),
    ("keras", "rmsprop_jax", "rmsprop-oracle[keras]", "keras"),
    ("keras", "rmsprop_tensorflow", "rmsprop-oracle[keras]", "keras"),
    ("keras", "rmsprop_torch", "rmsprop-oracle[keras]", "keras"),
    ("jax_example", "rmsprop", "rmsprop-oracle[jax]", "jax"),
    ("jax_example", "rmsprop_momentum", "rmsprop-oracle[jax]", "jax"),
    ("autograd", "rmsprop", "rmsprop-oracle[autograd]", "autograd"),
    ("paddle", "rmsprop", "rmsprop-oracle[paddle]", "paddle"),
    ("mxnet", "rmsprop", "rmsprop-oracle[mxnet]", "mxnet"),
    ("chainer", "rmsprop", "rmsprop-oracle[chainer]", "chainer"),
    ("chainer", "rmsprop_eps_inside", "rmsprop-oracle[chainer]", "chainer"),
    ("tensorflow", "rmsprop_v1", "rmsprop-oracle[tensorflow]", "tensorflow"),
    ("tensorflow", "resource_apply_rmsprop", "rmsprop-oracle[tensorflow]", "tensorflow"),
    ("tensorflow", "apply_rmsprop", "rmsprop-oracle[tensorflow]", "tensorflow"),
    ("tf_keras", "rmsprop", "rmsprop-oracle[tensorflow]", "tensorflow"),  # a real tensorflow imports keras
    ("tf_keras", "rmsprop_legacy", "rmsprop-oracle[tensorflow]", "tensorflow"),
    ("textbook", "gluon_rmsprop", "rmsprop-oracle[mxnet]", "mxnet"),
]


@pytest.mark.parametrize("module,attr,extra,blocked", MISSING, ids=[f"{m}:{a}" for m, a, _, _ in MISSING])
def test_missing_framework_raises_import_error_naming_extra(monkeypatch, module, attr, extra, blocked):
    """A factory whose framework cannot be imported raises ImportError naming the pip extra."""
    import importlib

    adapter = importlib.import_module(f"oracle.adapters.{module}")
    monkeypatch.setitem(sys.modules, blocked, None)
    if module == "keras":
        monkeypatch.delitem(sys.modules, "keras", raising=False)
        monkeypatch.setitem(sys.modules, "keras", None)
        monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "jax"))
    with pytest.raises(ImportError, match=extra.replace("[", r"\[").replace("]", r"\]")):
        getattr(adapter, attr)([np.zeros(2)], lr=0.1, rho=0.9, eps=1e-8)


HEAVY = ("torch", "jax", "optax", "keras", "tensorflow", "tf_keras", "paddle", "mxnet", "chainer", "autograd")
MODULES = ("torch", "optax", "keras", "textbook", "jax_example", "autograd", "paddle", "mxnet", "chainer",
           "tensorflow", "tf_keras", "certify")


def test_adapter_modules_import_nothing_heavy():
    """Importing every adapter module (and reading each CONVENTION) loads no framework."""
    code = (
        "import sys, importlib, oracle.adapters\n"
        f"for m in {MODULES!r}: importlib.import_module('oracle.adapters.' + m)\n"
        "from oracle.adapters.certify import adapter_convention\n"
        "adapter_convention('oracle.adapters.keras:rmsprop_torch')\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_every_factory_has_a_convention_that_parses():
    """Each adapter factory documents a convention spec that oracle.conventions.parse reads."""
    import importlib

    from oracle.adapters.certify import adapter_convention
    from oracle.conventions import PRESET_NAMES, parse

    for module, attr, _, _ in MISSING + [("textbook", "seed_rmsprop", "", ""), ("torch", "rmsprop_single", "", "")]:
        assert callable(getattr(importlib.import_module(f"oracle.adapters.{module}"), attr))
        spec = adapter_convention(f"oracle.adapters.{module}:{attr}")
        assert parse(spec).name in PRESET_NAMES, spec  # parses: a bad spec raises ValueError
