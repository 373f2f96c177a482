"""What every adapter checks of the parameters it is given (numpy only)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

DTYPES = ("float64", "float32", "float16")


def check_params(params: Sequence[np.ndarray]) -> np.dtype:
    """The one float dtype of a non-empty list of arrays (``ValueError`` naming what is wrong)."""
    if len(params) == 0:
        raise ValueError("params must be a non-empty list of numpy arrays")
    dtypes = {np.asarray(p).dtype for p in params}
    if len(dtypes) != 1:
        raise ValueError(f"params must share one dtype, got {sorted(str(d) for d in dtypes)}")
    (dtype,) = dtypes
    if dtype.name not in DTYPES:
        raise ValueError(f"params dtype must be one of {DTYPES}, got {dtype.name}")
    return dtype
