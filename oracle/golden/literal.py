"""Errata cases: the documents' equations read literally, certified.

Seed 002 defines, before the moving average, "g_t^2 = (1/t) sum_{i<=t} g_i^2"
and then G_t = gamma G_{t-1} + (1 - gamma) g_t^2.  Read literally, the
moving average is fed the running *mean* of the squared gradients, not the
current squared gradient; its own example and program feed g_t^2.  This
module runs the literal reading on the documents' example in the package's
interval arithmetic (same certification, doubling the precision until every
value has ``DIGITS`` certified digits) so the erratum's consequence is exact.
"""

from __future__ import annotations

from fractions import Fraction

from ..engines.interval import IntervalArith, certified_value
from ..problems import docs_example as ex
from . import fmt
from .document import DIGITS

NAME = "errata-docs-literal-mean-of-squares"


def _run(prec: int, steps: int) -> list[dict]:
    ar = IntervalArith(prec)
    n = ar.number
    lr, gamma, eps = (n(Fraction(s)) for s in (ex.ETA, ex.GAMMA, ex.EPS))
    x, y = n(Fraction(ex.X)), n(Fraction(ex.Y))
    w, G, total = n(Fraction(ex.W0)), n(Fraction(0)), n(Fraction(0))
    out = [{"step": 0, "w": w, "G": G, "g": None, "mean_sq": None}]
    for t in range(1, steps + 1):
        g = (y - w * x) * (-x)
        total = total + g * g
        mean_sq = total / n(Fraction(t))
        G = gamma * G + (n(Fraction(1)) - gamma) * mean_sq
        w = w - lr * g / ar.ctx.sqrt(G + eps)
        out.append({"step": t, "w": w, "G": G, "g": g, "mean_sq": mean_sq})
    return out


def build(steps: int = 5) -> dict:
    """The literal reading's trajectory, certified to ``DIGITS`` digits."""
    prec = 4 * DIGITS + 64
    while True:
        recs = _run(prec, steps)
        cvs = [{k: (None if v is None or k == "step" else certified_value(v, DIGITS + 10))
                for k, v in r.items()} for r in recs]
        digits = [cv.digits for r in cvs for k, cv in r.items() if k != "step" and cv is not None]
        if min(d for d in digits if d is not None) >= DIGITS:
            break
        prec *= 2
    steps_json = []
    for r, c in zip(recs, cvs):
        steps_json.append({"step": r["step"], **{k: None if c[k] is None else fmt.encode_value(c[k], DIGITS)
                                                 for k in ("w", "G", "g", "mean_sq")}})
    return {
        "format": fmt.FORMAT, "format_version": fmt.FORMAT_VERSION, "header": fmt.header(prec),
        "case": NAME, "kind": "errata",
        "description": "Seed 002's equations read literally: G_t = gamma G_{t-1} + (1 - gamma) (1/t) sum g_i^2, "
                       "on the documents' example (docs gradient, decimal inputs)",
        "problem": {"name": "docs_example", "x": str(ex.X), "y": str(ex.Y), "w0": str(ex.W0), "eta": ex.ETA,
                    "gamma": ex.GAMMA, "eps": ex.EPS, "update": "g = (y - w x)(-x); S += g^2; "
                    "G = gamma G + (1 - gamma) S / t; w -= eta g / sqrt(G + eps)"},
        "digits": DIGITS, "step_count": steps, "steps": steps_json,
    }


def values(doc: dict, key: str) -> list:
    """The published decimals of one quantity per step (for pages)."""
    return [None if r[key] is None else r[key]["dec"] for r in doc["steps"]]

