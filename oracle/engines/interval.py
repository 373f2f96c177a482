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

import dataclasses
from fractions import Fraction
from typing import Any, Optional, Sequence

import mpmath.libmp as libmp
import numpy as np
from mpmath.ctx_iv import MPIntervalContext

from .. import algorithm
from ..conventions import Convention
from ..rounding import (
    DTYPE_FORMAT,
    agreeing_digits,
    format_fixed,
    format_sci,
    mpf_to_fraction,
    round_decimal,
    round_fraction_to_format,
)
from ._objarray import exact_array, map_array, scalar


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


@dataclasses.dataclass(frozen=True)
class CertifiedValue:
    """An exact real value known to lie in [lo, hi] (exact rationals).

    ``digits`` is its count of certified significant digits (``cap`` when the
    enclosure is a point, ``None`` for an exact zero).
    """

    lo: Optional[Fraction]
    hi: Optional[Fraction]
    cap: int = 80

    @classmethod
    def from_interval(cls, x: Any, cap: int = 80) -> "CertifiedValue":
        """The value enclosed by an mpmath interval, or by an Arb ball of the fast engine."""
        if not hasattr(x, "_mpi_"):
            try:
                from .arb import BallValue, is_ball
            except ImportError:
                is_ball = None
            if is_ball is None or not is_ball(x):
                raise TypeError(f"not an interval or a ball: {x!r}")
            return BallValue(x, cap)
        lo, hi = x._mpi_
        return cls(mpf_to_fraction(lo), mpf_to_fraction(hi), cap)

    @property
    def bounded(self) -> bool:
        return self.lo is not None and self.hi is not None

    @property
    def digits(self) -> Optional[int]:
        if not self.bounded:
            return 0
        return agreeing_digits(self.lo, self.hi, self.cap)

    @property
    def is_zero(self) -> bool:
        return self.lo == 0 and self.hi == 0

    @property
    def exact(self) -> Optional[Fraction]:
        """The exact value when the enclosure is a single point, else None."""
        return self.lo if self.bounded and self.lo == self.hi else None

    def sci(self, digits: Optional[int] = None) -> str:
        """The certified value in scientific notation with ``digits`` significant digits.

        Raises ``ValueError`` if more digits are asked for than are certified,
        and also for fewer when the enclosure straddles a rounding tie at that
        length: agreement at d digits does not imply agreement at every shorter
        length (an exact value such as 1.25 is a tie at 2 digits), so the check
        is made at exactly the length published.
        """
        if self.is_zero:
            return "0"
        have = self.digits or 0
        want = have if digits is None else digits
        if want > have or want < 1:
            raise ValueError(f"digits={want} asked for, but only {have} are certified")
        if self.exact is None and round_decimal(self.lo, want) != round_decimal(self.hi, want):
            raise ValueError(
                f"digits={want} is not certified: the enclosure straddles a {want}-digit rounding tie "
                f"({have} digits are certified)"
            )
        return format_sci(self.lo, want)

    def fixed(self, decimals: int) -> str:
        """'%.{decimals}f' of the exact value; ``ValueError`` if not certified."""
        if not self.bounded:
            raise ValueError("the value is not bounded")
        a, b = format_fixed(self.lo, decimals), format_fixed(self.hi, decimals)
        if a != b:
            raise ValueError(f"{decimals} decimals are not certified: the value lies in [{a}, {b}]")
        return a

    def binary(self, dtype: str = "float64") -> Optional[float]:
        """The correctly rounded float of the exact value, or None if not certified."""
        if not self.bounded:
            return None
        fmt = DTYPE_FORMAT.get(dtype, dtype)
        try:
            a = round_fraction_to_format(self.lo, fmt)
            b = round_fraction_to_format(self.hi, fmt)
        except OverflowError:
            return None
        return float(a) if a == b else None

    def mid(self) -> Fraction:
        """The midpoint of the enclosure (for error measurement, not for publication)."""
        if not self.bounded:
            raise ValueError("the value is not bounded")
        return (self.lo + self.hi) / 2

    def radius(self) -> Fraction:
        return (self.hi - self.lo) / 2


