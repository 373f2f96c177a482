"""What a certified engine publishes: enclosures, their certified digits, and certified runs.

A :class:`CertifiedValue` is an exact real value known to lie in [lo, hi]
(exact rationals: the endpoints of an mpmath interval, :mod:`.certify.interval`, or of
an Arb ball, :mod:`.certify.arb`).  Every digit or float it publishes is checked on
both endpoints by :mod:`oracle.rounding` (step 3 of the method in
:mod:`.certify.interval`): by monotonicity of rounding it is then the exact value's
correct rounding.  A :class:`CertifiedRun` is the records of a run whose values
are CertifiedValues; :class:`Attempt` is one engine run at one precision,
:func:`certified_precision` the working precision every engine starts from, and
:func:`undefined` / :func:`exhausted` the two ways a run ends without a result
(:mod:`.certify.ladder` runs the precision loop).

>>> from fractions import Fraction
>>> cv = CertifiedValue(Fraction(1249, 1000), Fraction(1251, 1000))
>>> cv.digits, cv.sci(3)
(3, '1.25e0')
>>> cv.sci(2)
Traceback (most recent call last):
...
ValueError: digits=2 is not certified: the enclosure straddles a 2-digit rounding tie (3 digits are certified)
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Optional

import numpy as np

from ..algorithm import UndefinedUpdate
from ..conventions import Convention
from ..rounding import (
    DTYPE_FORMAT,
    agreeing_digits,
    certified_decimal,
    format_fixed,
    to_float_exact,
)


@dataclasses.dataclass(frozen=True)
class CertifiedValue:
    """An exact real value known to lie in [lo, hi] (exact rationals; None for an unbounded enclosure).

    ``digits`` is its count of certified significant digits (``cap`` when the
    enclosure is a point, ``None`` for an exact zero).
    """

    lo: Optional[Fraction]
    hi: Optional[Fraction]
    cap: int = 80

    @property
    def bounded(self) -> bool:
        return self.lo is not None and self.hi is not None

    @property
    def digits(self) -> Optional[int]:
        if not self.bounded:
            return 0
        return agreeing_digits(self.lo, self.hi, self.cap)

    @property
    def is_zero(self) -> bool:
        return self.lo == 0 and self.hi == 0

    @property
    def exact(self) -> Optional[Fraction]:
        """The exact value when the enclosure is a single point, else None."""
        return self.lo if self.bounded and self.lo == self.hi else None

    def sci(self, digits: Optional[int] = None) -> str:
        """The certified value in scientific notation with ``digits`` significant digits.

        Raises ``ValueError`` if more digits are asked for than are certified,
        and also for fewer when the enclosure straddles a rounding tie at that
        length (:func:`oracle.rounding.certified_decimal` checks exactly the length published).
        """
        if self.is_zero:
            return "0"
        have = self.digits or 0
        want = have if digits is None else digits
        if want > have or want < 1:
            raise ValueError(f"digits={want} asked for, but only {have} are certified")
        text = certified_decimal(self.lo, self.hi, want)
        if text is None:
            raise ValueError(
                f"digits={want} is not certified: the enclosure straddles a {want}-digit rounding tie "
                f"({have} digits are certified)"
            )
        return text

    def fixed(self, decimals: int) -> str:
        """'%.{decimals}f' of the exact value; ``ValueError`` if not certified."""
        if not self.bounded:
            raise ValueError("the value is not bounded")
        a, b = format_fixed(self.lo, decimals), format_fixed(self.hi, decimals)
        if a != b:
            raise ValueError(f"{decimals} decimals are not certified: the value lies in [{a}, {b}]")
        return a

    def binary(self, dtype: str = "float64") -> Optional[float]:
        """The correctly rounded float of the exact value (``dtype`` or a binary format name), or None
        if not certified (the endpoints round to different floats, or overflow)."""
        if not self.bounded:
            return None
        fmt = DTYPE_FORMAT.get(dtype, dtype)
        a = to_float_exact(self.lo, fmt)
        b = a if self.lo == self.hi else to_float_exact(self.hi, fmt)
        return a if a == b and math.isfinite(a) else None

    def mid(self) -> Fraction:
        """The midpoint of the enclosure (for error measurement, not for publication)."""
        if not self.bounded:
            raise ValueError("the value is not bounded")
        return (self.lo + self.hi) / 2

    def radius(self) -> Fraction:
        return (self.hi - self.lo) / 2


class LazyValue(CertifiedValue):
    """A :class:`CertifiedValue` whose endpoints are computed (as Fractions) on first use.

    Subclasses hold a ball and define ``_compute_ends() -> (lo, hi)``; a pickled
    value is a plain :class:`CertifiedValue`.
    """

    __slots__ = ("_ends",)

    def _compute_ends(self) -> tuple:
        raise NotImplementedError

    def _endpoints(self) -> tuple:
        if self._ends is None:
            object.__setattr__(self, "_ends", self._compute_ends())
        return self._ends

    @property  # type: ignore[override]
    def lo(self) -> Optional[Fraction]:
        return self._endpoints()[0]

    @property  # type: ignore[override]
    def hi(self) -> Optional[Fraction]:
        return self._endpoints()[1]

    def __reduce__(self) -> tuple:
        return (CertifiedValue, (self.lo, self.hi, self.cap))


@dataclasses.dataclass
class CertifiedRun:
    """Records of a certified run: each array element is a :class:`CertifiedValue`.

    ``engine``: the rung of the certified ladder that computed it (:data:`.certify.ladder.RUNGS`).
    """

    convention: Convention
    steps: int
    prec: int
    digits: int
    records: list
    engine: str = "mpmath"

    def min_digits(self) -> int:
        """The fewest certified digits of any nonzero published value."""
        worst = self.digits
        for rec in self.records:
            for arrays in published(rec):
                for cv in np.asarray(arrays, dtype=object).reshape(-1):
                    d = cv.digits
                    if d is not None:
                        worst = min(worst, d)
        return worst

    def first_unbounded(self) -> Optional[int]:
        """The first step with an unbounded value (a division by an interval holding 0)."""
        for rec in self.records:
            for arrays in published(rec):
                if any(not cv.bounded for cv in np.asarray(arrays, dtype=object).reshape(-1)):
                    return rec["step"]
        return None


def published(rec: dict) -> list:
    """The arrays a record publishes: parameters, every state slot, and the gradients after step 0."""
    out = list(rec["params"])
    for arrays in rec["state"].values():
        out.extend(arrays)
    if rec["grads"] is not None:
        out.extend(rec["grads"])
    return out


@dataclasses.dataclass
class Attempt:
    """One run of a certified engine at one precision: its records, the fewest certified digits of a
    published value (capped at the digits asked for) and the first step with an unbounded value (or None).
    The ladder (:mod:`.certify.ladder`) decides from it whether to publish or double the precision."""

    records: list
    worst: int
    unbounded: Optional[int]


def certified_precision(digits: int, steps: int) -> int:
    """The starting working precision: ``digits`` plus a margin that grows with ``steps``.

    >>> certified_precision(50, 5)
    240
    """
    return int(digits * 3.33) + 64 + 2 * steps


def check_digits(digits: object) -> None:
    """``ValueError`` unless ``digits`` is a positive int."""
    if not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be a positive int, got {digits!r}")


def undefined(step: int) -> UndefinedUpdate:
    """The error of a run whose enclosures stay unbounded as the precision grows: an exact 0/0."""
    return UndefinedUpdate(f"the update is undefined at step {step}: it divides by a denominator "
                           "that is exactly zero (0/0, NaN in IEEE arithmetic); use eps > 0")


def exhausted(digits: int, max_prec: int, got: int, bits: int) -> ArithmeticError:
    """The error of a run that cannot certify ``digits`` digits within ``max_prec`` bits."""
    return ArithmeticError(f"could not certify {digits} digits within {max_prec} bits (got {got} at {bits} bits)")
