"""The intended Gluon computation run long: ``gluon-intended-long`` and ``gluon-intended-10000``, certified.

The intended run (V6) settles on a period-2 cycle around a point of the
least-squares line (``scripts/gluon_analysis.py`` derives why).  Each long case
stores the certified run (every epoch up to ``LONG_DENSE``, then every
``every``-th and the last three) and an ``analysis``: the certified centre,
half-amplitude and 2-epoch change of the final cycle (:func:`cycle`, from the
run's own certified values), and what the analysis script recorded in
``golden/analysis/gluon-intended.json`` (:func:`analysis`): the derivation, the
least-squares solutions and the float64/float32 programs' last epochs (program
output, never exact values).

* ``gluon-intended-long``: ``LONG_EPOCHS`` (2,000) epochs, every 50th after 200;
* ``gluon-intended-10000``: 10,000 epochs, every 500th after 200, at about 20,000
  bits: a *long* case (minutes with gmpy), recomputed by ``golden check --long``;
  a plain ``check`` holds it to the shorter case over their common epochs.

Interval enclosures of this map widen by about 1.7 bits per epoch on the cycle
(the dependency effect, not the real dynamics, which contract): hence the
doubling precision and the 2,000 epochs of the default case.

>>> kept(250, 2000, 50), kept(251, 2000, 50), kept(1999, 2000, 50)
(True, False, True)
"""

from __future__ import annotations

import numpy as np

from ..engines.certified import CertifiedRun, CertifiedValue
from ..problems import gluon as G
from . import data, fmt
from .document import DIGITS, GoldenCase, document, horizons, json_exact
from .gluon import LONG, LONGEST, certified, certified_loss, edits, probe, problem

LONG_EPOCHS = 2000
LONG_DENSE, LONG_EVERY = 200, 50
LONGEST_EPOCHS, LONGEST_EVERY = 10000, 500
ANALYSIS = "analysis/gluon-intended.json"
"""What ``scripts/gluon_analysis.py`` writes (in the golden folder) and the long cases read."""


def analysis() -> dict:
    """The analysis script's record: ``derivation``, ``least_squares``, ``float_runs`` (``GoldenDataError`` if unreadable)."""
    return data.read_record(ANALYSIS, "the Gluon analysis record",
                            "python scripts/gluon_analysis.py, or git checkout golden/analysis")


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


def cycle(run: CertifiedRun, losses: list) -> dict:
    """Centre and half-amplitude of the final 2-cycle, certified from the last two steps (``losses``: certified)."""
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
    return t <= LONG_DENSE or t % every == 0 or t >= n - 2


def spec(n: int, every: int) -> dict:
    """What a long intended run is, without computing it (:attr:`oracle.golden.document.GoldenCase.spec`)."""
    return {"kind": "gluon-long", "convention": G.convention().describe(), "problem": problem(G.VARIANTS[G.INTENDED]),
            "initial_params": {k: json_exact(p) for k, p in zip(("w", "b"), G.params0())}, "digits": DIGITS,
            "step_count": n, "steps": [t for t in range(n + 1) if kept(t, n, every)]}


def build_long(n: int = LONG_EPOCHS, name: str = LONG, every: int = LONG_EVERY) -> dict:
    """The ``gluon-intended-long`` document (or a longer one: ``n`` epochs, kept every ``every``)."""
    v = G.VARIANTS[G.INTENDED]
    run, tr = certified(v, n + 1, eval_loss=False)
    losses = [certified_loss(tr, x) for x in tr.losses]
    run.records = run.records[: n + 1]
    run.steps = n
    recorded = analysis()

    def keep(t: int) -> bool:
        return kept(t, n, every)

    def extra(t: int) -> dict:
        return {"loss": None if t == 0 else fmt.encode_value(losses[t - 1], DIGITS)}

    summary = {
        "derivation": recorded["derivation"],
        "least_squares": recorded["least_squares"],
        "cycle": cycle(run, losses[: n + 1]),
        "float_runs": recorded["float_runs"],
        "certified_epochs_limit": f"interval enclosures widen ~1.7 bits per epoch on the cycle; {n} epochs "
                                  f"certified at {run.prec} bits",
    }
    return document(
        name, "gluon-long", f"The intended Gluon computation (V6) for {n} certified epochs: every epoch up to "
        f"{LONG_DENSE}, then every {every}th and the last three", G.convention(), problem(v), G.params0(),
        ["w", "b"], run, keep=keep, extra=extra, edits=edits(v, probe()), analysis=summary,
        horizon=horizons(G.convention(), G.params0(), n, G.grad_fn(v)),
    )


def build_longest() -> dict:
    """The ``gluon-intended-10000`` document."""
    return build_long(LONGEST_EPOCHS, LONGEST, LONGEST_EVERY)


def cases() -> list[GoldenCase]:
    """The two long cases: the default one, and the 10,000-epoch one that must extend it."""
    return [GoldenCase(LONG, "gluon", build_long, cost=20, spec=lambda: spec(LONG_EPOCHS, LONG_EVERY)),
            GoldenCase(LONGEST, "gluon", build_longest, cost=1000, long=True, prefix_of=LONG,
                       spec=lambda: spec(LONGEST_EPOCHS, LONGEST_EVERY))]
