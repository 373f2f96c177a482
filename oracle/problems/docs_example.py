"""The source documents' example: minimise L = (y - w x)^2 with RMSProp.

From ``../shared/seeds/002_3d5cae1bf976082a.txt``: x = 2, y = 4, w0 = 0,
eta = 0.1, gamma = 0.9, eps = 1e-8, G0 = 0, eps inside the root, and the
gradient written as g = (y - w x)(-x) -- which is the gradient of
(1/2)(y - w x)^2, not of the stated loss, whose gradient is -2x(y - w x)
(see :mod:`oracle.derivations`).  Both forms are provided:

* ``form="docs"``: g = (y - w x) * (-x), as the documents' program computes it;
* ``form="true"``: g = (y - w x) * (-2 x), the gradient of the stated loss.

Inputs come in two flavours, and every published value says which:

* ``inputs="decimal"``: 0.1, 0.9 and 1e-8 are the exact decimals 1/10, 9/10, 10^-8;
* ``inputs="binary64"``: they are the binary64 values a float64 program
  receives (0.1 is 0.1000000000000000055511151231257827...).

>>> run = certified("docs", "binary64", steps=5)
>>> print("\\n".join(program_lines(run)))
Iter 1: g=-8.000000, G=6.400000, w=0.316228
Iter 2: g=-6.735089, G=10.296142, w=0.526125
Iter 3: g=-5.895501, G=12.742222, w=0.691282
Iter 4: g=-5.234871, G=14.208387, w=0.830160
Iter 5: g=-4.679359, G=14.977189, w=0.951073
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from ..algorithm import Arith, Arrays, GradFn
from ..conventions import Convention, preset
from ..engines.certify import CertifiedRun, CertifiedValue, certified_run

X, Y, W0 = 2, 4, 0
ETA, GAMMA, EPS = "0.1", "0.9", "1e-8"
STEPS = 5

Form = Literal["docs", "true"]
Inputs = Literal["decimal", "binary64"]
FORMS: tuple[str, ...] = ("docs", "true")
INPUTS: tuple[str, ...] = ("decimal", "binary64")

PROGRAM = '''import numpy as np

# Given constants
eta = 0.1       # learning rate
gamma = 0.9     # decay rate
eps = 1e-8      # small value for numerical stability

# Training data
x = 2.0
y = 4.0

# Initial values
w = 0.0
G = 0.0   # running average of squared gradients

# Number of iterations
epochs = 5

for t in range(1, epochs + 1):
    # Compute gradient
    g = (y - w * x) * (-x)
    
    # Update running average of squared gradients
    G = gamma * G + (1 - gamma) * (g ** 2)
    
    # Update weight using RMSProp rule
    w = w - eta * g / (np.sqrt(G + eps))
    
    # Display results
    print(f"Iter {t}: g={g:.6f}, G={G:.6f}, w={w:.6f}")
'''
"""The documents' numpy program, verbatim (the test suite runs it)."""


def convention(inputs: Inputs = "decimal", eps: object = None) -> Convention:
    """The seed convention with the example's hyperparameters as decimals or binary64."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {INPUTS}, got {inputs!r}")
    eps = EPS if eps is None else eps
    if inputs == "decimal":
        return preset("seed", lr=ETA, rho=GAMMA, eps=eps)
    return preset("seed", lr=float(ETA), rho=float(GAMMA), eps=float(eps))


def grad_fn(form: Form = "docs") -> GradFn:
    """g(w) for the chosen form, written with context operations."""
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    factor = -X if form == "docs" else -2 * X

    def g(ar: Arith, params: Arrays) -> Arrays:
        (w,) = params
        return [(ar.const(Fraction(Y)) - w * ar.const(Fraction(X))) * ar.const(Fraction(factor))]

    return g


def certified(
    form: Form = "docs", inputs: Inputs = "decimal", steps: int = STEPS, digits: int = 50, eps: object = None
) -> CertifiedRun:
    """The certified trajectory of the example (w, G and g at every step)."""
    return certified_run(convention(inputs, eps), [W0], grad_fn=grad_fn(form), steps=steps, digits=digits)


def rows(run: CertifiedRun) -> list[tuple[int, object, object, object]]:
    """(t, g_t, G_t, w_t) for t = 1..steps, as certified values."""
    return [
        (rec["step"], rec["grads"][0].item(), rec["state"]["v"][0].item(), rec["params"][0].item())
        for rec in run.records[1:]
    ]


def factor_two_consequence(inputs: Inputs = "decimal", steps: int = STEPS, digits: int = 50) -> list[tuple]:
    """The exact cost of the documents' missing factor 2, step by step.

    Returns (t, w_docs, w_true, w_docs - w_true) as certified values: the
    documents' gradient g/2 with eps against the true gradient g with eps.  By
    the scale identity the documents' run is exactly the true run with 4 eps.
    """
    docs = certified("docs", inputs, steps, digits + 15)
    true = certified("true", inputs, steps, digits + 15)
    out = []
    for a, b in zip(docs.records[1:], true.records[1:]):
        wa, wb = a["params"][0].item(), b["params"][0].item()
        out.append((a["step"], wa, wb, CertifiedValue(wa.lo - wb.hi, wa.hi - wb.lo, digits)))
    return out


def program_lines(run: CertifiedRun) -> list[str]:
    """The lines the documents' program prints, formatted from certified values.

    Each ``%.6f`` field is certified: both ends of the enclosure give the same
    six decimals, so it is the exact value's rounding (``ValueError`` if not).
    """
    return [
        f"Iter {t}: g={g.fixed(6)}, G={G.fixed(6)}, w={w.fixed(6)}" for t, g, G, w in rows(run)
    ]
