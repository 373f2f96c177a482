"""The certified reference: RMSProp in rigorous mpmath interval arithmetic.

Method (this is what "certified" means everywhere in the package):

1. Every input (hyperparameter, initial parameter, gradient) is an exact
   rational: a Python float is its binary value, a decimal string its decimal
   value.  It enters as the tightest interval of the working precision that
   contains it (a point when it is representable).
2. :func:`oracle.algorithm.step` runs in a *private* ``mpmath`` interval
   context (``MPIntervalContext``, never the global ``mpmath.iv``), whose
   operations round outward: each computed interval contains the exact real
   value of the same expression.  The centered variance v - m^2, which is
   >= 0 in real arithmetic (m is a weighted mean of gradients whose weights sum
   to at most 1), is intersected with [0, inf).
3. A value's *certified significant digits* d is the largest d for which both
   endpoints of its interval round (to nearest, ties to even) to the same
   d-digit decimal.  Rounding is monotone, so that decimal is the correctly
   rounded d-digit value of the exact result.  A shorter length is published
   only after the same check at that length (it can fail at a rounding tie).  Likewise a binary64/binary32
   value is published only when both endpoints round to the same float: it is
   then the correctly rounded float of the exact value.
4. If any published value has fewer certified digits than asked for, the run
   is repeated at twice the precision (closed-loop runs lose digits to the
   dynamics and to interval overestimation), up to ``max_prec`` bits.

No digit is ever shown that is not certified by step 3.

This mpmath path is the definition and the last rung of the certified ladder
(:mod:`.ladder`, ``certified_run``), which runs the same method in a faster engine when one is
available (:mod:`.arb`, :mod:`.jitarb`); every engine publishes the same certified digits.  This
module imports nothing faster than itself.

>>> from oracle.conventions import preset
>>> from oracle.algorithm import simulate
>>> recs = simulate(preset("seed"), IntervalArith(128), [["0"]], grads=[[["-8"]]], steps=1)
>>> certified_value(recs[1]["params"][0][0]).sci(30)
'3.16227765769784991288749885395e-1'
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Optional, Sequence

import mpmath.libmp as libmp
import numpy as np
from mpmath.ctx_iv import MPIntervalContext

from ... import algorithm
from ...conventions import Convention
from .._objarray import exact_array, map_array, scalar
from ..certified import Attempt, CertifiedRun, CertifiedValue

__all__ = ["IntervalArith", "certified_value", "certify_array", "mpf_to_fraction", "start"]


def mpf_to_fraction(x: Any) -> Optional[Fraction]:
    """The exact value of an mpmath mpf (or raw mpf tuple); None for inf and nan."""
    raw = getattr(x, "_mpf_", x)
    if raw in (libmp.finf, libmp.fninf, libmp.fnan):
        return None
    p, q = libmp.to_rational(raw)
    return Fraction(p, q)


def certified_value(x: Any, cap: int = 80) -> CertifiedValue:
    """The value an mpmath interval encloses, its endpoints exact (``cap``: the most digits counted)."""
    lo, hi = x._mpi_
    return CertifiedValue(mpf_to_fraction(lo), mpf_to_fraction(hi), cap)


class IntervalArith:
    """Outward-rounded interval arithmetic at ``prec`` bits, in a private context."""

    def __init__(self, prec: int) -> None:
        self.ctx = MPIntervalContext()
        self.ctx.prec = prec
        self.prec = prec

    def number(self, x: Fraction) -> Any:
        """The tightest interval of the working precision containing ``x``."""
        ctx = self.ctx
        if x.denominator == 1:
            return ctx.mpf(x.numerator)
        return ctx.mpf(x.numerator) / ctx.mpf(x.denominator)

    def const(self, x: Fraction) -> np.ndarray:
        return scalar(self.number(x))

    def array(self, values: Any) -> np.ndarray:
        return map_array(self.number, exact_array(values))

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return map_array(self.ctx.sqrt, a)

    def nonneg(self, a: np.ndarray) -> np.ndarray:
        def clamp(x: Any) -> Any:
            lo, hi = x._mpi_
            if libmp.mpf_lt(hi, libmp.fzero):
                raise ArithmeticError("a quantity that is >= 0 in real arithmetic has a negative enclosure")
            if libmp.mpf_lt(lo, libmp.fzero):
                return self.ctx.make_mpf((libmp.fzero, hi))
            return x

        return map_array(clamp, a)

    def certify(self, x: Any, cap: int = 80) -> CertifiedValue:
        """The :class:`CertifiedValue` of one number of this context (a loss a gradient function computed)."""
        return certified_value(x, cap)


def certify_array(a: np.ndarray, cap: int) -> np.ndarray:
    """An object array of :class:`CertifiedValue` of the same shape."""
    return map_array(lambda x: certified_value(x, cap), a)


def start(conv: Convention, params0: Sequence[Any], *, steps: int, grads: Sequence[Sequence[Any]] | None = None,
          grad_fn: algorithm.GradFn | None = None, digits: int = 50,
          stages: algorithm.Stages = algorithm.RMSPROP) -> Callable[[int], Attempt]:
    """This engine's rung of the ladder: ``attempt(bits)`` runs at ``bits`` and certifies every value
    (steps 1-3 of the method; :mod:`.ladder` runs step 4, the precision loop)."""
    cap = digits + 10

    def attempt(bits: int) -> Attempt:
        records = algorithm.simulate(conv, IntervalArith(bits), params0, steps=steps, grads=grads, grad_fn=grad_fn,
                                     stages=stages)
        out = []
        for rec in records:
            out.append(
                {
                    "step": rec["step"],
                    "grads": None if rec["grads"] is None else [certify_array(g, cap) for g in rec["grads"]],
                    "params": [certify_array(p, cap) for p in rec["params"]],
                    "state": {k: [certify_array(a, cap) for a in v] for k, v in rec["state"].items()},
                }
            )
        run = CertifiedRun(conv, steps, bits, digits, out)
        worst = run.min_digits()
        return Attempt(out, worst, run.first_unbounded() if worst < digits else None)

    return attempt
