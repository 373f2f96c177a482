"""Grading a float result against the reference: ULPs, LRE, the bound ratio, and the horizon.

The one implementation of these measures, vectorized over numpy arrays; the
conformance grading, the pictures and the float-versus-bound runs all use it.
An exact value is given as a float64 pair ``hi + lo`` (the nearest double and
the rest, as the bound engines split their values), ``got`` in any float dtype:

* error: |got - exact| = |(got - hi) - lo| (infinite for a non-finite ``got``);
* ULP error: the error in units of the last place of the exact value in the
  candidate's dtype (the spacing of that format at |hi|, the subnormal spacing
  below the normal range), as a fraction (not rounded);
* LRE, log relative error (NIST StRD): -log10(error / |exact|), capped at the
  dtype's digits and at 0 (-log10(error) when the exact value is 0);
* ratio to the bound: error / bound, the bound from :mod:`oracle.engines.bound.errorbound`
  (0 where the error is 0 or the bound is infinite: it makes no claim there).
  A float implementation of the convention passes when every ratio is <= 1.
* the horizon: a value is *compared* while its bound is finite and at most
  u^(1/3) of the exact value (two thirds of the dtype's digits), or below the
  dtype's smallest normal number N; the *horizon* of a run is the last step at
  which every parameter element is still compared.  Where the arithmetic may
  flush subnormals to zero (``Convention.subnormals``) each operation may lose up
  to N, so the absolute clause is u^(-1/3) N instead (2^17.7 N in float64, 2^8 N
  in float32): values near and below N stay compared, against that looser bound.

>>> import numpy as np
>>> err = abs_error(np.float64(0.1), 0.1, -5.551115123125783e-18)  # the exact 1/10 is hi + lo
>>> float(ulp_error(err, 0.1, "float64")) < 0.5, float(lre(err, 0.1, "float64"))
(True, 15.95)
>>> round(float(lre(abs_error(0.3, 0.3000003), 0.3000003, "float64")), 3)
6.0
>>> compared(np.array([1.0, 1.0]), np.array([1e-6, 1e-5]), "float64").tolist()
[True, False]
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .algorithm import GradFn, iterate
from .conventions import Convention
from .engines.bound.errorbound import ErrorBoundArith
from .engines.floating import FloatArith
from .rounding import DTYPE_FORMAT, FORMATS

DIGITS = {"float64": 15.95, "float32": 7.22, "float16": 3.31, "bfloat16": 2.41}
"""log10(2^p): the most digits a dtype can carry, the cap of LRE."""


def horizon_limit(dtype: str) -> float:
    """u^(1/3) for the dtype (u = 2^-p): a relative error bound above it ends the comparison.

    Past it two thirds of the dtype's digits are gone: an implementation in that
    dtype can no longer be held to the exact trajectory (the *horizon*): 4.8e-6,
    3.9e-3, 0.079, 0.16 for float64, float32, float16, bfloat16.
    """
    bits, _, _ = FORMATS[DTYPE_FORMAT[dtype]]
    return 2.0 ** (-bits / 3)


def ulp(hi: Any, dtype: str) -> np.ndarray:
    """Spacing of the dtype's floats at |hi| (the subnormal spacing near zero), as float64."""
    bits, emin, _ = FORMATS[DTYPE_FORMAT[dtype]]
    hi = np.asarray(hi, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.where(hi == 0, emin, np.maximum(np.frexp(np.abs(hi))[1] - 1, emin))
    return np.ldexp(1.0, (e - bits + 1).astype(int))


def abs_error(got: Any, hi: Any, lo: Any = 0.0) -> np.ndarray:
    """|got - (hi + lo)| in float64; infinite where ``got`` is not finite."""
    got = np.asarray(got).astype(np.float64)
    with np.errstate(all="ignore"):
        e = np.abs((got - hi) - lo)
    return np.where(np.isfinite(got), e, np.inf)


def ulp_error(err: Any, hi: Any, dtype: str) -> np.ndarray:
    """An error in ULPs of ``dtype`` at the exact value ``hi``."""
    return np.asarray(err, dtype=np.float64) / ulp(hi, dtype)


def lre(err: Any, hi: Any, dtype: str) -> np.ndarray:
    """Digits correct, NIST style: -log10 of the relative error, capped at the dtype's digits (0 at worst)."""
    cap = DIGITS[dtype]
    err, hi = np.asarray(err, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    with np.errstate(all="ignore"):
        rel = np.where(hi == 0, err, err / np.abs(hi))
        return np.clip(np.where(rel == 0, cap, -np.log10(rel)), 0.0, cap) + 0.0  # + 0.0: no -0.0 (rel = 1)


def bound_ratio(err: Any, bound: Any) -> np.ndarray:
    """err / bound: 0 where the error is 0 or the bound infinite (no claim), infinite for an error past a zero bound."""
    err, bound = np.asarray(err, dtype=np.float64), np.asarray(bound, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.where((err == 0) | np.isinf(bound), 0.0, err / bound)


def compared(hi: Any, bound: Any, dtype: str, before: Optional[np.ndarray] = None, *,
             flush: bool = False) -> np.ndarray:
    """Which values are within the horizon: finite bound <= u^(1/3) |exact| or below the smallest normal
    N (``flush``: the arithmetic may flush subnormals to zero, below u^(-1/3) N).

    ``before``: the mask of the previous step; a value dropped once stays dropped.

    >>> tiny = 2.0**-1022
    >>> compared([tiny], [3 * tiny], "float64").tolist(), compared([tiny], [3 * tiny], "float64", flush=True).tolist()
    ([False], [True])
    """
    _, emin, _ = FORMATS[DTYPE_FORMAT[dtype]]
    hi, bound = np.asarray(hi, dtype=np.float64), np.asarray(bound, dtype=np.float64)
    floor = 2.0**emin / horizon_limit(dtype) if flush else 2.0**emin
    ok = np.isfinite(bound) & ((bound <= horizon_limit(dtype) * np.abs(hi)) | (bound <= floor))
    return ok if before is None else ok & before


def horizon(conv: Convention, dtype: str, params0: Sequence[Any], *, steps: int,
            grads: Optional[Sequence] = None, grad_fn: Optional[GradFn] = None) -> Optional[int]:
    """The last step at which every parameter element of the run is compared (None: to the end).

    The bound is :class:`~oracle.engines.bound.errorbound.ErrorBoundArith`'s for parameters in ``dtype``
    (state in ``conv.state_dtype(dtype)``); the run stops at the first step past the horizon.
    """
    ar = ErrorBoundArith(conv.state_dtype(dtype), store=dtype, subnormals=conv.subnormals)
    flush = conv.run_flushes(dtype)
    for rec in iterate(conv, ar, params0, steps=steps, grads=grads, grad_fn=grad_fn):
        for p in rec["params"]:
            hi, _, bound = ar.split(p)
            if not compared(hi, bound, dtype, flush=flush).all():
                return rec["step"] - 1
    return None


def float_vs_bound(conv: Convention, dtype: str, params0: Sequence[Any], *, steps: int,
                   grads: Optional[Sequence] = None, grad_fn: Optional[GradFn] = None) -> dict:
    """Run the float backend and the error bound side by side; grade every value.

    Returns ``{"ratio": [...], "rel_bound": [...], "horizon": int | None,
    "worst_ratio": float}``: per step, the largest |float - exact| / bound over
    all parameter and state elements (:func:`bound_ratio`), and the largest relative
    bound of a parameter; ``horizon`` as :func:`horizon` (None if every parameter is
    compared to the end).  Past the horizon an implementation in that dtype cannot
    be held to the exact trajectory; the bound stays a bound but is too wide to mean
    anything.  Under a convention whose ``subnormals`` names the dtype, the float backend flushes
    subnormals to zero and the bound is the flush-to-zero one.
    """
    state = conv.state_dtype(dtype)  # parameters in dtype, state (and the update) in this one
    far = FloatArith(state, store=dtype, subnormals=conv.subnormals)
    bar = ErrorBoundArith(state, store=dtype, subnormals=conv.subnormals)
    flush = conv.run_flushes(dtype)
    with np.errstate(all="ignore"):  # IEEE semantics: overflow to inf, 0/0 to nan
        frec = list(iterate(conv, far, params0, steps=steps, grads=grads, grad_fn=grad_fn))
    brec = iterate(conv, bar, params0, steps=steps, grads=grads, grad_fn=grad_fn)
    ratios, rel_bounds, last = [], [], None
    for fr, br in zip(frec, brec):
        worst, rel, alive = 0.0, 0.0, True
        groups = [(fr["params"], br["params"], True)]
        groups += [(fr["state"][k], br["state"][k], False) for k in fr["state"]]
        for floats, bounded, is_param in groups:
            for got, b in zip(floats, bounded):
                hi, lo, bound = bar.split(b)
                worst = max(worst, float(np.max(bound_ratio(abs_error(got, hi, lo), bound), initial=0.0)))
                if is_param:
                    with np.errstate(all="ignore"):
                        r = np.where(hi == 0, bound, bound / np.abs(hi))
                    rel = max(rel, float(np.max(r, initial=0.0)))
                    alive = alive and bool(compared(hi, bound, dtype, flush=flush).all())
        ratios.append(worst)
        rel_bounds.append(rel)
        if last is None and not alive:
            last = fr["step"] - 1
    return {"ratio": ratios, "rel_bound": rel_bounds, "horizon": last, "worst_ratio": max(ratios)}
