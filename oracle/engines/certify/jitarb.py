"""The golden-grade reference compiled: :mod:`.arb`'s Arb balls without Python between operations.

:mod:`.arb` runs :func:`oracle.algorithm.step` over numpy object arrays of
python-flint ``arb`` balls: every elementary operation of every element goes
through Python (150-350 ns of dispatch around an Arb call of about the same
cost).  This module makes the *same calls into the same library*: the update
(and a pure closed-loop gradient) is recorded once as a tape
(:mod:`.trace`), and a numba-compiled loop (optional extra ``jit``) runs it
for each element over all steps, calling FLINT's ``arb_add``, ``arb_sub``,
``arb_mul``, ``arb_div``, ``arb_sqrt``, ``arb_neg``, ``arb_nonnegative_part``
directly (their addresses, taken with ``ctypes`` from the very shared library
python-flint loaded, are passed to the compiled code, which numba therefore
caches on disk), with the operands in the order :mod:`.arb` passes them and at
the same working precision.  Each ball is therefore bit for bit the ball :mod:`.arb` computes
(the tests compare midpoints and radii exactly), and everything its docstring
proves holds unchanged:

1. Inputs enter as :class:`.arb.ArbArith` makes them (a float exactly,
   ``arb_set_d``; a rational through python-flint, then copied exactly with
   ``arb_load_str``); the constants (``ar.const``) and the initial state
   (``init_state``) likewise.
2. Arb's operations are rigorous: every result ball contains every real value
   the operation takes on the input balls.  The centered variance is
   intersected with [0, inf) exactly as :meth:`.arb.ArbArith.nonneg` does
   (``arb_lt`` / ``arb_ge`` against 0, ``arb_nonnegative_part``).
3. Certification is the vectorized test of :mod:`.arb`:
   ``arb_rel_accuracy_bits`` of every published ball (computed in the same
   compiled loop) against :func:`.arb.threshold_bits`; a ball failing it is
   checked exactly (its endpoints m -/+ r as Fractions through
   :func:`oracle.rounding.agreeing_digits`), so a run is accepted exactly when
   the definition accepts it.
4. Too few digits: the run is repeated at twice the precision, with the
   schedule of :func:`.interval.certified_run`.

Published values are :class:`FlintValue` objects, a
:class:`~.interval.CertifiedValue` whose exact endpoints are read from the
ball (``arb_dump_str``: mantissa and exponent of midpoint and radius, exact)
only when used.  The balls of a run live in one FLINT vector freed when the
last value referring to it is gone.

What runs here and what does not: open loop, every convention; closed loop
when the gradient function is one of the package's pure ones
(:data:`.trace.PURE_GRAD_MODULES`) and elementwise (the documents' example,
:class:`oracle.problems.quadratic.Diagonal`).  A stateful gradient function
(the Gluon :class:`~oracle.problems.gluon.Tracker`, which records its losses)
is never traced, and it and a non-elementwise one
(:mod:`oracle.problems.quadratic`'s 2 x 2 product) run in :mod:`.arb` (object
arrays), as does everything when numba is not installed or the library
self-test fails (:func:`available`).  ``engine="arb"`` compiles a run only
when it pays (:func:`worth`: the compiled loop is loaded in the process
already, or the run has at least :data:`WORTH` element-steps);
``engine="arb-jit"`` whenever it applies.  Either way the digits published
are the same.

FLINT's library: the one python-flint loaded (found next to the package, in
``/proc/self/maps`` or by name); it is used only after a self-test computes
a few balls both through python-flint and directly and finds them identical
(which also checks the 48-byte ``arb_struct`` layout).

>>> from oracle.conventions import preset
>>> from oracle.engines.certify.interval import certified_run
>>> run = certified_run(preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30)  # compiled if available
>>> run.records[1]["params"][0][0].sci(30)
'3.16227765769784991288749885395e-1'
>>> type(run.records[1]["params"][0][0]).__name__ in ("FlintValue", "BallValue", "CertifiedValue")
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import weakref
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from ... import algorithm
from ...conventions import Convention
from ...rounding import agreeing_digits
from .. import trace as T
from ..certified import CertifiedRun, LazyValue, certified_precision

try:  # the optional extras "jit" (numba) and "flint" (python-flint)
    import flint
    import numba

    from .arb import ArbArith, precision, threshold_bits
except ImportError as exc:  # pragma: no cover - exercised without the extras
    flint = numba = None
    _MISSING = f"{exc} (pip install 'rmsprop-oracle[jit]')"
else:
    _MISSING = ""

ARB_SIZE = 48
"""sizeof(arb_struct): an arf (exponent, size, two limbs or a pointer) and a mag (exponent, limb)."""

# operand kinds of the kernel
K_REG, K_PREV, K_CUR, K_CONST, K_AUX, K_NONE = range(6)
COPY = 8  # an extra opcode: arb_set


def _library_paths() -> list:
    base = os.path.dirname(os.path.dirname(os.path.abspath(flint.__file__)))
    pkg = os.path.dirname(os.path.abspath(flint.__file__))
    found = []
    for pattern in ("python_flint.libs/libflint*.so*", "python_flint.libs/*flint*.dll", "flint/.dylibs/libflint*"):
        found += sorted(glob.glob(os.path.join(base, pattern)))
    found += sorted(glob.glob(os.path.join(pkg, ".dylibs", "libflint*")))
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as fh:
            for line in fh:
                path = line.split()[-1] if "/" in line else ""
                if "libflint" in os.path.basename(path) and path not in found:
                    found.append(path)
    except OSError:
        pass
    name = ctypes.util.find_library("flint")
    if name:
        found.append(name)
    return found


class _Lib:
    """FLINT's arb functions through ctypes (prototypes as in arb.h)."""

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        vp, sl = ctypes.c_void_p, ctypes.c_long
        self.path, self.lib = path, lib

        def fn(name: str, res: Any, *args: Any) -> Any:
            f = getattr(lib, name)
            f.restype, f.argtypes = res, list(args)
            return f

        self.vec_init = fn("_arb_vec_init", vp, sl)
        self.vec_clear = fn("_arb_vec_clear", None, vp, sl)
        self.add = fn("arb_add", None, vp, vp, vp, sl)
        self.sub = fn("arb_sub", None, vp, vp, vp, sl)
        self.mul = fn("arb_mul", None, vp, vp, vp, sl)
        self.div = fn("arb_div", None, vp, vp, vp, sl)
        self.sqrt = fn("arb_sqrt", None, vp, vp, sl)
        self.neg = fn("arb_neg", None, vp, vp)
        self.set = fn("arb_set", None, vp, vp)
        self.set_d = fn("arb_set_d", None, vp, ctypes.c_double)
        self.lt = fn("arb_lt", ctypes.c_int, vp, vp)
        self.ge = fn("arb_ge", ctypes.c_int, vp, vp)
        self.nonneg = fn("arb_nonnegative_part", None, vp, vp)
        self.acc = fn("arb_rel_accuracy_bits", sl, vp)
        self.is_finite = fn("arb_is_finite", ctypes.c_int, vp)
        self.dump = fn("arb_dump_str", vp, vp)
        self.load = fn("arb_load_str", ctypes.c_int, vp, ctypes.c_char_p)
        self.free = fn("flint_free", None, vp)

    # -- exact transfer between python-flint balls and raw arb_t ------------------
    def load_ball(self, addr: int, ball: Any) -> None:
        """Set the arb_t at ``addr`` to exactly the python-flint ball ``ball``."""
        m, e = ball.mid().man_exp()
        rm, re_ = ball.rad().man_exp()
        text = f"{int(m):x} {int(e):x} {int(rm):x} {int(re_):x}".encode("ascii")
        if self.load(addr, text) != 0:
            raise ValueError(f"arb_load_str refused {text!r}")

    def dump_text(self, addr: int) -> str:
        s = self.dump(addr)
        try:
            return ctypes.string_at(s).decode("ascii")
        finally:
            self.free(s)

    def ends(self, addr: int) -> tuple:
        """The exact enclosure (lo, hi) of the ball at ``addr``; (None, None) if it is not finite."""
        if not self.is_finite(addr):
            return None, None
        m, e, rm, re_ = (int(x, 16) for x in self.dump_text(addr).split())
        mid = Fraction(m) * Fraction(2) ** e
        rad = Fraction(rm) * Fraction(2) ** re_
        return mid - rad, mid + rad


