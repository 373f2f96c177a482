"""State hygiene of a candidate: what a correct optimizer object must not do.

Each check calls the factory directly (inside the per-case time limit) and
returns ``(status, detail)``; results are compared bit for bit.

* inputs_not_mutated: the params given to the factory and the grads given to
  ``step`` are unchanged afterwards;
* no_aliasing: an array returned by ``step`` is not changed by later steps;
* instances_independent: two instances stepped alternately give the same
  results as each run alone;
* deterministic: two fresh runs on the same inputs agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from .candidate import CandidateError, call_with_timeout, check_output
from .cases import arr


def _inputs(dtype: str, seed: int = 5, steps: int = 4) -> tuple:
    rng = np.random.default_rng(seed)
    p0 = [arr(rng.uniform(-1, 1, 5), dtype), arr(rng.uniform(-1, 1, (2, 2)), dtype)]
    grads = [[arr(rng.standard_normal(p.shape), dtype) for p in p0] for _ in range(steps)]
    return p0, grads


_HYPER = dict(lr=0.01, rho=0.9, eps=1e-3)


def _guard(fn, target) -> tuple:
    try:
        return call_with_timeout(fn, target.candidate.timeout)
    except CandidateError as exc:
        return "failed", str(exc)
    except Exception as exc:
        return "failed", f"the candidate raised {type(exc).__name__}: {exc}"


def _same(a: list, b: list) -> bool:
    return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))


def inputs_not_mutated(target, dtype: str) -> tuple:
    def check():
        p0, grads = _inputs(dtype)
        given, keep = [p.copy() for p in p0], [p.copy() for p in p0]
        step = target.candidate.make(given, _HYPER, {})
        for t, g in enumerate(grads, 1):
            g_keep = [x.copy() for x in g]
            check_output(step(g), p0, t, np)
            if not _same(g, g_keep):
                return "failed", f"step {t} mutated the gradient arrays it was given"
        if not _same(given, keep):
            return "failed", "the factory's params were mutated by the steps (the candidate must copy them)"
        return "passed", "inputs not mutated"

    return _guard(check, target)


def no_aliasing(target, dtype: str) -> tuple:
    def check():
        p0, grads = _inputs(dtype)
        step = target.candidate.make([p.copy() for p in p0], _HYPER, {})
        returned = []
        for t, g in enumerate(grads, 1):
            out = step([x.copy() for x in g])
            check_output(out, p0, t, np)
            returned.append((t, out, [np.array(x, copy=True) for x in out]))
        for t, out, snapshot in returned:
            if not _same(out, snapshot):
                return "failed", f"the arrays returned by step {t} were changed by later steps (aliased to state)"
        return "passed", "returned arrays not aliased"

    return _guard(check, target)


def _alone(target, p0, grads) -> list:
    step = target.candidate.make([p.copy() for p in p0], _HYPER, {})
    return [[np.array(x, copy=True) for x in step([x.copy() for x in g])] for g in grads]


def instances_independent(target, dtype: str) -> tuple:
    def check():
        pa, ga = _inputs(dtype, seed=5)
        pb, gb = _inputs(dtype, seed=6)
        alone = _alone(target, pa, ga)
        sa = target.candidate.make([p.copy() for p in pa], _HYPER, {})
        sb = target.candidate.make([p.copy() for p in pb], _HYPER, {})
        for t, (a, b) in enumerate(zip(ga, gb), 1):
            out = [np.array(x, copy=True) for x in sa([x.copy() for x in a])]
            sb([x.copy() for x in b])
            if not _same(out, alone[t - 1]):
                return "failed", f"two instances interfere: step {t} of one differs when another is stepped too"
        return "passed", "instances independent"

    return _guard(check, target)


def deterministic(target, dtype: str) -> tuple:
    def check():
        p0, grads = _inputs(dtype)
        one, two = _alone(target, p0, grads), _alone(target, p0, grads)
        for t, (a, b) in enumerate(zip(one, two), 1):
            if not _same(a, b):
                return "failed", f"not deterministic: two fresh runs differ at step {t}"
        return "passed", "deterministic"

    return _guard(check, target)
