"""The fast backend: RMSProp in IEEE floating point of one numpy dtype.

Every operation of :func:`oracle.algorithm.step` is one numpy operation in the
dtype (float64, float32 or float16), each correctly rounded; hyperparameters
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
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..conventions import to_fraction
from ..rounding import DTYPE_FORMAT, DTYPES, to_float_exact
from ._objarray import map_array


class FloatArith:
    """numpy arithmetic in one float dtype; inputs are rounded once to it."""

    def __init__(self, dtype: str = "float64") -> None:
        if str(dtype) not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
        self.dtype = np.dtype(dtype)
        self.fmt = DTYPE_FORMAT[str(dtype)]
        self._consts: dict = {}  # step() asks for the same few constants every step

    def round(self, x: Fraction) -> float:
        """``x`` correctly rounded to the dtype (no double rounding through float64)."""
        return to_float_exact(x, self.fmt)

    def const(self, x: Fraction) -> Any:
        if x not in self._consts:
            self._consts[x] = self.dtype.type(self.round(x))
        return self._consts[x]

    def array(self, values: Any) -> np.ndarray:
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            if values.dtype.itemsize <= self.dtype.itemsize:
                return values.astype(self.dtype)  # exact widening
        exact = map_array(lambda x: self.round(to_fraction(x)), np.asarray(values, dtype=object))
        return exact.astype(self.dtype)

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return np.sqrt(a)

    def nonneg(self, a: np.ndarray) -> np.ndarray:
        return np.maximum(a, self.dtype.type(0))