def _self_test(lib: _Lib) -> None:
    """Balls computed directly must equal python-flint's, bit for bit (layout and library check)."""
    from flint import arb, fmpq

    vec = lib.vec_init(4)
    try:
        a, b, c = vec, vec + ARB_SIZE, vec + 3 * ARB_SIZE
        with precision(300):
            x, y = arb(fmpq(1, 3)), arb(0.1)
            want = ((x * y + x) / (x - y)).sqrt()
            want = -(want * want)
        lib.load_ball(a, x)
        lib.set_d(b, 0.1)
        lib.mul(c, a, b, 300)
        lib.add(c, c, a, 300)
        lib.sub(vec + 2 * ARB_SIZE, a, b, 300)
        lib.div(c, c, vec + 2 * ARB_SIZE, 300)
        lib.sqrt(c, c, 300)
        lib.mul(c, c, c, 300)
        lib.neg(c, c)
        got = lib.ends(c)
        m, r = want.mid(), want.rad()

        def frac(v: Any) -> Fraction:
            mm, ee = (int(t) for t in v.man_exp())
            return Fraction(mm) * Fraction(2) ** ee

        if got != (frac(m) - frac(r), frac(m) + frac(r)) or lib.acc(c) != want.rel_accuracy_bits():
            raise RuntimeError("the library's balls differ from python-flint's")
    finally:
        lib.vec_clear(vec, 4)