def certify_array(a: np.ndarray, cap: int) -> np.ndarray:
    return map_array(lambda x: CertifiedValue.from_interval(x, cap), a)


@dataclasses.dataclass
class CertifiedRun:
    """Records of a certified run: each array element is a :class:`CertifiedValue`."""

    convention: Convention
    steps: int
    prec: int
    digits: int
    records: list

    def min_digits(self) -> int:
        """The fewest certified digits of any nonzero published value."""
        worst = self.digits
        for rec in self.records:
            for arrays in _published(rec):
                for cv in np.asarray(arrays, dtype=object).reshape(-1):
                    d = cv.digits
                    if d is not None:
                        worst = min(worst, d)
        return worst


    def first_unbounded(self) -> Optional[int]:
        """The first step with an unbounded value (a division by an interval holding 0)."""
        for rec in self.records:
            for arrays in _published(rec):
                if any(not cv.bounded for cv in np.asarray(arrays, dtype=object).reshape(-1)):
                    return rec["step"]
        return None


def _published(rec: dict) -> list:
    out = list(rec["params"])
    for arrays in rec["state"].values():
        out.extend(arrays)
    if rec["grads"] is not None:
        out.extend(rec["grads"])
    return out


ENGINES = ("auto", "arb", "arb-jit", "arb-objects", "mpmath")


def resolve_engine(engine: Optional[str] = None) -> str:
    """The engine to run: ``engine``, else ``$ORACLE_ENGINE``, else ``auto`` (arb when installed)."""
    import os

    name = engine or os.environ.get("ORACLE_ENGINE") or "auto"
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")
    if name == "mpmath":
        return name
    try:
        from . import arb  # noqa: F401
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


def certified_precision(digits: int, steps: int) -> int:
    """The starting working precision: ``digits`` plus a margin that grows with ``steps``."""
    return int(digits * 3.33) + 64 + 2 * steps


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
) -> CertifiedRun:
    """Run RMSProp in interval arithmetic until every value has ``digits`` certified digits.

    Starts at ``prec`` bits (default: enough for ``digits`` plus a margin that
    grows with ``steps``) and doubles the precision until every nonzero
    parameter, state and gradient value has at least ``digits`` certified
    significant digits; raises ``ArithmeticError`` past ``max_prec``.
    ``engine`` picks the arithmetic (:func:`resolve_engine`); this function's
    own loop below is the mpmath definition.
    """
    name = resolve_engine(engine)
    if name in ("arb", "arb-jit") and _jit_arb():
        from . import jitarb, trace

        # compiled where it applies (a stateful gradient function is never called on traced values) and,
        # for "arb", where it pays: the first compiled run of a process loads the compiled loop (~1 s)
        if trace.pure(grad_fn) and (name == "arb-jit" or jitarb.worth(params0, steps)):
            try:
                return jitarb.certified_run_jit(conv, params0, steps=steps, grads=grads, grad_fn=grad_fn,
                                                digits=digits, prec=prec, max_prec=max_prec)
            except trace.Decline:
                pass  # not elementwise: the object arrays below compute the same balls
    if name in ("arb", "arb-jit", "arb-objects"):
        from .arb import certified_run_arb

        return certified_run_arb(conv, params0, steps=steps, grads=grads, grad_fn=grad_fn, digits=digits,
                                 prec=prec, max_prec=max_prec)
    if not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be a positive int, got {digits!r}")
    bits = start = prec or certified_precision(digits, steps)
    cap = digits + 10
    while True:
        ar = IntervalArith(bits)
        records = algorithm.simulate(conv, ar, params0, steps=steps, grads=grads, grad_fn=grad_fn)
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
            raise algorithm.UndefinedUpdate(
                f"the update is undefined at step {unbounded}: it divides by a denominator "
                "that is exactly zero (0/0, NaN in IEEE arithmetic); use eps > 0"
            )
        if bits >= max_prec:
            raise ArithmeticError(
                f"could not certify {digits} digits within {max_prec} bits "
                f"(got {run.min_digits()} at {bits} bits)"
            )
        bits = min(2 * bits, max_prec)
