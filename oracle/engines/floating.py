"""The fast backend: RMSProp in IEEE floating point of one numpy dtype.

Every operation of :func:`oracle.algorithm.step` is one numpy operation in the
dtype (float64, float32, float16 or bfloat16), each correctly rounded; hyperparameters
and derived constants (1 - rho, lr*wd) are the exact values rounded once to the
dtype, as a framework does when it casts a Python double to the parameter
dtype.  This is the "plain float implementation" each preset is checked
against its certified reference and its error bound (:mod:`.errorbound`), and
what the conformance suite certifies when no ``--optimizer`` is given.

>>> from oracle.conventions import preset
>>> from oracle.algorithm import simulate
>>> binary64 = preset("seed", lr=0.1, rho=0.9, eps=1e-8)  # what a float64 program receives
>>> recs = simulate(binary64, FloatArith("float64"), [0.0], grads=[[-8.0]], steps=1)
>>> float(recs[1]["params"][0])
0.31622776576978506

bfloat16 arrays are ``ml_dtypes.bfloat16``, whose ufuncs compute in float32 and
round to bfloat16: correctly rounded for +, -, *, / and sqrt, since 24 >= 2 * 8 + 2
bits make that double rounding innocuous (Figueroa, "When is double rounding
innocuous?", SIGNUM 1995).  ``store``: parameters of a narrower dtype than the
state (``Convention.state``): the update runs in ``dtype`` and each step's new
parameters are rounded once to ``store``.

>>> recs = simulate(preset("pytorch", rho=0.999), FloatArith("bfloat16"), [1.0], grads=[[1.0]] * 3, steps=3)
>>> [float(r["state"]["v"][0]) for r in recs]  # rho = 0.999 rounds to 1.0: v only grows
[0.0, 0.00099945068359375, 0.0019989013671875, 0.00299072265625]

``subnormals`` (a ``Convention.subnormals`` value naming the dtype): flush to zero, as
TensorFlow's and XLA's CPU kernels do.  Every input and constant below the smallest normal
number N is read as a zero of its sign (DAZ) and every result below N is written as one (FTZ):
the arrays are :class:`Flushed`, whose every numpy ufunc flushes its operands and results.

>>> tiny = 2.0**-1022
>>> [float(simulate(preset("seed", lr=0.5, eps=1.0), FloatArith("float64", subnormals=s), [tiny / 4],
...                 grads=[[tiny]], steps=1)[1]["params"][0]) for s in ("gradual", "flush")]
[-5.562684646268003e-309, 0.0]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional

import numpy as np

from ..conventions import flushes, to_fraction
from ..rounding import ALL_DTYPES, DTYPE_FORMAT, dtype_name, limits, numpy_dtype, to_float_exact, widens_exactly
from ._objarray import map_array


def flush(a: Any) -> Any:
    """``a`` with every value below the smallest normal number of its dtype replaced by a zero of its sign."""
    a = np.asarray(a)
    if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
        return a
    tiny = a.dtype.type(limits(a.dtype.name)[0])
    return np.where(np.abs(a) < tiny, np.copysign(a.dtype.type(0), a), a).astype(a.dtype)


class Flushed(np.ndarray):
    """A float array whose arithmetic flushes subnormals to zero (FTZ and DAZ): every numpy ufunc on it
    reads its operands through :func:`flush` and returns its result flushed, as a ``Flushed`` array."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None:
            kwargs["out"] = tuple(np.asarray(o) for o in kwargs["out"])
        args = [flush(np.asarray(x)) if isinstance(x, (np.ndarray, np.generic)) else x for x in inputs]
        result = getattr(ufunc, method)(*args, **kwargs)
        if isinstance(result, tuple):
            return tuple(flush(r).view(Flushed) for r in result)
        out = flush(result)
        return out.view(Flushed) if out.dtype.kind == "f" or out.dtype.name == "bfloat16" else out


class FloatArith:
    """numpy arithmetic in one float dtype; inputs are rounded once to it (``store``: see the module doc).

    ``subnormals``: where this value of ``Convention.subnormals`` names ``dtype``, the arithmetic flushes
    subnormals to zero (:class:`Flushed`; the module doc).
    """

    def __init__(self, dtype: str = "float64", store: Optional[str] = None, subnormals: str = "gradual") -> None:
        if str(dtype) not in ALL_DTYPES:
            raise ValueError(f"dtype must be one of {ALL_DTYPES}, got {dtype!r}")
        if store is not None and (store not in ALL_DTYPES or not widens_exactly(store, str(dtype))):
            raise ValueError(f"store must be a dtype that {dtype} holds exactly, got {store!r}")
        self.dtype = numpy_dtype(str(dtype))
        self.fmt = DTYPE_FORMAT[str(dtype)]
        self.store_dtype = None if store in (None, str(dtype)) else store
        self.flush = flushes(subnormals, str(dtype))
        self.store_flush = self.store_dtype is not None and flushes(subnormals, self.store_dtype)
        self._consts: dict = {}  # step() asks for the same few constants every step

    def lift(self, a: Any) -> Any:
        """``a`` (of the dtype) as this arithmetic's array: itself, or flushed (:class:`Flushed`) when flushing."""
        return flush(a).view(Flushed) if self.flush else a

    def round(self, x: Fraction) -> float:
        """``x`` correctly rounded to the dtype (no double rounding through float64)."""
        return to_float_exact(x, self.fmt)

    def const(self, x: Fraction) -> Any:
        if x not in self._consts:
            c = self.dtype.type(self.round(x))
            self._consts[x] = self.lift(np.asarray(c)) if self.flush else c  # a 0-d Flushed array
        return self._consts[x]

    def store(self, a: np.ndarray) -> np.ndarray:
        """``a`` rounded to the parameters' dtype (``store``), kept in ``dtype`` (exact)."""
        narrow = np.asarray(a).astype(numpy_dtype(self.store_dtype))
        return self.lift((flush(narrow) if self.store_flush else narrow).astype(self.dtype))

    def array(self, values: Any) -> np.ndarray:
        if isinstance(values, np.ndarray) and dtype_name(values.dtype):
            if widens_exactly(dtype_name(values.dtype), self.dtype.name):
                return self.lift(values.astype(self.dtype))  # exact widening
        exact = map_array(lambda x: self.round(to_fraction(x)), np.asarray(values, dtype=object))
        return self.lift(exact.astype(self.dtype))

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return np.sqrt(a)

    def nonneg(self, a: np.ndarray) -> np.ndarray:
        return np.maximum(a, self.dtype.type(0))
