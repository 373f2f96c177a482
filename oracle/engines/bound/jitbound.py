"""The grading-grade reference compiled: :mod:`.vecbound`'s arithmetic without numpy's per-call cost.

:class:`.vecbound.BoundArith` evaluates every operation of the update over
whole numpy arrays; each of its ~10 operations per step costs numpy's fixed
per-call overhead (microseconds) 20 to 40 times.  This module runs the very
same floating-point operations, in the same order, in one numba-compiled loop
(optional extra ``jit``): elements go in blocks of ``BLOCK`` (128) through
every step and every operation of the update, each operation one loop over the
block that stays in the caches (and that the compiler vectorizes: the
operations are written branch-free, with exactly the selections BoundArith
makes with ``np.where``, ``np.maximum`` and ``np.minimum``, NaN propagation
included; the final rounding up of a bound, ``np.nextafter(err, inf)``, is
done on the bits: +1 ulp for a positive finite value, the smallest subnormal
for a zero).  Nothing of the method changes, so everything :mod:`.vecbound`'s
docstring proves holds here unchanged:

* a value is a double-double W = hi + lo (one word for float32/float16
  candidates) and a bound S >= E + |W - V| (V exact, E the bound of
  :class:`.errorbound.ErrorBoundArith`), propagated by the same formulas;
* every bound formula is evaluated in round-to-nearest and covered by the
  factors ``UP``/``DOWN`` and the absolute term ``ABS``;
* results outside [2^-900, 2^900], a division by a value that may be zero and
  a square root of a value that may be negative are refused
  (:class:`~.vecbound.OutOfRange`): the caller falls back to ErrorBoundArith.

Which operations run comes from :mod:`.trace`: :func:`oracle.algorithm.step`
(and the closed-loop gradient of :class:`oracle.problems.quadratic.Diagonal`)
recorded once as a tape, so every convention runs exactly the operations the
object engine runs.  The inputs, constants and per-element data are converted
by BoundArith itself (``array``, ``const``, ``lift``).

Floating point: numba compiles with ``fastmath`` off (no reassociation, no
contraction of a*b + c into a fused multiply-add: LLVM contracts only under
the ``contract`` flag, which numba sets only with fastmath), IEEE
round-to-nearest, and ``error_model="numpy"`` (x/0 is inf or NaN as in numpy,
not an exception).  Dekker's product and Knuth's sum are then error-free as in
numpy, and the results are *bitwise identical* to BoundArith's: the tests
compare every hi, lo and bound bit for bit over every preset, dtype and hard
regime, and check the bounds against ErrorBoundArith directly.

Without numba, :func:`available` is False and the conformance reference uses
BoundArith (the same numbers, slower).

>>> from oracle.conventions import preset
>>> if available():
...     run = bound_run(preset("seed", lr=0.1, rho=0.9, eps=1e-8), "float64", [[0.0]], steps=1, grads=[[[-8.0]]])
...     hi, lo, err = run.params[1][0]
...     print(float(hi[0] + lo[0]), float(err[0]))  # as BoundArith: see vecbound's doctest
... else:
...     print(0.31622776576978506, 8.426000314711347e-16)
0.31622776576978506 8.426000314711347e-16
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ...conventions import Convention
from ...rounding import widens_exactly
from .. import trace as T
from .vecbound import ABS, BIG, DOWN, SPLIT, UP, BoundArith, OutOfRange

try:  # the optional extra "jit"
    import numba
except ImportError:  # pragma: no cover - exercised without numba
    numba = None


def available() -> bool:
    """Whether the compiled engine can run (numba is installed)."""
    return numba is not None


if numba is not None:
    _jit = numba.njit(cache=True, error_model="numpy", fastmath=False, nogil=True)

    @_jit
    def _two_sum(a, b):
        s = a + b
        bb = s - a
        return s, (a - (s - bb)) + (b - bb)

    @_jit
    def _fast_two_sum(a, b):
        s = a + b
        return s, b - (s - a)

    @_jit
    def _split(a):
        c = SPLIT * a
        hi = c - (c - a)
        return hi, a - hi

    @_jit
    def _two_prod(a, b):
        p = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        e = ah * bh - p
        e += ah * bl
        e += al * bh
        e += al * bl
        return p, e

    @_jit
    def _two_square(a):
        p = a * a
        ah, al = _split(a)
        e = ah * ah - p
        e += 2 * (ah * al)
        e += al * al
        return p, e

    @_jit
    def _npmax(a, b):  # np.maximum: NaN if either is NaN
        return a if (a >= b or a != a) else b

    @_jit
    def _npmin(a, b):  # np.minimum
        return a if (a <= b or a != a) else b

    BLOCK = 128
    """Elements run together through each instruction (a loop the compiler vectorizes)."""

    @_jit
    def _kernel(ins, outmap, consts, aux, gin, start, out, first_bad, steps, two_words, c_rel, c_abs, fast_limit,
                largest_down):
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
        inf = np.inf
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
                            largest_down)
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
    def _op(op, xh, xl, xe, yh, yl, ye, zh, zl, ze, badv, t, m, two_words, c_rel, c_abs, fast_limit, largest_down):
        """One instruction over a block: z = x op y (each element exactly as BoundArith computes it)."""
        inf = np.inf
        if op == 5:  # neg: exact
            for l in range(m):
                zh[l] = -xh[l]
                zl[l] = -xl[l]
                ze[l] = xe[l]
            return
        if op == 7:  # nonneg: no rounding
            for l in range(m):
                neg = xh[l] < 0
                zh[l] = 0.0 if neg else xh[l]
                zl[l] = 0.0 if neg else xl[l]
                ze[l] = xe[l]
            return
        if op == 0 or op == 1:  # add, sub (= add of the negated operand)
            sign = -1.0 if op == 1 else 1.0
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
        elif op == 2 or op == 3:  # mul, square
            for l in range(m):
                ah, al, ae, bh_, bl_, be_ = xh[l], xl[l], xe[l], yh[l], yl[l], ye[l]
                prop = abs(ah) * be_
                prop += abs(bh_) * ae
                prop += 3 * ae * be_
                if two_words:
                    if op == 3:
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
        elif op == 4:  # div
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
        else:  # sqrt
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
            if not abs(hi) <= BIG:  # (a > fast_limit whenever |hi| > BIG)
                badv[l] = min(badv[l], t)
            ze[l] = inf if a > largest_down else err


if numba is not None:
    @_jit
    def _exact_float_inputs(x, gin, c):
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

@dataclasses.dataclass
class BoundRun:
    """Per step t and parameter array i: ``params[t][i]`` and ``state[t][name][i]`` as the float64
    triples (hi, lo, err) of :meth:`.vecbound.BoundArith.split` (flattened arrays).

    ``refused``: the first step at which BoundArith would raise OutOfRange (None: never);
    ``invalid``: the first step whose gradient input is not finite (BoundArith raises ValueError).
    """

    params: list
    state: list
    refused: Optional[int] = None
    invalid: Optional[int] = None


def _triple(x: Any) -> tuple:
    hi = np.asarray(x.hi, dtype=np.float64)
    lo = np.zeros_like(hi) if x.lo is None else np.asarray(x.lo, dtype=np.float64)
    return hi, lo, np.asarray(x.err, dtype=np.float64)


def _grad_inputs(ar: BoundArith, rows: list, n: int) -> tuple:
    """One array's open-loop gradients converted as BoundArith converts them, as a (steps, 3, n) array;
    with the first step whose input is not finite and the first one out of range (or None).

    Float arrays of one dtype are converted in one call (the conversion is elementwise)."""
    steps = len(rows)
    gin = np.zeros((max(steps, 1), 3, n))
    if steps and all(isinstance(r, np.ndarray) and r.dtype.kind == "f" and r.size == n for r in rows) \
            and len({r.dtype for r in rows}) == 1:
        x = np.stack([r.reshape(-1) for r in rows])
        if x.dtype in (np.float32, np.float64) and widens_exactly(x.dtype.name, ar.dtype):
            # every input representable in the dtype: BoundArith.array's err = |x| * (own * UP) + ABS
            try:
                exact = _exact_float_inputs(x, gin, ar.own * UP)
            except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                raise T.Decline(f"numba could not compile the input conversion: {exc}") from None
            if exact:
                return gin, None, None
        with np.errstate(invalid="ignore", over="ignore"):
            ok = bool(np.isfinite(x).all()) and not np.max(np.abs(x), initial=0.0) > BIG
        if ok:
            b = ar.array(x)
            gin[:steps, 0] = b.hi
            if b.lo is not None:
                gin[:steps, 1] = b.lo
            gin[:steps, 2] = b.err
            return gin, None, None
    invalid = refused = None
    for t, x in enumerate(rows):
        try:
            b = np.atleast_1d(ar.array(x))
        except OutOfRange:
            refused = t + 1 if refused is None else refused
            continue
        except ValueError:
            invalid = t + 1 if invalid is None else invalid
            continue
        if b.size != n:
            raise ValueError(f"grads[{t}] has {b.size} elements where the parameters have {n}")
        gin[t] = np.stack(_triple(b.reshape(-1)))
    return gin, invalid, refused


def bound_run(conv: Convention, dtype: str, params0: Sequence[Any], *, steps: int,
              grads: Optional[Sequence[Sequence[Any]]] = None, grad_fn: Optional[Callable] = None,
              slack: int = 4) -> BoundRun:
    """``simulate(conv, BoundArith(dtype), ...)`` split into float64 triples, compiled.

    Raises :class:`.trace.Decline` when the computation cannot be traced (the caller runs
    BoundArith) and :class:`OutOfRange` when an initial parameter is out of range.
    """
    if numba is None:
        raise T.Decline("numba is not installed")
    if conv.state_dtype(str(dtype)) != str(dtype):
        raise T.Decline("state kept wider than the parameters (Convention.state): BoundArith runs it")
    ar = BoundArith(dtype, slack)
    params = [np.atleast_1d(ar.array(p)) for p in params0]
    shapes = [p.shape for p in params]
    if grad_fn is None:
        prog, consts, codes = _open_loop(conv, len(shapes), str(dtype), slack)
        aux_conv: list = []
    else:
        prog = T.trace(conv, shapes, grad_fn)
        # closed loop: the gradient function's data, converted (each step, identically) as BoundArith does
        try:
            aux_conv = [np.stack(_triple(ar.array(values))).reshape(3, -1) for values in prog.tape.aux]
            aux_refused = False
        except OutOfRange:  # BoundArith refuses at step 1, in the gradient function
            aux_conv = [np.zeros((3, int(np.size(values)))) for values in prog.tape.aux]
            aux_refused = True
        consts, codes = _program(prog, ar, len(aux_conv))
    from ...algorithm import init_state

    state0 = init_state(conv, ar, params)
    refused: Optional[int] = 1 if grad_fn is not None and aux_refused else None
    invalid: Optional[int] = None
    names = prog.names
    nf = 1 + len(names)
    run = BoundRun([[] for _ in range(steps + 1)], [{k: [] for k in names} for _ in range(steps + 1)])
    for i, p in enumerate(params):
        n = p.size
        start = np.empty((nf, 3, n))
        start[0] = np.stack(_triple(p.reshape(-1)))
        for j, k in enumerate(names):
            start[1 + j] = np.stack(_triple(ar.lift(np.asarray(state0[k][i]).reshape(-1))))
        if grad_fn is None:
            gin, bad_input, bad_range = _grad_inputs(ar, [grads[t][i] for t in range(steps)], n)
            if bad_input is not None:
                invalid = bad_input if invalid is None else min(invalid, bad_input)
            if bad_range is not None:
                refused = bad_range if refused is None else min(refused, bad_range)
        else:
            gin = np.zeros((1, 3, 0))
        ins, outmap, aux_ids = codes[i]
        if any(aux_conv[j].shape[1] != n for j in aux_ids):
            raise T.Decline("per-element data of another size than the parameters")
        aux = np.stack([aux_conv[j] for j in aux_ids]) if aux_ids else np.zeros((0, 3, n))
        first_bad = np.empty(n, dtype=np.int64)
        out = np.empty((steps + 1, nf, 3, n))  # (step, field, hi/lo/err, element)
        if n:
            try:
                _kernel(ins, outmap, consts, aux, gin, start, out, first_bad, steps, ar.words == 2, ar._c_rel,
                        ar._c_abs, ar._fast_limit, ar._largest_down)
            except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                raise T.Decline(f"numba could not compile the kernel: {exc}") from None
            worst = int(first_bad.min())
            if worst <= steps:
                refused = worst if refused is None else min(refused, worst)
        for t in range(steps + 1):
            run.params[t].append(tuple(out[t, 0]))
            for j, k in enumerate(names):
                run.state[t][k].append(tuple(out[t, 1 + j]))
    run.refused, run.invalid = refused, invalid
    return run


@functools.lru_cache(maxsize=256)
def _open_loop(conv: Convention, count: int, dtype: str, slack: int) -> tuple:
    """The traced open-loop step of ``count`` arrays, its constants and kernel code (cached)."""
    prog = T.trace(conv, [(1,)] * count)
    return (prog, *_program(prog, BoundArith(dtype, slack), 0))


def _program(prog: T.Program, ar: BoundArith, naux: int) -> tuple:
    """The constants (BoundArith's) and, per array, the kernel's instructions and output slots."""
    tape = prog.tape
    consts = np.array([_triple(ar.const(c)) for c in tape.consts], dtype=np.float64).reshape(-1, 3)
    nf = 1 + len(prog.names)
    codes = []
    for i in range(len(prog.shapes)):
        used = prog.used(i)
        pos = {tape.code[k][1]: r for r, k in enumerate(used)}
        operands = [v for k in used for v in tape.code[k][2:] if v >= 0] + list(prog.outputs(i)[:nf])
        aux_ids = sorted({tape.values[v].index for v in operands if tape.values[v].kind == T.AUX})
        local = {j: r for r, j in enumerate(aux_ids)}  # this array's per-element data only
        slot = _slots(tape, pos, len(used), nf, len(aux_ids), local)
        ins = np.array([[tape.code[k][0], slot(tape.code[k][2]), slot(tape.code[k][3])] for k in used],
                       dtype=np.int64).reshape(-1, 3)
        outmap = np.array([slot(v) for v in prog.outputs(i)[:nf]], dtype=np.int64)
        codes.append((ins, outmap, aux_ids))
    return consts, codes


def _slots(tape: T.Tape, pos: dict, nins: int, nout: int, naux: int, local: dict) -> Callable:
    """Value id -> slot of the kernel's per-lane bank (see ``_kernel``)."""
    def slot(v: int) -> int:
        if v < 0:
            return 0
        val = tape.values[v]
        if val.kind == T.OP:
            return pos[v]
        if val.kind == T.INPUT_P:
            return nins
        if val.kind == T.INPUT_S:
            return nins + 1 + val.slot
        if val.kind == T.INPUT_G:
            return nins + nout
        if val.kind == T.AUX:
            return nins + nout + 1 + local[val.index]
        return nins + nout + 1 + naux + val.index

    return slot


def run_job(job: Any, until: Optional[int], alive: Callable) -> dict:
    """:func:`oracle.conformance.judge.reference.run_job` for a vector job, compiled (same dict, same numbers).

    Raises :class:`OutOfRange` (the caller falls back to ErrorBoundArith) and
    :class:`.trace.Decline` (the caller runs BoundArith) as that function expects.
    """
    grad_fn = job.problem.grad_fn() if job.problem is not None else None
    run = bound_run(job.conv, job.dtype, job.params0, steps=job.steps, grads=job.grads, grad_fn=grad_fn)
    out: dict = {"params": [], "state": [], "masks": [], "undefined": None}
    sizes = any(np.size(p) for p in job.params0)
    for t in range(job.steps + 1):
        if t >= 1:
            if until is None and not any(m.any() for m in out["masks"][-1]) and sizes:
                break
            if until is not None and t > until:
                break
            if run.invalid == t:  # the genuine error of BoundArith's conversion
                for x in job.grads[t - 1]:
                    BoundArith(job.dtype).array(x)
                raise ValueError(f"grads[{t - 1}] is not finite")
            if run.refused is not None and run.refused <= t:
                raise OutOfRange("a value beyond the vectorized bound's range (compiled engine)")
        out["params"].append(run.params[t])
        out["state"].append(run.state[t])
        out["masks"].append(alive(run.params[t], out["masks"][-1] if out["masks"] else None, job.dtype))
    return out
