"""Hypothesis-generated cases: shapes, hyperparameters, options and gradient regimes.

``draw_case(data, dtype, target)`` draws a small case (one to nine arrays of
shape (), (0,), (1,), (3,), (2, 3) or (4, 1); 1 to 12 steps) in one of the
regimes: ordinary gradients, gradients far below sqrt(eps) (where eps
placement dominates), huge gradients, exact zeros, sign flips, subnormal
gradients, or a closed-loop quadratic.  Hyperparameters are drawn among
common values or as arbitrary binary64 values (:func:`arbitrary`: lr from 1e-6
to 10, rho in [0, 1), ...), option values likewise.  (Centered with rho = 0 is replaced by rho = 0.5: see the comment below.)  Options are drawn
only among the combinations the target's convention has (:meth:`Convention.option_sets
<oracle.conventions.Convention.option_sets>`: MXNet's momentum only with centered) and the candidate's factory accepts; a factory taking ``lr_schedule``
gets, in some cases, one of the schedules of :func:`.cases.schedules` (step, cosine, warm-up, to zero).  Values come from a numpy generator seeded by
a drawn integer (hypothesis explores the seeds and the discrete choices).
"""

from __future__ import annotations

import itertools

import numpy as np

from ...problems.quadratic import Diagonal
from ...rounding import limits
from .cases import Case, arr, scale, schedules

SHAPES = [(), (0,), (1,), (3,), (2, 3), (4, 1)]
CHOICES = {"momentum": (0.0, 0.5, 0.9), "centered": (False, True), "weight_decay": (0.0, 0.01, 0.5)}
REGIMES = ("normal", "tiny", "huge", "zeros", "flips", "closed", "subnormal")
MAX_ARRAYS = 9
ARBITRARY = object()
"""A drawn hyperparameter: an arbitrary binary64 value from the case's generator (:func:`arbitrary`)."""
RANGES = {"lr": (1e-6, 10.0), "eps": (1e-10, 1.0), "rho": (0.0, 1.0), "momentum": (0.0, 0.99),
          "weight_decay": (1e-4, 1.0)}
"""Where :func:`arbitrary` draws each hyperparameter (lr, eps, weight decay log-uniformly)."""


def arbitrary(name: str, rng: np.random.Generator, dtype: str) -> float:
    """An arbitrary binary64 value of hyperparameter ``name`` (not a short decimal)."""
    lo, hi = RANGES[name]
    if name in ("rho", "momentum"):
        return float(rng.uniform(lo, hi))
    if name == "eps" and dtype == "float16":
        lo = 2.0**-8  # eps below float16's reach would make every step the sign of g
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def option_sets(target) -> list:
    """Every combination of option values (:data:`CHOICES`) that the target's factory accepts and its convention
    has: the options on (those given, and the convention's own) form one of
    :meth:`~oracle.conventions.Convention.option_sets` (MXNet's momentum only with centered).  Options switched
    off are left out (the factory's defaults, which are the convention's)."""
    conv = target.convention
    own = {n for n, on in (("centered", conv.centered), ("momentum", conv.has_momentum),
                           ("weight_decay", conv.exact("weight_decay") != 0)) if on}
    has = {frozenset(n for n, v in s.items() if v) for s in conv.option_sets().values()}
    names = [n for n in CHOICES if n in target.candidate.options]
    out = []
    for values in itertools.product(*(CHOICES[n] for n in names)):
        options = {n: v for n, v in zip(names, values) if v}
        if frozenset(options).union(own) in has:
            out.append(options)
    return out


def draw_case(data, dtype: str, target) -> Case:
    from hypothesis import strategies as st

    sc = scale(dtype)
    regime = data.draw(st.sampled_from(REGIMES), label="regime")
    shapes = data.draw(st.lists(st.sampled_from(SHAPES), min_size=1, max_size=MAX_ARRAYS), label="shapes")
    steps = data.draw(st.integers(1, 12), label="steps")
    eps_choices = [sc["eps"], 1e-3, 0.1, ARBITRARY] if dtype != "float16" else [sc["eps"], 0.01, 0.1, ARBITRARY]
    hyper = dict(lr=data.draw(st.sampled_from([1e-3, 0.01, 0.1, 0.5, ARBITRARY]), label="lr"),
                 rho=data.draw(st.sampled_from([0.0, 0.5, 0.9, 0.99, 0.999, ARBITRARY]), label="rho"),
                 eps=data.draw(st.sampled_from(eps_choices), label="eps"))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    hyper = {k: arbitrary(k, rng, dtype) if v is ARBITRARY else v for k, v in hyper.items()}
    options = data.draw(st.sampled_from(option_sets(target)), label="options")
    options = {k: arbitrary(k, rng, dtype) if isinstance(v, float) and data.draw(st.booleans(), label=k) else v
               for k, v in options.items()}
    if "lr_schedule" in target.candidate.options and data.draw(st.booleans(), label="scheduled"):
        kind = data.draw(st.sampled_from(sorted(schedules(1))), label="schedule")
        options["lr_schedule"] = schedules(steps, hyper["lr"])[kind]
        hyper["lr"] = options["lr_schedule"][0]
    if options.get("centered") and hyper["rho"] == 0.0:
        # rho = 0 makes the centered variance v - m^2 exactly 0, where an fma-based v - m^2
        # takes the root of a negative rounding residue (torch gives NaN): a degenerate
        # configuration, left out rather than failed.
        hyper["rho"] = 0.5
    mag = {"tiny": sc["tiny"], "huge": sc["huge"], "subnormal": limits(dtype)[0] / 4}.get(regime, 1.0)
    params0 = [arr(rng.uniform(-2, 2, s), dtype) for s in shapes]
    name = f"generated-{regime}"
    if regime == "closed":
        a = [arr(rng.uniform(0.25, 4, s), dtype) for s in shapes]
        c = [arr(rng.uniform(-2, 2, s), dtype) for s in shapes]
        return Case(name, dtype, params0, hyper, steps, options, problem=Diagonal(a, c), tags=("nocache",))
    grads = []
    for t in range(steps):
        g = [rng.standard_normal(s) * mag for s in shapes]
        if regime == "zeros":
            g = [np.where(rng.random(s) < 0.5, 0.0, x) for x, s in zip(g, shapes)]
        if regime == "flips":
            g = [np.abs(x) * (-1) ** t for x in g]
        grads.append([arr(x, dtype) for x in g])
    return Case(name, dtype, params0, hyper, steps, options, grads=grads, tags=("nocache",))
