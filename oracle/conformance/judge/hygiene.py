"""State hygiene of a candidate: what a correct optimizer object must not do.

Each check builds instances in the candidate's worker (inside one per-case time
limit) and returns ``(status, detail)``; results are compared bit for bit.

* inputs_not_mutated: the params given to the factory and the grads given to
  ``step`` are unchanged afterwards (the worker reports the very arrays the
  candidate was given as they are now; :mod:`.replies` compares them with the
  oracle's own copies, in this process);
* no_aliasing: an array returned by ``step`` is not changed by later steps;
* instances_independent: two instances stepped alternately give the same
  results as each run alone;
* deterministic: two fresh instances on the same inputs agree bit for bit over
  :data:`DETERMINISM_STEPS` steps each.  A candidate whose result differs on a
  fraction f of its calls escapes with probability (1 - f)^(2 * 300): 0.24% for
  f = 1%, 5e-12 for f = 5%.
"""

from __future__ import annotations

import numpy as np

from ..isolation.candidate import CandidateError, Declined
from .status import Status
from .cases import arr

DETERMINISM_STEPS = 300
_HYPER = dict(lr=0.01, rho=0.9, eps=1e-3)


def _inputs(dtype: str, seed: int = 5, steps: int = 4) -> tuple:
    rng = np.random.default_rng(seed)
    p0 = [arr(rng.uniform(-1, 1, 5), dtype), arr(rng.uniform(-1, 1, (2, 2)), dtype)]
    grads = [[arr(rng.standard_normal(p.shape), dtype) for p in p0] for _ in range(steps)]
    return p0, grads


def _guard(check, target, dtype: str) -> tuple:
    candidate = target.candidate
    try:
        with candidate.case():
            return check(candidate, dtype)
    except Declined as exc:
        return Status.DECLINED, str(exc)
    except CandidateError as exc:
        return Status.FAILED, exc.text()


def _same(a: list, b: list) -> bool:
    return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))


def _audited(candidate, dtype: str) -> list:
    p0, grads = _inputs(dtype)
    iid = candidate.make(p0, _HYPER, {}, audit=True)
    for g in grads:
        candidate.step(iid, g)
    found = candidate.audit(iid)
    candidate.drop(iid)
    return found


def inputs_not_mutated(target, dtype: str) -> tuple:
    def check(candidate, dtype):
        found = [f for f in _audited(candidate, dtype) if "mutated" in f or "given to step" in f]
        return (Status.FAILED, found[0]) if found else (Status.PASSED, "inputs not mutated")

    return _guard(check, target, dtype)


def no_aliasing(target, dtype: str) -> tuple:
    def check(candidate, dtype):
        found = [f for f in _audited(candidate, dtype) if "returned by step" in f]
        return (Status.FAILED, found[0]) if found else (Status.PASSED, "returned arrays not aliased")

    return _guard(check, target, dtype)


def _alone(candidate, p0: list, grads: list) -> list:
    iid = candidate.make(p0, _HYPER, {})
    out = candidate.steps(iid, grads)
    candidate.drop(iid)
    return out


def instances_independent(target, dtype: str) -> tuple:
    def check(candidate, dtype):
        pa, ga = _inputs(dtype, seed=5)
        pb, gb = _inputs(dtype, seed=6)
        alone = _alone(candidate, pa, ga)
        a, b = candidate.make(pa, _HYPER, {}), candidate.make(pb, _HYPER, {})
        for t, (x, y) in enumerate(zip(ga, gb), 1):
            out = candidate.step(a, x)
            candidate.step(b, y)
            if not _same(out, alone[t - 1]):
                return Status.FAILED, f"two instances interfere: step {t} of one differs when another is stepped too"
        candidate.drop(a)
        candidate.drop(b)
        return Status.PASSED, "instances independent"

    return _guard(check, target, dtype)


def deterministic(target, dtype: str) -> tuple:
    def check(candidate, dtype):
        p0, grads = _inputs(dtype, steps=DETERMINISM_STEPS)
        one, two = _alone(candidate, p0, grads), _alone(candidate, p0, grads)
        for t, (a, b) in enumerate(zip(one, two), 1):
            if not _same(a, b):
                return Status.FAILED, f"not deterministic: two fresh runs on the same inputs differ at step {t}"
        return Status.PASSED, f"deterministic ({2 * DETERMINISM_STEPS} calls compared bit for bit)"

    return _guard(check, target, dtype)
