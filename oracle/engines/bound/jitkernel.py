"""The compiled loop of :mod:`.jitbound`: a tape of the update run with :mod:`.vecbound`'s operations.

:func:`run_tape` runs, for blocks of ``BLOCK`` elements through every step, the instructions of a
tape (:mod:`..trace`; encoded by :func:`.jitbound.program` as opcode and operand slots), each one
loop over the block doing exactly what :class:`.vecbound.BoundArith` does for that opcode (``ADD``,
``SUB``, ``MUL``, ``SQR``, ``DIV``, ``NEG``, ``SQRT``, ``NONNEG``): the double-double words of
:mod:`.doubledouble`, compiled here, and the bound formulas written branch-free with exactly the
selections BoundArith makes with ``np.where``, ``np.maximum`` and ``np.minimum``, NaN propagation
included.  The final rounding up of a bound, ``np.nextafter(err, inf)``, is done on the bits: +1 ulp
for a positive finite value, the smallest subnormal for a zero.

numba compiles with ``fastmath`` off (no reassociation, no contraction into fused multiply-adds),
IEEE round-to-nearest, and ``error_model="numpy"`` (x/0 is inf or NaN as in numpy), so the results
are bitwise BoundArith's (:mod:`.jitbound`'s docstring).

>>> BLOCK
128
"""

from __future__ import annotations

import math

import numpy as np

from ..trace import ADD, DIV, MUL, NEG, NONNEG, SQR, SUB
from . import doubledouble as dd
from .doubledouble import ABS, BIG, DOWN, UP

try:  # the optional extra "jit"
    import numba
except ImportError:  # pragma: no cover - exercised without numba
    numba = None

__all__ = ["BLOCK", "exact_float_inputs", "run_tape"]

BLOCK = 128
"""Elements run together through each instruction (a loop the compiler vectorizes)."""

