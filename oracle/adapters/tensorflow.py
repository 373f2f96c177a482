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

CONVENTION = "tf1,float32=all"


def _tf():
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise missing("tensorflow", "TensorFlow", "tensorflow", exc) from exc
    return tf


def rmsprop_v1(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
               centered: bool = False) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``tf.compat.v1.train.RMSPropOptimizer``, eager, over ``tf.Variable`` copies of ``params``."""
    tf = _tf()
    dtype = check_params(params)
    shapes = [np.shape(p) for p in params]
    variables = [tf.Variable(np.array(p, dtype=dtype, copy=True), dtype=dtype.name) for p in params]
    optimizer = tf.compat.v1.train.RMSPropOptimizer(learning_rate=float(lr), decay=float(rho),
                                                    momentum=float(momentum), epsilon=float(eps),
                                                    centered=bool(centered))

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        gs = [tf.constant(g, dtype=dtype.name) for g in check_grads(grads, shapes, dtype)]
        optimizer.apply_gradients(list(zip(gs, variables)))
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in variables]

    return step


def _state(params: Sequence[np.ndarray], dtype: np.dtype) -> tuple:
    ones = [np.ones(np.shape(p), dtype=dtype) for p in params]
    zeros = [np.zeros(np.shape(p), dtype=dtype) for p in params]
    return ones, zeros


def resource_apply_rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float,
                           momentum: float = 0.0, centered: bool = False) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
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
             dict(lr=float(lr), rho=float(rho), momentum=float(momentum), epsilon=float(eps)).items()}

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
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
                  centered: bool = False) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``tf.raw_ops.Apply[Centered]RMSProp`` on ref variables in a TF1 graph and session, ms0 = 1."""
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
                 dict(lr=float(lr), rho=float(rho), momentum=float(momentum), epsilon=float(eps)).items()}
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

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = session.run(ops, feed_dict=dict(zip(feeds, check_grads(grads, shapes, dtype))))
        return [np.array(o, dtype=dtype, copy=True).reshape(s) for o, s in zip(out, shapes)]

    return step


rmsprop_v1.CONVENTION = CONVENTION  # type: ignore[attr-defined]
resource_apply_rmsprop.CONVENTION = "tf1"  # type: ignore[attr-defined]
apply_rmsprop.CONVENTION = "tf1"  # type: ignore[attr-defined]
