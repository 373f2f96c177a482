"""Double-double arithmetic and the rounding constants of the vectorized bound, written once.

Error-free transformations of IEEE float64 arithmetic in round-to-nearest (Knuth's two-sum,
Dekker's fast two-sum and product with Veltkamp's split): ``s + e == a + b`` and ``p + e == a * b``
exactly.  The functions are plain Python over ``+``, ``-``, ``*``: :mod:`.vecbound` calls them on
numpy arrays and :mod:`.jitkernel` compiles them with numba (no fused multiply-add, no
reassociation), so both engines compute the very same words.  The constants are the factors and
terms by which :mod:`.vecbound` rounds its bounds (module docstring there).

>>> two_sum(1.0, 2.0**-60)
(1.0, 8.673617379884035e-19)
>>> from fractions import Fraction
>>> p, e = two_prod_split(0.1, 0.1, *split(0.1), *split(0.1))
>>> p, e, Fraction(p) + Fraction(e) == Fraction(0.1) ** 2
(0.010000000000000002, -8.326672684688674e-19, True)
"""

from __future__ import annotations

from typing import Any

__all__ = ["ABS", "BIG", "DOWN", "SMALL", "SPLIT", "UP", "fast_two_sum", "split", "two_prod_split",
           "two_square_split", "two_sum"]

UP = 1.0 + 2.0**-46
"""A bound evaluated in round-to-nearest (at most 24 operations) times UP covers their roundings."""
DOWN = 1.0 - 2.0**-46
"""The same for a lower bound."""
ABS = 2.0**-1060
"""The absolute term added to every bound (underflow)."""
SPLIT = 134217729.0
"""2^27 + 1: Veltkamp's splitting constant for float64."""
BIG, SMALL = 2.0**900, 2.0**-900
"""The range the vectorized bound covers."""


def two_sum(a: Any, b: Any) -> tuple:
    """s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a: Any, b: Any) -> tuple:
    """s + e = a + b exactly when |a| >= |b| or a = 0 (Dekker)."""
    s = a + b
    return s, b - (s - a)


def split(a: Any) -> tuple:
    """hi + lo = a, each with at most 26 significant bits (Veltkamp)."""
    c = SPLIT * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod_split(a: Any, b: Any, ah: Any, al: Any, bh: Any, bl: Any) -> tuple:
    """p + e = a * b exactly (Dekker), given the splits ``ah + al`` of a and ``bh + bl`` of b."""
    p = a * b
    e = ah * bh - p
    e += ah * bl
    e += al * bh
    e += al * bl
    return p, e


def two_square_split(a: Any, ah: Any, al: Any) -> tuple:
    """p + e = a * a exactly, given the split ``ah + al`` of a."""
    p = a * a
    e = ah * ah - p
    e += 2 * (ah * al)
    e += al * al
    return p, e
