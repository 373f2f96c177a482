"""Exact rounding of rationals to binary formats and to decimal digits.

Everything here is integer arithmetic on exact values (a :class:`Fraction`, or
an mpmath interval endpoint, which is an exact dyadic rational), so a rounding
is the correctly rounded result by construction, never a floating-point guess.

>>> from fractions import Fraction
>>> float(round_fraction_to_format(Fraction(1, 10), "binary32"))
0.10000000149011612
>>> round_decimal(Fraction(2, 3), 5)
(1, 66667, -1)
>>> format_sci(Fraction(2, 3), 5)
'6.6667e-1'
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional

import mpmath.libmp as libmp

# (significand bits including the hidden one, minimum normal exponent, maximum exponent)
FORMATS = {
    "binary64": (53, -1022, 1023),
    "binary32": (24, -126, 127),
    "binary16": (11, -14, 15),
}
DTYPE_FORMAT = {"float64": "binary64", "float32": "binary32", "float16": "binary16"}


def _round_half_even(num: int, den: int) -> int:
    """Nearest integer to num/den (den > 0), ties to even."""
    q, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and q % 2 == 1):
        q += 1
    return q


def _floor_log2(x: Fraction) -> int:
    """floor(log2(x)) for x > 0, exactly."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    # 2^e <= x < 2^(e+2) here; fix up
    if Fraction(2) ** e > x:
        e -= 1
    elif Fraction(2) ** (e + 1) <= x:
        e += 1
    return e


def round_fraction_to_format(x: Fraction, fmt: str) -> Fraction:
    """Round ``x`` to the nearest value of an IEEE binary format (ties to even).

    Subnormals are handled; a result beyond the largest finite value rounds to
    infinity, which is returned as ``None``-free Fraction only when finite, so
    overflow raises ``OverflowError``.
    """
    bits, emin, emax = FORMATS[fmt]
    if x == 0:
        return Fraction(0)
    sign = -1 if x < 0 else 1
    ax = abs(x)
    e = max(_floor_log2(ax), emin)
    quantum_exp = e - (bits - 1)
    scaled = ax / Fraction(2) ** quantum_exp
    n = _round_half_even(scaled.numerator, scaled.denominator)
    out = Fraction(n) * Fraction(2) ** quantum_exp
    largest = (2 - Fraction(2) ** (1 - bits)) * Fraction(2) ** emax
    if out > largest:
        raise OverflowError(f"{float(sign * ax)!r} overflows {fmt}")
    return sign * out


def to_float_exact(x: Fraction, fmt: str = "binary64") -> float:
    """The correctly rounded value of ``x`` in ``fmt``, as a Python float (inf on overflow)."""
    try:
        return float(round_fraction_to_format(x, fmt))
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def round_decimal(x: Fraction, digits: int) -> tuple[int, int, int]:
    """Round x != 0 to ``digits`` significant decimal digits, ties to even.

    Returns (sign, N, E) with 10**(digits-1) <= N < 10**digits and the rounded
    value sign * N * 10**(E - digits + 1); E is the decimal exponent.
    """
    if x == 0:
        raise ValueError("round_decimal needs a nonzero value")
    sign = -1 if x < 0 else 1
    ax = abs(x)
    # estimate the decimal exponent from the binary one, then correct
    E = int((_floor_log2(ax)) * 0.30102999566398120) - 1
    while Fraction(10) ** (E + 1) <= ax:
        E += 1
    while Fraction(10) ** E > ax:
        E -= 1
    scaled = ax * Fraction(10) ** (digits - 1 - E)
    N = _round_half_even(scaled.numerator, scaled.denominator)
    if N == 10**digits:
        N //= 10
        E += 1
    return sign, N, E


def format_sci(x: Fraction, digits: int) -> str:
    """``x`` rounded to ``digits`` significant digits as 'd.ddd…e±E' ('0' for zero)."""
    if x == 0:
        return "0"
    sign, N, E = round_decimal(x, digits)
    s = str(N)
    mant = s[0] + ("." + s[1:] if len(s) > 1 else "")
    return f"{'-' if sign < 0 else ''}{mant}e{E}"


def format_fixed(x: Fraction, decimals: int) -> str:
    """``x`` rounded to ``decimals`` places after the point, ties to even, like '%.nf'."""
    scaled = x * Fraction(10) ** decimals
    n = _round_half_even(scaled.numerator, scaled.denominator)
    sign = "-" if n < 0 or (n == 0 and x < 0) else ""
    s = str(abs(n)).rjust(decimals + 1, "0")
    if decimals == 0:
        return sign + s
    return f"{sign}{s[:-decimals]}.{s[-decimals:]}"


def agreeing_digits(lo: Fraction, hi: Fraction, cap: int) -> Optional[int]:
    """The largest d <= cap such that lo and hi round to the same d-digit decimal.

    Rounding to nearest is monotone, so then every value in [lo, hi] rounds to
    that decimal: it is the correctly rounded d-digit value of anything in the
    interval.  Returns ``cap`` when lo == hi, 0 when not even one digit agrees
    (or the interval straddles zero), and None for the exact zero interval.
    """
    if lo == hi:
        return None if lo == 0 else cap
    if lo <= 0 <= hi:
        return 0
    width = hi - lo
    mag = min(abs(lo), abs(hi))
    # relative width w suggests about -log10(w) digits; search around it
    guess = max(1, min(cap, _floor_log2(mag / width) * 30103 // 100000 + 2))
    d = guess
    while d < cap and round_decimal(lo, d + 1) == round_decimal(hi, d + 1):
        d += 1
    while d >= 1 and round_decimal(lo, d) != round_decimal(hi, d):
        d -= 1
    return d


def mpf_to_fraction(x: Any) -> Optional[Fraction]:
    """The exact value of an mpmath mpf (or raw mpf tuple); None for inf and nan."""
    raw = getattr(x, "_mpf_", x)
    if raw in (libmp.finf, libmp.fninf, libmp.fnan):
        return None
    p, q = libmp.to_rational(raw)
    return Fraction(p, q)
