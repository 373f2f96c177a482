"""Candidate adapters for tf_keras (Keras 2) ``optimizers.RMSprop`` and ``optimizers.legacy.RMSprop``.

``rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0)``
    ``tf_keras.optimizers.RMSprop(learning_rate=lr, rho=rho, momentum=momentum,
    epsilon=eps, centered=centered, weight_decay=weight_decay or None)`` (the "new"
    optimizer, TF >= 2.11), eager, ``apply_gradients(zip(grads, variables))`` per step.
    Convention ``"keras,float32=lr+weight_decay"``.
``rmsprop_legacy(params, *, lr, rho, eps, momentum=0.0, centered=False)``
    ``tf_keras.optimizers.legacy.RMSprop`` (OptimizerV2, the ``tf.keras`` optimizer of
    TF 2.0 - 2.10).  Convention ``"keras2_legacy,hyper_dtype=param"``.  Declines ``eps=0``: the optimizer
    silently replaces it by 1e-7 (``self.epsilon = epsilon or backend_config.epsilon()``).

Both take ``lr_schedule`` (the protocol's per-step learning rates) through tf_keras's own mechanism:
``learning_rate`` is a ``tf_keras.optimizers.schedules.LearningRateSchedule`` subclass returning the
step's value from a float32 tensor (as tf_keras's own schedules compute), ``step`` being
``optimizer.iterations`` (0 at the first update).  Both keep lr inside the momentum buffer
(``lr_in_momentum=True``), confirmed by the suite's schedule cases and its ``lr-in-momentum`` probe
(``tests/test_adapters_tensorflow.py``).

Both run on ``tf.Variable`` copies of the parameters; fresh numpy copies out.  Without
tf_keras the factories raise ``ImportError`` naming the extra ``rmsprop-oracle[tensorflow]``.

New optimizer (``tf_keras/src/optimizers/rmsprop.py``, ``optimizer.py``), in this order::

    weight decay (decoupled, before the step):  var = var - var * wd * lr
    v   = rho * v + (1 - rho) * square(g)              # v0 = 0
    centered: m = rho * m + (1 - rho) * g ; den = v - square(m) + eps
    else:     den = v + eps                            # eps INSIDE
    inc = lr * g * rsqrt(den)                          # multiply by rsqrt
    momentum: b = momentum * b + inc ; var = var - b   # lr INSIDE the buffer
    else:     var = var - inc

Legacy optimizer (``tf_keras/src/optimizers/legacy/rmsprop.py``, ``_resource_apply_dense``)::

    momentum = 0:  rms = rho * rms + (1 - rho) * square(g)            # rms0 = 0
                   centered: mg = rho * mg + (1 - rho) * g ; den = rms - square(mg)
                   var = var - lr * g / (sqrt(den) + eps)            # eps OUTSIDE
    momentum > 0:  the TF1 kernel ResourceApply[Centered]RMSProp (see
                   ``oracle.adapters.tensorflow``) on rms0 = 0: eps INSIDE, lr inside the buffer

Hyperparameter rounding, float64 weights (numpy emulations reproduce both bit for bit,
``tests/test_adapters_tensorflow.py``): new optimizer: ``learning_rate`` is a float32 variable
and ``weight_decay`` goes through ``tf.cast`` of a Python float (a float32 tensor), so both are
ROUNDED TO FLOAT32; ``rho``, ``1 - rho`` (binary64), ``epsilon`` and ``momentum`` are Python
floats meeting the variable dtype (exact).  Legacy: ``learning_rate``, ``rho`` and ``momentum``
are ``_set_hyper`` float32 variables cast to the variable dtype (ROUNDED TO FLOAT32), ``epsilon``
a Python float (exact).  In every variable dtype D the legacy ``_prepare_local`` casts them all to D
(``_get_hyper(name, var_dtype)``, ``tf.convert_to_tensor(self.epsilon, var_dtype)``, a schedule's value
too) and forms ``one_minus_rho = 1.0 - rho`` in D: lr, rho, momentum are D(float32(x)), eps D(x).  In
float16 rho = 0.9997 becomes 1 - 2^-11 and 1 - rho is 2^-11 (63% too large): convention
``keras2_legacy,hyper_dtype=param`` (a numpy emulation reproduces float16 bit for bit; under plain
``keras2_legacy`` the case ``rho-near-one`` fails).  The new optimizer rounds rho and the binary64
``1 - rho`` each once to D (not affected).  float32 data: the new optimizer's ``tf.math.rsqrt`` is not correctly
rounded (about 20% of results differ from ``1 / sqrt`` in the last bit).
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from ._common import check_grads, check_params, decline, missing

CONVENTION = "keras,float32=lr+weight_decay,subnormals=flush:float64+float32+bfloat16"


def _tf_keras():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    try:
        import tensorflow as tf
        import tf_keras
    except ImportError as exc:
        raise missing("tf_keras", "TensorFlow and tf_keras", "tensorflow", exc) from exc
    return tf, tf_keras


def _learning_rate(tf, tf_keras, lr: float, lr_schedule: Sequence[float]):
    """``lr``, or a ``LearningRateSchedule`` returning ``lr_schedule[step]`` (float32, like tf_keras's own)."""
    if not lr_schedule:
        return float(lr)

    class Table(tf_keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self) -> None:
            self.values = tuple(float(x) for x in lr_schedule)
            self.table = tf.constant(self.values, dtype=tf.float32)

        def __call__(self, step):
            return tf.gather(self.table, tf.cast(step, tf.int32))

        def get_config(self) -> dict:
            return {"values": self.values}

    return Table()


def _run(tf, optimizer, params: Sequence[np.ndarray], dtype: np.dtype) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    shapes = [np.shape(p) for p in params]
    variables = [tf.Variable(np.array(p, dtype=dtype, copy=True), dtype=dtype.name) for p in params]

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        gs = [tf.constant(g, dtype=dtype.name) for g in check_grads(grads, shapes, dtype)]
        optimizer.apply_gradients(list(zip(gs, variables)))
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in variables]

    return step


def rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
            centered: bool = False, weight_decay: float = 0.0,
            lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``tf_keras.optimizers.RMSprop`` (the new optimizer) over ``tf.Variable`` copies of ``params``."""
    tf, tf_keras = _tf_keras()
    dtype = check_params(params)
    optimizer = tf_keras.optimizers.RMSprop(learning_rate=_learning_rate(tf, tf_keras, lr, lr_schedule), rho=float(rho), momentum=float(momentum),
                                            epsilon=float(eps), centered=bool(centered),
                                            weight_decay=float(weight_decay) if weight_decay else None)
    return _run(tf, optimizer, params, dtype)


def rmsprop_legacy(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
                   centered: bool = False,
                   lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``tf_keras.optimizers.legacy.RMSprop`` (OptimizerV2) over ``tf.Variable`` copies of ``params``."""
    tf, tf_keras = _tf_keras()
    dtype = check_params(params)
    if not eps:
        raise decline("tf_keras legacy RMSprop", f"epsilon={eps!r}",
                      "the optimizer silently replaces epsilon=0 by 1e-7 (epsilon or backend_config.epsilon())")
    optimizer = tf_keras.optimizers.legacy.RMSprop(learning_rate=_learning_rate(tf, tf_keras, lr, lr_schedule), rho=float(rho), momentum=float(momentum),
                                                   epsilon=float(eps), centered=bool(centered))
    return _run(tf, optimizer, params, dtype)


rmsprop.CONVENTION = CONVENTION  # type: ignore[attr-defined]
rmsprop_legacy.CONVENTION = (  # type: ignore[attr-defined]
    "keras2_legacy,hyper_dtype=param,subnormals=flush:float64+float32+bfloat16")
