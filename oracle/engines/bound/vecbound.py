"""The grading-grade reference: exact values and error bounds, vectorized over numpy arrays.

The same quantity as :mod:`.errorbound` (the forward error bound of any
reasonable float implementation in one dtype, propagated through
:func:`oracle.algorithm.step`), computed with whole-array float64 operations
instead of one 256-bit mpmath number per element.

Representation.  A :class:`BoundArray` holds, per element, a value
W = hi + lo (a double-double: two float64 words, or one word, lo = 0, for
float32/float16 candidates, whose bounds are 2^29 times wider than float64's
rounding) and a bound S.  The invariant is

    S >= E + |W - V|,

V the exact value and E the bound :class:`.errorbound.ErrorBoundArith`
computes from V.  The suite grades a candidate c against W: |c - W| <= |c - V|
+ |V - W| <= S whenever |c - V| <= E, so S is a valid (never smaller) bound
around the computed value.

Propagation.  With x, y the operands and z = x op y, S_z is ErrorBoundArith's
formula (module docstring of :mod:`.errorbound`) evaluated with S in place of
E and with bounds on |V| instead of |V|: upper bounds |W| + S where the formula
increases with |V|, lower bounds |W| - S where it decreases (denominators).
Each formula is superadditive in the error (prop(E) + prop(R) <= prop(E + R)
for +, *, /; for sqrt the sqrt(e) branch is replaced by sqrt(2 e)), so
propagating S bounds the float error and the reference's own error together.
To the float rounding charge K u (|z| + prop) + tiny of ErrorBoundArith is
added the reference's own rounding: 2^-96 |z| for a double-double operation
(their relative error is below 16 u^2 = 2^-102 in the normal range:
Joldes, Muller, Popescu, "Tight and rigorous error bounds for basic building
blocks of double-word arithmetic", ACM TOMS 2017), 2^-50 |z| for a one-word
one, and 2^-1060 absolute for underflow; this is also more than
ErrorBoundArith's own 2^-248 |z|.  A result whose bound formula reaches the
dtype's largest value, or a division by an operand whose lower bound is not
positive, gets an infinite bound (ErrorBoundArith's are infinite there too).

Flush to zero (``subnormals`` naming the dtype): ErrorBoundArith charges min(|V_z| + prop, N)
instead of tiny (N the smallest normal number); here min(a, N) UP with a = |W| UP + prop >=
|V_z| + prop (min is increasing), in place of tiny UP.  An input below N is charged its own
magnitude |x| UP on top (DAZ), as ErrorBoundArith charges |x|.

Rigorous rounding of the bound itself: every bound formula uses only +, *, /,
sqrt of nonnegative float64 numbers (at most 24 operations, each rounded to
nearest), and its result is multiplied by 1 + 2^-46 and increased by
2^-1060, which covers those roundings; the lower bounds used in
denominators are decreased the same way.  Values are kept in [2^-900, 2^900]
(or exactly zero): a result outside, a 0/0 or a square root of a possibly
negative value raises :class:`~oracle.engines.rungs.Decline`, and the ladder (:mod:`.ladder`) runs
ErrorBoundArith instead.  The double-double operations are :mod:`.doubledouble`'s.

>>> from oracle.conventions import preset
>>> from oracle.algorithm import simulate
>>> ar = BoundArith("float64")
>>> recs = simulate(preset("seed", lr=0.1, rho=0.9, eps=1e-8), ar, [0.0], grads=[[-8.0]], steps=1)
>>> w = recs[1]["params"][0]
>>> hi, lo, err = ar.split(w)  # ErrorBoundArith: 0.31622776576978504395, err 8.426000314709882e-16
>>> float(hi + lo), float(err)
(0.31622776576978506, 8.426000314711347e-16)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Optional

import numpy as np

from ...conventions import flushes
from ...rounding import DTYPE_FORMAT, FORMATS, dtype_name, numpy_dtype, round_fraction_to_format, storage, widens_exactly
from .._objarray import exact_array
from ..rungs import Decline
from .doubledouble import ABS, BIG, DOWN, UP, fast_two_sum, split, two_prod_split, two_square_split, two_sum


_quiet = np.errstate(all="ignore")
"""Bounds may be infinite (no claim, as in ErrorBoundArith); inf - inf and 0 * inf give NaN, also no claim."""


def _out_of_range(reason: str) -> Decline:
    """The refusal of this engine: the ladder runs ErrorBoundArith (:mod:`.ladder`)."""
    return Decline(reason, to="errorbound")


def _up(x: np.ndarray) -> np.ndarray:
    return x * UP + ABS


def _two_prod(a: np.ndarray, b: np.ndarray, sa: Optional[tuple] = None, sb: Optional[tuple] = None) -> tuple:
    """p + e = a * b exactly (``sa``, ``sb``: the splits of a and b when known)."""
    return two_prod_split(a, b, *(sa or split(a)), *(sb or split(b)))


def _two_square(a: np.ndarray, sa: Optional[tuple] = None) -> tuple:
    """p + e = a * a exactly."""
    return two_square_split(a, *(sa or split(a)))


def _splits(x: "BoundArray") -> tuple:
    """The Veltkamp split of x.hi, computed once per array (a value is often multiplied twice)."""
    if x.sp is None:
        x.sp = split(x.hi)
    return x.sp


class BoundArray(np.ndarray):
    """Values hi + lo with bounds err; the numbers of :class:`BoundArith`.

    An ndarray subclass (its data is ``hi``) so that ``np.atleast_1d`` and
    ``np.empty(p.shape, dtype=p.dtype)`` in :mod:`oracle.algorithm` keep
    working; every numpy ufunc is refused (``__array_ufunc__ = None``), so a
    BoundArray is never silently treated as a plain float array.
    """

    __array_ufunc__ = None

    def __new__(cls, ar: "BoundArith", hi: np.ndarray, lo: Optional[np.ndarray], err: np.ndarray) -> "BoundArray":
        obj = np.asarray(hi, dtype=np.float64).view(cls)
        obj.ar, obj.lo, obj.err, obj.sp = ar, lo, np.asarray(err, dtype=np.float64), None
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.ar, self.lo, self.err, self.sp = getattr(obj, "ar", None), None, None, None

    @property
    def hi(self) -> np.ndarray:
        return self.view(np.ndarray)

    def reshape(self, *shape: Any) -> "BoundArray":  # type: ignore[override]
        lo = None if self.lo is None else np.reshape(self.lo, *shape)
        return BoundArray(self.ar, np.reshape(self.hi, *shape), lo, np.reshape(self.err, *shape))

    def __getitem__(self, idx: Any) -> "BoundArray":
        lo = None if self.lo is None else np.asarray(self.lo[idx])
        return BoundArray(self.ar, np.asarray(self.hi[idx]), lo, np.asarray(self.err[idx]))

    def value(self) -> np.ndarray:
        return self.hi if self.lo is None else self.hi + self.lo

    def __repr__(self) -> str:
        return f"BoundArray(hi={self.hi!r}, err={self.err!r})"

    # -- operators -----------------------------------------------------------
    def __add__(self, o: Any) -> "BoundArray":
        return self.ar.add(self, self.ar.lift(o))

    def __radd__(self, o: Any) -> "BoundArray":
        return self.ar.add(self.ar.lift(o), self)

    def __sub__(self, o: Any) -> "BoundArray":
        return self.ar.add(self, -self.ar.lift(o))

    def __rsub__(self, o: Any) -> "BoundArray":
        return self.ar.add(self.ar.lift(o), -self)

    def __mul__(self, o: Any) -> "BoundArray":
        return self.ar.mul(self, self.ar.lift(o))

    def __rmul__(self, o: Any) -> "BoundArray":
        return self.ar.mul(self.ar.lift(o), self)

    def __truediv__(self, o: Any) -> "BoundArray":
        return self.ar.div(self, self.ar.lift(o))

    def __rtruediv__(self, o: Any) -> "BoundArray":
        return self.ar.div(self.ar.lift(o), self)

    def __neg__(self) -> "BoundArray":
        return BoundArray(self.ar, -self.hi, None if self.lo is None else -self.lo, self.err)

    def __reduce__(self) -> Any:
        raise TypeError("a BoundArray is not picklable; BoundArith.split() it into float64 arrays")


class BoundArith:
    """Vectorized exact values and error bounds for float arithmetic in ``dtype`` (see module doc).

    ``words`` is 2 (double-double values) or 1; default 2 for float64, 1 otherwise.
    ``store``: the parameters' dtype when the state is wider (``Convention.state``): each
    step's new parameters are charged one more rounding, in that dtype (:meth:`store`).
    ``subnormals``: the convention's value; where it names the dtype, results and inputs below
    the smallest normal number may be flushed to zero (module doc).
    """

    def __init__(self, dtype: str = "float64", slack: int = 4, words: Optional[int] = None,
                 store: Optional[str] = None, subnormals: str = "gradual") -> None:
        self.store_dtype = storage(dtype, store)
        self.dtype = str(dtype)
        self.fmt = DTYPE_FORMAT[self.dtype]
        bits, emin, emax = FORMATS[self.fmt]
        self.words = words or (2 if self.dtype == "float64" else 1)
        self.u = 2.0**-bits
        self.unit = slack * self.u * UP
        self.tiny = 2.0 ** (emin - bits)
        self.flush = flushes(subnormals, self.dtype)
        self.normal = 2.0**emin  # the flush threshold
        self.largest = float((2 - Fraction(2) ** (1 - bits)) * Fraction(2) ** emax)
        self.own = 2.0**-96 if self.words == 2 else 2.0**-50
        self._c_rel = (self.unit + self.own) * UP
        self._c_abs = ABS if self.flush else self.tiny * UP + ABS
        self._c_flush = self.normal if self.flush else 0.0  # _result adds min(a, this) UP when flushing
        self._largest_down = self.largest * DOWN
        self._fast_limit = min(self._largest_down, BIG)  # a <= this: in range and no overflow to inf
        self.np_dtype = numpy_dtype(self.dtype)
        self._consts: dict = {}
        if self.store_dtype:
            sbits, semin, semax = FORMATS[DTYPE_FORMAT[self.store_dtype]]
            self._s_rel = (slack * 2.0**-sbits * UP + self.own) * UP
            self._s_flush = 2.0**semin if flushes(subnormals, self.store_dtype) else 0.0
            self._s_abs = ABS if self._s_flush else 2.0 ** (semin - sbits) * UP + ABS
            self._s_largest_down = float((2 - Fraction(2) ** (1 - sbits)) * Fraction(2) ** semax) * DOWN

    # -- construction --------------------------------------------------------
    def number(self, x: Fraction) -> tuple:
        """(hi, lo, err) of an exact rational input (ErrorBoundArith.number, plus own rounding)."""
        hi = float(x)  # correctly rounded
        lo = float(x - Fraction(hi)) if self.words == 2 and hi != 0 else 0.0
        try:
            representable = round_fraction_to_format(x, self.fmt) == x
        except OverflowError:
            return hi, lo, np.inf
        err = 0.0 if representable else self.unit * abs(hi) * UP + self.tiny
        if self.flush and abs(x) < self.normal:
            err += abs(hi) * UP  # DAZ: read as zero
        resid = 0.0 if Fraction(hi) + Fraction(lo) == x else self.own * abs(hi)
        return hi, lo, _up(np.float64(err + resid + self.own * abs(hi) * (x != 0)))

    def const(self, x: Fraction) -> BoundArray:
        if x not in self._consts:
            hi, lo, err = self.number(Fraction(x))
            self._consts[x] = self._make(np.float64(hi), np.float64(lo), np.float64(err))
        return self._consts[x]

    def _make(self, hi: np.ndarray, lo: np.ndarray, err: np.ndarray) -> BoundArray:
        if not np.max(np.abs(hi), initial=0.0) <= BIG:
            raise _out_of_range("an input beyond 2^900: the vectorized bound does not cover it")
        return BoundArray(self, np.asarray(hi), np.asarray(lo) if self.words == 2 else None, np.asarray(err))

    def array(self, values: Any) -> BoundArray:
        """Exact inputs: a float array (of any dtype) fast, anything else element by element."""
        if isinstance(values, BoundArray):
            return values
        if isinstance(values, np.ndarray) and dtype_name(values.dtype):
            x = values.astype(np.float64)
            if not np.isfinite(x).all():
                raise ValueError(f"value must be a finite number, got {x[~np.isfinite(x)].reshape(-1)[0]!r}")
            with np.errstate(over="ignore"):
                rep = widens_exactly(dtype_name(values.dtype), self.dtype) or None
                if rep is None:
                    rep = x.astype(self.np_dtype).astype(np.float64) == x
            err = np.abs(x)
            if rep is True:  # every input representable in the dtype: only the engine's own charge
                err *= self.own * UP
                err += ABS
            else:
                err = np.where(rep, 0.0, self.unit * err * UP + self.tiny) + self.own * err
                err = _up(np.where(np.abs(x) > self.largest, np.inf, err))
            if self.flush:  # DAZ: an input below the smallest normal number may be read as zero
                ax = np.abs(x)
                err = np.where(ax < self.normal, err + ax * UP, err)
            return self._make(x, np.zeros_like(x), err)
        ex = exact_array(values)
        trip = [self.number(v) for v in ex.reshape(-1)]
        shape = ex.shape
        hi = np.array([t[0] for t in trip], dtype=np.float64).reshape(shape)
        lo = np.array([t[1] for t in trip], dtype=np.float64).reshape(shape)
        err = np.array([t[2] for t in trip], dtype=np.float64).reshape(shape)
        return self._make(hi, lo, err)

    def lift(self, o: Any) -> BoundArray:
        """An operand: a BoundArray, or a plain float array (init_state fills v0 and 0 with the
        float64 value of the constant), taken as an exact input like :meth:`array`."""
        if isinstance(o, BoundArray):
            return o
        return self.array(np.asarray(o, dtype=np.float64))

    # -- bounds --------------------------------------------------------------
    @_quiet
    def _result(self, hi: np.ndarray, lo: Optional[np.ndarray], prop: np.ndarray) -> BoundArray:
        """ErrorBoundArith.result with S: prop + K u (|z| + prop) + tiny + own |z|, overflow to inf.

        ``prop`` may be evaluated from |hi| for |W| (|W| <= |hi| (1 + 2^-53)) and rounded to
        nearest: the factor UP on every term covers both.
        """
        a = np.abs(hi)
        a *= UP
        a += prop  # >= |V_z| + prop, up to the factor UP; >= |hi|
        err = a * self._c_rel
        err += prop * UP
        err += self._c_abs
        if self._c_flush:
            err += np.minimum(a, self._c_flush) * UP
        if not np.max(a, initial=0.0) <= self._fast_limit:  # also catches NaN
            top = np.max(np.abs(hi), initial=0.0)
            if not top <= BIG:
                raise _out_of_range("a value left [-2^900, 2^900]: the vectorized bound does not cover it")
            err = np.where(a > self._largest_down, np.inf, err)
        return BoundArray(self, hi, lo, err)

    @_quiet
    def store(self, x: BoundArray) -> BoundArray:
        """The parameters rounded to ``store``: S + K u_p (|W| + S) + tiny_p (ErrorBoundArith.store), up."""
        a = np.abs(x.hi) * UP + x.err  # >= |V| + E (S >= E + |W - V|)
        err = x.err * UP + a * self._s_rel + self._s_abs
        if self._s_flush:
            err += np.minimum(a, self._s_flush) * UP
        return BoundArray(self, x.hi, x.lo, np.where(a > self._s_largest_down, np.inf, err))

    # -- operations ----------------------------------------------------------
    @_quiet
    def add(self, x: BoundArray, y: BoundArray) -> BoundArray:
        prop = x.err + y.err
        if self.words == 1:
            return self._result(x.hi + y.hi, None, prop)
        s, e = two_sum(x.hi, y.hi)
        t, f = two_sum(x.lo, y.lo)
        e += t
        s, e = fast_two_sum(s, e)
        e += f
        s, e = fast_two_sum(s, e)
        return self._result(s, e, prop)

    @_quiet
    def mul(self, x: BoundArray, y: BoundArray) -> BoundArray:
        prop = np.abs(x.hi) * y.err
        prop += np.abs(y.hi) * x.err
        prop += 3 * x.err * y.err
        if self.words == 1:
            return self._result(x.hi * y.hi, None, prop)
        if x is y:
            p, e = _two_square(x.hi, _splits(x))
            e += 2 * (x.hi * x.lo)
        else:
            p, e = _two_prod(x.hi, y.hi, _splits(x), _splits(y))
            e += x.hi * y.lo
            e += x.lo * y.hi
        p, e = fast_two_sum(p, e)
        return self._result(p, e, prop)

    @_quiet
    def div(self, x: BoundArray, y: BoundArray) -> BoundArray:
        ay = np.abs(y.hi)
        if not np.min(ay, initial=1.0) > 0:
            raise _out_of_range("a division by a value that may be exactly zero")
        gap = ay * DOWN
        gap -= 2 * y.err
        gap *= DOWN
        gap -= ABS  # <= |V_y| - E_y  (|V_y| >= |W_y| - R_y, S_y >= E_y + R_y)
        ylo = gap + y.err  # <= |V_y|, up to the factor DOWN
        with np.errstate(divide="ignore", invalid="ignore"):
            prop = (np.abs(x.hi) + x.err) * y.err
            prop /= ylo * DOWN * gap
            prop += x.err / gap
        if not np.min(gap, initial=1.0) > 0:
            prop = np.where(gap > 0, prop, np.inf)
        if self.words == 1:
            return self._result(x.hi / y.hi, None, prop)
        q1 = x.hi / y.hi
        p, e = _two_prod(q1, y.hi, None, _splits(y))
        e += q1 * y.lo
        r = x.hi - p
        r -= e
        r += x.lo  # x - q1 y, to about 2^-106 |x|
        r /= y.hi
        q, e = fast_two_sum(q1, r)
        return self._result(q, e, prop)

    @_quiet
    def sqrt(self, x: BoundArray) -> BoundArray:
        if np.any(x.hi < 0):
            raise _out_of_range("square root of a value that may be negative")
        xlo = np.maximum((x.hi * DOWN - x.err) * DOWN - ABS, 0.0)  # <= V_x
        rest = np.maximum((xlo - x.err) * DOWN - ABS, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            first = x.err / ((np.sqrt(xlo) + np.sqrt(rest)) * DOWN)
        prop = np.minimum(np.where(np.isnan(first), np.inf, first), np.sqrt(2 * x.err))
        prop = np.where(x.err == 0, 0.0, prop)
        r = np.sqrt(x.hi)
        if self.words == 1:
            return self._result(r, None, prop)
        with np.errstate(divide="ignore", invalid="ignore"):
            p, e = _two_square(r)
            c = ((x.hi - p) - e + x.lo) / (2 * r)
        c = np.where(r == 0, 0.0, c)
        s, e = fast_two_sum(r, c)
        return self._result(s, e, prop)

    def nonneg(self, x: BoundArray) -> BoundArray:
        neg = x.hi < 0
        if not neg.any():
            return x
        lo = None if x.lo is None else np.where(neg, 0.0, x.lo)
        return BoundArray(self, np.where(neg, 0.0, x.hi), lo, x.err)

    # -- reading results -----------------------------------------------------
    def split(self, a: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo, err) float64 arrays of a result, as the conformance reference stores them.

        A plain float array (a state filled by ``init_state``) is an exact input (:meth:`lift`).
        """
        a = self.lift(a)
        if a.lo is None:
            return a.hi.copy(), np.zeros_like(a.hi), np.nextafter(a.err, np.inf)
        hi, lo = fast_two_sum(a.hi, a.lo)
        return hi, lo, np.nextafter(a.err, np.inf)
