"""The golden-grade reference compiled: :mod:`.arb`'s Arb balls without Python between operations.

:mod:`.arb` runs :func:`oracle.algorithm.step` over numpy object arrays of
python-flint ``arb`` balls: every elementary operation of every element goes
through Python (150-350 ns of dispatch around an Arb call of about the same
cost).  This module makes the *same calls into the same library*: the update
(and a pure closed-loop gradient) is recorded once as a tape
(:mod:`..trace`), and a numba-compiled loop (optional extra ``jit``) runs it
for each element over all steps, calling FLINT's ``arb_add``, ``arb_sub``,
``arb_mul``, ``arb_div``, ``arb_sqrt``, ``arb_neg``, ``arb_nonnegative_part``
directly (their addresses, taken with ``ctypes`` from the very shared library
python-flint loaded, are passed to the compiled code, which numba therefore
caches on disk; :mod:`.arbkernel`), with the operands in the order :mod:`.arb` passes them and at
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
4. Too few digits: the run is repeated at twice the precision (the ladder's one loop,
   :mod:`.ladder`).

Published values are :class:`FlintValue` objects, a
:class:`~oracle.engines.certified.CertifiedValue` whose exact endpoints are read from the
ball (``arb_dump_str``: mantissa and exponent of midpoint and radius, exact)
only when used.  The balls of a run live in one FLINT vector freed when the
last value referring to it is gone.

What runs here and what does not: open loop, every convention; closed loop
when the gradient function is one of the package's pure ones
(:data:`..trace.PURE_GRAD_MODULES`) and elementwise (the documents' example,
:class:`oracle.problems.quadratic.Diagonal`).  A stateful gradient function
(the Gluon :class:`~oracle.problems.gluon.Tracker`, which records its losses)
is never traced, and it and a non-elementwise one
(:mod:`oracle.problems.quadratic`'s 2 x 2 product) run in :mod:`.arb` (object
arrays), as does everything when numba is not installed or the library
self-test fails (:func:`available`).  The ladder's ``engine="arb"`` compiles a run only
when it pays (:func:`worth`: the compiled loop is loaded in the process
already, or the run has at least :data:`WORTH` element-steps);
``engine="arb-jit"`` whenever it applies.  Either way the digits published
are the same.

This module prepares a run and reads its balls; FLINT's library, loaded and self-tested, is
:mod:`.flintlib`, the compiled loop :mod:`.arbkernel`.

>>> from oracle.conventions import preset
>>> from oracle.engines.certify import certified_run
>>> run = certified_run(preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30)  # compiled if available
>>> run.records[1]["params"][0][0].sci(30)
'3.16227765769784991288749885395e-1'
>>> type(run.records[1]["params"][0][0]).__name__ in ("FlintValue", "BallValue", "CertifiedValue")
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from ... import algorithm
from ...conventions import Convention
from ...rounding import agreeing_digits
from .. import trace as T
from ..certified import Attempt, LazyValue
from ..rungs import Decline

try:  # the optional extras "jit" (numba) and "flint" (python-flint)
    import numba

    from . import flintlib
    from .arb import ArbArith, precision, threshold_bits
    from .arbkernel import COPY, K_AUX, K_CONST, K_CUR, K_NONE, K_PREV, K_REG, addresses, run_tape, set_doubles, warm
    from .flintlib import Store
except ImportError as exc:  # pragma: no cover - exercised without the extras
    numba = flintlib = None
    _MISSING = f"{exc} (pip install 'rmsprop-oracle[jit]')"
else:
    _MISSING = ""

__all__ = ["FlintValue", "JitRecord", "WORTH", "available", "locations", "run_once", "start", "unavailable_reason",
           "warm", "worth"]


def available() -> bool:
    """Whether the compiled Arb engine can run (numba, python-flint and its library, self-tested)."""
    return not _MISSING and flintlib.available()


def unavailable_reason() -> str:
    """Why :func:`available` is False (empty when it is True)."""
    return _MISSING or flintlib.unavailable_reason()


WORTH = 250_000
"""Element-steps from which ``engine="arb"`` compiles a run in a process that has not yet: loading the
compiled loop (numba, its disk cache) costs about a second, which :mod:`.arb`'s object arrays spend on
~300,000 element-steps."""


def worth(params0: Sequence[Any], steps: int) -> bool:
    """Whether ``engine="arb"`` runs this compiled: the loop is loaded already, or the run is large."""
    if warm():
        return True
    return sum(max(int(np.size(p)), 1) for p in params0) * max(steps, 1) >= WORTH


class FlintValue(LazyValue):
    """A :class:`CertifiedValue` read from a ball of a compiled run; endpoints become Fractions on first use."""

    __slots__ = ("store", "k")

    def __init__(self, store: Store, k: int, cap: int = 80) -> None:  # noqa: D107 (not the dataclass init)
        object.__setattr__(self, "store", store)
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "cap", cap)
        object.__setattr__(self, "_ends", None)

    def _compute_ends(self) -> tuple:
        return flintlib.LIB.ends(self.store.at(self.k))

    def ball_text(self) -> str:
        """The ball as ``arb_dump_str`` writes it (hex mantissa, exponent of midpoint and radius)."""
        return flintlib.LIB.dump_text(self.store.at(self.k))

    def __repr__(self) -> str:
        return f"FlintValue({self.ball_text()!r})"


class _Array:
    """One parameter array's run: balls (step, field, element), the fields' meaning and its shape."""

    def __init__(self, store: Store, steps: int, nf: int, n: int, shape: tuple) -> None:
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


def locations(prog: T.Program, i: int, nf: int) -> tuple:
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


def run_once(conv: Convention, prog: T.Program, params0: list, grads: Optional[list], steps: int, bits: int,
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

    consts = Store(len(consts_py) + len(state_balls) + 1)
    for k, b in enumerate(consts_py + state_balls + [arb(0)]):
        flintlib.LIB.load_ball(consts.at(k), b)
    zero = consts.at(len(consts_py) + len(state_balls))
    state0 = np.arange(len(consts_py), len(consts_py) + len(state_balls), dtype=np.int64)
    fns = addresses()
    arrays, accs = [], []
    for i, p0 in enumerate(params0):
        shape = np.shape(p0)
        n = int(np.prod(shape, dtype=np.int64)) if shape else 1
        ins, nregs = locations(prog, i, nf)
        store = Store((steps + 1) * nf * n)
        regs = Store(nregs + 1)
        aux = Store(max(1, len(aux_py) * n))
        for j in sorted({int(r[4]) for r in ins if r[3] == K_AUX} | {int(r[6]) for r in ins if r[5] == K_AUX}):
            if np.size(prog.tape.aux[j]) != n:
                raise Decline("per-element data of another size than the parameters")
            if aux_py[j] is None:  # arb_set_d, as ArbArith.array does for a finite float array
                try:
                    set_doubles(fns, aux.at(j * n), np.ascontiguousarray(np.asarray(prog.tape.aux[j],
                                                                                    dtype=np.float64).reshape(-1)))
                except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                    raise Decline(f"numba could not compile the loop: {exc}") from None
                continue
            for e in range(n):
                flintlib.LIB.load_ball(aux.at(j * n + e), aux_py[j][e])
        p0_float = _is_float_array(p0)
        p0f = np.ascontiguousarray(np.asarray(p0, dtype=np.float64).reshape(-1)) if p0_float else np.zeros(1)
        if not p0_float:
            with precision(bits):
                balls = np.asarray(ar.array(p0), dtype=object).reshape(-1)
            for e in range(n):
                flintlib.LIB.load_ball(store.at(e), balls[e])
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
                            flintlib.LIB.load_ball(store.at(((t + 1) * nf + nf - 1) * n + e), balls[e])
        acc = np.empty((steps + 1, nf, n), dtype=np.int64)
        error = np.full(2, -1, dtype=np.int64)
        if n:
            try:
                run_tape(fns, ins, n, nf, steps, store.ptr, regs.ptr, consts.ptr, aux.ptr, zero, state0, p0f,
                         p0_float, gf, nf - 1, g_float, acc, bits, error, certify)
            except numba.core.errors.NumbaError as exc:  # pragma: no cover - cannot compile here
                raise Decline(f"numba could not compile the loop: {exc}") from None
        if error[0] >= 0:
            raise ArithmeticError("a quantity that is >= 0 in real arithmetic has a negative enclosure")
        arrays.append(_Array(store, steps, nf, n, shape))
        accs.append(acc)
    return arrays, accs


def _shapes(params0: Sequence[Any], grads: Optional[Sequence[Sequence[Any]]], steps: int) -> list:
    """The shapes of the parameters; the gradients' checked against them, with simulate's message (the
    compiled loop never calls simulate, which checks them step by step)."""
    shapes = [np.shape(p) for p in params0]
    if grads is not None:
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


def start(conv: Convention, params0: Sequence[Any], *, steps: int, grads: Sequence[Sequence[Any]] | None = None,
          grad_fn: algorithm.GradFn | None = None, digits: int = 50,
          stages: algorithm.Stages = algorithm.RMSPROP) -> Callable[[int], Attempt]:
    """This engine's rung of the ladder (:mod:`.ladder`): ``attempt(bits)`` runs the compiled loop at
    ``bits`` and certifies (steps 1-3 of the method).

    Raises :class:`..rungs.Decline` before computing anything when the run cannot be traced (the
    ladder then runs :mod:`.arb`'s object arrays, which compute the same balls).
    """
    if not available():
        raise Decline(f"the compiled Arb engine is unavailable: {unavailable_reason()}")
    if stages is not algorithm.RMSPROP:
        raise Decline("a variant of the update (stages): the object engines run it")
    prog = T.trace(conv, _shapes(params0, grads, steps), grad_fn)
    cap = digits + 10
    need = threshold_bits(digits)
    closed = grad_fn is not None

    def attempt(bits: int) -> Attempt:
        arrays, accs = run_once(conv, prog, list(params0), None if closed else list(grads), steps, bits, closed)
        worst, unbounded_step = digits, None
        for arr, acc in zip(arrays, accs):
            checked = acc if closed else acc[:, :-1]  # open-loop gradients are inputs (not re-checked)
            for t, f, e in zip(*np.nonzero(checked < need)):
                k = (int(t) * arr.nf + int(f)) * arr.n + int(e)
                lo, hi = flintlib.LIB.ends(arr.store.at(k))
                if lo is None:
                    worst = 0
                    if unbounded_step is None or t < unbounded_step:
                        unbounded_step = int(t)
                    continue
                d = agreeing_digits(lo, hi, cap)
                if d is not None:
                    worst = min(worst, d)
        return Attempt([JitRecord(t, arrays, prog.names, cap) for t in range(steps + 1)], worst, unbounded_step)

    return attempt
