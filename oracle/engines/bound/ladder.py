"""The bound ladder: one bounded run on the fastest error-bound engine that can.

Three rungs compute exact values with forward error bounds (:mod:`.errorbound`'s quantity):

* ``jitbound`` -- :mod:`.jitbound`: double-double values from a compiled loop; needs numba (extra
  ``jit``), a run it can trace and values within [2^-900, 2^900];
* ``vecbound`` -- :mod:`.vecbound`: double-double values over numpy arrays; values within [2^-900, 2^900];
* ``errorbound`` -- :mod:`.errorbound`: 256-bit mpmath, the definition and the fallback; always runs.

The compiled and vectorized rungs give the same numbers bit for bit, each bound never below
ErrorBoundArith's.  A rung that cannot run the computation declines
(:class:`..rungs.Decline`); the next rung, or the one the refusal names, runs it.  ``engine``
names the rung to start from (``"auto"``: the fastest); the result says which ran.

Each value comes out as float64 words ``(hi, lo, err)``: the exact value hi + lo and its bound
rounded up (:meth:`.vecbound.BoundArith.split`).  ``alive(params, before, dtype)`` says which
elements are still followed after a step (the conformance reference passes
:func:`oracle.accuracy.compared`); the run stops at the first step where none is, or runs to
``until`` when given.

>>> from oracle.conventions import preset
>>> res = bounded_run(preset("seed", lr=0.1, rho=0.9, eps=1e-8), "float64", [[0.0]], steps=1, grads=[[[-8.0]]])
>>> hi, lo, err = res["params"][1][0]
>>> float(hi[0] + lo[0]), float(err[0]), res["engine"] in ("jitbound", "vecbound")
(0.31622776576978506, 8.426000314711347e-16, True)
>>> bounded_run(preset("seed"), "float64", [[0.0]], steps=1, grads=[[[-8.0]]], engine="errorbound")["engine"]
'errorbound'
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from ... import algorithm
from ...conventions import Convention
from ..rungs import Decline
from . import jitbound
from .errorbound import ErrorBoundArith
from .vecbound import BoundArith

__all__ = ["ENGINES", "RUNGS", "bounded_run"]

RUNGS = ("jitbound", "vecbound", "errorbound")
"""The rungs, fastest first: the names a bounded run reports."""
ENGINES = ("auto",) + RUNGS
"""What ``engine=`` accepts: ``auto`` (the fastest) or the rung to start from."""

Alive = Callable[[list, Optional[list], str], list]


def _everyone(params: list, before: Optional[list], dtype: str) -> list:
    return [np.ones(np.shape(hi), dtype=bool) for hi, _, _ in params]


def bounded_run(conv: Convention, dtype: str, params0: Sequence[Any], *, steps: int,
                grads: Optional[Sequence[Sequence[Any]]] = None, grad_fn: Optional[Callable] = None,
                modulus: bool = False, until: Optional[int] = None, alive: Optional[Alive] = None,
                engine: Optional[str] = None) -> dict:
    """The bounded records of a run in ``dtype`` (the module docstring), on the fastest rung that can.

    ``params0`` and ``grads[t]`` are flat arrays (complex parameters as real pairs (n, 2) with
    ``modulus``: the modulus reading, :func:`oracle.algorithm.complex_stages`).  Returns
    ``{"params", "state", "masks", "undefined", "engine"}``: per step t, ``params[t][i]`` and
    ``state[t][name][i]`` as (hi, lo, err), ``masks[t][i]`` from ``alive``; ``undefined`` the reason
    the exact update is undefined (the records stop before it), else None; ``engine`` the rung that ran.
    """
    name = engine or "auto"
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")
    algorithm.check_run(steps=steps, grads=grads, grad_fn=grad_fn)
    run = dict(steps=steps, grads=grads, grad_fn=grad_fn, modulus=modulus, until=until, alive=alive or _everyone)
    rung = RUNGS[0] if name == "auto" else name
    while True:
        try:
            res = _RUNGS[rung](conv, dtype, list(params0), **run)
        except Decline as exc:
            if rung == RUNGS[-1]:  # pragma: no cover - the definition never declines
                raise
            rung = exc.to if exc.to in RUNGS[RUNGS.index(rung) + 1:] else RUNGS[RUNGS.index(rung) + 1]
            continue
        res["engine"] = rung
        return res


def _compiled(conv: Convention, dtype: str, params0: list, *, steps: int, grads: Any, grad_fn: Any, modulus: bool,
              until: Optional[int], alive: Alive) -> dict:
    """The jitbound rung: :func:`.jitbound.bound_run`, read out step by step like the object rungs."""
    if modulus:
        raise Decline("the modulus stages of complex parameters: the object engines run them")
    run = jitbound.bound_run(conv, dtype, params0, steps=steps, grads=grads, grad_fn=grad_fn)
    out: dict = {"params": [], "state": [], "masks": [], "undefined": None}
    sizes = any(np.size(p) for p in params0)
    for t in range(steps + 1):
        if t >= 1:
            if until is None and not any(m.any() for m in out["masks"][-1]) and sizes:
                break
            if until is not None and t > until:
                break
            if run.invalid == t:  # the genuine error of BoundArith's conversion
                for x in grads[t - 1]:
                    BoundArith(dtype).array(x)
                raise ValueError(f"grads[{t - 1}] is not finite")
            if run.refused is not None and run.refused <= t:
                raise Decline("a value beyond the vectorized bound's range (compiled engine)", to="errorbound")
        out["params"].append(run.params[t])
        out["state"].append(run.state[t])
        out["masks"].append(alive(run.params[t], out["masks"][-1] if out["masks"] else None, dtype))
    return out


def _vectorized(conv: Convention, dtype: str, params0: list, **run: Any) -> dict:
    """The vecbound rung (state kept in ``conv.state_dtype``, the parameters rounded to ``dtype``)."""
    return _objects(BoundArith(conv.state_dtype(dtype), store=dtype, subnormals=conv.subnormals), conv, dtype,
                    params0, **run)


def _definition(conv: Convention, dtype: str, params0: list, **run: Any) -> dict:
    """The errorbound rung: the definition."""
    return _objects(ErrorBoundArith(conv.state_dtype(dtype), store=dtype, subnormals=conv.subnormals), conv, dtype,
                    params0, **run)


def _objects(ar: Any, conv: Convention, dtype: str, params0: list, *, steps: int, grads: Any, grad_fn: Any,
             modulus: bool, until: Optional[int], alive: Alive) -> dict:
    """The records of a run over the context ``ar`` split into (hi, lo, err), to the horizon or ``until``."""
    out: dict = {"params": [], "state": [], "masks": [], "undefined": None}
    steps = steps if until is None else min(steps, until)
    stages = algorithm.complex_stages(conv) if modulus else algorithm.RMSPROP

    def split(a: Any) -> tuple:  # complex pairs (n, 2) flattened to re, im, re, im, ... like the candidate's
        return tuple(x.reshape(-1) for x in ar.split(a)) if modulus else ar.split(a)

    try:
        for rec in algorithm.iterate(conv, ar, params0, steps=steps, grads=grads, grad_fn=grad_fn, stages=stages):
            params = [split(p) for p in rec["params"]]
            before = out["masks"][-1] if out["masks"] else None
            out["params"].append(params)
            out["state"].append({k: [split(s) for s in v] for k, v in rec["state"].items()})
            out["masks"].append(alive(params, before, dtype))
            if until is None and not any(m.any() for m in out["masks"][-1]) and any(p[0].size for p in params):
                break  # no element within the horizon any more
    except (ZeroDivisionError, algorithm.UndefinedUpdate, ArithmeticError) as exc:
        out["undefined"] = f"the exact update is undefined: {exc}"
    return out


_RUNGS = {"jitbound": _compiled, "vecbound": _vectorized, "errorbound": _definition}
