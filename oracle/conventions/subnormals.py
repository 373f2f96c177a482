"""The ``subnormals`` field: which dtypes keep gradual underflow and which flush subnormals to zero.

IEEE 754 arithmetic underflows *gradually*: a result below the smallest normal number
N (2^-1022, 2^-126, 2^-14, 2^-126 for float64, float32, float16, bfloat16) is rounded to a
subnormal number, with an absolute error of at most half the smallest subnormal.  Many CPU
kernels set the flush-to-zero (FTZ) and denormals-are-zero (DAZ) modes instead (TensorFlow
and XLA on x86 do, for float32, float64 and bfloat16: ``tf.constant(1e-310, tf.float64) * 1``
is 0): a result below N may become zero, and a subnormal input may be read as zero.

The field takes one of

* ``"gradual"`` (the default): IEEE gradual underflow in every dtype;
* ``"flush"``: every dtype may flush;
* ``"flush:NAMES"``: exactly the named dtypes (joined by ``+``, from float64, float32, float16,
  bfloat16) may flush, e.g. ``flush:float64+float32+bfloat16`` (float16 arithmetic computed in
  float32 and converted back keeps its subnormals).

*May* flush: with ``"flush"`` a result below N, and an input below N, may be replaced by a zero of
either sign, or kept; the error bound covers both.  The exact reference does not change.

>>> flush_dtypes("flush:float32+float64"), flushes("flush:float32+float64", "float16")
(('float64', 'float32'), False)
>>> subnormals_mode(["bfloat16", "float32", "float64", "float16"]), subnormals_mode([])
('flush', 'gradual')
>>> flush_dtypes("flush:float8")
Traceback (most recent call last):
...
ValueError: subnormals must be 'gradual', 'flush' or 'flush:NAMES' (NAMES joined by + from float64, float32, float16, bfloat16), got 'flush:float8'
"""

from __future__ import annotations

from typing import Iterable

from ..rounding import ALL_DTYPES

SUBNORMAL_MODES = ("gradual", "flush")
"""The two readings; ``flush:NAMES`` restricts the flush to some dtypes."""


def flush_dtypes(mode: str) -> tuple[str, ...]:
    """The dtypes that may flush subnormals under ``mode`` (in :data:`oracle.rounding.ALL_DTYPES` order)."""
    if mode == "gradual":
        return ()
    if mode == "flush":
        return ALL_DTYPES
    names = mode[len("flush:"):].split("+") if isinstance(mode, str) and mode.startswith("flush:") else None
    if not names or any(n not in ALL_DTYPES for n in names) or len(set(names)) != len(names):
        raise ValueError("subnormals must be 'gradual', 'flush' or 'flush:NAMES' (NAMES joined by + from "
                         f"{', '.join(ALL_DTYPES)}), got {mode!r}")
    return tuple(d for d in ALL_DTYPES if d in names)


def subnormals_mode(dtypes: Iterable[str]) -> str:
    """The canonical ``subnormals`` value under which exactly ``dtypes`` flush."""
    names = set(dtypes)
    if not names:
        return "gradual"
    ordered = flush_dtypes("flush:" + "+".join(sorted(names)))  # ALL_DTYPES order; a name that is no dtype: ValueError
    return "flush" if len(ordered) == len(ALL_DTYPES) else "flush:" + "+".join(ordered)


def flushes(mode: str, dtype: str) -> bool:
    """Whether arithmetic in ``dtype`` may flush subnormals to zero under ``mode``."""
    return str(dtype) in flush_dtypes(mode)
