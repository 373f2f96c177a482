"""Candidate adapter for MXNet 1.9.1 ``mx.optimizer.RMSProp`` (convention ``"mxnet,float32=all"``).

``rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0)``
makes one ``mx.nd`` array per parameter (a copy, on the CPU), builds
``mx.optimizer.RMSProp(learning_rate=lr, gamma1=rho, gamma2=momentum, epsilon=eps,
centered=centered, wd=weight_decay)`` (``rescale_grad=1``, no clipping) and
returns ``step(grads)``: ``optimizer.update(i, weight, grad, state)`` for each array
(states from ``create_state``), fresh numpy copies out.  Without mxnet the factory raises
``ImportError`` naming the extra ``rmsprop-oracle[mxnet]`` (MXNet 1.9.1 needs numpy < 1.24).
Arrays are made and updated under ``mx.util.np_shape(True)``, so 0-d and empty arrays
work (legacy shape semantics read a 0 as an unknown size, and ``zeros(())`` fails).

Declines:

* float64 and float16: ``RMSProp.create_state`` makes its state with
  ``zeros(weight.shape, weight.context)``, i.e. float32 whatever the weight dtype, and
  the ``rmsprop_update`` operator refuses the mixed dtypes (float16 runs only with
  ``multi_precision=True``, which updates a float32 master copy instead).
* momentum without centered: only the centered operator (``rmspropalex_update``) has
  momentum (``gamma2``); the plain one silently ignores it.

Update (``src/operator/optimizer_op-inl.h``, ``RMSPropUpdateKernel`` and
``RMSPropAlexUpdateKernel``), in this order::

    gr    = rescale_grad * grad + wd * weight          # coupled weight decay
    plain:    n = (1 - gamma1) * gr * gr + gamma1 * n          # n0 = 0
              w = w - lr * (gr / sqrt(n + eps))                # eps INSIDE
    centered: n = (1 - gamma1) * gr * gr + gamma1 * n
              g = (1 - gamma1) * gr + gamma1 * g               # g0 = 0
              delta = gamma2 * delta - lr * (gr / sqrt(n - g * g + eps))   # delta0 = 0
              w = w + delta                                    # lr INSIDE the buffer

Hyperparameter rounding: every hyperparameter (lr, gamma1, gamma2, epsilon, wd,
rescale_grad) is a ``float`` operator parameter, i.e. ROUNDED TO FLOAT32.  Confirmed with
MXNet 1.9.1 by calling ``mx.nd.rmsprop_update`` directly with float64 weight *and* state
(which the optimizer never makes): lr, gamma1 and epsilon act as their float32 roundings.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._common import check_grads, check_params, decline, missing

CONVENTION = "mxnet,float32=all"


def _mx():
    try:
        import mxnet as mx
    except ImportError as exc:
        raise missing("mxnet", "MXNet 1.9.1 (numpy < 1.24)", "mxnet", exc) from exc
    return mx


def rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
            centered: bool = False, weight_decay: float = 0.0) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """MXNet 1.x ``mx.optimizer.RMSProp`` over ``mx.nd`` copies of ``params`` (float32 only)."""
    mx = _mx()
    dtype = check_params(params)
    if dtype != np.float32:
        raise decline("mxnet", dtype.name, "RMSProp.create_state makes float32 state whatever the weight dtype, "
                      "and rmsprop_update refuses the mixed dtypes (float32 weights only)")
    if momentum and not centered:
        raise decline("mxnet", f"momentum={momentum!r} without centered",
                      "only the centered rmspropalex_update has momentum (gamma2)")
    shapes = [np.shape(p) for p in params]
    ctx = mx.cpu()
    with mx.util.np_shape(True):  # 0-d and empty arrays (legacy shapes read 0 as "unknown")
        weights = [mx.nd.array(np.array(p, dtype=dtype, copy=True), ctx=ctx, dtype=dtype) for p in params]
        optimizer = mx.optimizer.RMSProp(learning_rate=float(lr), gamma1=float(rho), gamma2=float(momentum),
                                         epsilon=float(eps), centered=bool(centered), wd=float(weight_decay))
        states = [optimizer.create_state(i, w) for i, w in enumerate(weights)]

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        with mx.util.np_shape(True):
            for i, (w, g, s) in enumerate(zip(weights, check_grads(grads, shapes, dtype), states)):
                optimizer.update(i, w, mx.nd.array(g, ctx=ctx, dtype=dtype), s)
            return [np.array(w.asnumpy(), dtype=dtype, copy=True).reshape(s) for w, s in zip(weights, shapes)]

    return step
