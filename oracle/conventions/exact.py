"""Exact numbers of a convention: a hyperparameter as its exact rational value, and the float32 rounding of
hyperparameters that some frameworks apply (the ``hyperparameters`` field).

>>> to_fraction("0.1"), round_to_float32(Fraction(1, 3))
(Fraction(1, 10), Fraction(11184811, 33554432))
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable, Union

from ..rounding import round_fraction_to_format

Number = Union[float, int, str, Fraction]
"""A hyperparameter or input value: taken exactly (a float is its binary value)."""

HYPERPARAMETERS = ("lr", "rho", "eps", "v0", "momentum", "weight_decay")


def to_fraction(value: object, field: str = "value") -> Fraction:
    """Return the exact rational value of ``value``.

    A Python float (or numpy floating scalar) is its exact binary value, a
    string is read as an exact decimal, a Fraction or int is itself.  NaN,
    infinities, booleans and anything else raise ``ValueError`` naming ``field``.

    >>> to_fraction("0.1")
    Fraction(1, 10)
    >>> to_fraction(0.5)
    Fraction(1, 2)
    >>> to_fraction(float("nan"), "eps")
    Traceback (most recent call last):
    ...
    ValueError: eps must be a finite number, got nan
    """
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str):
        try:
            out = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{field} must be a finite number, got {value!r}") from None
        return out
    try:
        f = float(value)  # numpy scalars, mpf with exact float value
    except (TypeError, ValueError):
        raise ValueError(f"{field} must be a number, got {value!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{field} must be a finite number, got {value!r}")
    if hasattr(value, "dtype") and (getattr(value.dtype, "kind", "f") in "fiu"
                                    or getattr(value.dtype, "name", "") == "bfloat16"):
        return Fraction(f)  # numpy float16/32/64 (and ml_dtypes bfloat16) scalars are exact in binary64
    if isinstance(value, float):
        return Fraction(value)
    raise ValueError(f"{field} must be a number, got {value!r}")


def round_to_float32(x: Fraction) -> Fraction:
    """Round an exact value to the nearest binary32 (ties to even), exactly."""
    return round_fraction_to_format(x, "binary32")


def rounded_names(mode: str) -> frozenset:
    """The hyperparameters a ``hyperparameters`` mode rounds to float32.

    >>> sorted(rounded_names("float32:rho+eps"))
    ['eps', 'rho']
    >>> rounded_names("float32_lr"), rounded_names("exact")
    (frozenset({'lr'}), frozenset())
    """
    if mode == "exact":
        return frozenset()
    if mode == "float32":
        return frozenset(HYPERPARAMETERS)
    if mode == "float32_lr":
        return frozenset({"lr"})
    names = mode[len("float32:"):].split("+") if isinstance(mode, str) and mode.startswith("float32:") else None
    if not names or any(n not in HYPERPARAMETERS for n in names):
        raise ValueError(
            "hyperparameters must be 'exact', 'float32', 'float32_lr' or 'float32:NAMES' "
            f"(NAMES joined by + from {', '.join(HYPERPARAMETERS)}), got {mode!r}"
        )
    return frozenset(names)


def rounding_mode(names: Iterable[str]) -> str:
    """The canonical ``hyperparameters`` mode rounding exactly ``names`` to float32.

    >>> rounding_mode(["momentum", "rho"]), rounding_mode(["lr"]), rounding_mode([])
    ('float32:rho+momentum', 'float32_lr', 'exact')
    """
    names = set(names)
    if not names:
        return "exact"
    if names == {"lr"}:
        return "float32_lr"
    if names == set(HYPERPARAMETERS):
        return "float32"
    return "float32:" + "+".join(n for n in HYPERPARAMETERS if n in names)