def _load() -> tuple:
    reasons = []
    for path in _library_paths():
        try:
            lib = _Lib(path)
            _self_test(lib)
            return lib, ""
        except (OSError, AttributeError, RuntimeError, ValueError) as exc:
            reasons.append(f"{path}: {exc}")
    return None, "; ".join(reasons) or "FLINT's shared library was not found"


LIB, _REASON = _load() if not _MISSING else (None, _MISSING)


def available() -> bool:
    """Whether the compiled Arb engine can run (numba, python-flint and its library, self-tested)."""
    return LIB is not None


def unavailable_reason() -> str:
    return _REASON


# -- the compiled loop ---------------------------------------------------------------------------
# FLINT's functions are called through their addresses, passed at run time (``_fns()``), so the compiled
# code refers to no process-specific value and numba caches it on disk like any other function.
F_ADD, F_SUB, F_MUL, F_DIV, F_SQRT, F_NEG, F_SET, F_SET_D, F_LT, F_GE, F_NONNEG, F_ACC = range(12)

if numba is not None:
    from llvmlite import ir as _ir
    from numba import types as _types
    from numba.extending import intrinsic as _intrinsic

    _P, _L, _D, _I = _ir.IntType(8).as_pointer(), _ir.IntType(64), _ir.DoubleType(), _ir.IntType(32)

    def _emit(builder: Any, fn: Any, ret: Any, kinds: str, args: Sequence[Any]) -> Any:
        arg_types = [{"p": _P, "l": _L, "d": _D}[k] for k in kinds]
        fptr = builder.inttoptr(fn, _ir.FunctionType(ret, arg_types).as_pointer())
        return builder.call(fptr, [builder.inttoptr(v, _P) if k == "p" else v for k, v in zip(kinds, args)])

    def _void_call(kinds: str) -> Any:
        nb = {"p": _types.int64, "l": _types.int64, "d": _types.float64}

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            _emit(builder, args[0], _ir.VoidType(), kinds, args[1:])
            return context.get_dummy_value()

        return _types.void(_types.int64, *[nb[k] for k in kinds]), codegen

    @_intrinsic
    def _c_pppl(typingctx, fn, z, x, y, prec):  # void f(arb_t z, arb_t x, arb_t y, slong prec)
        return _void_call("pppl")

    @_intrinsic
    def _c_ppl(typingctx, fn, z, x, prec):  # void f(arb_t z, arb_t x, slong prec)
        return _void_call("ppl")

    @_intrinsic
    def _c_pp(typingctx, fn, z, x):  # void f(arb_t z, arb_t x)
        return _void_call("pp")

    @_intrinsic
    def _c_pd(typingctx, fn, z, d):  # void f(arb_t z, double d)
        return _void_call("pd")

    @_intrinsic
    def _c_ipp(typingctx, fn, x, y):  # int f(arb_t x, arb_t y)
        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            return builder.sext(_emit(builder, args[0], _I, "pp", args[1:]), _L)
        return _types.int64(_types.int64, _types.int64, _types.int64), codegen

    @_intrinsic
    def _c_lp(typingctx, fn, x):  # slong f(arb_t x)
        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            return _emit(builder, args[0], _L, "p", args[1:])
        return _types.int64(_types.int64, _types.int64), codegen

    _njit = numba.njit(cache=True, nogil=True)

    @_njit
    def _addr(kind, idx, t, lane, n, nf, store, regs, consts, aux):
        S = 48  # ARB_SIZE
        if kind == 0:
            return regs + S * idx
        if kind == 1:
            return store + S * (((t - 1) * nf + idx) * n + lane)
        if kind == 2:
            return store + S * ((t * nf + idx) * n + lane)
        if kind == 3:
            return consts + S * idx
        return aux + S * (idx * n + lane)

    @_njit
    def _run(fns, ins, n, nf, steps, store, regs, consts, aux, zero, state0, p0f, p0_float, gf, gfield, g_float,
             accs, prec, error, certify):
        """Every lane, every step: the tape ``ins`` (op, dst kind, dst, a kind, a, b kind, b)."""
        S = 48
        nins = ins.shape[0]
        for lane in range(n):
            if p0_float:
                _c_pd(fns[F_SET_D], store + S * lane, p0f[lane])
            for j in range(state0.shape[0]):  # the state fields at step 0: init_state's constants
                _c_pp(fns[F_SET], store + S * ((1 + j) * n + lane), consts + S * state0[j])
            for t in range(1, steps + 1):
                if g_float:
                    _c_pd(fns[F_SET_D], store + S * ((t * nf + gfield) * n + lane), gf[t - 1, lane])
                for k in range(nins):
                    op = ins[k, 0]
                    d = _addr(ins[k, 1], ins[k, 2], t, lane, n, nf, store, regs, consts, aux)
                    a = _addr(ins[k, 3], ins[k, 4], t, lane, n, nf, store, regs, consts, aux)
                    if op == 0 or op == 1 or op == 2 or op == 4:  # the operands in the order arb.py gives them
                        b = _addr(ins[k, 5], ins[k, 6], t, lane, n, nf, store, regs, consts, aux)
                        _c_pppl(fns[F_DIV if op == 4 else op], d, a, b, prec)
                    elif op == 3:  # x * x: arb_mul(z, x, x), as python-flint calls it
                        _c_pppl(fns[F_MUL], d, a, a, prec)
                    elif op == 5:
                        _c_pp(fns[F_NEG], d, a)
                    elif op == 6:
                        _c_ppl(fns[F_SQRT], d, a, prec)
                    elif op == 7:  # ArbArith.nonneg
                        if _c_ipp(fns[F_LT], a, zero) != 0:
                            if error[0] < 0:
                                error[0] = t
                                error[1] = lane
                            _c_pp(fns[F_SET], d, a)
                        elif _c_ipp(fns[F_GE], a, zero) != 0:
                            _c_pp(fns[F_SET], d, a)
                        else:
                            _c_pp(fns[F_NONNEG], d, a)
                    else:
                        _c_pp(fns[F_SET], d, a)
            if certify:  # step 3 of the method: the relative accuracy of every published ball
                for t in range(steps + 1):
                    for f in range(nf):
                        accs[t, f, lane] = _c_lp(fns[F_ACC], store + S * ((t * nf + f) * n + lane))

    @_njit
    def _set_doubles(fns, ptr, values):
        """The balls from ``ptr`` on are set exactly to the float64 ``values`` (arb_set_d)."""
        for e in range(values.shape[0]):
            _c_pd(fns[F_SET_D], ptr + 48 * e, values[e])


