"""A 2-D ill-conditioned quadratic: f(p) = (1/2) p^T H p, H with eigenvalues 100 and 1.

H = [[101/2, 99/2], [99/2, 101/2]] (eigenvectors (1, 1) and (1, -1), condition
number 100), minimum at p = 0, start p0 = (1, 1.5).  The gradient H p is
written with context operations, so it runs in every engine.

>>> from oracle.engines.floating import FloatArith
>>> import numpy as np
>>> grad_fn()(FloatArith("float64"), [np.array([1.0, 1.5])])[0].tolist()
[124.75, 125.25]
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..algorithm import Arith, Arrays, GradFn

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
