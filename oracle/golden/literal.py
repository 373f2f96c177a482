"""Errata cases: the documents' equations read literally, certified.

Seed 002 defines, before the moving average, "g_t^2 = (1/t) sum_{i<=t} g_i^2"
and then G_t = gamma G_{t-1} + (1 - gamma) g_t^2.  Read literally, the
moving average is fed the running *mean* of the squared gradients, not the
current squared gradient; its own example and program feed g_t^2.  The literal
reading is the RMSProp chain with one stage swapped (:data:`LITERAL`: the
accumulator :func:`accumulate_mean_of_squares`), run on the documents' example
by the certified engine like every other case, so the erratum's consequence is exact.

>>> run = certified_run(ex.convention("decimal"), [ex.W0], steps=2, grad_fn=ex.grad_fn("docs"), stages=LITERAL)
>>> run.records[2]["state"]["v"][0].item().sci(10), run.records[2]["state"]["sum_sq"][0].item().sci(10)
('1.122807115e1', '1.093614230e2')
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from ..algorithm import RMSPROP, Arith, Arrays, Hyper, State, full_like, init_state
from ..conventions import Convention
from ..engines.certified import CertifiedValue
from ..engines.certify import certified_run
from ..problems import docs_example as ex
from . import fmt
from .document import DIGITS

NAME = "errata-docs-literal-mean-of-squares"


def init_sum_of_squares(conv: Convention, ar: Arith, params: Arrays) -> State:
    """The state before step 1: the RMSProp slots and the running sum S = 0 (``sum_sq``)."""
    state = init_state(conv, ar, params)
    zero = ar.const(Fraction(0))
    return {**state, "sum_sq": [full_like(p, zero) for p in params]}


def accumulate_mean_of_squares(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """The literal reading: S <- S + g^2, G <- gamma G + (1 - gamma) S / t; s = G.

    (Replaces :func:`oracle.algorithm.accumulate`; ``t`` is the step number.)
    """
    total = [s + g * g for s, g in zip(state["sum_sq"], grads)]
    count = h.ar.const(Fraction(h.t))
    v = [h.rho * v_ + h.one_minus_rho * (s / count) for v_, s in zip(state["v"], total)]
    return {"v": v, "sum_sq": total}, v


LITERAL = dataclasses.replace(RMSPROP, init=init_sum_of_squares, accumulate=accumulate_mean_of_squares)
"""RMSProp as seed 002's equations read literally."""


def build(steps: int = 5) -> dict:
    """The literal reading's trajectory, certified to ``DIGITS`` digits."""
    run = certified_run(ex.convention("decimal"), [ex.W0], steps=steps, grad_fn=ex.grad_fn("docs"), digits=DIGITS,
                        prec=4 * DIGITS + 64, stages=LITERAL)
    steps_json = []
    for rec in run.records:
        t = rec["step"]
        values = {"w": rec["params"][0].item(), "G": rec["state"]["v"][0].item(),
                  "g": None if t == 0 else rec["grads"][0].item(), "mean_sq": None}
        if t:
            total = rec["state"]["sum_sq"][0].item()
            values["mean_sq"] = CertifiedValue(total.lo / t, total.hi / t, DIGITS + 10)
        steps_json.append({"step": t, **{k: None if cv is None else fmt.encode_value(cv, DIGITS)
                                         for k, cv in values.items()}})
    return {
        "format": fmt.FORMAT, "format_version": fmt.FORMAT_VERSION, "header": fmt.header(run.prec),
        "case": NAME, "kind": "errata",
        "description": "Seed 002's equations read literally: G_t = gamma G_{t-1} + (1 - gamma) (1/t) sum g_i^2, "
                       "on the documents' example (docs gradient, decimal inputs)",
        "problem": {"name": "docs_example", "x": str(ex.X), "y": str(ex.Y), "w0": str(ex.W0), "eta": ex.ETA,
                    "gamma": ex.GAMMA, "eps": ex.EPS, "update": "g = (y - w x)(-x); S += g^2; "
                    "G = gamma G + (1 - gamma) S / t; w -= eta g / sqrt(G + eps)"},
        "digits": DIGITS, "step_count": steps, "steps": steps_json,
    }
