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
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional

import numpy as np

from ..conventions import to_fraction
from ..rounding import ALL_DTYPES, DTYPE_FORMAT, dtype_name, numpy_dtype, to_float_exact, widens_exactly
from ._objarray import map_array


class FloatArith:
    """numpy arithmetic in one float dtype; inputs are rounded once to it (``store``: see the module doc)."""

    def __init__(self, dtype: str = "float64", store: Optional[str] = None) -> None:
        if str(dtype) not in ALL_DTYPES:
            raise ValueError(f"dtype must be one of {ALL_DTYPES}, got {dtype!r}")
        if store is not None and (store not in ALL_DTYPES or not widens_exactly(store, str(dtype))):
            raise ValueError(f"store must be a dtype that {dtype} holds exactly, got {store!r}")
        self.dtype = numpy_dtype(str(dtype))
        self.fmt = DTYPE_FORMAT[str(dtype)]
        self.store_dtype = None if store in (None, str(dtype)) else store
        self._consts: dict = {}  # step() asks for the same few constants every step

    def round(self, x: Fraction) -> float:
        """``x`` correctly rounded to the dtype (no double rounding through float64)."""
        return to_float_exact(x, self.fmt)

    def const(self, x: Fraction) -> Any:
        if x not in self._consts:
            self._consts[x] = self.dtype.type(self.round(x))
        return self._consts[x]

    def store(self, a: np.ndarray) -> np.ndarray:
        """``a`` rounded to the parameters' dtype (``store``), kept in ``dtype`` (exact)."""
        return a.astype(numpy_dtype(self.store_dtype)).astype(self.dtype)

    def array(self, values: Any) -> np.ndarray:
        if isinstance(values, np.ndarray) and dtype_name(values.dtype):
            if widens_exactly(dtype_name(values.dtype), self.dtype.name):
                return values.astype(self.dtype)  # exact widening
        exact = map_array(lambda x: self.round(to_fraction(x)), np.asarray(values, dtype=object))
        return exact.astype(self.dtype)

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return np.sqrt(a)

    def nonneg(self, a: np.ndarray) -> np.ndarray:
        return np.maximum(a, self.dtype.type(0))
