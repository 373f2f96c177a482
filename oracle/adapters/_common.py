"""What every adapter checks of its inputs, and how it declines (numpy only)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from oracle.rounding import ALL_DTYPES


def check_params(params: Sequence[np.ndarray], framework: str = "", bfloat16: bool = False,
                 complex_: bool = False) -> np.dtype:
    """The one float dtype of a non-empty list of arrays (``ValueError`` naming what is wrong).

    bfloat16 parameters are declined (``NotImplementedError``) unless the adapter says
    its ``framework`` takes them (``bfloat16=True``); complex64/complex128 pass where ``complex_``.
    """
    if len(params) == 0:
        raise ValueError("params must be a non-empty list of numpy arrays")
    dtypes = {np.asarray(p).dtype for p in params}
    if len(dtypes) != 1:
        raise ValueError(f"params must share one dtype, got {sorted(str(d) for d in dtypes)}")
    (dtype,) = dtypes
    if dtype.name == "bfloat16" and not bfloat16:
        raise NotImplementedError(f"bfloat16: this adapter does not pass bfloat16 to {framework or 'its framework'}")
    if complex_ and dtype.name in ("complex64", "complex128"):
        return dtype
    if dtype.name not in ALL_DTYPES:
        raise ValueError(f"params dtype must be one of {ALL_DTYPES}, got {dtype.name}")
    return dtype


def check_grads(grads: Sequence[np.ndarray], shapes: Sequence[tuple], dtype: np.dtype) -> list[np.ndarray]:
    """Fresh copies of ``grads`` in ``dtype`` after checking their number and shapes."""
    if len(grads) != len(shapes):
        raise ValueError(f"expected {len(shapes)} gradients, got {len(grads)}")
    out = []
    for g, shape in zip(grads, shapes):
        g = np.asarray(g)
        if g.shape != tuple(shape):
            raise ValueError(f"gradient shape {g.shape} does not match parameter shape {tuple(shape)}")
        out.append(np.array(g, dtype=dtype, copy=True))
    return out


def decline(framework: str, what: str, why: str) -> NotImplementedError:
    """The error an adapter raises for what its framework cannot do: ``"<framework> <what>: <why>"``."""
    return NotImplementedError(f"{framework} {what}: {why}")


def missing(module: str, framework: str, extra: str, exc: BaseException) -> ImportError:
    """The ``ImportError`` of a factory whose framework is not installed, naming the pip extra."""
    return ImportError(f"oracle.adapters.{module} needs {framework}: pip install 'rmsprop-oracle[{extra}]' "
                       f"(import failed: {exc})")


def declining(framework: str, *refusals: type, what: str = "input") -> Callable:
    """Wrap a protocol factory so that the framework's own refusals become declines.

    A framework that refuses an input (empty arrays, a dtype) with its own exception type raises
    one of ``refusals`` from the factory or a step; the wrapped factory raises
    :func:`decline`'s ``NotImplementedError`` instead (``"<framework> <what>: <Type>: <message>"``),
    which the suite counts as declined (at the factory or the first step), never as a failure.

    >>> class Refused(ValueError): pass
    >>> def factory(params, *, lr, rho, eps):
    ...     raise Refused("empty arrays are not supported")
    >>> declining("fw", Refused)(factory)([], lr=0.1, rho=0.9, eps=1e-8)
    Traceback (most recent call last):
    ...
    NotImplementedError: fw input: Refused: empty arrays are not supported
    """
    import functools

    def wrap(factory: Callable) -> Callable:
        @functools.wraps(factory)
        def make(*args: Any, **kwargs: Any) -> Callable:
            try:
                step = factory(*args, **kwargs)
            except refusals as exc:
                raise decline(framework, what, f"{type(exc).__name__}: {exc}") from exc

            @functools.wraps(step)
            def guarded(grads: Sequence[np.ndarray]) -> Any:
                try:
                    return step(grads)
                except refusals as exc:
                    raise decline(framework, what, f"{type(exc).__name__}: {exc}") from exc

            return guarded

        return make

    return wrap
