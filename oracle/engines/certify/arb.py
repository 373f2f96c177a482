"""The fast certified reference: RMSProp in Arb ball arithmetic (python-flint).

This is the same computation as :mod:`.interval`, which stays the readable
definition and the fallback; only the number type changes.

Method:

1. Every input is an exact rational and enters as an Arb ball
   ``[m +/- r]`` at the working precision (``arb(fmpq)``: m is the rational
   rounded to ``prec`` bits, r bounds the rounding; r = 0 when representable).
2. :func:`oracle.algorithm.step` runs over numpy object arrays of ``flint.arb``.
   Arb's operations are rigorous: each result ball contains every real value
   the operation can take on the input balls (midpoint rounded, radius bounded
   from above, Arb's documented contract).  The centered variance is
   intersected with [0, inf) (``nonnegative_part``).
3. Certification is vectorized.  Arb's ``rel_accuracy_bits`` a of a ball
   guarantees r < 2^-a |m|, so the enclosure [lo, hi] = [m - r, m + r] has
   (hi - lo) / min(|lo|, |hi|) < 4 * 2^-a.  When a >= 3 + (D + 1) log2(10)
   the relative width is below 10^-(D+1) / 2: then either no D-digit rounding
   tie lies in [lo, hi], so both ends round to the same D-digit decimal, or one
   does and the interval is too narrow to reach a (D+1)-digit tie, so both
   round to the same (D+1)-digit decimal.  Either way
   :func:`oracle.rounding.agreeing_digits` (the definition) returns >= D.
   Values failing this one-comparison test are checked exactly with
   :class:`~oracle.engines.certified.CertifiedValue` (lo and hi converted to
   Fractions), so a run is accepted exactly when the definition accepts it.
   Open-loop gradients are inputs: their balls come from step 1 and have
   ``prec - 1`` relative bits, more than any threshold used, and are not
   re-checked.
4. Too few digits: the run is repeated at twice the precision (the ladder's one loop,
   :mod:`.ladder`, for every engine).

Published values are :class:`BallValue` objects, a :class:`CertifiedValue`
whose exact endpoints m -/+ r are converted to Fractions only when read, so
every digit is still certified by :mod:`oracle.rounding`.

Precision: python-flint keeps it in the process-wide ``flint.ctx.prec``;
:func:`precision` sets it for the duration of a run and restores it (flint
arithmetic in other threads during a run would see it).

>>> from oracle.conventions import preset
>>> from oracle.engines.certify import run_rung
>>> run = run_rung("arb-objects", preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30)
>>> run.records[1]["params"][0][0].sci(30), run.engine
('3.16227765769784991288749885395e-1', 'arb-objects')
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ... import algorithm
from ...conventions import Convention
from .._objarray import exact_array, map_array, scalar
from ..certified import Attempt, LazyValue

import flint  # noqa: E402  (an optional extra: importing this module without it raises ImportError)
from flint import arb, fmpq

_sqrt = np.frompyfunc(arb.sqrt, 1, 1)
_accuracy = np.frompyfunc(arb.rel_accuracy_bits, 1, 1)
_from_float = np.frompyfunc(arb, 1, 1)


@contextlib.contextmanager
def precision(bits: int) -> Iterator[None]:
    """Set python-flint's working precision to ``bits`` for the block, then restore it."""
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = old


def threshold_bits(digits: int) -> int:
    """Relative accuracy (bits) that guarantees ``digits`` certified digits (step 3 of the method).

    >>> threshold_bits(50)
    174
    """
    return math.ceil(3 + (digits + 1) * math.log2(10)) + 1


class ArbArith:
    """Arb balls at ``prec`` bits; run inside :func:`precision` (:func:`start`'s attempts do)."""

    def __init__(self, prec: int) -> None:
        self.prec = prec
        self._consts: dict = {}

    def number(self, x: Fraction) -> Any:
        """The ball of the working precision around the exact rational ``x``."""
        if x.denominator == 1:
            return arb(x.numerator)
        return arb(fmpq(x.numerator, x.denominator))

    def const(self, x: Fraction) -> np.ndarray:
        if x not in self._consts:  # step() asks for the same few constants every step
            self._consts[x] = scalar(self.number(x))
        return self._consts[x]

    def array(self, values: Any) -> np.ndarray:
        if isinstance(values, np.ndarray) and values.dtype.kind == "f" and np.isfinite(values).all():
            return np.asarray(_from_float(values.astype(np.float64)), dtype=object)  # binary values, exact
        return map_array(self.number, exact_array(values))

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(_sqrt(a), dtype=object)

    def nonneg(self, a: np.ndarray) -> np.ndarray:
        def clamp(x: Any) -> Any:
            if x < 0:  # the whole ball is negative
                raise ArithmeticError("a quantity that is >= 0 in real arithmetic has a negative enclosure")
            return x if x >= 0 else x.nonnegative_part()

        return map_array(clamp, a)

    def certify(self, x: Any, cap: int = 80) -> "BallValue":
        """The :class:`BallValue` of one number of this context (a loss a gradient function computed)."""
        return BallValue(x, cap)


