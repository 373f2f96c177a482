"""The intended Gluon computation run long: where it ends, certified.

The intended run (V6: column targets, all 4 rows every epoch, the mean-loss
gradient used once) is gradient descent on L(w, b) = (1/4)|A p - y|^2 with
A = [X, 1], preconditioned by RMSProp.  A has rank 2: column 2 = column 1 +
ones, so the least-squares solutions, which fit exactly (y = -c1/2 + 1/2),
form the line w1 + w2 = -1/2, w2 + b = 1/2; the minimum-norm one is
(w1, w2, b) = (-1/2, 0, 1/2), and without the bias column (-1, 1/2).

The run converges to none of them.  Near the line the gradient g = H(p - c)
(H = A^T A / 2, eigenvalues about 103.4, 0.58 and 0) shrinks, the
accumulator follows g^2, and the step lr g / sqrt(v + eps) stays about lr per
coordinate: the fixed point is unstable and the run settles on a period-2
cycle p = c +- delta around a point c of the solution line, with
delta_i = (lr/2) (H delta)_i / sqrt((H delta)_i^2 + eps): delta is almost
(lr/2)(1, 1, 1) = 0.015 (1, 1, 1), so H delta = 0.015 (100, 120, 20) = (1.5,
1.8, 0.3), the gradient alternates +-(1.5, 1.8, 0.3) and the loss stays at
delta^T H delta / 2 = 0.027 (exactly 0.027 in the eps -> 0 limit).  Which c is
reached depends on the whole path; a float run ends on another c.

Interval enclosures of this map widen by about 1.7 bits per step on the cycle
(the dependency effect, not the real dynamics, which contract), so the
default certified run is limited to ``LONG_EPOCHS`` epochs (the 10,000-epoch
case needs about 20,000 bits and minutes: a long case); the float64 and float32
implementations are run to ``FLOAT_EPOCHS`` epochs and recorded as program
output (uncertified facts about those programs, never exact values).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import accuracy, algorithm
from ..engines.floating import FloatArith
from ..engines.certified import CertifiedValue
from ..problems import gluon as G
from . import fmt
from .cases import DIGITS, HORIZON_CRITERION, document

FLOAT_EPOCHS = 10000


def horizon(dtype: str, steps: int, variant: str = G.INTENDED) -> Optional[int]:
    """Last step at which a ``dtype`` implementation can be held to the exact run (:func:`oracle.accuracy.horizon`)."""
    return accuracy.horizon(G.convention(), dtype, G.params0(), steps=steps, grad_fn=G.grad_fn(G.VARIANTS[variant]))


def float_run(dtype: str, steps: int) -> dict:
    """The float implementation (every op rounded in ``dtype``) after ``steps - 1`` and ``steps`` epochs."""
    conv, ar = G.convention(), FloatArith(dtype)
    tracker = G.Tracker(G.VARIANTS[G.INTENDED], eval_loss=False)
    params = [np.atleast_1d(ar.array(p)) for p in G.params0()]
    state = algorithm.init_state(conv, ar, params)
    out = {}
    for t in range(1, steps + 1):
        params, state = algorithm.step(conv, ar, params, state, tracker(ar, params))
        if t >= steps - 1:
            out[str(t)] = {"w": [float(x).hex() for x in params[0].reshape(-1)],
                           "b": [float(x).hex() for x in params[1].reshape(-1)],
                           "loss_before": float(tracker.losses[-1]).hex()}
    return out


def least_squares() -> dict:
    """scipy's least-squares solutions with and without the bias column, and the exact ones."""
    import scipy.linalg

    X = np.array(G.X_ROWS, dtype=float)
    y = np.array(G.Y, dtype=float)
    A = np.c_[X, np.ones(len(y))]
    sol_b, _, rank_b, _ = scipy.linalg.lstsq(A, y)
    sol, _, rank, _ = scipy.linalg.lstsq(X, y)
    exact_b, exact = (-0.5, 0.0, 0.5), (-1.0, 0.5)
    # LAPACK's last bits vary across builds: record agreement with the exact solutions, not the bits
    agree = lambda got, want: "yes" if max(abs(g - w) for g, w in zip(got, want)) < 1e-12 else "NO"  # noqa: E731
    return {
        "with_bias": {"rank": str(int(rank_b)), "exact_min_norm": ["-1/2", "0", "1/2"],
                      "scipy_lstsq_equals_exact_min_norm_within_1e-12": agree(sol_b, exact_b),
                      "solution_set": "w1 + w2 = -1/2 and w2 + b = 1/2 (zero residual)"},
        "without_bias": {"rank": str(int(rank)), "exact": ["-1", "1/2"],
                         "scipy_lstsq_equals_exact_within_1e-12": agree(sol, exact)},
    }


def _flat(rec: dict) -> list:
    return [cv for a in rec["params"] for cv in np.asarray(a, dtype=object).reshape(-1)]