_FNS: list = []


def _fns() -> np.ndarray:
    """The addresses of FLINT's functions, in the order of the ``F_`` numbers."""
    if not _FNS:
        lib = LIB
        fns = [lib.add, lib.sub, lib.mul, lib.div, lib.sqrt, lib.neg, lib.set, lib.set_d, lib.lt, lib.ge,
               lib.nonneg, lib.acc]
        _FNS.append(np.array([ctypes.cast(f, ctypes.c_void_p).value for f in fns], dtype=np.int64))
    return _FNS[0]


def warm() -> bool:
    """Whether a compiled run has happened in this process (the compiled loop is loaded)."""
    return bool(_FNS)


WORTH = 250_000
"""Element-steps from which ``engine="arb"`` compiles a run in a process that has not yet: loading the
compiled loop (numba, its disk cache) costs about a second, which :mod:`.arb`'s object arrays spend on
~300,000 element-steps."""


def worth(params0: Sequence[Any], steps: int) -> bool:
    """Whether ``engine="arb"`` runs this compiled: the loop is loaded already, or the run is large."""
    if warm():
        return True
    return sum(max(int(np.size(p)), 1) for p in params0) * max(steps, 1) >= WORTH


class _Store:
    """A FLINT vector of ``size`` balls, freed when the last value referring to it is gone."""

    def __init__(self, size: int) -> None:
        self.size = max(int(size), 1)
        self.ptr = LIB.vec_init(self.size)
        if not self.ptr:
            raise MemoryError(f"could not allocate {self.size} balls")
        weakref.finalize(self, LIB.vec_clear, self.ptr, self.size)

    def at(self, k: int) -> int:
        return self.ptr + ARB_SIZE * k


