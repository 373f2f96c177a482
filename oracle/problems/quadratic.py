"""Quadratics: the 2-D ill-conditioned one of the golden files, and the separable ones of the conformance suite.

The golden quadratic (:func:`grad_fn`): f(p) = (1/2) p^T H p with
H = [[101/2, 99/2], [99/2, 101/2]] (eigenvalues 100 and 1, eigenvectors (1, 1)
and (1, -1), condition number 100), minimum at p = 0, start p0 = (1, 1.5).

:class:`Diagonal`: f(p) = (1/2) sum a (p - c)^2 for each array, elementwise, so
g = a (p - c); the documents' example is a = x^2 = 4, c = y / x = 2
(g = (y - w x)(-x)).  Every element is independent of every other, which the
conformance reference uses to compute large cases in chunks.

Both gradients are written with context operations, so they run in every engine.

>>> from oracle.engines.floating import FloatArith
>>> import numpy as np
>>> grad_fn()(FloatArith("float64"), [np.array([1.0, 1.5])])[0].tolist()
[124.75, 125.25]
>>> Diagonal([np.array([4.0])], [np.array([2.0])]).exact_grads([np.array([0.5])], "float16")
[array([-6.], dtype=float16)]
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np

from ..algorithm import Arith, Arrays, GradFn
from ..rounding import numpy_dtype
from . import round_exact

H = ((Fraction(101, 2), Fraction(99, 2)), (Fraction(99, 2), Fraction(101, 2)))
P0: tuple[str, str] = ("1", "1.5")
DESCRIPTION = "f(p) = p^T H p / 2, H = [[101/2, 99/2], [99/2, 101/2]] (eigenvalues 100, 1), p0 = (1, 1.5)"


def grad_fn() -> GradFn:
    """g(p) = H p, written with context operations."""

    def g(ar: Arith, params: Arrays) -> Arrays:
        (p,) = params
        flat = p.reshape(-1)
        h = [[_c(ar, x) for x in row] for row in H]
        out = np.empty(2, dtype=p.dtype)
        out[0] = h[0][0] * flat[0] + h[0][1] * flat[1]
        out[1] = h[1][0] * flat[0] + h[1][1] * flat[1]
        return [out.reshape(p.shape)]

    return g


def _c(ar: Arith, q: Fraction) -> object:
    x = ar.const(q)
    return x[()] if isinstance(x, np.ndarray) else x


@dataclasses.dataclass
class Diagonal:
    """g = a * (p - c) for each array (a, c float arrays of the params' shapes): a :class:`~oracle.problems.Problem`."""

    a: list
    c: list

    def exact_grads(self, params: list, dtype: str) -> list:
        """The gradient at the candidate's float params, computed exactly and rounded once."""
        out = []
        for p, a, c in zip(params, self.a, self.c):
            if not np.all(np.isfinite(p)):  # a broken candidate: no gradient, feed NaN
                out.append(np.full(p.shape, np.nan, dtype=numpy_dtype(dtype)))
                continue
            exact = [Fraction(float(a_)) * (Fraction(float(p_)) - Fraction(float(c_)))
                     for p_, a_, c_ in zip(p.reshape(-1), a.reshape(-1), c.reshape(-1))]
            out.append(round_exact(exact, dtype).reshape(p.shape))
        return out

    def key(self) -> list:
        """Arrays that identify the problem (for the reference cache)."""
        return list(self.a) + list(self.c)

    def grad_fn(self) -> GradFn:
        """The same gradient written with context operations (for the reference engines)."""

        def g(ar: Arith, params: Arrays) -> Arrays:
            return [(p - ar.array(c.reshape(p.shape))) * ar.array(a.reshape(p.shape))
                    for p, a, c in zip(params, self.a, self.c)]

        return g
