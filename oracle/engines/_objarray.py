"""Helpers for numpy object arrays of context numbers."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..conventions import to_fraction


def exact_array(values: Any, field: str = "value") -> np.ndarray:
    """An object array of exact Fractions from numbers, decimal strings or a numpy array."""
    src = np.asarray(values, dtype=object)
    return map_array(lambda x: to_fraction(x, field), src)


def map_array(fn: Callable[[Any], Any], a: np.ndarray) -> np.ndarray:
    """Apply ``fn`` to every element of an array, giving an object array of the same shape."""
    out = np.empty(np.shape(a), dtype=object)
    flat_out = out.reshape(-1)
    for k, x in enumerate(np.asarray(a, dtype=object).reshape(-1)):
        flat_out[k] = fn(x)
    return out


def scalar(x: Any) -> np.ndarray:
    """A 0-d object array holding ``x``: combines elementwise with object arrays.

    (mpmath and sympy numbers raise, rather than defer, when multiplied by an array.)
    """
    out = np.empty((), dtype=object)
    out[()] = x
    return out