class FlintValue(LazyValue):
    """A :class:`CertifiedValue` read from a ball of a compiled run; endpoints become Fractions on first use."""

    __slots__ = ("store", "k")

    def __init__(self, store: _Store, k: int, cap: int = 80) -> None:  # noqa: D107 (not the dataclass init)
        object.__setattr__(self, "store", store)
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "cap", cap)
        object.__setattr__(self, "_ends", None)

    def _compute_ends(self) -> tuple:
        return LIB.ends(self.store.at(self.k))

    def ball_text(self) -> str:
        """The ball as ``arb_dump_str`` writes it (hex mantissa, exponent of midpoint and radius)."""
        return LIB.dump_text(self.store.at(self.k))

    def __repr__(self) -> str:
        return f"FlintValue({self.ball_text()!r})"


class _Array:
    """One parameter array's run: balls (step, field, element), the fields' meaning and its shape."""

    def __init__(self, store: _Store, steps: int, nf: int, n: int, shape: tuple) -> None:
        self.store, self.steps, self.nf, self.n, self.shape = store, steps, nf, n, shape

    def values(self, t: int, f: int, cap: int) -> np.ndarray:
        out = np.empty(self.n, dtype=object)
        base = (t * self.nf + f) * self.n
        for e in range(self.n):
            out[e] = FlintValue(self.store, base + e, cap)
        return out.reshape(self.shape)


class JitRecord(Mapping):
    """One record of a compiled run (``step``, ``grads``, ``params``, ``state``); its arrays of
    :class:`FlintValue` are made when a field is first read."""

    KEYS = ("step", "grads", "params", "state")

    def __init__(self, t: int, arrays: list, names: tuple, cap: int) -> None:
        self._t, self._arrays, self._names, self._cap, self._done = t, arrays, names, cap, {"step": t}

    def __getitem__(self, key: str) -> Any:
        if key not in self._done:
            t, cap, arrays = self._t, self._cap, self._arrays
            if key == "params":
                self._done[key] = [a.values(t, 0, cap) for a in arrays]
            elif key == "state":
                self._done[key] = {k: [a.values(t, 1 + j, cap) for a in arrays] for j, k in enumerate(self._names)}
            elif key == "grads":
                g = 1 + len(self._names)
                self._done[key] = None if t == 0 else [a.values(t, g, cap) for a in arrays]
            else:
                raise KeyError(key)
        return self._done[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)


def _is_float_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind == "f" and bool(np.isfinite(x).all())


def _locations(prog: T.Program, i: int, nf: int) -> tuple:
    """Kernel code for array i: instructions (op, dst, a, b as kind/index pairs) and the register count."""
    tape = prog.tape
    used = prog.used(i)
    outputs = prog.outputs(i)
    loc: dict = {}
    for v, val in enumerate(tape.values):
        if val.kind == T.INPUT_P:
            loc[v] = (K_PREV, 0)
        elif val.kind == T.INPUT_S:
            loc[v] = (K_PREV, 1 + val.slot)
        elif val.kind == T.INPUT_G:
            loc[v] = (K_CUR, nf - 1)
        elif val.kind == T.CONST:
            loc[v] = (K_CONST, val.index)
        elif val.kind == T.AUX:
            loc[v] = (K_AUX, val.index)
    copies = []
    for f, v in enumerate(outputs):
        if tape.values[v].kind == T.OP and v not in loc:
            loc[v] = (K_CUR, f)  # the instruction writes the published ball directly
        elif loc.get(v) != (K_CUR, f):
            copies.append((f, v))
    nregs = 0
    for k in used:
        dst = tape.code[k][1]
        if dst not in loc:
            loc[dst] = (K_REG, nregs)
            nregs += 1
    rows = []
    for k in used:
        op, dst, a, b = tape.code[k]
        rows.append([op, *loc[dst], *loc[a], *(loc[b] if b >= 0 else (K_NONE, 0))])
    for f, v in copies:
        rows.append([COPY, K_CUR, f, *loc[v], K_NONE, 0])
    return np.array(rows, dtype=np.int64).reshape(-1, 7), nregs


