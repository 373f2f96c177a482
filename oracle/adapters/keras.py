"""Candidate adapters for Keras 3 ``keras.optimizers.RMSprop`` (``"keras,float32=lr"``, per backend below).

One factory per backend: ``rmsprop_jax``, ``rmsprop_tensorflow``, ``rmsprop_torch``
(and ``rmsprop``, which takes whatever backend is configured, jax by default).
Keras fixes its backend at first import, so each backend factory sets
``KERAS_BACKEND`` before keras is first imported and *declines*
(``NotImplementedError``) when keras is already imported with another backend: run
each backend in its own process (the compatibility matrix and the adapter tests do).

``rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0)``
makes one ``keras.Variable`` per parameter (a copy, in the parameter's dtype), builds
``keras.optimizers.RMSprop(learning_rate=lr, rho=rho, momentum=momentum,
epsilon=eps, centered=centered, weight_decay=weight_decay or None)`` and returns
``step(grads)``: ``optimizer.apply(grads, variables)`` once, fresh numpy copies out.
No clipping, EMA, loss scaling or gradient accumulation is configured.

``lr_schedule`` (the protocol's per-step learning rates) goes through Keras's own mechanism:
``learning_rate`` is a ``keras.optimizers.schedules.LearningRateSchedule`` subclass whose
``__call__(step)`` returns ``lr_schedule[step]`` from a floatx (float32) tensor of the values, as
Keras's built-in schedules compute in floatx (``step`` is ``optimizer.iterations``, 0 at the first
``apply``).  So lr is rounded to float32 as with a constant lr, and stays inside the momentum
buffer: convention ``keras,float32=lr`` (``lr_in_momentum=True``), confirmed by the suite's
schedule cases and its ``lr-in-momentum`` probe (``tests/test_adapters_keras.py``).

bfloat16: passed to Keras on the jax backend only (``BFLOAT16_BACKENDS``: jax's bfloat16 is
``ml_dtypes.bfloat16``); there every op rounds to bfloat16 and the state is bfloat16 (``state=params``).
A real run (keras 3.15.1, jax 0.10.2, CPU, quick profile) passes every bfloat16 case under
``keras,float32=lr`` (worst 0.236 x bound) but the two subnormal ones, which jax's CPU flushes to zero.
The tensorflow and torch backends decline bfloat16 (not measured).

Backend of ``rmsprop``: if ``KERAS_BACKEND`` is unset it sets it to ``"jax"`` (or
``"torch"`` when jax is not installed) *before* importing keras; an explicit
``KERAS_BACKEND`` (or a keras that is already imported) is respected.  Without keras, or without the chosen backend, the factory raises
``ImportError`` naming the extra ``rmsprop-oracle[keras]``.  With the jax backend and
float64 params the factory enables ``jax_enable_x64`` (process-wide; otherwise the
float64 variables would silently be float32) and checks the variable dtype.

Confirmed with keras 3.15.1 (read ``keras/src/optimizers/rmsprop.py``,
``base_optimizer.py``, ``backend/jax/optimizer.py``, ``backend/jax/numpy.py``,
``backend/torch/optimizers/torch_rmsprop.py`` and ``torch_optimizer.py``); on the jax
backend (jax 0.10.2) a numpy emulation with per-op rounding in the parameter dtype and
lr rounded to float32 first reproduces ``apply`` bit for bit for
float64/float32/float16, plain/centered/momentum/weight decay.  Generic update (jax,
numpy and tensorflow backends), in this order::

    lr = float32(lr) cast to the variable dtype       # learning_rate is a floatx Variable
    weight decay (decoupled, before the step):  p = p - (p * wd) * lr
    v  = rho * v + (1 - rho) * (g * g)                # v0 = 0
    centered: m = rho * m + (1 - rho) * g             # m0 = 0
              den = (v - m * m) + eps
    else:     den = v + eps                           # eps INSIDE the root
    inc = (lr * g) / sqrt(den)                        # divide by sqrt (not rsqrt)
    momentum: b = momentum * b + inc ; p = p - b      # b0 = 0: lr INSIDE the buffer
    else:     p = p - inc

Torch backend (``TorchParallelOptimizer``, foreach ops), differences only:
``den = (v + eps) - m*m`` for centered, and decoupled weight decay is
``p = p * (1 - wd * lr)`` with the factor computed as a float32 tensor (lr is the
float32 variable) even for float64 params.

Hyperparameter rounding: ``learning_rate`` is stored in a ``backend.floatx()``
(float32) Variable, so lr is ROUNDED TO FLOAT32 even for float64 params (lr=0.1
gives 0.100000001490116...); ``rho``, ``1 - rho`` (formed in binary64),
``epsilon``, ``momentum`` and ``weight_decay`` are plain Python floats converted
directly to the parameter dtype (float64 keeps them exact; no float32 detour).
So "Keras rounds hyperparameters to float32" holds for lr only on the jax backend;
the tensorflow backend also rounds ``weight_decay`` (``tf.cast`` of a Python float goes
through a float32 tensor), and the torch backend forms the factor ``1 - wd * lr`` in float32
(``p * float32(1 - float32(float32(wd) * float32(lr)))``, bit for bit).  Conventions:
``rmsprop_jax`` ``"keras,float32=lr"``; ``rmsprop_tensorflow`` and ``rmsprop_torch``
``"keras,float32=lr+weight_decay"`` (for torch the nearest spec: its float64 weight-decay
cases fail by the float32 factor, a documented deviation).  float16 on the jax backend: each op
is evaluated in float32 and rounded to float16 (``ops.square(g)`` overflows to inf
once |g| reaches about 256).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Callable, Optional, Sequence

import numpy as np

from ._common import check_grads, check_params, decline

CONVENTION = "keras,float32=lr,subnormals=flush:float64+float32+bfloat16"
BACKENDS = ("jax", "tensorflow", "torch")


def _import_keras(backend: Optional[str] = None):
    """Import keras on ``backend`` (None: the configured one, else jax, else torch).

    Declines (``NotImplementedError``) when keras is already imported with another backend.
    """
    if sys.modules.get("keras") is not None:
        keras = sys.modules["keras"]
        current = keras.backend.backend()
        if backend is not None and current != backend:
            raise decline("keras", f"{backend} backend",
                          f"keras is already imported with the {current} backend in this process "
                          "(Keras fixes its backend at first import); run this candidate in its own process")
        return keras
    if backend is not None:
        os.environ["KERAS_BACKEND"] = backend
    elif "KERAS_BACKEND" not in os.environ:
        if importlib.util.find_spec("jax") is not None:
            os.environ["KERAS_BACKEND"] = "jax"
        elif importlib.util.find_spec("torch") is not None:
            os.environ["KERAS_BACKEND"] = "torch"
    try:
        import keras
    except ImportError as exc:
        raise ImportError(
            "oracle.adapters.keras needs Keras 3 with the jax, tensorflow or torch backend: "
            "pip install 'rmsprop-oracle[keras]'"
            f" (KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}; import failed: {exc})"
        ) from exc
    return keras


def backend_name() -> str:
    """The Keras backend ``rmsprop`` runs on (imports keras as ``rmsprop`` would)."""
    return _import_keras().backend.backend()


def _schedule(keras, values: Sequence[float]):
    """A ``LearningRateSchedule`` returning ``values[step]`` (a floatx tensor, like Keras's own schedules)."""

    class Table(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self) -> None:
            self.values = tuple(float(x) for x in values)
            self.table = keras.ops.convert_to_tensor(self.values, dtype=keras.config.floatx())

        def __call__(self, step):
            return keras.ops.take(self.table, keras.ops.convert_to_tensor(step, dtype="int32"))

        def get_config(self) -> dict:
            return {"values": self.values}

    return Table()


BFLOAT16_BACKENDS = ("jax",)
"""Backends whose bfloat16 is ``ml_dtypes.bfloat16`` (jax's own), to which the adapter passes bfloat16 arrays."""


def _make(backend: Optional[str], params: Sequence[np.ndarray], lr: float, rho: float, eps: float,
          momentum: float, centered: bool, weight_decay: float,
          lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    keras = _import_keras(backend)
    name = keras.backend.backend()
    dtype = check_params(params, f"keras on the {name} backend", bfloat16=name in BFLOAT16_BACKENDS)
    if name == "jax" and dtype == np.float64:
        import jax

        if not jax.config.jax_enable_x64:
            jax.config.update("jax_enable_x64", True)

    variables = [
        keras.Variable(np.array(p, dtype=dtype, copy=True), dtype=dtype.name, name=f"param_{i}")
        for i, p in enumerate(params)
    ]
    for v in variables:
        if v.dtype != dtype.name:
            raise RuntimeError(f"keras made a {v.dtype} variable for {dtype.name} params")
    optimizer = keras.optimizers.RMSprop(
        learning_rate=_schedule(keras, lr_schedule) if lr_schedule else float(lr),
        rho=float(rho),
        momentum=float(momentum),
        epsilon=float(eps),
        centered=bool(centered),
        weight_decay=float(weight_decay) if weight_decay else None,
    )
    optimizer.build(variables)
    shapes = [tuple(v.shape) for v in variables]

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        tensors = [keras.ops.convert_to_tensor(g, dtype=dtype.name) for g in check_grads(grads, shapes, dtype)]
        optimizer.apply(tensors, variables)
        return [np.array(keras.ops.convert_to_numpy(v.value), dtype=dtype, copy=True) for v in variables]

    return step


def rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
            centered: bool = False, weight_decay: float = 0.0,
            lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """Keras 3 ``RMSprop`` on the configured backend (jax if none is) over copies of ``params``."""
    return _make(None, params, lr, rho, eps, momentum, centered, weight_decay, lr_schedule)


def _backend_factory(backend: str) -> Callable:
    def factory(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
                centered: bool = False, weight_decay: float = 0.0,
                lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        return _make(backend, params, lr, rho, eps, momentum, centered, weight_decay, lr_schedule)

    factory.__name__ = factory.__qualname__ = f"rmsprop_{backend}"
    factory.__doc__ = (f"Keras 3 ``RMSprop`` on the {backend} backend over copies of ``params`` "
                       f"(declines if keras is already imported with another backend).")
    return factory


rmsprop_jax = _backend_factory("jax")
rmsprop_tensorflow = _backend_factory("tensorflow")
rmsprop_torch = _backend_factory("torch")
rmsprop.CONVENTION = rmsprop_jax.CONVENTION = CONVENTION  # type: ignore[attr-defined]
rmsprop_tensorflow.CONVENTION = (  # type: ignore[attr-defined]
    "keras,float32=lr+weight_decay,subnormals=flush:float64+float32+bfloat16")
rmsprop_torch.CONVENTION = "keras,float32=lr+weight_decay"  # type: ignore[attr-defined]
"""Per backend (measured bit for bit with float64 weights): jax keeps weight_decay exact; tensorflow
rounds it to float32 (``ops.cast(self.weight_decay, dtype)`` of a Python float makes a float32 tensor
first); torch forms the whole factor ``1 - wd * lr`` in float32, which no spec expresses (its
nearest is given; float64 weight-decay cases fail by that rounding)."""
