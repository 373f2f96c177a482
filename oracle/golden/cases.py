"""The golden case registry: every case, by name, and how it is computed.

Every value comes from :func:`oracle.engines.certify.certified_run`; the
per-dtype horizons from the propagated error bound
(:func:`oracle.accuracy.horizon`).  Cases, by name:

* ``docs-{docs|true}-{decimal|binary64}-{5|200}``: the documents' (y - w x)^2 example;
* ``docs-docs-decimal-5-eps-outside`` and ``errata-*``: the errata (:mod:`oracle.golden.literal`);
* ``stream-{preset}-{variant}``: open-loop seeded gradient streams, 3 parameters, 120 steps;
* ``stream-pytorch-complex-{split|modulus}``: the stream on 3 complex parameters (real pairs), centered
  with momentum, under each complex reading;
* ``quadratic-{preset}-{variant}``: closed loop on the 2-D ill-conditioned quadratic, 100 steps;
* ``gluon-*``: the seed-001 Gluon program (:mod:`oracle.golden.gluon`, :mod:`oracle.golden.gluon_long`).

Variants: ``plain``, ``centered``, ``momentum``, ``weight-decay`` where the
convention has the option (MXNet's momentum exists only centered, so
``centered-momentum`` there; Graves 2013's own form is ``centered-momentum``);
``maximize`` and ``maximize-weight-decay`` (PyTorch); ``momentum-schedule`` (PyTorch, lr
outside the buffer, and optax, lr inside): momentum with the learning-rate schedule
:func:`schedule` (warm-up, step decay, decay to 0).

>>> names = list(all_cases())
>>> names[:2], len(names) > 50
(['docs-docs-decimal-5', 'docs-docs-decimal-200'], True)
"""

from __future__ import annotations

import difflib
from fractions import Fraction
from typing import Callable, Optional

from ..algorithm import complex_stages
from ..conventions import PRESET_NAMES, Convention, preset
from ..engines.certify import certified_run
from ..problems import docs_example as ex
from ..problems import quadratic as q
from ..problems import streams
from . import fmt, gluon, gluon_long, literal
from .document import DIGITS, GoldenCase, document, horizons, json_exact

STREAM_STEPS, STREAM_SEED, STREAM_SIZE = 120, 1, 3
QUAD_STEPS = 100
MOMENTUM, WEIGHT_DECAY = "0.9", "0.01"


SCHEDULED = ("pytorch", "optax")
"""The presets with a ``momentum-schedule`` variant: lr outside the momentum buffer, and inside."""


def schedule(lr: str, steps: int = STREAM_STEPS) -> tuple:
    """Exact learning rates of ``steps`` steps (exact rational strings): linear warm-up over 10
    steps, ``lr`` to step 60, lr/10 to step 100, then linearly to 0 at step 120.

    >>> s = schedule("0.01")
    >>> s[0], s[9], s[60], s[110], s[119]
    ('1/1000', '1/100', '1/1000', '9/20000', '0')
    """
    base = Fraction(lr)
    factors = [Fraction(min(t, 10), 10) if t <= 60 else Fraction(1, 10) if t <= 100 else
               Fraction(120 - t, 200) for t in range(1, steps + 1)]
    return tuple(str(base * f) for f in factors)