def _run_once(conv: Convention, prog: T.Program, params0: list, grads: Optional[list], steps: int, bits: int,
              closed: bool, certify: bool = True) -> tuple:
    """One compiled run at ``bits``: (per array, its _Array and accuracy table; ``certify=False``: the
    arithmetic alone, for the benchmark's certification share)."""
    ar = ArbArith(bits)
    names = prog.names
    nf = 1 + len(names) + 1  # params, state slots, gradients
    with precision(bits):
        consts_py = [ar.number(c) for c in prog.tape.consts]
        init = algorithm.init_state(conv, ar, [np.empty(1, dtype=object)])
        state_balls = [init[k][0].reshape(-1)[0] for k in names]
        # the gradient function's per-element data: finite floats are set exactly in the compiled loop
        aux_py = [None if _is_float_array(v) else np.asarray(ar.array(v), dtype=object).reshape(-1)
                  for v in prog.tape.aux]
    from flint import arb

    consts = _Store(len(consts_py) + len(state_balls) + 1)
    for k, b in enumerate(consts_py + state_balls + [arb(0)]):
        LIB.load_ball(consts.at(k), b)
    zero = consts.at(len(consts_py) + len(state_balls))
    state0 = np.arange(len(consts_py), len(consts_py) + len(state_balls), dtype=np.int64)
    fns = _fns()
    arrays, accs = [], []
    for i, p0 in enumerate(params0):
        shape = np.shape(p0)
        n = int(np.prod(shape, dtype=np.int64)) if shape else 1
        ins, nregs = _locations(prog, i, nf)
        store = _Store((steps + 1) * nf * n)
        regs = _Store(nregs + 1)
        aux = _Store(max(1, len(aux_py) * n))
        for j in sorted({int(r[4]) for r in ins if r[3] == K_AUX} | {int(r[6]) for r in ins if r[5] == K_AUX}):
            if np.size(prog.tape.aux[j]) != n:
                raise T.Decline("per-element data of another size than the parameters")
            if aux_py[j] is None:  # arb_set_d, as ArbArith.array does for a finite float array
                try:
                    _set_doubles(fns, aux.at(j * n), np.ascontiguousarray(np.asarray(prog.tape.aux[j],
                                                                                    dtype=np.float64).reshape(-1)))
                except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                    raise T.Decline(f"numba could not compile the loop: {exc}") from None
                continue
            for e in range(n):
                LIB.load_ball(aux.at(j * n + e), aux_py[j][e])
        p0_float = _is_float_array(p0)
        p0f = np.ascontiguousarray(np.asarray(p0, dtype=np.float64).reshape(-1)) if p0_float else np.zeros(1)
        if not p0_float:
            with precision(bits):
                balls = np.asarray(ar.array(p0), dtype=object).reshape(-1)
            for e in range(n):
                LIB.load_ball(store.at(e), balls[e])
        g_float = False
        gf = np.zeros((1, 1))
        if not closed:
            rows = [grads[t][i] for t in range(steps)]
            if rows and all(_is_float_array(r) for r in rows):
                g_float = True
                gf = np.ascontiguousarray(np.stack([np.asarray(r, dtype=np.float64).reshape(-1) for r in rows]))
            else:
                with precision(bits):
                    for t, r in enumerate(rows):
                        balls = np.asarray(ar.array(r), dtype=object).reshape(-1)
                        for e in range(n):
                            LIB.load_ball(store.at(((t + 1) * nf + nf - 1) * n + e), balls[e])
        acc = np.empty((steps + 1, nf, n), dtype=np.int64)
        error = np.full(2, -1, dtype=np.int64)
        if n:
            try:
                _run(fns, ins, n, nf, steps, store.ptr, regs.ptr, consts.ptr, aux.ptr, zero, state0, p0f, p0_float,
                     gf, nf - 1, g_float, acc, bits, error, certify)
            except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                raise T.Decline(f"numba could not compile the loop: {exc}") from None
        if error[0] >= 0:
            raise ArithmeticError("a quantity that is >= 0 in real arithmetic has a negative enclosure")
        arrays.append(_Array(store, steps, nf, n, shape))
        accs.append(acc)
    return arrays, accs


