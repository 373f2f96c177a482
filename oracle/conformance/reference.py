"""The reference of a case: exact values and error bounds, step by step.

The reference is :class:`oracle.engines.errorbound.ErrorBoundArith` run on the
case's exact inputs (open loop) or on its closed-loop problem (the gradient
computed in bounded arithmetic from bounded parameters, so the bound is carried
through the dynamics).  Each value is returned as a float64 pair ``hi + lo``
(``hi`` the nearest double to the exact value, ``lo`` the rounded remainder, so
``got - hi - lo`` is the error to about 2^-53 of itself) and a bound ``err``
rounded up.  Results are cached per (convention, case), across sessions of one
process.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from ..accuracy import horizon_limit
from ..algorithm import UndefinedUpdate, init_state, step
from ..rounding import DTYPE_FORMAT, FORMATS
from ..conventions import Convention
from ..engines.errorbound import ErrorBoundArith
from .cases import Case

_CACHE: dict = {}


@dataclasses.dataclass
class Reference:
    """``params[t][i]`` and ``state[t][name][i]``: (hi, lo, err) float64 arrays over the followed elements.

    ``masks[t][i]`` says which elements are still compared at step t (see :func:`alive`); the run
    stops at the first step where none is, so ``len(params) - 1`` may be less than the case's steps.
    """

    params: list
    state: list
    masks: list = dataclasses.field(default_factory=list)
    undefined: Optional[str] = None

    @property
    def last(self) -> int:
        return len(self.params) - 1


def alive(arrays: list, before: Optional[list], dtype: str) -> list:
    """Elements still compared: bound <= u^(1/3) |exact| or below the smallest normal, and so far always."""
    _, emin, _ = FORMATS[DTYPE_FORMAT[dtype]]
    limit, normal = horizon_limit(dtype), 2.0**emin
    out = []
    for i, (hi, lo, err) in enumerate(arrays):
        ok = np.isfinite(err) & ((err <= limit * np.abs(hi)) | (err <= normal))
        out.append(ok if before is None else ok & before[i])
    return out


def _split(a: np.ndarray, ctx) -> tuple:
    flat = np.asarray(a, dtype=object).reshape(-1)
    hi = np.array([float(x.val) for x in flat], dtype=np.float64)
    lo = np.array([float(x.val - ctx.mpf(h)) for x, h in zip(flat, hi)], dtype=np.float64)
    err = np.array([float(x.err) for x in flat], dtype=np.float64)
    return hi, lo, np.nextafter(err, np.inf)


def followed(case: Case, arrays: list) -> list:
    """The elements the reference follows (the sampled ones for a large case), flattened."""
    if case.sample is None:
        return [np.asarray(a).reshape(-1) for a in arrays]
    return [np.asarray(a).reshape(-1)[idx] for a, idx in zip(arrays, case.sample)]


def reference(conv: Convention, case: Case) -> Reference:
    """The bounded reference run of ``case`` under ``conv`` (cached)."""
    if "nocache" in case.tags:
        return _compute(conv, case)
    key = (conv, fingerprint(case))
    if key not in _CACHE:
        _CACHE[key] = _compute(conv, case)
    return _CACHE[key]


def fingerprint(case: Case) -> str:
    """A digest of everything the reference depends on (inputs, hyperparameters, options, length)."""
    import hashlib

    h = hashlib.sha256(repr((case.dtype, case.steps, sorted(case.hyper.items()), sorted(case.options.items()),
                             case.closed, case.exact and case.exact["key"])).encode())
    arrays = list(case.params0) + [g for step in (case.grads or [])[: case.steps] for g in step]
    if case.closed:
        arrays += case.problem.key()
    if case.sample is not None:
        arrays += list(case.sample)
    for a in arrays:
        h.update(repr(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _compute(conv: Convention, case: Case) -> Reference:
    ar = ErrorBoundArith(case.dtype)
    exact = case.exact
    if exact is not None:  # a golden replay: the reference takes the golden file's exact inputs
        conv = conv.replace(**exact["hyper"])
    params = [np.atleast_1d(ar.array(p)) for p in followed(case, exact["params0"] if exact else case.params0)]
    grad_fn = case.problem.grad_fn() if case.closed else None
    try:
        state = init_state(conv, ar, params)
        ref = Reference([], [])
        _append(ref, params, state, ar, case.dtype)
        for t in range(1, case.steps + 1):
            if not any(m.any() for m in ref.masks[-1]) and any(p.size for p in params):
                break  # no element within the horizon any more
            if case.closed:
                g = grad_fn(ar, params)
            else:
                grads = exact["grads"] if exact else case.grads
                g = [np.atleast_1d(ar.array(x)) for x in followed(case, grads[t - 1])]
            params, state = step(conv, ar, params, state, g)
            _append(ref, params, state, ar, case.dtype)
    except (ZeroDivisionError, UndefinedUpdate, ArithmeticError) as exc:
        return Reference([], [], undefined=f"the exact update is undefined: {exc}")
    return ref


def _append(ref: Reference, params: list, state: dict, ar, dtype: str) -> None:
    ref.params.append([_split(p, ar.ctx) for p in params])
    ref.state.append({k: [_split(s, ar.ctx) for s in v] for k, v in state.items()})
    ref.masks.append(alive(ref.params[-1], ref.masks[-1] if ref.masks else None, dtype))
