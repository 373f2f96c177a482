"""Grading a float result against the reference: ULPs, LRE, and the error bound.

* ULP error: |got - exact| in units of the last place of the exact value in
  the candidate's dtype (the spacing of that format at |exact|, subnormal
  spacing below the normal range), as a fraction (not rounded).
* LRE, log relative error (NIST StRD): -log10(|got - exact| / |exact|),
  capped at the dtype's digits; -log10|got - exact| when exact = 0.
* Ratio to the bound: |got - exact| / bound, from :mod:`oracle.engines.errorbound`.
  A float implementation of the convention passes when every ratio is <= 1.

>>> ulp_error(0.1, Fraction(1, 10), "float64") < 0.5
True
>>> round(lre(0.3, Fraction(3, 10) * (1 + Fraction(1, 10**6)), "float64"), 3)
6.0
"""

from __future__ import annotations

import math
from fractions import Fraction

from .rounding import DTYPE_FORMAT, FORMATS, _floor_log2, mpf_to_fraction

DIGITS = {"float64": 15.95, "float32": 7.22, "float16": 3.31}
"""log10(2^p): the most digits a dtype can carry, the cap of LRE."""


def horizon_limit(dtype: str) -> float:
    """u^(1/3) for the dtype (u = 2^-p): a relative error bound above it ends the comparison.

    Past it two thirds of the dtype's digits are gone: an implementation in that
    dtype can no longer be held to the exact trajectory (the *horizon*).
    """
    bits, _, _ = FORMATS[DTYPE_FORMAT[dtype]]
    return 2.0 ** (-bits / 3)


def ulp(exact: Fraction, dtype: str) -> Fraction:
    """Spacing of the dtype's floats at |exact| (the subnormal spacing near zero)."""
    bits, emin, _ = FORMATS[DTYPE_FORMAT[dtype]]
    e = emin if exact == 0 else max(_floor_log2(abs(exact)), emin)
    return Fraction(2) ** (e - bits + 1)


def abs_error(got: float, exact: Fraction) -> float:
    """|got - exact| as a float (inf for a non-finite ``got``)."""
    if not math.isfinite(got):
        return math.inf
    return float(abs(Fraction(got) - exact))


def ulp_error(got: float, exact: Fraction, dtype: str) -> float:
    if not math.isfinite(got):
        return math.inf
    return float(abs(Fraction(got) - exact) / ulp(exact, dtype))


def lre(got: float, exact: Fraction, dtype: str) -> float:
    """Digits correct, NIST style: -log10 of the relative error, capped at the dtype's digits."""
    cap = DIGITS[dtype]
    if not math.isfinite(got):
        return 0.0
    err = abs(Fraction(got) - exact)
    if err == 0:
        return cap
    rel = err / abs(exact) if exact != 0 else err
    value = -(math.log10(rel.numerator) - math.log10(rel.denominator))
    return max(0.0, min(cap, value))


def float_vs_bound(conv, dtype: str, params0, *, steps: int, grads=None, grad_fn=None) -> dict:
    """Run the float backend and the error bound side by side; grade every value.

    Returns ``{"ratio": [...], "rel_bound": [...], "horizon": int | None,
    "worst_ratio": float}``: per step, the largest |float - exact| / bound over
    all parameter and state elements, and the largest relative bound of a
    parameter; ``horizon`` is the last step before a parameter's relative
    bound first exceeds u^(1/3) (two thirds of the dtype's digits lost: 4.8e-6,
    3.9e-3, 0.079 for float64, float32, float16), None if it never does.  Past
    the horizon an implementation in that dtype cannot be held to the exact
    trajectory; the bound stays a bound but is too wide to mean anything.
    """
    import numpy as np

    from .algorithm import simulate
    from .engines.errorbound import ErrorBoundArith
    from .engines.floating import FloatArith

    far, bar = FloatArith(dtype), ErrorBoundArith(dtype)
    with np.errstate(all="ignore"):  # IEEE semantics: overflow to inf, 0/0 to nan
        frec = simulate(conv, far, params0, steps=steps, grads=grads, grad_fn=grad_fn)
    brec = simulate(conv, bar, params0, steps=steps, grads=grads, grad_fn=grad_fn)
    limit = horizon_limit(dtype)
    ratios, rel_bounds, horizon = [], [], None
    with np.errstate(all="ignore"):
        for fr, br in zip(frec, brec):
            worst, rel = 0.0, 0.0
            pairs = list(zip(fr["params"], br["params"]))
            for name in fr["state"]:
                pairs += list(zip(fr["state"][name], br["state"][name]))
            for k, (fa, ba) in enumerate(pairs):
                for got, b in zip(np.asarray(fa).reshape(-1), np.asarray(ba, dtype=object).reshape(-1)):
                    err = abs_error(float(got), mpf_to_fraction(b.val))
                    bound = float(b.err)
                    if math.isinf(bound):
                        ratio = 0.0  # the bound makes no claim here (past the horizon)
                    elif bound > 0:
                        ratio = err / bound
                    else:
                        ratio = 0.0 if err == 0 else math.inf
                    worst = max(worst, ratio)
                    if k < len(fr["params"]):
                        rel = max(rel, bound / abs(float(b.val)) if b.val != 0 else bound)
            ratios.append(worst)
            rel_bounds.append(rel)
            if horizon is None and rel > limit:
                horizon = fr["step"] - 1
    return {"ratio": ratios, "rel_bound": rel_bounds, "horizon": horizon, "worst_ratio": max(ratios)}
