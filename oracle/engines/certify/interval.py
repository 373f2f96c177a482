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

This mpmath path is the definition and the fallback.  ``certified_run`` runs
the same method in a faster engine when one is available: ``engine="arb"``
(python-flint Arb balls, the default when installed: compiled by
:mod:`.jitarb` when numba is installed, the run can be traced and is large
enough to pay for loading the compiled loop, else :mod:`.arb`'s object
arrays; both compute the same balls), ``engine="arb-jit"`` (compiled
whenever the run can be traced) or ``"arb-objects"`` (object arrays only) or
``engine="mpmath"`` (this module); the environment variable ``ORACLE_ENGINE``
sets the default (``auto``, ``arb``, ``arb-jit``, ``arb-objects`` or
``mpmath``).  Every engine publishes the same certified digits.

>>> from oracle.conventions import preset
>>> run = certified_run(preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30)
>>> run.records[1]["params"][0][0].sci(30)
'3.16227765769784991288749885395e-1'
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, Optional, Sequence

import mpmath.libmp as libmp
import numpy as np
from mpmath.ctx_iv import MPIntervalContext

from ... import algorithm
from ...conventions import Convention
from .._objarray import exact_array, map_array, scalar
from ..certified import CertifiedRun, CertifiedValue, certified_precision, check_digits, exhausted, undefined

__all__ = ["CertifiedRun", "CertifiedValue", "ENGINES", "IntervalArith", "certified_precision", "certified_run",
           "certified_value", "mpf_to_fraction", "resolve_engine"]


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


ENGINES = ("auto", "arb", "arb-jit", "arb-objects", "mpmath")


def resolve_engine(engine: Optional[str] = None) -> str:
    """The engine to run: ``engine``, else ``$ORACLE_ENGINE``, else ``auto`` (arb when installed)."""
    name = engine or os.environ.get("ORACLE_ENGINE") or "auto"
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")
    if name == "mpmath":
        return name
    try:
        from . import arb  # noqa: F401  (python-flint is an optional extra)
    except ImportError:
        if name != "auto":
            raise ImportError(f"engine={name!r} needs python-flint: pip install 'rmsprop-oracle[flint]'") from None
        return "mpmath"
    if name == "arb-jit" and not _jit_arb():
        raise ImportError("engine='arb-jit' needs numba and python-flint's library: pip install 'rmsprop-oracle[jit]'"
                          + (f" ({_jit_reason()})" if _jit_reason() else ""))
    return name if name in ("arb-jit", "arb-objects") else "arb"


def _jit_arb() -> bool:
    try:
        from . import jitarb
    except ImportError:
        return False
    return jitarb.available()


def _jit_reason() -> str:
    try:
        from . import jitarb
    except ImportError as exc:
        return str(exc)
    return jitarb.unavailable_reason()


def certified_run(
    conv: Convention,
    params0: Sequence[Any],
    *,
    steps: int,
    grads: Sequence[Sequence[Any]] | None = None,
    grad_fn: algorithm.GradFn | None = None,
    digits: int = 50,
    prec: Optional[int] = None,
    max_prec: int = 1 << 16,
    engine: Optional[str] = None,
    stages: algorithm.Stages = algorithm.RMSPROP,
) -> CertifiedRun:
    """Run RMSProp in interval arithmetic until every value has ``digits`` certified digits.

    Starts at ``prec`` bits (default: enough for ``digits`` plus a margin that
    grows with ``steps``) and doubles the precision until every nonzero
    parameter, state and gradient value has at least ``digits`` certified
    significant digits; raises ``ArithmeticError`` past ``max_prec``.
    ``engine`` picks the arithmetic (:func:`resolve_engine`); this function's
    own loop below is the mpmath definition.  ``stages`` runs a variant of the
    update (:class:`oracle.algorithm.Stages`).
    """
    name = resolve_engine(engine)
    if name in ("arb", "arb-jit") and stages is algorithm.RMSPROP and _jit_arb():
        from .. import trace
        from . import jitarb

        # compiled where it applies (a stateful gradient function is never called on traced values) and,
        # for "arb", where it pays: the first compiled run of a process loads the compiled loop (~1 s)
        if trace.pure(grad_fn) and (name == "arb-jit" or jitarb.worth(params0, steps)):
            try:
                return jitarb.certified_run_jit(conv, params0, steps=steps, grads=grads, grad_fn=grad_fn,
                                                digits=digits, prec=prec, max_prec=max_prec)
            except trace.Decline:
                pass  # not elementwise: the object arrays below compute the same balls
    if name in ("arb", "arb-jit", "arb-objects"):
        from .arb import certified_run_arb  # python-flint is an optional extra

        return certified_run_arb(conv, params0, steps=steps, grads=grads, grad_fn=grad_fn, digits=digits,
                                 prec=prec, max_prec=max_prec, stages=stages)
    check_digits(digits)
    bits = start = prec or certified_precision(digits, steps)
    cap = digits + 10
    while True:
        ar = IntervalArith(bits)
        records = algorithm.simulate(conv, ar, params0, steps=steps, grads=grads, grad_fn=grad_fn, stages=stages)
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
        if run.min_digits() >= digits:
            return run
        unbounded = run.first_unbounded()
        if unbounded is not None and bits >= 4 * start:
            raise undefined(unbounded)
        if bits >= max_prec:
            raise exhausted(digits, max_prec, run.min_digits(), bits)
        bits = min(2 * bits, max_prec)
