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

from ._common import check_grads, check_params

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


def _numpy_arrays(params: Sequence[np.ndarray], dtype: np.dtype) -> tuple:
    """GradArray copies of ``params`` (0-d as shape (1,)), zero sqrs, and how to set .grad / read back."""
    arrays = [GradArray(np.asarray(p, dtype=dtype).reshape(np.shape(p) or (1,))) for p in params]
    sqrs = [np.zeros_like(a.view(np.ndarray)) for a in arrays]

    def set_grad(a: GradArray, g: np.ndarray) -> None:
        a.grad = g.reshape(a.shape)

    return arrays, sqrs, set_grad, lambda a: np.array(a, dtype=dtype, copy=True)


def _mxnet_arrays(params: Sequence[np.ndarray], dtype: np.dtype) -> tuple:
    """``mx.nd`` copies of ``params`` with ``attach_grad()``, ``zeros_like`` sqrs (MXNet 1.x)."""
    try:
        import mxnet as mx
    except ImportError as exc:
        raise ImportError("wrap_inplace(arrays='mxnet') needs MXNet 1.x: pip install 'rmsprop-oracle[mxnet]' "
                          f"(import failed: {exc})") from exc
    arrays = []
    with mx.util.np_shape(True):  # empty arrays (legacy shapes read a 0 as an unknown size)
        for p in params:
            a = mx.nd.array(np.asarray(p, dtype=dtype).reshape(np.shape(p) or (1,)), ctx=mx.cpu(), dtype=dtype)
            a.attach_grad()
            arrays.append(a)
        sqrs = [a.zeros_like() for a in arrays]

    def set_grad(a, g: np.ndarray) -> None:
        with mx.util.np_shape(True):
            a.grad[:] = mx.nd.array(g.reshape(a.shape), ctx=mx.cpu(), dtype=dtype)

    return arrays, sqrs, set_grad, lambda a: np.array(a.asnumpy(), dtype=dtype, copy=True)


ARRAYS = {"numpy": _numpy_arrays, "mxnet": _mxnet_arrays}
"""How ``wrap_inplace`` holds the parameters: numpy ``GradArray`` or real ``mx.nd`` arrays."""


def wrap_inplace(fn: Callable, *, batch_size: int = 1, arrays: str = "numpy") -> Callable:
    """Turn ``fn(params, sqrs, lr, alpha, batch_size, eps)`` (in place, reading ``param.grad``) into a factory.

    ``arrays``: ``"numpy"`` (:class:`GradArray`) or ``"mxnet"`` (``mx.nd`` arrays with
    ``attach_grad()``, for functions written with ``nd`` as in the source documents).
    """
    if arrays not in ARRAYS:
        raise ValueError(f"arrays must be one of {', '.join(ARRAYS)}, got {arrays!r}")
    make_arrays = ARRAYS[arrays]

    def factory(
        params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float
    ) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        dtype = check_params(params)
        shapes = [np.shape(p) for p in params]
        # textbook code assigns through ``x[:]``, which 0-d arrays refuse: give them shape (1,)
        held, sqrs, set_grad, read = make_arrays(params, dtype)

        def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
            for a, g in zip(held, check_grads(grads, shapes, dtype)):
                set_grad(a, g)
            fn(held, sqrs, lr, rho, batch_size, eps)
            return [read(a).reshape(s) for a, s in zip(held, shapes)]

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


def seed_rmsprop_nd(params, sqrs, lr, alpha, batch_size, eps) -> None:
    """The source document's ``rmsprop``, verbatim, on ``mx.nd`` arrays (``shared/seeds/001_388190c84a98f8cb.txt``)."""
    import mxnet
    from mxnet import nd

    with mxnet.util.np_shape(True):  # not part of the document: lets empty arrays through
        _seed_rmsprop_nd(nd, params, sqrs, lr, alpha, batch_size, eps)


def _seed_rmsprop_nd(nd, params, sqrs, lr, alpha, batch_size, eps) -> None:
    for param, sqr in zip(params, sqrs):
        g = param.grad / batch_size
        sqr[:] = alpha * sqr + (1 - alpha) * nd.square(g)
        div = lr * g / nd.sqrt(sqr + eps)
        param[:] = param - div


gluon_rmsprop = wrap_inplace(seed_rmsprop_nd, arrays="mxnet")
"""Protocol factory ``gluon_rmsprop(params, *, lr, rho, eps)``: the document's function on real ``mx.nd`` arrays."""
gluon_rmsprop.CONVENTION = "seed"  # type: ignore[attr-defined]
