"""Forward error bounds for RMSProp run in IEEE floating point.

Each number of this context is a pair (``val``, ``err``): ``val`` is the exact
result (computed in a private mpmath context at ``prec`` bits) and ``err`` a
bound on |computed - exact| for *any* reasonable float implementation of the
same convention in one dtype.  The bound is propagated through
:func:`oracle.algorithm.step` (and through the gradient in closed loop), so it
grows or shrinks with the dynamics.

Derivation.  The standard model of IEEE arithmetic with gradual underflow
says fl(x op y) = (x op y)(1 + delta) + eta with |delta| <= u (unit roundoff:
2^-53, 2^-24, 2^-11, 2^-8 for float64, float32, float16, bfloat16) and |eta| <= tiny (half the
smallest subnormal).  If the inputs carry errors ex, ey, then with z = x op y
(exact) the propagated error ``prop`` is at most

* x +- y:  ex + ey
* x * y:   |x| ey + |y| ex + ex ey
* x / y:   (|x| ey + |y| ex) / (|y| (|y| - ey))       (infinite if ey >= |y|)
* sqrt x:  min(ex / (sqrt(x) + sqrt(max(x - ex, 0))), sqrt(ex))

and the computed result's error is at most prop + K u (|z| + prop) + tiny.
Constants (hyperparameters and 1 - rho, lr*wd) not representable in the dtype
are charged K u |c| + tiny; representable ones and the inputs are exact.
A result beyond the dtype's largest finite value gets an infinite bound.

Flush to zero (``subnormals``: ``Convention.subnormals`` names this dtype, FTZ/DAZ).
A result whose rounded value falls below the smallest normal number N may be a zero
of either sign, so the absolute term is no longer tiny: with z' = x op y on the
computed operands (|z' - z| <= prop), either no flush happens and fl(z') = z'(1 + delta)
with no absolute error (the result is normal or an exact zero), or fl(z') = +-0 and
|z'| <= N (tininess detected before or after rounding), so the error is |z'| <=
min(|z| + prop, N).  The charge is therefore prop + K u (|z| + prop) + min(|z| + prop, N):
an exact zero with no propagated error stays exact (sqrt(0) does not become sqrt(N)).
An input or constant below N may be read as zero (DAZ): it carries its own magnitude
|x| on top of its rounding charge.  ``store`` flushes the same way in the parameters' dtype.

State wider than the parameters (``Convention.state``, ``store``): every operation
is charged in the state dtype, and each step's new parameters once more with the
parameters' dtype, K u_p (|p| + prop) + tiny_p (``store``).

K (``slack``, default 4) charges every operation of the reference evaluation
order four roundings instead of one.  This covers implementations that
evaluate the same formula in another order or with more operations
(``v + (g^2 - v)(1 - rho)`` as in TF, ``g * rsqrt(d)`` instead of ``g / d``,
``lr * (g / d)``, an fma, or float32 internal arithmetic for float16 data);
a candidate outside it is not following the convention closely enough.  The
bound's own arithmetic is done at ``prec`` bits and charged 2^(8 - prec) |z|
per operation, so it is an upper bound to within that negligible margin.

>>> from oracle.conventions import preset
>>> from oracle.algorithm import simulate
>>> ar = ErrorBoundArith("float64")
>>> recs = simulate(preset("seed", lr=0.1, rho=0.9, eps=1e-8), ar, [0.0], grads=[[-8.0]], steps=1)
>>> w = recs[1]["params"][0].item()
>>> ar.ctx.nstr(w.val, 20), ar.ctx.nstr(w.err, 3)
('0.31622776576978504395', '8.43e-16')
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional

import numpy as np
from mpmath.ctx_mp import MPContext

from ...conventions import flushes
from ...rounding import DTYPE_FORMAT, FORMATS, round_fraction_to_format, storage
from .._objarray import exact_array, map_array, scalar


class Bounded:
    """An exact value ``val`` and a bound ``err`` on a float implementation's error."""

    __slots__ = ("ar", "val", "err")

    def __init__(self, ar: "ErrorBoundArith", val: Any, err: Any) -> None:
        self.ar, self.val, self.err = ar, val, err

    def _other(self, other: Any) -> Optional["Bounded"]:
        return other if isinstance(other, Bounded) else None

    def __add__(self, other: Any) -> Any:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return self.ar.result(self.val + o.val, self.err + o.err)

    def __sub__(self, other: Any) -> Any:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return self.ar.result(self.val - o.val, self.err + o.err)

    def __mul__(self, other: Any) -> Any:
        o = self._other(other)
        if o is None:
            return NotImplemented
        prop = abs(self.val) * o.err + abs(o.val) * self.err + self.err * o.err
        return self.ar.result(self.val * o.val, prop)

    def __truediv__(self, other: Any) -> Any:
        o = self._other(other)
        if o is None:
            return NotImplemented
        ctx = self.ar.ctx
        if o.val == 0:
            raise ZeroDivisionError("the exact update divides by zero")
        ay = abs(o.val)
        if o.err >= ay:
            prop = ctx.inf
        else:
            prop = (abs(self.val) * o.err + ay * self.err) / (ay * (ay - o.err))
        return self.ar.result(self.val / o.val, prop)

    def __neg__(self) -> "Bounded":
        return Bounded(self.ar, -self.val, self.err)

    def __repr__(self) -> str:
        return f"Bounded({self.val}, err={self.err})"