def _combine(a: CertifiedValue, b: CertifiedValue, sign: int) -> CertifiedValue:
    """Enclosure of (a + sign*b)/2 from the endpoints (exact rational arithmetic)."""
    lo = (a.lo + (b.lo if sign > 0 else -b.hi)) / 2
    hi = (a.hi + (b.hi if sign > 0 else -b.lo)) / 2
    return CertifiedValue(lo, hi, DIGITS + 10)


def _pub(cv: CertifiedValue) -> dict:
    d = min(cv.digits or 0, DIGITS)
    if cv.is_zero:
        return {"dec": "0", "digits": "exact"}
    return {"dec": cv.sci(d), "digits": str(d)} if d >= 1 else {"dec": None, "digits": "0"}


def cycle(run: Any, losses: list) -> dict:
    """Center and half-amplitude of the final 2-cycle, certified from the last two steps."""
    n = run.steps
    last, prev, prev2 = _flat(run.records[n]), _flat(run.records[n - 1]), _flat(run.records[n - 2])
    center = [_combine(a, b, 1) for a, b in zip(last, prev)]
    half = [_combine(a, b, -1) for a, b in zip(last, prev)]
    drift = [_combine(a, b, -1) for a, b in zip(last, prev2)]
    line = [center[0].lo + center[1].lo, center[0].hi + center[1].hi], [center[1].lo + center[2].lo,
                                                                          center[1].hi + center[2].hi]
    return {
        "epoch": str(n),
        "center_(p_N+p_N-1)/2": [_pub(c) for c in center],
        "half_amplitude_(p_N-p_N-1)/2": [_pub(c) for c in half],
        "half_change_over_2_epochs_(p_N-p_N-2)/2": [_pub(c) for c in drift],
        "center_w1+w2": _pub(CertifiedValue(*line[0], DIGITS + 10)),
        "center_w2+b": _pub(CertifiedValue(*line[1], DIGITS + 10)),
        "loss_at_N-1_and_N": [_pub(x) for x in losses[-2:]],
    }


def kept(t: int, n: int, every: int) -> bool:
    """Whether a run of ``n`` epochs stores epoch ``t``: every epoch to 200, every ``every``-th, the last three."""
    from .gluon import LONG_DENSE

    return t <= LONG_DENSE or t % every == 0 or t >= n - 2


def spec(n: int, every: int) -> dict:
    """What a long intended run is, without computing it (:attr:`oracle.golden.cases.Case.spec`)."""
    from .cases import _json_exact
    from .gluon import _problem

    return {"kind": "gluon-long", "convention": G.convention().describe(), "problem": _problem(G.VARIANTS[G.INTENDED]),
            "initial_params": {k: _json_exact(p) for k, p in zip(("w", "b"), G.params0())}, "digits": DIGITS,
            "step_count": n, "steps": [t for t in range(n + 1) if kept(t, n, every)]}


def build_long(n: Optional[int] = None, name: Optional[str] = None, every: Optional[int] = None) -> dict:
    """The ``gluon-intended-long`` document (or a longer one: ``n`` epochs, kept every ``every``)."""
    from .gluon import LONG, LONG_DENSE, LONG_EPOCHS, LONG_EVERY, _certified, _cv, _problem, probe, edits

    v = G.VARIANTS[G.INTENDED]
    n = n or LONG_EPOCHS
    name = name or LONG
    every = every or LONG_EVERY
    run, tr = _certified(v, n + 1, eval_loss=False)
    losses = [_cv(tr, x) for x in tr.losses]
    run.records = run.records[: n + 1]
    run.steps = n

    def keep(t: int) -> bool:
        return kept(t, n, every)

    def extra(t: int) -> dict:
        return {"loss": None if t == 0 else fmt.encode_value(losses[t - 1], DIGITS)}

    analysis = {
        "derivation": (__doc__ or "").split("\n\n", 1)[1].split("\n\nInterval")[0].replace("\n", " "),
        "least_squares": least_squares(),
        "cycle": cycle(run, losses[: n + 1]),
        "float_runs": {"epochs": str(FLOAT_EPOCHS), "note": "float program output (each op rounded in the "
                       "dtype), not exact values; each ends on its own 2-cycle around another point of the line",
                       "float64": float_run("float64", FLOAT_EPOCHS), "float32": float_run("float32", FLOAT_EPOCHS)},
        "certified_epochs_limit": f"interval enclosures widen ~1.7 bits per epoch on the cycle; {n} epochs "
                                  f"certified at {run.prec} bits",
    }
    return document(
        name, "gluon-long", f"The intended Gluon computation (V6) for {n} certified epochs: every epoch up to "
        f"{LONG_DENSE}, then every {every}th and the last three", G.convention(), _problem(v), G.params0(),
        ["w", "b"], run, keep=keep, extra=extra, edits=edits(v, probe()), analysis=analysis,
        horizon={"criterion": HORIZON_CRITERION, "float64": horizon("float64", n), "float32": horizon("float32", n)},
    )

