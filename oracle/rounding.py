"""Exact rounding of rationals to binary formats and to decimal digits.

Everything here is integer arithmetic on exact values (a :class:`Fraction`, or
an mpmath interval endpoint, which is an exact dyadic rational), so a rounding
is the correctly rounded result by construction, never a floating-point guess.
This is the one implementation of rounding in the package: the engines, the
golden file format, grading and the pages all round through it.

>>> from fractions import Fraction
>>> float(round_fraction_to_format(Fraction(1, 10), "binary32"))
0.10000000149011612
>>> float(round_fraction_to_format(Fraction(999, 1000), "bfloat16"))  # rho = 0.999 in bfloat16
1.0
>>> round_decimal(Fraction(2, 3), 5)
(1, 66667, -1)
>>> format_sci(Fraction(2, 3), 5)
'6.6667e-1'
>>> certified_decimal(Fraction(11249, 10000), Fraction(11251, 10000), 3, extra=2)  # a 3-digit tie: 4 digits
'1.125e0'
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Optional

import numpy as np

# (significand bits including the hidden one, minimum normal exponent, maximum exponent)
FORMATS = {
    "binary64": (53, -1022, 1023),
    "binary32": (24, -126, 127),
    "binary16": (11, -14, 15),
    "bfloat16": (8, -126, 127),
}
DTYPE_FORMAT = {"float64": "binary64", "float32": "binary32", "float16": "binary16", "bfloat16": "bfloat16"}
DTYPES: tuple[str, ...] = ("float64", "float32", "float16")
"""The float dtypes certified by default: ``("float64", "float32", "float16")``."""
ALL_DTYPES: tuple[str, ...] = DTYPES + ("bfloat16",)
"""Every dtype the package computes in and certifies: :data:`DTYPES` and ``bfloat16`` (8-bit
significand, float32's exponent range: numpy's through ``ml_dtypes``), asked for by name."""
COMPLEX_DTYPES: dict = {"complex64": "float32", "complex128": "float64"}
"""The complex dtypes the conformance suite feeds when asked for (``--dtype=complex64,complex128``),
each with its component dtype: a complex parameter is certified as its real and imaginary parts
(:func:`oracle.algorithm.to_pairs`), each graded in the component dtype."""


def component_dtype(dtype: str) -> str:
    """The real dtype of a complex dtype's parts (``complex64``: ``float32``); a real dtype itself.

    >>> component_dtype("complex64"), component_dtype("complex128"), component_dtype("float16")
    ('float32', 'float64', 'float16')
    """
    return COMPLEX_DTYPES.get(dtype, dtype)


def numpy_dtype(name: str) -> np.dtype:
    """The numpy dtype of one of :data:`ALL_DTYPES` (``bfloat16`` is ``ml_dtypes.bfloat16``).

    ml_dtypes is imported here, when bfloat16 is first asked for (its import takes most of a
    second; it also registers numpy's dtype name ``"bfloat16"``).

    >>> numpy_dtype("bfloat16").itemsize, numpy_dtype("float16").name
    (2, 'float16')
    """
    if name in COMPLEX_DTYPES:
        return np.dtype(name)
    if name not in DTYPE_FORMAT:
        raise ValueError(f"dtype must be one of {', '.join(ALL_DTYPES)}, got {name!r}")
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def dtype_name(dtype: Any) -> Optional[str]:
    """The name in :data:`ALL_DTYPES` of a numpy dtype (or array, or name), None for any other."""
    if isinstance(dtype, str):
        return dtype if dtype in DTYPE_FORMAT else None
    try:
        name = np.dtype(getattr(dtype, "dtype", dtype)).name
    except TypeError:
        return None
    return name if name in DTYPE_FORMAT else None


def widens_exactly(narrow: str, wide: str) -> bool:
    """Whether every value of dtype ``narrow`` is a value of dtype ``wide``.

    >>> widens_exactly("bfloat16", "float32"), widens_exactly("float16", "bfloat16")
    (True, False)
    """
    (b1, lo1, hi1), (b2, lo2, hi2) = FORMATS[DTYPE_FORMAT[narrow]], FORMATS[DTYPE_FORMAT[wide]]
    return b1 <= b2 and lo1 - b1 >= lo2 - b2 and hi1 <= hi2


def storage(dtype: str, store: Optional[str]) -> Optional[str]:
    """The bound engines' dtype and store arguments checked: the dtype parameters are stored in when it
    differs from the arithmetic's ``dtype`` (None: the same), which must hold every ``store`` value exactly.

    >>> storage("float32", "bfloat16"), storage("float32", "float32")
    ('bfloat16', None)
    >>> storage("float16", "float32")
    Traceback (most recent call last):
    ValueError: store must be a dtype that float16 holds exactly, got 'float32'
    """
    if str(dtype) not in DTYPE_FORMAT:
        raise ValueError(f"dtype must be one of {tuple(DTYPE_FORMAT)}, got {dtype!r}")
    if store is not None and (store not in DTYPE_FORMAT or not widens_exactly(store, str(dtype))):
        raise ValueError(f"store must be a dtype that {dtype} holds exactly, got {store!r}")
    return None if store in (None, str(dtype)) else store


def unit_roundoff(dtype: str) -> Fraction:
    """u = 2^-p of a dtype (p significand bits): 2^-53, 2^-24, 2^-11, 2^-8 (bfloat16).

    >>> unit_roundoff("bfloat16")
    Fraction(1, 256)
    """
    return Fraction(1, 2 ** FORMATS[DTYPE_FORMAT[dtype]][0])


def limits(dtype: str) -> tuple[float, float]:
    """The smallest normal and the largest finite value of a dtype of :data:`ALL_DTYPES`, from
    :data:`FORMATS` (no ``np.finfo``: it refuses ``ml_dtypes.bfloat16`` in ml_dtypes < 0.7).

    >>> limits("float16"), limits("bfloat16")[0] == limits("float32")[0]
    ((6.103515625e-05, 65504.0), True)
    """
    bits, emin, emax = FORMATS[DTYPE_FORMAT[dtype_name(dtype) or component_dtype(str(dtype))]]
    return 2.0**emin, float((2 - Fraction(1, 2 ** (bits - 1))) * Fraction(2) ** emax)


def _round_half_even(num: int, den: int) -> int:
    """Nearest integer to num/den (den > 0), ties to even."""
    q, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and q % 2 == 1):
        q += 1
    return q


def _floor_log2(x: Fraction) -> int:
    """floor(log2(x)) for x > 0, exactly."""
    n, d = x.numerator, x.denominator
    e = n.bit_length() - d.bit_length()  # 2^(e-1) < n/d < 2^(e+1)
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    return e


def _round_binary(x: Fraction, fmt: str) -> Optional[tuple[int, int]]:
    """(m, q) with m * 2^q = |x| rounded to ``fmt`` (ties to even); None beyond its largest finite value."""
    bits, emin, emax = FORMATS[fmt]
    n, d = abs(x.numerator), x.denominator
    q = max(_floor_log2(Fraction(n, d)), emin) - (bits - 1)
    m = _round_half_even(n << -q, d) if q < 0 else _round_half_even(n, d << q)
    if m.bit_length() + q > emax + 1:
        return None
    return m, q


def round_fraction_to_format(x: Fraction, fmt: str) -> Fraction:
    """``x`` rounded to the nearest value of an IEEE binary format (ties to even), exactly.

    Subnormals are handled; a result beyond the largest finite value raises ``OverflowError``.
    """
    if x == 0:
        return Fraction(0)
    found = _round_binary(x, fmt)
    if found is None:
        raise OverflowError(f"{float(x)!r} overflows {fmt}")
    m, q = found
    out = Fraction(m << q) if q >= 0 else Fraction(m, 1 << -q)
    return out if x > 0 else -out


def to_float_exact(x: Fraction, fmt: str = "binary64") -> float:
    """The correctly rounded value of ``x`` in ``fmt``, as a Python float (inf on overflow)."""
    if x == 0:
        return 0.0
    found = _round_binary(x, fmt)
    out = math.inf if found is None else math.ldexp(*found)
    return out if x > 0 else -out


def double_double(x: Fraction) -> tuple[float, float]:
    """``x`` as hi + lo: hi its nearest double, lo the double nearest to the rest (as the bound engines
    and the conformance reference store exact values).

    >>> double_double(Fraction(1, 10))
    (0.1, -5.551115123125783e-18)
    """
    hi = to_float_exact(x)
    return (hi, to_float_exact(x - Fraction(hi))) if math.isfinite(hi) else (hi, 0.0)


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


def certified_decimal(lo: Fraction, hi: Fraction, digits: int, extra: int = 0) -> Optional[str]:
    """The shortest rounding with ``digits`` to ``digits + extra`` significant digits that lo and hi share.

    By monotonicity of rounding it is then the correctly rounded decimal of every
    value in [lo, hi].  Checked at exactly the length returned: agreement at d
    digits does not imply agreement at a shorter length (an exact value such as
    1.25 is a tie at 2 digits).  ``format_sci(lo, digits)`` when lo == hi; None when
    no such length agrees (or the interval straddles zero).

    >>> certified_decimal(Fraction(1249, 1000), Fraction(1251, 1000), 2) is None
    True
    """
    if lo == hi:
        return format_sci(lo, digits)
    if lo <= 0 <= hi:
        return None
    for d in range(digits, digits + extra + 1):
        text = format_sci(lo, d)
        if format_sci(hi, d) == text:
            return text
    return None


def reround(dec: str, digits: int, where: str) -> str:
    """A published correctly rounded decimal, rounded again to ``digits`` (refuses a tie)."""
    if dec == "0":
        return "0"
    value = Fraction(dec)
    have = len(dec.split("e")[0].replace("-", "").replace(".", ""))
    if digits == have:
        return dec
    _, _, e = round_decimal(value, have)  # exact: the value has ``have`` digits
    if (abs(value) * Fraction(10) ** (digits - 1 - e)).denominator == 2:
        raise ValueError(f"{where}: the published {have}-digit value {dec} is a rounding tie at {digits} digits; "
                         f"the exact value's {digits}-digit rounding is not certified by it")
    return format_sci(value, digits)
