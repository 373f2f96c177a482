"""Exact rounding: agrees with the platform's correctly rounded conversions."""

from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oracle.rounding import agreeing_digits, format_fixed, format_sci, round_decimal, round_fraction_to_format

fractions = st.fractions(min_value=Fraction(-10**30), max_value=Fraction(10**30), max_denominator=10**40).filter(
    lambda f: f != 0
)


@given(fractions)
def test_binary64_rounding_matches_python(x):
    """Rounding to binary64 equals float(Fraction), which CPython rounds correctly."""
    assert float(round_fraction_to_format(x, "binary64")) == float(x)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-3e38, max_value=3e38))
def test_binary32_rounding_matches_numpy(f):
    """Rounding an exact double to binary32 equals numpy's float64 -> float32 cast."""
    assert float(round_fraction_to_format(Fraction(f), "binary32")) == float(np.float32(f))


def test_subnormals_and_overflow():
    """The smallest binary32 subnormal survives; a value past the largest finite overflows."""
    tiny = Fraction(2) ** -149
    assert round_fraction_to_format(tiny * Fraction(3, 4), "binary32") == tiny
    assert round_fraction_to_format(tiny / 4, "binary32") == 0
    with pytest.raises(OverflowError):
        round_fraction_to_format(Fraction(70000), "binary16")


@given(fractions, st.integers(1, 40))
def test_decimal_rounding_matches_decimal_module(x, digits):
    """Rounding to d significant digits equals Python's decimal with ROUND_HALF_EVEN."""
    ctx = Context(prec=digits, rounding=ROUND_HALF_EVEN)
    expected = ctx.divide(Decimal(x.numerator), Decimal(x.denominator))
    sign, n, e = round_decimal(x, digits)
    got = Decimal(f"{'-' if sign < 0 else ''}{n}E{e - digits + 1}")
    assert got == expected


def test_formats():
    """Scientific and fixed formatting round half to even like '%.nf' on the exact value."""
    assert format_sci(Fraction(2, 3), 5) == "6.6667e-1"
    assert format_sci(Fraction(-1), 3) == "-1.00e0"
    assert format_fixed(Fraction(5, 2), 0) == "2"
    assert format_fixed(Fraction(-1, 3), 3) == "-0.333"
    assert format_fixed(Fraction(0.125), 2) == "%.2f" % 0.125


def test_agreeing_digits():
    """Digits agree up to where the endpoints' roundings differ; zero straddles certify nothing."""
    assert agreeing_digits(Fraction(123456, 10**6), Fraction(123458, 10**6), 20) == 5
    assert agreeing_digits(Fraction(-1, 10), Fraction(1, 10), 20) == 0
    assert agreeing_digits(Fraction(0), Fraction(0), 20) is None
    assert agreeing_digits(Fraction(1, 3), Fraction(1, 3), 20) == 20
