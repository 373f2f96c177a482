"""Adapters for in-place textbook RMSProp functions (convention ``"seed"``).

Textbook code (the gluon tutorials, the source documents in ``shared/seeds``) writes
RMSProp as a function that mutates its arguments::

    def rmsprop(params, sqrs, lr, alpha, batch_size, eps):
        for param, sqr in zip(params, sqrs):
            g = param.grad / batch_size
            sqr[:] = alpha * sqr + (1 - alpha) * nd.square(g)
            div = lr * g / nd.sqrt(sqr + eps)
            param[:] = param - div

:func:`wrap_inplace` turns such a function into a factory of the oracle's protocol,
working on plain numpy arrays: every parameter becomes a :class:`GradArray` (an
``ndarray`` subclass with a ``.grad`` attribute), ``sqrs`` start as zeros of the
parameter's shape and dtype, and each ``step(grads)`` stores copies of ``grads`` in
``.grad`` *verbatim*, calls ``fn(params, sqrs, lr, rho, batch_size, eps)`` once and
returns plain ``ndarray`` copies of the parameters (0-d parameters are shown to
``fn`` with shape ``(1,)``, because textbook code assigns through ``x[:]``).  As in the source document,
``.grad`` is the summed gradient and ``fn`` divides it by ``batch_size``; with the
default ``batch_size=1`` the protocol's gradient is used as is.

:data:`seed_rmsprop` is ``wrap_inplace`` applied to :func:`seed_rmsprop_inplace`,
a numpy transcription of the function in
``shared/seeds/001_388190c84a98f8cb.txt`` (``nd.square``/``nd.sqrt`` become
``np.square``/``np.sqrt``).  Its update, in this order (numpy, one rounding per
operation in the parameter dtype)::

    g   = grad / batch_size
    sqr = alpha * sqr + (1 - alpha) * g**2            # sqr0 = 0
    div = (lr * g) / sqrt(sqr + eps)                  # eps INSIDE the root
    p   = p - div

No momentum, centering or weight decay (the factory accepts none of them).
Hyperparameter rounding (numpy >= 2, NEP 50): the Python floats are weak scalars,
converted once to the array dtype (float64 exact; float32/float16 rounded to that
dtype: lr 0.1 -> 0.0999755859375 in float16); ``1 - alpha`` is formed in binary64
first.  numpy's float16 ops are computed in float32 and rounded, i.e. correctly
rounded per op; ``np.sqrt`` is correctly rounded.  Confirmed with numpy 2.4.6.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._common import check_params

CONVENTION = "seed"

class GradArray(np.ndarray):
    """A numpy array with a ``.grad`` attribute, as MXNet/PyTorch parameters have."""

    grad: np.ndarray | None

    def __new__(cls, values: np.ndarray) -> "GradArray":
        obj = np.array(values, copy=True).view(cls)
        obj.grad = None
        return obj

    def __array_finalize__(self, obj: object) -> None:
        self.grad = getattr(obj, "grad", None)


def wrap_inplace(fn: Callable, *, batch_size: int = 1) -> Callable:
    """Turn ``fn(params, sqrs, lr, alpha, batch_size, eps)`` (in place, reading ``param.grad``) into a factory."""

    def factory(
        params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float
    ) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        dtype = check_params(params)
        shapes = [np.shape(p) for p in params]
        # textbook code assigns through ``x[:]``, which 0-d arrays refuse: give them shape (1,)
        arrays = [GradArray(np.asarray(p, dtype=dtype).reshape(np.shape(p) or (1,))) for p in params]
        sqrs = [np.zeros_like(a.view(np.ndarray)) for a in arrays]

        def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
            if len(grads) != len(arrays):
                raise ValueError(f"expected {len(arrays)} gradients, got {len(grads)}")
            for a, g, shape in zip(arrays, grads, shapes):
                g = np.asarray(g)
                if g.shape != shape:
                    raise ValueError(f"gradient shape {g.shape} does not match parameter shape {shape}")
                a.grad = np.array(g, dtype=dtype, copy=True).reshape(a.shape)
            fn(arrays, sqrs, lr, rho, batch_size, eps)
            return [np.array(a, dtype=dtype, copy=True).reshape(s) for a, s in zip(arrays, shapes)]

        return step

    factory.__name__ = f"wrap_inplace({getattr(fn, '__name__', 'fn')})"
    factory.__doc__ = f"Protocol factory around the in-place function {getattr(fn, '__name__', fn)!r}."
    return factory


def seed_rmsprop_inplace(params, sqrs, lr, alpha, batch_size, eps) -> None:
    """The source document's ``rmsprop`` transcribed to numpy (``nd`` -> ``np``), in place."""
    for param, sqr in zip(params, sqrs):
        g = param.grad / batch_size
        sqr[:] = alpha * sqr + (1 - alpha) * np.square(g)
        div = lr * g / np.sqrt(sqr + eps)
        param[:] = param - div


seed_rmsprop = wrap_inplace(seed_rmsprop_inplace)
"""Protocol factory ``seed_rmsprop(params, *, lr, rho, eps)`` of the source document's function."""
