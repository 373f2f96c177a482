"""Candidate adapters for TensorFlow's own RMSProp: the TF1 optimizer and the raw kernels.

``rmsprop_v1(params, *, lr, rho, eps, momentum=0.0, centered=False)``
    ``tf.compat.v1.train.RMSPropOptimizer(learning_rate=lr, decay=rho, momentum=momentum,
    epsilon=eps, centered=centered)``, run eagerly on ``tf.Variable`` copies:
    ``apply_gradients(zip(grads, variables))`` once per step.  Convention
    ``"tf1,float32=all"``.
``resource_apply_rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False)``
    ``tf.raw_ops.ResourceApplyRMSProp`` / ``ResourceApplyCenteredRMSProp`` called eagerly
    on resource variables, with ``ms`` started at ones (as TF1 does), ``mom`` and ``mg``
    at zeros and the hyperparameters passed as tensors of the parameter dtype.
    Convention ``"tf1"`` (exact: the kernel rounds nothing).
``apply_rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False)``
    ``tf.raw_ops.ApplyRMSProp`` / ``ApplyCenteredRMSProp``, the ref-variable ops, which
    exist only in graphs: one ``tf.Graph`` with ``tf.compat.v1`` ref variables and a
    ``tf.compat.v1.Session`` per instance.  Same state and convention as the resource form.

Every factory also takes ``lr_schedule`` (the protocol's per-step learning rates), fed the way TF1
code changes lr: ``rmsprop_v1`` builds the optimizer with ``learning_rate`` a float32 ``tf.Variable``
(what ``_prepare`` would make of a Python float) and assigns the step's value before each
``apply_gradients``; ``apply_rmsprop`` makes ``lr`` a scalar ``tf.compat.v1.placeholder`` of the
parameter dtype, fed each ``session.run``; ``resource_apply_rmsprop`` passes the step's lr tensor.
The kernel keeps lr inside the momentum buffer (``mom = mom * momentum + g * lr / sqrt(...)``):
``lr_in_momentum=True``, confirmed by the suite's schedule cases and its ``lr-in-momentum`` probe
(``tests/test_adapters_tensorflow.py``).

Without TensorFlow the factories raise ``ImportError`` naming ``rmsprop-oracle[tensorflow]``.

Kernel (``tensorflow/core/kernels/training_ops.cc``, CPU functors ``ApplyRMSProp`` and
``ApplyCenteredRMSProp``; the ref and resource ops share them), in this order::

    ms  = ms + (g * g - ms) * (1 - rho)                # TF1: ms0 = 1 (ones slot)
    centered: mg = mg + (g - mg) * (1 - rho)           # mg0 = 0
              mom = mom * momentum + (g * lr) / sqrt((ms - mg * mg) + eps)
    else:     mom = mom * momentum + (g * lr) / sqrt(ms + eps)     # eps INSIDE
    var = var - mom                                    # lr INSIDE the buffer; mom0 = 0

``1 - rho`` is formed in the kernel in the variable's dtype (from the rounded rho).
Hyperparameter rounding of ``RMSPropOptimizer``: ``_prepare`` converts the Python floats
to float32 tensors and ``_resource_apply_dense`` casts them to the variable's dtype, so
lr, rho, momentum and eps are ROUNDED TO FLOAT32 even for float64 variables (and then to
float16 for float16 ones: the default eps 1e-10 becomes 0).  The raw-op adapters pass
tensors of the parameter dtype, so only that dtype's rounding applies.  Confirmed with
TensorFlow 2.21: numpy emulations of the functor in this order reproduce all three adapters
bit for bit for float64 and float32, plain/centered/momentum (``tests/test_adapters_tensorflow.py``);
with exact hyperparameters the float64 ``RMSPropOptimizer`` results differ.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._common import check_grads, check_params, missing

CONVENTION = "tf1,float32=all,subnormals=flush:float64+float32+bfloat16"


def _tf():
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise missing("tensorflow", "TensorFlow", "tensorflow", exc) from exc
    return tf


def _schedule(lr: float, lr_schedule: Sequence[float]) -> Callable[[], float]:
    """The lr of each successive step: ``lr_schedule[t - 1]`` at the t-th call, ``lr`` throughout without one."""
    values, count = [float(x) for x in lr_schedule], [0]

    def next_lr() -> float:
        count[0] += 1
        return values[count[0] - 1] if values else float(lr)

    return next_lr


def rmsprop_v1(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
               centered: bool = False,
               lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``tf.compat.v1.train.RMSPropOptimizer``, eager, over ``tf.Variable`` copies of ``params``; with
    ``lr_schedule``, ``learning_rate`` is a float32 ``tf.Variable`` assigned before each step."""
    tf = _tf()
    dtype = check_params(params)
    shapes = [np.shape(p) for p in params]
    variables = [tf.Variable(np.array(p, dtype=dtype, copy=True), dtype=dtype.name) for p in params]
    next_lr = _schedule(lr, lr_schedule)
    rate = tf.Variable(float(lr), dtype=tf.float32, trainable=False) if lr_schedule else float(lr)
    optimizer = tf.compat.v1.train.RMSPropOptimizer(learning_rate=rate, decay=float(rho),
                                                    momentum=float(momentum), epsilon=float(eps),
                                                    centered=bool(centered))

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        gs = [tf.constant(g, dtype=dtype.name) for g in check_grads(grads, shapes, dtype)]
        value = next_lr()
        if lr_schedule:
            rate.assign(value)
        optimizer.apply_gradients(list(zip(gs, variables)))
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in variables]

    return step