def _check_inputs(params0: Sequence[Any], grads: Optional[Sequence[Sequence[Any]]], steps: int) -> tuple:
    """simulate's checks of the arguments, with its messages; returns the shapes of the parameters."""
    shapes = [np.shape(p) for p in params0]
    if grads is not None:
        if len(grads) < steps:
            raise ValueError(f"grads has {len(grads)} steps, fewer than steps={steps}")
        sizes = [int(np.prod(s, dtype=np.int64)) if s else 1 for s in shapes]
        for t in range(steps):
            g = grads[t]
            gs = [int(np.prod(np.shape(x), dtype=np.int64)) if np.shape(x) else 1 for x in g]
            if len(g) != len(shapes) or gs != sizes or any(
                    np.atleast_1d(np.empty(np.shape(x))).shape != np.atleast_1d(np.empty(s)).shape
                    for x, s in zip(g, shapes)):
                raise ValueError(
                    f"grads[{t}] shapes {[np.atleast_1d(np.empty(np.shape(x))).shape for x in g]} do not match "
                    f"params shapes {[np.atleast_1d(np.empty(s)).shape for s in shapes]}")
    return shapes


def certified_run_jit(
    conv: Convention,
    params0: Sequence[Any],
    *,
    steps: int,
    grads: Sequence[Sequence[Any]] | None = None,
    grad_fn: algorithm.GradFn | None = None,
    digits: int = 50,
    prec: Optional[int] = None,
    max_prec: int = 1 << 16,
) -> CertifiedRun:
    """:func:`oracle.engines.certify.interval.certified_run` compiled (same arguments, same balls as :mod:`.arb`).

    Raises :class:`.trace.Decline` before computing anything when the run cannot be traced
    (the caller then runs :func:`.arb.certified_run_arb`).
    """
    if (grads is None) == (grad_fn is None):
        raise ValueError("give exactly one of grads (open loop) or grad_fn (closed loop)")
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    if not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be a positive int, got {digits!r}")
    if LIB is None:
        raise T.Decline(f"the compiled Arb engine is unavailable: {_REASON}")
    shapes = _check_inputs(params0, grads, steps)
    prog = T.trace(conv, shapes, grad_fn)
    bits = start = prec or certified_precision(digits, steps)
    cap = digits + 10
    need = threshold_bits(digits)
    closed = grad_fn is not None
    while True:
        arrays, accs = _run_once(conv, prog, list(params0), None if closed else list(grads), steps, bits, closed)
        worst, unbounded_step = digits, None
        for arr, acc in zip(arrays, accs):
            checked = acc if closed else acc[:, :-1]  # open-loop gradients are inputs (not re-checked)
            for t, f, e in zip(*np.nonzero(checked < need)):
                k = (int(t) * arr.nf + int(f)) * arr.n + int(e)
                lo, hi = LIB.ends(arr.store.at(k))
                if lo is None:
                    worst = 0
                    if unbounded_step is None or t < unbounded_step:
                        unbounded_step = int(t)
                    continue
                d = agreeing_digits(lo, hi, cap)
                if d is not None:
                    worst = min(worst, d)
        if worst >= digits:
            records = [JitRecord(t, arrays, prog.names, cap) for t in range(steps + 1)]
            return CertifiedRun(conv, steps, bits, digits, records)
        if unbounded_step is not None and bits >= 4 * start:
            raise algorithm.UndefinedUpdate(
                f"the update is undefined at step {unbounded_step}: it divides by a denominator "
                "that is exactly zero (0/0, NaN in IEEE arithmetic); use eps > 0"
            )
        if bits >= max_prec:
            raise ArithmeticError(f"could not certify {digits} digits within {max_prec} bits (got {worst} at {bits} bits)")
        bits = min(2 * bits, max_prec)
