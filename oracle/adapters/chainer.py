"""Candidate adapters for chainer ``optimizers.RMSprop`` (chainer 7.8.1, numpy < 2).

``rmsprop(params, *, lr, rho, eps, weight_decay=0.0)`` builds
``chainer.optimizers.RMSprop(lr=lr, alpha=rho, eps=eps)`` (``eps_inside_sqrt=False``,
the default) over a ``chainer.Link`` holding one ``chainer.Parameter`` per array (a
copy), with ``optimizer_hooks.WeightDecay(weight_decay)`` added when it is non-zero;
``rmsprop_eps_inside`` is the same with ``eps_inside_sqrt=True``.  ``step(grads)`` sets
each ``param.grad`` (a copy) and calls ``optimizer.update()``; fresh numpy copies out.
Without chainer the factories raise ``ImportError`` naming the extra
``rmsprop-oracle[chainer]``.

Conventions: ``rmsprop`` is ``"pytorch,allows=weight_decay"`` (eps outside, v0 = 0,
coupled weight decay, no momentum or centered); ``rmsprop_eps_inside`` is
``"seed,allows=weight_decay"``.

Declines: an ``eps`` that rounds to 0 in the gradient dtype (the update rule raises
``ValueError: eps of RMSprop optimizer is too small for float16 (1e-08)``; the adapter
turns that into ``NotImplementedError`` on the first step).

Update (``chainer/optimizers/rmsprop.py``, ``RMSpropRule.update_core_cpu``, and the
``WeightDecay`` hook, timing ``pre``), in this order, numpy in the parameter dtype::

    g   = g + rate * p                             # WeightDecay hook: coupled
    eps = grad.dtype.type(eps)                     # eps rounded to the gradient dtype
    ms  = ms * alpha ; ms = ms + (1 - alpha) * g * g           # ms0 = 0, in place
    denom = sqrt(ms) + eps                         # eps OUTSIDE (eps_inside_sqrt: sqrt(ms + eps))
    p   = p - lr * g / denom                       # (lr * g) / denom

Hyperparameter rounding: the Python floats meet numpy arrays (value-based casting in
numpy 1.x: a Python float scalar takes the array's dtype), so each is rounded once to
the parameter dtype; float64 keeps them exact.  numpy float16 ops are evaluated in
float32 and rounded per op.  Confirmed with chainer 7.8.1 / numpy 1.26.4: the numpy
transcription above reproduces the optimizer bit for bit in float64, float32 and float16,
eps inside and outside, with and without weight decay (``tests/test_adapters_chainer.py``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._common import check_grads, check_params, decline, missing

CONVENTION = "pytorch,allows=weight_decay"


def _make(params: Sequence[np.ndarray], lr: float, rho: float, eps: float, weight_decay: float,
          eps_inside_sqrt: bool) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    try:
        import chainer
    except ImportError as exc:
        raise missing("chainer", "chainer 7.8.1 (numpy < 2)", "chainer", exc) from exc
    dtype = check_params(params)
    shapes = [np.shape(p) for p in params]
    link = chainer.Link()
    with link.init_scope():
        for i, p in enumerate(params):
            setattr(link, f"p{i}", chainer.Parameter(np.array(p, dtype=dtype, copy=True)))
    ordered = [getattr(link, f"p{i}") for i in range(len(params))]
    optimizer = chainer.optimizers.RMSprop(lr=float(lr), alpha=float(rho), eps=float(eps),
                                           eps_inside_sqrt=eps_inside_sqrt)
    optimizer.setup(link)
    if weight_decay:
        optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(float(weight_decay)))

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        for param, g in zip(ordered, check_grads(grads, shapes, dtype)):
            param.grad = g
        try:
            optimizer.update()
        except ValueError as exc:
            if "too small" in str(exc):
                raise decline("chainer", f"eps={eps!r} in {dtype.name}", str(exc)) from exc
            raise
        return [np.array(p.array, dtype=dtype, copy=True) for p in ordered]

    return step


def rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float,
            weight_decay: float = 0.0) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``chainer.optimizers.RMSprop(lr, alpha=rho, eps)`` (eps outside the root) over copies of ``params``."""
    return _make(params, lr, rho, eps, weight_decay, False)


def rmsprop_eps_inside(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float,
                       weight_decay: float = 0.0) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``chainer.optimizers.RMSprop(..., eps_inside_sqrt=True)`` over copies of ``params``."""
    return _make(params, lr, rho, eps, weight_decay, True)


rmsprop.CONVENTION = CONVENTION  # type: ignore[attr-defined]
rmsprop_eps_inside.CONVENTION = "seed,allows=weight_decay"  # type: ignore[attr-defined]
