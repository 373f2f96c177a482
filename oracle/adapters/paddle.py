"""Candidate adapter for ``paddle.optimizer.RMSProp`` on CPU (convention ``"paddle"``).

``rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0)``
makes one trainable ``paddle`` parameter per array (a copy, in the array's dtype, on
the CPU), builds ``paddle.optimizer.RMSProp(learning_rate=lr, rho=rho, epsilon=eps,
momentum=momentum, centered=centered, parameters=..., weight_decay=weight_decay or
None)`` (a float ``weight_decay`` is Paddle's ``L2Decay``) and returns ``step(grads)``:
the gradients are put into ``.grad`` by ``backward()`` of the surrogate loss
``sum(p * g)`` (whose gradient is ``g`` exactly), then ``optimizer.step()`` and
``clear_grad()``; fresh numpy copies out.  Paddle's dynamic-graph mode is thread-local
(a new thread starts in static mode), so the factory and each step switch it on
(``paddle.disable_static()``) in the calling thread.  Without paddle the factory raises
``ImportError`` naming the extra ``rmsprop-oracle[paddle]``.

Declines: float16 (Paddle has no float16 RMSProp CPU kernel).

Update (``python/paddle/optimizer/rmsprop.py``, ``paddle/phi/kernels/impl/
rmsprop_kernel_impl.h``, CPU), in this order::

    g   = g + wd * p                                   # L2Decay, coupled (regularizer)
    ms  = rho * ms + (1 - rho) * g * g                 # ms0 = 0
    centered: mg = rho * mg + (1 - rho) * g            # mg0 = 0
              mom = momentum * mom + lr * g / sqrt(ms - mg * mg + eps)
    else:     mom = momentum * mom + lr * g / sqrt(ms + eps)    # eps INSIDE
    p   = p - mom                                      # lr INSIDE the buffer; mom0 = 0

Hyperparameter rounding (float64 weights): ``rho``, ``epsilon`` and ``momentum`` are
float operator attributes, i.e. ROUNDED TO FLOAT32 first; ``learning_rate`` is a tensor
of the parameter's dtype and the L2 coefficient is applied in the parameter's dtype
(exact for float64).  Confirmed with paddlepaddle 3.3.1: for float64 weights a numpy
emulation of the kernel with exactly rho, eps and momentum rounded to float32 reproduces
the optimizer bit for bit (plain, centered, momentum, weight decay); all exact, or lr or the
weight decay rounded as well, does not (``tests/test_adapters_paddle.py``).  float32: the
Eigen expression is vectorized and about 20% of results differ in the last bit from a
per-operation numpy evaluation (within the error bound: certified).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._common import check_grads, check_params, decline, missing

CONVENTION = "paddle"


def _dynamic(paddle) -> None:
    """Paddle's dynamic-graph mode is per thread (a new thread starts static): switch it on here."""
    if not paddle.in_dynamic_mode():
        paddle.disable_static()


def rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
            centered: bool = False, weight_decay: float = 0.0) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``paddle.optimizer.RMSProp`` (CPU) over copies of ``params``."""
    try:
        import paddle
    except ImportError as exc:
        raise missing("paddle", "PaddlePaddle", "paddle", exc) from exc
    dtype = check_params(params)
    if dtype == np.float16:
        raise decline("paddle", "float16", "Paddle has no float16 RMSProp kernel on the CPU")
    _dynamic(paddle)
    paddle.set_device("cpu")
    shapes = [np.shape(p) for p in params]
    tensors = []
    for p in params:
        t = paddle.to_tensor(np.array(p, dtype=dtype, copy=True), dtype=dtype.name, place=paddle.CPUPlace(),
                             stop_gradient=False)
        tensors.append(t)
    optimizer = paddle.optimizer.RMSProp(
        learning_rate=float(lr), rho=float(rho), epsilon=float(eps), momentum=float(momentum),
        centered=bool(centered), parameters=tensors,
        weight_decay=float(weight_decay) if weight_decay else None,
    )

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        _dynamic(paddle)
        gs = check_grads(grads, shapes, dtype)
        loss = None
        for t, g in zip(tensors, gs):
            term = (t * paddle.to_tensor(g, dtype=dtype.name, place=paddle.CPUPlace())).sum()
            loss = term if loss is None else loss + term
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        return [np.array(t.numpy(), dtype=dtype, copy=True).reshape(s) for t, s in zip(tensors, shapes)]

    return step