def variants(name: str) -> dict[str, dict]:
    """The option sets a preset is run with, name -> overrides (:meth:`Convention.option_sets`): each option
    alone (momentum with centered where it exists only so), and the preset's own form where its defaults
    turn options on (Graves 2013: centered with momentum)."""
    conv = preset(name)
    sets = conv.option_sets(momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    on = {"centered": conv.centered, "momentum": conv.exact("momentum") != 0,
          "weight_decay": conv.exact("weight_decay") != 0}
    own = "-".join(n.replace("_", "-") for n, v in on.items() if v)
    names = ["plain", "centered", "momentum" if "momentum" in sets else "centered-momentum", own, "weight-decay"]
    out = {n: sets[n] for n in dict.fromkeys(names) if n in sets}
    if "maximize" in conv.allows:  # g <- -g before the coupled weight decay is added (PyTorch)
        out["maximize"] = {**sets["plain"], "maximize": True}
        out["maximize-weight-decay"] = {**sets["weight-decay"], "maximize": True}
    if name in SCHEDULED:
        out["momentum-schedule"] = {**sets["momentum"],
                                    "lr_schedule": schedule(str(conv.lr), max(STREAM_STEPS, QUAD_STEPS))}
    return out


def docs_problem(form: str, inputs: str) -> dict:
    """The ``problem`` field of a case on the documents' example."""
    gdesc = "g = (y - w x)(-x), as the documents write it" if form == "docs" else "g = -2 x (y - w x), the true gradient"
    return {"name": "docs_example", "loss": "(y - w x)^2", "x": str(ex.X), "y": str(ex.Y), "gradient": gdesc,
            "inputs": inputs, "closed_loop": True}


def _docs(form: str, inputs: str, steps: int) -> Callable[[], dict]:
    def build() -> dict:
        conv = ex.convention(inputs)
        run = ex.certified(form, inputs, steps=steps, digits=DIGITS)
        problem = docs_problem(form, inputs)
        gdesc = problem["gradient"]
        return document(f"docs-{form}-{inputs}-{steps}", "docs", f"The documents' example, {gdesc}; "
                        f"hyperparameters as {inputs}; {steps} steps", conv, problem, [[str(ex.W0)]], ["w"], run,
                        horizon=horizons(conv, [ex.W0], steps, ex.grad_fn(form)))

    return build


def _eps_outside() -> dict:
    conv = ex.convention("decimal").replace(eps_placement="outside")
    run = certified_run(conv, [ex.W0], steps=5, grad_fn=ex.grad_fn("docs"), digits=DIGITS)
    return document("docs-docs-decimal-5-eps-outside", "errata", "The documents' example with eps outside the "
                    "root (sqrt(G) + eps, as PyTorch), for the eps-placement erratum", conv,
                    docs_problem("docs", "decimal"), [[str(ex.W0)]], ["w"], run)


STREAM_P0 = [["0.5", "-1.25", "2"]]


def stream_inputs(name: str, overrides: dict) -> tuple[Convention, list, list, dict]:
    """A stream case's convention, initial parameters, gradients (decimal strings) and problem description."""
    problem = {"name": "stream", "closed_loop": False, "seed": STREAM_SEED, "generator": streams.GENERATOR,
               "size": STREAM_SIZE}
    return preset(name, **overrides), STREAM_P0, streams.stream(STREAM_SEED, STREAM_STEPS, STREAM_SIZE), problem


def _stream(name: str, variant: str, overrides: dict) -> Callable[[], dict]:
    def build() -> dict:
        conv, p0, grads, problem = stream_inputs(name, overrides)
        run = certified_run(conv, p0, steps=STREAM_STEPS, grads=grads, digits=DIGITS)
        return document(f"stream-{name}-{variant}", "stream", f"The {name} convention ({variant}) on the seeded "
                        f"open-loop gradient stream (seed {STREAM_SEED}), {STREAM_STEPS} steps", conv, problem, p0,
                        ["p"], run)

    return build


def _stream_spec(name: str, overrides: dict) -> Callable[[], dict]:
    def spec() -> dict:
        conv, p0, grads, problem = stream_inputs(name, overrides)
        return {"kind": "stream", "convention": conv.describe(), "problem": problem,
                "initial_params": {"p": json_exact(p0[0])}, "digits": DIGITS, "step_count": STREAM_STEPS,
                "steps": list(range(STREAM_STEPS + 1)), "step_grads": [{"p": row[0]} for row in grads]}

    return spec


COMPLEX_P0 = [[["0.5", "-0.75"], ["-1.25", "0.25"], ["2", "0"]]]
"""The complex stream's initial parameters as (real, imaginary) pairs: 0.5 - 0.75i, -1.25 + 0.25i, 2."""
COMPLEX_READINGS = ("split", "modulus")


def complex_inputs(reading: str) -> tuple[Convention, list, list, dict]:
    """A complex stream case's convention, initial pairs, gradient pairs (decimal strings) and problem:
    PyTorch centered with momentum, the seeded stream of 6 values per step read as 3 complex gradients."""
    conv = preset("pytorch", centered=True, momentum=MOMENTUM, complex_reading=reading)
    grads = [[[row[0][2 * k: 2 * k + 2] for k in range(STREAM_SIZE)]]
             for row in streams.stream(STREAM_SEED, STREAM_STEPS, 2 * STREAM_SIZE)]
    problem = {"name": "stream", "closed_loop": False, "seed": STREAM_SEED, "generator": streams.GENERATOR,
               "size": 2 * STREAM_SIZE, "complex": "3 complex parameters as (real, imaginary) pairs "
               "(view_as_real); the stream's 6 values per step are the gradients' pairs"}
    return conv, COMPLEX_P0, grads, problem


def _complex(reading: str) -> Callable[[], dict]:
    def build() -> dict:
        conv, p0, grads, problem = complex_inputs(reading)
        run = certified_run(conv, p0, steps=STREAM_STEPS, grads=grads, digits=DIGITS, stages=complex_stages(conv))
        return document(f"stream-pytorch-complex-{reading}", "stream", f"The pytorch convention (centered, "
                        f"momentum) on complex parameters, complex_reading={reading}, on the seeded open-loop "
                        f"gradient stream (seed {STREAM_SEED}), {STREAM_STEPS} steps", conv, problem, p0, ["p"], run)

    return build


def _complex_spec(reading: str) -> Callable[[], dict]:
    def spec() -> dict:
        conv, p0, grads, problem = complex_inputs(reading)
        return {"kind": "stream", "convention": conv.describe(), "problem": problem,
                "initial_params": {"p": json_exact(p0[0])}, "digits": DIGITS, "step_count": STREAM_STEPS,
                "steps": list(range(STREAM_STEPS + 1)),
                "step_grads": [{"p": [x for pair in row[0] for x in pair]} for row in grads]}  # stored flat

    return spec


def _quadratic(name: str, variant: str, overrides: dict) -> Callable[[], dict]:
    def build() -> dict:
        conv = preset(name, **overrides)
        p0 = [list(q.P0)]
        run = certified_run(conv, p0, steps=QUAD_STEPS, grad_fn=q.grad_fn(), digits=DIGITS)
        problem = {"name": "quadratic", "closed_loop": True, "definition": q.DESCRIPTION}
        return document(f"quadratic-{name}-{variant}", "quadratic", f"The {name} convention ({variant}) in closed "
                        f"loop on the 2-D ill-conditioned quadratic, {QUAD_STEPS} steps", conv, problem, p0, ["p"],
                        run, horizon=horizons(conv, p0, QUAD_STEPS, q.grad_fn()))

    return build


def all_cases() -> dict[str, GoldenCase]:
    """Every golden case, in a fixed order."""
    cases: list[GoldenCase] = []
    for form in ("docs", "true"):
        for inputs in ("decimal", "binary64"):
            for steps in (5, 200):
                cases.append(GoldenCase(f"docs-{form}-{inputs}-{steps}", "docs", _docs(form, inputs, steps)))
    cases.append(GoldenCase("docs-docs-decimal-5-eps-outside", "errata", _eps_outside))
    cases.append(GoldenCase(literal.NAME, "errata", literal.build))
    for name in PRESET_NAMES:
        for variant, overrides in variants(name).items():
            cases.append(GoldenCase(f"stream-{name}-{variant}", "stream", _stream(name, variant, overrides),
                                    spec=_stream_spec(name, overrides)))
            cases.append(GoldenCase(f"quadratic-{name}-{variant}", "quadratic", _quadratic(name, variant, overrides)))
        if name == "pytorch":
            for reading in COMPLEX_READINGS:
                cases.append(GoldenCase(f"stream-pytorch-complex-{reading}", "stream", _complex(reading),
                                        spec=_complex_spec(reading)))
    cases.extend(gluon.cases())
    cases.extend(gluon_long.cases())
    return {c.name: c for c in cases}


def unknown_case(name: str, known: Optional[list] = None) -> ValueError:
    """The error for a case name that is not in the registry, with the closest names.

    >>> str(unknown_case("docs-docs-decimal-6")).split(";")[0]
    "unknown case 'docs-docs-decimal-6' (did you mean docs-docs-decimal-5, docs-docs-decimal-200, docs-true-decimal-5?)"
    """
    known = list(all_cases()) if known is None else known
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return ValueError(f"unknown case {name!r}{hint}; `python -m oracle golden list` names all {len(known)}")


def build(name: str) -> str:
    """The canonical text of case ``name`` (``ValueError`` for an unknown case)."""
    cases = all_cases()
    if name not in cases:
        raise unknown_case(name, list(cases))
    doc = cases[name].build()
    return fmt.seal(doc)

