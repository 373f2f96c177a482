"""The grading-grade reference compiled: :mod:`.vecbound`'s arithmetic without numpy's per-call cost.

:class:`.vecbound.BoundArith` evaluates every operation of the update over
whole numpy arrays; each of its ~10 operations per step costs numpy's fixed
per-call overhead (microseconds) 20 to 40 times.  This module runs the very
same floating-point operations, in the same order, in one numba-compiled loop
(optional extra ``jit``; the loop is :mod:`.jitkernel`): elements go in blocks of ``BLOCK`` (128) through
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
  (:class:`~oracle.engines.rungs.Decline`): the ladder (:mod:`.ladder`) runs ErrorBoundArith.

Which operations run comes from :mod:`..trace`: :func:`oracle.algorithm.step`
(and the closed-loop gradient of :class:`oracle.problems.quadratic.Diagonal`)
recorded once as a tape, so every convention runs exactly the operations the
object engine runs.  The inputs, constants and per-element data are converted
by BoundArith itself (``array``, ``const``, ``lift``).

Floating point: numba compiles with ``fastmath`` off (no reassociation, no
contraction of a*b + c into a fused multiply-add: LLVM contracts only under
the ``contract`` flag, which numba sets only with fastmath), IEEE
round-to-nearest, and ``error_model="numpy"`` (x/0 is inf or NaN as in numpy,
not an exception).  Dekker's product and Knuth's sum (:mod:`.doubledouble`, the functions
vecbound calls) are then error-free as in numpy, and the results are *bitwise identical* to BoundArith's: the tests
compare every hi, lo and bound bit for bit over every preset, dtype and hard
regime, and check the bounds against ErrorBoundArith directly.

Without numba, :func:`available` is False and the ladder runs BoundArith (the same numbers,
slower).

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
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ... import algorithm
from ...conventions import Convention
from ...rounding import widens_exactly
from .. import trace as T
from ..rungs import Decline
from .doubledouble import BIG, UP
from .vecbound import BoundArith

try:  # the optional extra "jit"
    import numba

    from .jitkernel import exact_float_inputs, run_tape
except ImportError:  # pragma: no cover - exercised without numba
    numba = None

__all__ = ["BoundRun", "available", "bound_run", "program"]


def available() -> bool:
    """Whether the compiled engine can run (numba is installed)."""
    return numba is not None


@dataclasses.dataclass
class BoundRun:
    """Per step t and parameter array i: ``params[t][i]`` and ``state[t][name][i]`` as the float64
    triples (hi, lo, err) of :meth:`.vecbound.BoundArith.split` (flattened arrays).

    ``refused``: the first step at which BoundArith would refuse (Decline; None: never);
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
        if x.dtype in (np.float32, np.float64) and widens_exactly(x.dtype.name, ar.dtype) and not ar.flush:
            # every input representable in the dtype: BoundArith.array's err = |x| * (own * UP) + ABS
            try:
                exact = exact_float_inputs(x, gin, ar.own * UP)
            except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                raise Decline(f"numba could not compile the input conversion: {exc}") from None
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
        except Decline:
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

    Raises :class:`~oracle.engines.rungs.Decline` when the computation cannot be traced (the ladder
    runs BoundArith) or an initial parameter is out of range (BoundArith's refusal: the ladder runs
    ErrorBoundArith).
    """
    if numba is None:
        raise Decline("numba is not installed")
    if conv.state_dtype(str(dtype)) != str(dtype):
        raise Decline("state kept wider than the parameters (Convention.state): BoundArith runs it")
    ar = BoundArith(dtype, slack, subnormals=conv.subnormals)
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
        except Decline:  # BoundArith refuses at step 1, in the gradient function
            aux_conv = [np.zeros((3, int(np.size(values)))) for values in prog.tape.aux]
            aux_refused = True
        consts, codes = program(prog, ar, len(aux_conv))
    state0 = algorithm.init_state(conv, ar, params)
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
            raise Decline("per-element data of another size than the parameters")
        aux = np.stack([aux_conv[j] for j in aux_ids]) if aux_ids else np.zeros((0, 3, n))
        first_bad = np.empty(n, dtype=np.int64)
        out = np.empty((steps + 1, nf, 3, n))  # (step, field, hi/lo/err, element)
        if n:
            try:
                run_tape(ins, outmap, consts, aux, gin, start, out, first_bad, steps, ar.words == 2, ar._c_rel,
                        ar._c_abs, ar._fast_limit, ar._largest_down, ar._c_flush)
            except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                raise Decline(f"numba could not compile the kernel: {exc}") from None
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
    return (prog, *program(prog, BoundArith(dtype, slack, subnormals=conv.subnormals), 0))  # conv: its subnormals


def program(prog: T.Program, ar: BoundArith, naux: int) -> tuple:
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
    """Value id -> slot of the kernel's per-lane bank (:func:`.jitkernel.run_tape`)."""
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
