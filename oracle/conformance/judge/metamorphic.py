"""Metamorphic properties: relations between runs that hold for any correct candidate.

Each check runs the candidate on a base case and on a transformed one and
compares the two results elementwise within the sum of the two references'
error bounds (both runs approximate the same exact values), over the steps
the reference can follow.  Returns ``(status, detail)``.

* permutation: permuting the elements of an array (and of its gradients)
  permutes the result;
* independence: an array's trajectory is the same alone and next to others;
* scale invariance: gradients times 4 and eps times 16 (eps inside the root)
  or 4 (outside) give the same parameters, where it holds (v0 = 0, no weight
  decay; 4 is a power of two, so the inputs scale exactly).
"""

from __future__ import annotations

import numpy as np

from ..isolation.candidate import CandidateError, Declined
from .cases import Case, arr, scale
from .reference import reference
from .status import Status


def _base(dtype: str, n: int = 6, steps: int = 8, seed: int = 7) -> tuple:
    rng = np.random.default_rng(seed)
    p0 = [arr(rng.uniform(-1, 1, n), dtype)]
    grads = [[arr(rng.standard_normal(n) * (1 + t), dtype)] for t in range(steps)]
    return p0, grads


def _compare(target, dtype, case_a, case_b, map_b, what: str) -> tuple:
    """Run both, map b's result onto a's elements, compare within err_a + err_b."""
    convs = []
    for c in (case_a, case_b):
        try:
            convs.append(target.conv(c))
        except ValueError as exc:
            return Status.SKIPPED, f"not in the convention: {exc}"
    refs = [reference(conv, c, target.compute) for conv, c in zip(convs, (case_a, case_b))]
    if any(r.undefined for r in refs):
        return Status.SKIPPED, "the exact update is undefined"
    try:
        runs = [target.candidate.run(c.params0, c.hyper, c.options, c.feed(), c.steps) for c in (case_a, case_b)]
    except Declined as exc:
        return Status.DECLINED, str(exc)
    except CandidateError as exc:
        return Status.FAILED, f"{what}: {exc.text()}"
    masks = refs[0].masks
    for t in range(1, min(refs[0].last, refs[1].last) + 1):
        mapped = map_b(runs[1][t], refs[1].params[t])
        for i, (a, (b, err_b)) in enumerate(zip(runs[0][t], mapped)):
            err = refs[0].params[t][i][2] + err_b
            with np.errstate(all="ignore"):
                diff = np.abs(a.reshape(-1).astype(np.float64) - b.reshape(-1).astype(np.float64))
            bad = np.flatnonzero(masks[t][i] & ~(diff <= err))
            if bad.size:
                j = int(bad[0])
                return Status.FAILED, (f"{what} broken at step {t}, parameter {i}, element {j}: "
                                  f"{float(a.reshape(-1)[j])!r} against {float(b.reshape(-1)[j])!r} "
                                  f"(allowed difference {float(err[j]):.3g})")
    return Status.PASSED, what


def permutation(target, dtype: str) -> tuple:
    p0, grads = _base(dtype)
    perm = np.random.default_rng(3).permutation(p0[0].size)
    inv = np.argsort(perm)
    hyper = dict(lr=0.01, rho=0.9, eps=scale(dtype)["eps"])
    a = Case("perm-base", dtype, p0, hyper, len(grads), grads=grads)
    b = Case("perm-permuted", dtype, [p0[0][perm]], hyper, len(grads), grads=[[g[0][perm]] for g in grads])
    return _compare(target, dtype, a, b, lambda run, ref: [(run[0][inv], ref[0][2][inv])],
                    "permutation invariance (elements permuted)")


def independence(target, dtype: str) -> tuple:
    p0, grads = _base(dtype)
    q0, qgrads = _base(dtype, n=5, seed=11)
    hyper = dict(lr=0.01, rho=0.9, eps=scale(dtype)["eps"])
    a = Case("indep-alone", dtype, p0, hyper, len(grads), grads=grads)
    b = Case("indep-together", dtype, [q0[0], p0[0]], hyper, len(grads),
             grads=[[qg[0] * 100, g[0]] for qg, g in zip(qgrads, grads)])
    return _compare(target, dtype, a, b, lambda run, ref: [(run[1], ref[1][2])],
                    "independence across parameters (array alone vs next to another)")


def scale_invariance(target, dtype: str) -> tuple:
    conv = target.convention
    if conv.exact("v0") != 0:
        return Status.SKIPPED, f"scale invariance does not hold for v0 = {conv.v0} ({target.spec})"
    p0, grads = _base(dtype)
    eps = scale(dtype)["eps"] * 16
    factor = 16 if conv.effective_eps_placement == "inside" else 4
    a = Case("scale-base", dtype, p0, dict(lr=0.01, rho=0.9, eps=eps), len(grads), grads=grads)
    b = Case("scale-scaled", dtype, p0, dict(lr=0.01, rho=0.9, eps=eps * factor), len(grads),
             grads=[[g[0] * 4] for g in grads])
    if any(not np.all(np.isfinite(g[0])) for g in b.grads):
        return Status.SKIPPED, "the scaled gradients overflow the dtype"
    return _compare(target, dtype, a, b, lambda run, ref: [(run[0], ref[0][2])],
                    f"scale invariance (g x 4, eps x {factor})")
