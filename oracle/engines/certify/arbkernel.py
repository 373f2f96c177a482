"""The compiled loop of :mod:`.jitarb`: a tape of the update run with FLINT's Arb functions (extra ``jit``).

:func:`run_tape` runs, for each element ("lane") and every step, the instructions of a tape
(:mod:`..trace`, encoded by :func:`.jitarb.locations`: opcode, then destination and operands as
(kind, index) pairs over the kinds ``K_*``), each one call of FLINT's function for that opcode with
the operands in the order :mod:`.arb` passes them and at the working precision: ``ADD`` ``arb_add``,
``SUB`` ``arb_sub``, ``MUL`` ``arb_mul``, ``SQR`` ``arb_mul(z, x, x)`` (as python-flint calls it),
``DIV`` ``arb_div``, ``NEG`` ``arb_neg``, ``SQRT`` ``arb_sqrt``, ``NONNEG`` :meth:`.arb.ArbArith.nonneg`
(``arb_lt`` / ``arb_ge`` against 0, ``arb_nonnegative_part``), ``COPY`` ``arb_set``.

FLINT's functions are called through their addresses (:func:`addresses`, from :mod:`.flintlib`),
passed at run time, so the compiled code refers to no process-specific value and numba caches it
on disk like any other function.

>>> [F_ADD, F_SUB, F_MUL, F_DIV] == list(range(4)) and COPY not in (ADD, SUB, MUL, SQR, DIV, NEG, SQRT, NONNEG)
True
"""

from __future__ import annotations

import ctypes
from typing import Any, Sequence

import numpy as np

from ..trace import ADD, DIV, MUL, NEG, NONNEG, SQR, SQRT, SUB
from . import flintlib
from .flintlib import ARB_SIZE

try:  # the optional extra "jit"
    import numba
except ImportError:  # pragma: no cover - exercised without numba
    numba = None

__all__ = ["COPY", "K_AUX", "K_CONST", "K_CUR", "K_NONE", "K_PREV", "K_REG", "addresses", "run_tape",
           "set_doubles", "warm"]

# operand kinds of the kernel: a register, the previous step's field, this step's field, a constant,
# per-element data, no operand
K_REG, K_PREV, K_CUR, K_CONST, K_AUX, K_NONE = range(6)
COPY = 8
"""An opcode beyond the tape's: ``arb_set`` (an output that is an input or another output)."""

F_ADD, F_SUB, F_MUL, F_DIV, F_SQRT, F_NEG, F_SET, F_SET_D, F_LT, F_GE, F_NONNEG, F_ACC = range(12)
"""The positions of FLINT's functions in :func:`addresses`."""

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
        S = ARB_SIZE
        if kind == K_REG:
            return regs + S * idx
        if kind == K_PREV:
            return store + S * (((t - 1) * nf + idx) * n + lane)
        if kind == K_CUR:
            return store + S * ((t * nf + idx) * n + lane)
        if kind == K_CONST:
            return consts + S * idx
        return aux + S * (idx * n + lane)  # K_AUX

    @_njit
    def run_tape(fns, ins, n, nf, steps, store, regs, consts, aux, zero, state0, p0f, p0_float, gf, gfield, g_float,
             accs, prec, error, certify):
        """Every lane, every step: the tape ``ins`` (op, dst kind, dst, a kind, a, b kind, b).

        ``store``: the balls (step, field, lane) of the run (fields: parameters, state slots, gradient);
        ``regs``, ``consts``, ``aux``: registers, constants and per-element data; ``zero``: a ball 0;
        ``state0``: the constants of the initial state; float inputs ``p0f`` / ``gf`` are set exactly
        here (``arb_set_d``) when ``p0_float`` / ``g_float``; ``accs`` receives the relative accuracy of
        every ball (``certify``), ``error`` the first (step, lane) whose nonneg input is negative.
        """
        S = ARB_SIZE
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
                    if op == ADD or op == SUB or op == MUL or op == DIV:  # the operands in arb.py's order
                        b = _addr(ins[k, 5], ins[k, 6], t, lane, n, nf, store, regs, consts, aux)
                        f = F_ADD if op == ADD else F_SUB if op == SUB else F_MUL if op == MUL else F_DIV
                        _c_pppl(fns[f], d, a, b, prec)
                    elif op == SQR:  # x * x: arb_mul(z, x, x), as python-flint calls it
                        _c_pppl(fns[F_MUL], d, a, a, prec)
                    elif op == NEG:
                        _c_pp(fns[F_NEG], d, a)
                    elif op == SQRT:
                        _c_ppl(fns[F_SQRT], d, a, prec)
                    elif op == NONNEG:  # ArbArith.nonneg
                        if _c_ipp(fns[F_LT], a, zero) != 0:
                            if error[0] < 0:
                                error[0] = t
                                error[1] = lane
                            _c_pp(fns[F_SET], d, a)
                        elif _c_ipp(fns[F_GE], a, zero) != 0:
                            _c_pp(fns[F_SET], d, a)
                        else:
                            _c_pp(fns[F_NONNEG], d, a)
                    else:  # COPY
                        _c_pp(fns[F_SET], d, a)
            if certify:  # step 3 of the method: the relative accuracy of every published ball
                for t in range(steps + 1):
                    for f in range(nf):
                        accs[t, f, lane] = _c_lp(fns[F_ACC], store + S * ((t * nf + f) * n + lane))

    @_njit
    def set_doubles(fns, ptr, values):
        """The balls from ``ptr`` on are set exactly to the float64 ``values`` (arb_set_d)."""
        for e in range(values.shape[0]):
            _c_pd(fns[F_SET_D], ptr + ARB_SIZE * e, values[e])


_FNS: list = []


def addresses() -> np.ndarray:
    """The addresses of FLINT's functions (:data:`.flintlib.LIB`), in the order of the ``F_`` numbers."""
    if not _FNS:
        lib = flintlib.LIB
        fns = [lib.add, lib.sub, lib.mul, lib.div, lib.sqrt, lib.neg, lib.set, lib.set_d, lib.lt, lib.ge,
               lib.nonneg, lib.acc]
        _FNS.append(np.array([ctypes.cast(f, ctypes.c_void_p).value for f in fns], dtype=np.int64))
    return _FNS[0]


def warm() -> bool:
    """Whether a compiled run has happened in this process (the compiled loop is loaded)."""
    return bool(_FNS)