def exact_fraction(x: Any) -> Fraction:
    """The exact value of a python-flint arf (a ball's ``mid()`` or ``rad()``)."""
    m, e = x.man_exp()
    m, e = int(m), int(e)
    return Fraction(m << e) if e >= 0 else Fraction(m, 1 << -e)


class BallValue(LazyValue):
    """A :class:`CertifiedValue` read from an Arb ball; endpoints become Fractions on first use."""

    __slots__ = ("ball",)

    def __init__(self, ball: Any, cap: int = 80) -> None:  # noqa: D107 (not the dataclass init)
        object.__setattr__(self, "ball", ball)
        object.__setattr__(self, "cap", cap)
        object.__setattr__(self, "_ends", None)

    def _compute_ends(self) -> tuple:
        b = self.ball
        if not b.is_finite():
            return (None, None)
        mid, rad = exact_fraction(b.mid()), exact_fraction(b.rad())
        return (mid - rad, mid + rad)

    def __repr__(self) -> str:
        return f"BallValue({self.ball!r})"


_ball_value = np.frompyfunc(BallValue, 2, 1)


def certify_balls(a: np.ndarray, cap: int) -> np.ndarray:
    """An object array of :class:`BallValue` of the same shape."""
    return np.asarray(_ball_value(a, cap), dtype=object).reshape(np.shape(a))


class LazyRecord(Mapping):
    """One record of a run (``step``, ``grads``, ``params``, ``state``) whose balls become
    :class:`BallValue` arrays when a field is first read (published values only cost when used)."""

    KEYS = ("step", "grads", "params", "state")

    def __init__(self, rec: dict, cap: int) -> None:
        self._raw, self._cap, self._done = rec, cap, {"step": rec["step"]}

    def __getitem__(self, key: str) -> Any:
        if key not in self._done:
            raw, cap = self._raw[key], self._cap
            if key == "state":
                self._done[key] = {k: [certify_balls(a, cap) for a in v] for k, v in raw.items()}
            else:
                self._done[key] = None if raw is None else [certify_balls(a, cap) for a in raw]
        return self._done[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)


def shortfall(a: np.ndarray, digits: int, need: int, cap: int) -> tuple[int, bool]:
    """(fewest certified digits, any unbounded) over the balls of ``a``, capped at ``digits``.

    One vectorized comparison per value (method, step 3); only values failing it are
    certified exactly through :class:`CertifiedValue`.
    """
    flat = np.asarray(a, dtype=object).reshape(-1)
    if flat.size == 0:
        return digits, False
    acc = np.asarray(_accuracy(flat), dtype=np.int64)
    worst, unbounded = digits, False
    for k in np.flatnonzero(acc < need):
        x = flat[k]
        if not x.is_finite():
            unbounded = True
            worst = 0
            continue
        d = BallValue(x, cap).digits
        if d is not None:
            worst = min(worst, d)
    return worst, unbounded


def start(conv: Convention, params0: Sequence[Any], *, steps: int, grads: Sequence[Sequence[Any]] | None = None,
          grad_fn: algorithm.GradFn | None = None, digits: int = 50,
          stages: algorithm.Stages = algorithm.RMSPROP) -> Callable[[int], Attempt]:
    """This engine's rung of the ladder (:mod:`.ladder`): ``attempt(bits)`` runs at ``bits`` and
    certifies (steps 1-3 of the method)."""
    cap = digits + 10
    need = threshold_bits(digits)

    def attempt(bits: int) -> Attempt:
        with precision(bits):
            records = algorithm.simulate(conv, ArbArith(bits), params0, steps=steps, grads=grads, grad_fn=grad_fn,
                                         stages=stages)
        worst, unbounded_step = digits, None
        for rec in records:
            arrays = list(rec["params"]) + [a for v in rec["state"].values() for a in v]
            if rec["grads"] is not None and grad_fn is not None:
                arrays += list(rec["grads"])
            for a in arrays:
                d, unb = shortfall(a, digits, need, cap)
                worst = min(worst, d)
                if unb and unbounded_step is None:
                    unbounded_step = rec["step"]
        return Attempt([LazyRecord(rec, cap) for rec in records], worst, unbounded_step)

    return attempt