def _state(params: Sequence[np.ndarray], dtype: np.dtype) -> tuple:
    ones = [np.ones(np.shape(p), dtype=dtype) for p in params]
    zeros = [np.zeros(np.shape(p), dtype=dtype) for p in params]
    return ones, zeros


def resource_apply_rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float,
                           momentum: float = 0.0, centered: bool = False,
                           lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``tf.raw_ops.ResourceApply[Centered]RMSProp`` eagerly, ms0 = 1, hyperparameters in the param dtype."""
    tf = _tf()
    dtype = check_params(params)
    shapes = [np.shape(p) for p in params]
    ones, zeros = _state(params, dtype)
    var = [tf.Variable(np.array(p, dtype=dtype, copy=True), dtype=dtype.name) for p in params]
    ms = [tf.Variable(o, dtype=dtype.name) for o in ones]
    mom = [tf.Variable(z, dtype=dtype.name) for z in zeros]
    mg = [tf.Variable(z.copy(), dtype=dtype.name) for z in zeros]
    hyper = {k: tf.constant(v, dtype=dtype.name) for k, v in
             dict(rho=float(rho), momentum=float(momentum), epsilon=float(eps)).items()}
    next_lr = _schedule(lr, lr_schedule)

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        hyper["lr"] = tf.constant(next_lr(), dtype=dtype.name)
        for i, g in enumerate(check_grads(grads, shapes, dtype)):
            g = tf.constant(g, dtype=dtype.name)
            if centered:
                tf.raw_ops.ResourceApplyCenteredRMSProp(var=var[i].handle, mg=mg[i].handle, ms=ms[i].handle,
                                                        mom=mom[i].handle, grad=g, **hyper)
            else:
                tf.raw_ops.ResourceApplyRMSProp(var=var[i].handle, ms=ms[i].handle, mom=mom[i].handle,
                                                grad=g, **hyper)
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in var]

    return step


def apply_rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
                  centered: bool = False,
                  lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``tf.raw_ops.Apply[Centered]RMSProp`` on ref variables in a TF1 graph and session, ms0 = 1; lr is a
    scalar placeholder of the parameter dtype, fed each step."""
    tf = _tf()
    dtype = check_params(params)
    shapes = [np.shape(p) for p in params]
    ones, zeros = _state(params, dtype)
    graph = tf.Graph()
    with graph.as_default():
        v1 = tf.compat.v1

        def ref(value: np.ndarray):
            return v1.Variable(value, dtype=dtype.name, use_resource=False)

        var = [ref(np.array(p, dtype=dtype, copy=True)) for p in params]
        ms, mom, mg = [ref(o) for o in ones], [ref(z) for z in zeros], [ref(z.copy()) for z in zeros]
        hyper = {k: tf.constant(v, dtype=dtype.name) for k, v in
                 dict(rho=float(rho), momentum=float(momentum), epsilon=float(eps)).items()}
        hyper["lr"] = rate = v1.placeholder(dtype.name, shape=())
        feeds = [v1.placeholder(dtype.name, shape=s) for s in shapes]
        if centered:
            ops = [tf.raw_ops.ApplyCenteredRMSProp(var=v, mg=a, ms=m, mom=b, grad=g, **hyper)
                   for v, a, m, b, g in zip(var, mg, ms, mom, feeds)]
        else:
            ops = [tf.raw_ops.ApplyRMSProp(var=v, ms=m, mom=b, grad=g, **hyper)
                   for v, m, b, g in zip(var, ms, mom, feeds)]
        init = v1.global_variables_initializer()
    session = v1.Session(graph=graph)
    session.run(init)
    next_lr = _schedule(lr, lr_schedule)

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        feed = dict(zip(feeds, check_grads(grads, shapes, dtype)))
        feed[rate] = np.array(next_lr(), dtype=dtype)
        out = session.run(ops, feed_dict=feed)
        return [np.array(o, dtype=dtype, copy=True).reshape(s) for o, s in zip(out, shapes)]

    return step


rmsprop_v1.CONVENTION = CONVENTION  # type: ignore[attr-defined]
resource_apply_rmsprop.CONVENTION = "tf1,subnormals=flush:float64+float32+bfloat16"  # type: ignore[attr-defined]
apply_rmsprop.CONVENTION = "tf1,subnormals=flush:float64+float32+bfloat16"  # type: ignore[attr-defined]