class ErrorBoundArith:
    """Exact values with forward error bounds for float arithmetic in ``dtype``.

    ``subnormals``: the convention's ``subnormals`` value; where it names ``dtype`` (or ``store``)
    results and inputs below the smallest normal number may be flushed to zero (module doc).
    """

    def __init__(self, dtype: str = "float64", slack: int = 4, prec: int = 256, store: Optional[str] = None,
                 subnormals: str = "gradual") -> None:
        self.store_dtype = storage(dtype, store)
        self.dtype = str(dtype)
        self.fmt = DTYPE_FORMAT[self.dtype]
        bits, emin, emax = FORMATS[self.fmt]
        self.ctx = MPContext()
        self.ctx.prec = prec
        mpf = self.ctx.mpf
        self.u = mpf(2) ** (-bits)
        self.unit = slack * self.u
        self.tiny = mpf(2) ** (emin - bits)
        self.flush = flushes(subnormals, self.dtype)
        self.normal = mpf(2) ** emin  # the smallest normal number: the flush threshold
        self.largest = (2 - mpf(2) ** (1 - bits)) * mpf(2) ** emax
        self.own = mpf(2) ** (8 - prec)
        self.slack = slack
        if self.store_dtype:
            sbits, semin, semax = FORMATS[DTYPE_FORMAT[self.store_dtype]]
            self._store = (slack * mpf(2) ** (-sbits), mpf(2) ** (semin - sbits),
                           (2 - mpf(2) ** (1 - sbits)) * mpf(2) ** semax,
                           mpf(2) ** semin if flushes(subnormals, self.store_dtype) else None)

    # -- construction -------------------------------------------------------
    def number(self, x: Fraction) -> Bounded:
        """An exact input: error 0 if representable in the dtype, else one rounding."""
        ctx = self.ctx
        val = ctx.mpf(x.numerator) / x.denominator
        try:
            representable = round_fraction_to_format(x, self.fmt) == x
        except OverflowError:
            return Bounded(self, val, ctx.inf)
        err = ctx.zero if representable else self.unit * abs(val) + self.tiny
        if self.flush and abs(val) < self.normal:
            err += abs(val)  # DAZ: read as zero
        return Bounded(self, val, err + self.own * abs(val))

    def const(self, x: Fraction) -> np.ndarray:
        return scalar(self.number(x))

    def array(self, values: Any) -> np.ndarray:
        return map_array(self.number, exact_array(values))

    def result(self, val: Any, prop: Any) -> Bounded:
        """A computed result: propagated error plus one (slack-weighted) rounding."""
        a = abs(val)
        if a + prop > self.largest:
            return Bounded(self, val, self.ctx.inf)
        under = min(a + prop, self.normal) if self.flush else self.tiny
        return Bounded(self, val, prop + self.unit * (a + prop) + under + self.own * a)

    def store(self, a: np.ndarray) -> np.ndarray:
        """The parameters rounded to ``store`` (the parameters' dtype): one more charge, in its u
        (its absolute term min(|x| + err, N) where that dtype flushes)."""
        unit, tiny, largest, normal = self._store

        def f(x: Bounded) -> Bounded:
            m = abs(x.val) + x.err
            if m > largest:
                return Bounded(self, x.val, self.ctx.inf)
            under = tiny if normal is None else min(m, normal)
            return Bounded(self, x.val, x.err + unit * m + under + self.own * abs(x.val))

        return map_array(f, a)

    # -- operations ---------------------------------------------------------
    def sqrt(self, a: np.ndarray) -> np.ndarray:
        ctx = self.ctx

        def f(x: Bounded) -> Bounded:
            if x.val < 0:
                raise ArithmeticError("square root of a negative exact value")
            r = ctx.sqrt(x.val)
            if x.val == 0:
                prop = ctx.sqrt(x.err)
            else:  # |sqrt(a) - sqrt(b)| <= sqrt|a - b| as well
                prop = min(x.err / (r + ctx.sqrt(max(x.val - x.err, ctx.zero))), ctx.sqrt(x.err))
            return self.result(r, prop)

        return map_array(f, a)

    def nonneg(self, a: np.ndarray) -> np.ndarray:
        ctx = self.ctx
        return map_array(lambda x: Bounded(self, max(x.val, ctx.zero), x.err), a)

    # -- reading results ----------------------------------------------------
    def split(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo, err) float64 arrays of the shape of ``a``: the exact value hi + lo (hi its nearest
        double, lo the nearest double to the rest) and its bound, rounded up."""
        flat = np.asarray(a, dtype=object).reshape(-1)
        hi = np.array([float(x.val) for x in flat], dtype=np.float64)
        lo = np.array([float(x.val - self.ctx.mpf(h)) for x, h in zip(flat, hi)], dtype=np.float64)
        err = np.nextafter(np.array([float(x.err) for x in flat], dtype=np.float64), np.inf)
        shape = np.shape(a)
        return hi.reshape(shape), lo.reshape(shape), err.reshape(shape)
