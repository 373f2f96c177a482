"""Exact symbolic RMSProp with sympy: closed forms for short runs.

The same :func:`oracle.algorithm.step` runs over sympy numbers: hyperparameters
are ``sympy.Rational`` (exact decimal or exact binary values) or free symbols,
square roots stay radicals.  Expressions grow quickly (each step nests one more
radical), so this engine is for the first few steps and for derivations
(:mod:`oracle.derivations`); :mod:`.certify` is the workhorse.

>>> from oracle.conventions import preset
>>> from oracle.algorithm import simulate
>>> recs = simulate(preset("seed", eps=0), SymbolicArith(), ["0"], grads=[["-8"]], steps=1)
>>> recs[1]["params"][0].item()
sqrt(10)/10
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ._objarray import exact_array, map_array, scalar


class SymbolicArith:
    """Exact arithmetic on sympy expressions (Rationals, radicals, symbols)."""

    def number(self, x: Any) -> sympy.Expr:
        if isinstance(x, Fraction):
            return sympy.Rational(x.numerator, x.denominator)
        return sympy.sympify(x)

    def const(self, x: Fraction) -> np.ndarray:
        return scalar(self.number(x))

    def array(self, values: Any) -> np.ndarray:
        arr = np.asarray(values, dtype=object)
        if any(isinstance(v, sympy.Basic) for v in arr.reshape(-1)):
            return map_array(sympy.sympify, arr)
        return map_array(self.number, exact_array(values))

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return map_array(sympy.sqrt, a)

    def nonneg(self, a: np.ndarray) -> np.ndarray:
        return a  # exact: v - m^2 >= 0 already