if numba is not None:
    _jit = numba.njit(cache=True, error_model="numpy", fastmath=False, nogil=True)

    _two_sum = _jit(dd.two_sum)
    _fast_two_sum = _jit(dd.fast_two_sum)
    _split = _jit(dd.split)
    _two_prod_split = _jit(dd.two_prod_split)
    _two_square_split = _jit(dd.two_square_split)

    @_jit
    def _two_prod(a, b):
        ah, al = _split(a)
        bh, bl = _split(b)
        return _two_prod_split(a, b, ah, al, bh, bl)

    @_jit
    def _two_square(a):
        ah, al = _split(a)
        return _two_square_split(a, ah, al)

    @_jit
    def _npmax(a, b):  # np.maximum: NaN if either is NaN
        return a if (a >= b or a != a) else b

    @_jit
    def _npmin(a, b):  # np.minimum
        return a if (a <= b or a != a) else b

    @_jit
    def run_tape(ins, outmap, consts, aux, gin, start, out, first_bad, steps, two_words, c_rel, c_abs, fast_limit,
                largest_down, c_flush):
        """Run the tape ``ins`` (op, a, b: slots of a bank) for every element and step.

        Elements go in blocks of ``BLOCK``; every bank slot holds a block's values (hi, lo, err):
        one register per instruction, then the current values of the output fields
        (``start[f, (hi, lo, err), element]`` at step 0: parameters, then state), the gradient of
        the step (``gin[t - 1, :, element]``), the per-element data ``aux[j, :, element]`` and
        the constants.  ``out[t, f, :, element]`` receives the fields split
        (:meth:`.vecbound.BoundArith.split`) at every step, ``first_bad[element]`` the first step where
        BoundArith would refuse (steps + 1: never).  Each operation is BoundArith's, branch-free
        (the same selections as its ``np.where``, ``np.maximum``, ``np.minimum``).
        """
        n = out.shape[3]
        nins = ins.shape[0]
        nout = outmap.shape[0]
        f0 = nins
        g0 = f0 + nout
        a0 = g0 + 1
        k0 = a0 + aux.shape[0]
        nslot = k0 + consts.shape[0]
        B = BLOCK
        bh = np.zeros((nslot, B))
        bl = np.zeros((nslot, B))
        be = np.zeros((nslot, B))
        nh = np.zeros((nout, B))
        nl = np.zeros((nout, B))
        ne = np.zeros((nout, B))
        badv = np.zeros(B, dtype=np.int64)
        for k in range(consts.shape[0]):
            for l in range(B):
                bh[k0 + k, l] = consts[k, 0]
                bl[k0 + k, l] = consts[k, 1]
                be[k0 + k, l] = consts[k, 2]
        for b0 in range(0, n, B):
            m = min(B, n - b0)
            for l in range(m):
                badv[l] = steps + 1
            for j in range(aux.shape[0]):
                for l in range(m):
                    bh[a0 + j, l] = aux[j, 0, b0 + l]
                    bl[a0 + j, l] = aux[j, 1, b0 + l]
                    be[a0 + j, l] = aux[j, 2, b0 + l]
            for f in range(nout):
                for l in range(m):
                    nh[f, l] = start[f, 0, b0 + l]
                    nl[f, l] = start[f, 1, b0 + l]
                    ne[f, l] = start[f, 2, b0 + l]
            for t in range(steps + 1):
                if t > 0:
                    if gin.shape[2] > 0:
                        for l in range(m):
                            bh[g0, l] = gin[t - 1, 0, b0 + l]
                            bl[g0, l] = gin[t - 1, 1, b0 + l]
                            be[g0, l] = gin[t - 1, 2, b0 + l]
                    for k in range(nins):
                        _op(ins[k, 0], bh[ins[k, 1]], bl[ins[k, 1]], be[ins[k, 1]], bh[ins[k, 2]], bl[ins[k, 2]],
                            be[ins[k, 2]], bh[k], bl[k], be[k], badv, t, m, two_words, c_rel, c_abs, fast_limit,
                            largest_down, c_flush)
                    for f in range(nout):
                        src = outmap[f]
                        for l in range(m):
                            nh[f, l] = bh[src, l]
                            nl[f, l] = bl[src, l]
                            ne[f, l] = be[src, l]
                for f in range(nout):
                    oh = out[t, f, 0, b0:b0 + m]
                    ol = out[t, f, 1, b0:b0 + m]
                    oe = out[t, f, 2, b0:b0 + m]
                    for l in range(m):
                        h = nh[f, l]
                        lo = nl[f, l]
                        bh[f0 + f, l] = h
                        bl[f0 + f, l] = lo
                        be[f0 + f, l] = ne[f, l]
                        if two_words:  # vecbound.split: renormalized
                            s = h + lo
                            oh[l] = s
                            ol[l] = lo - (s - h)
                        else:
                            oh[l] = h
                            ol[l] = 0.0
                        oe[l] = ne[f, l]
                    _round_up(oe, m)
            for l in range(m):
                first_bad[b0 + l] = badv[l]

    @_jit
    def _round_up(x, m):
        """x[:m] = nextafter(x[:m], inf), on the bits (positive: +1 ulp; inf and NaN stay)."""
        bits = x.view(np.int64)
        for l in range(m):
            v = x[l]
            if v == 0.0:
                x[l] = 5e-324
            elif v > 0.0 and v < np.inf:
                bits[l] += 1
            elif v < 0.0:
                bits[l] -= 1

    @_jit
    def _op(op, xh, xl, xe, yh, yl, ye, zh, zl, ze, badv, t, m, two_words, c_rel, c_abs, fast_limit, largest_down,
            c_flush):
        """One instruction over a block: z = x op y (each element exactly as BoundArith computes it)."""
        inf = np.inf
        if op == NEG:  # exact
            for l in range(m):
                zh[l] = -xh[l]
                zl[l] = -xl[l]
                ze[l] = xe[l]
            return
        if op == NONNEG:  # no rounding
            for l in range(m):
                neg = xh[l] < 0
                zh[l] = 0.0 if neg else xh[l]
                zl[l] = 0.0 if neg else xl[l]
                ze[l] = xe[l]
            return
        if op == ADD or op == SUB:  # sub: the add of the negated operand
            sign = -1.0 if op == SUB else 1.0
            for l in range(m):
                ah, al, bh_, bl_ = xh[l], xl[l], sign * yh[l], sign * yl[l]
                prop = xe[l] + ye[l]
                if two_words:
                    s, e = _two_sum(ah, bh_)
                    tt, f = _two_sum(al, bl_)
                    e += tt
                    s, e = _fast_two_sum(s, e)
                    e += f
                    hi, lo = _fast_two_sum(s, e)
                else:
                    hi, lo = ah + bh_, 0.0
                zh[l], zl[l], ze[l] = hi, lo, prop
        elif op == MUL or op == SQR:
            for l in range(m):
                ah, al, ae, bh_, bl_, be_ = xh[l], xl[l], xe[l], yh[l], yl[l], ye[l]
                prop = abs(ah) * be_
                prop += abs(bh_) * ae
                prop += 3 * ae * be_
                if two_words:
                    if op == SQR:
                        p, e = _two_square(ah)
                        e += 2 * (ah * al)
                    else:
                        p, e = _two_prod(ah, bh_)
                        e += ah * bl_
                        e += al * bh_
                    hi, lo = _fast_two_sum(p, e)
                else:
                    hi, lo = ah * bh_, 0.0
                zh[l], zl[l], ze[l] = hi, lo, prop
        elif op == DIV:
            for l in range(m):
                ah, al, ae, bh_, bl_, be_ = xh[l], xl[l], xe[l], yh[l], yl[l], ye[l]
                ay = abs(bh_)
                if not ay > 0:
                    badv[l] = min(badv[l], t)
                gap = ay * DOWN
                gap -= 2 * be_
                gap *= DOWN
                gap -= ABS
                ylo = gap + be_
                prop = (abs(ah) + ae) * be_
                prop /= ylo * DOWN * gap
                prop += ae / gap
                prop = prop if gap > 0 else inf
                q1 = ah / bh_
                if two_words:
                    p, e = _two_prod(q1, bh_)
                    e += q1 * bl_
                    r = ah - p
                    r -= e
                    r += al
                    r /= bh_
                    hi, lo = _fast_two_sum(q1, r)
                else:
                    hi, lo = q1, 0.0
                zh[l], zl[l], ze[l] = hi, lo, prop
        else:  # SQRT
            for l in range(m):
                ah, al, ae = xh[l], xl[l], xe[l]
                if ah < 0:
                    badv[l] = min(badv[l], t)
                xlo = _npmax((ah * DOWN - ae) * DOWN - ABS, 0.0)
                rest = _npmax((xlo - ae) * DOWN - ABS, 0.0)
                first = ae / ((math.sqrt(xlo) + math.sqrt(rest)) * DOWN)
                first = inf if first != first else first
                prop = _npmin(first, math.sqrt(2 * ae))
                prop = 0.0 if ae == 0 else prop
                r = math.sqrt(ah)
                if two_words:
                    p, e = _two_square(r)
                    c = ((ah - p) - e + al) / (2 * r)
                    c = 0.0 if r == 0 else c
                    hi, lo = _fast_two_sum(r, c)
                else:
                    hi, lo = r, 0.0
                zh[l], zl[l], ze[l] = hi, lo, prop
        for l in range(m):  # BoundArith._result
            hi = zh[l]
            prop = ze[l]
            a = abs(hi) * UP
            a += prop
            err = a * c_rel
            err += prop * UP
            err += c_abs
            if c_flush > 0:  # flush to zero: + min(a, N) UP (BoundArith._c_flush; 0: gradual underflow)
                err += _npmin(a, c_flush) * UP
            if not abs(hi) <= BIG:  # (a > fast_limit whenever |hi| > BIG)
                badv[l] = min(badv[l], t)
            ze[l] = inf if a > largest_down else err

    @_jit
    def exact_float_inputs(x, gin, c):
        """gin[t] = BoundArith.array(x[t]) for float64 inputs of a float64 candidate (or narrower inputs);
        False (gin unusable) if an input is not finite or beyond 2^900 (then BoundArith decides)."""
        for t in range(x.shape[0]):
            for e in range(x.shape[1]):
                v = x[t, e]
                if not abs(v) <= BIG:
                    return False
                gin[t, 0, e] = v
                gin[t, 1, e] = 0.0
                gin[t, 2, e] = abs(v) * c + ABS
        return True
