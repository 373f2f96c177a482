"""The golden cases: what each file holds and how it is computed.

Every value comes from :func:`oracle.engines.interval.certified_run`; the
per-dtype horizons from the propagated error bound
(:func:`oracle.accuracy.horizon`).  Cases, by name:

* ``docs-{docs|true}-{decimal|binary64}-{5|200}``: the documents' (y - w x)^2 example;
* ``stream-{preset}-{variant}``: open-loop seeded gradient streams, 3 parameters, 120 steps;
* ``quadratic-{preset}-{variant}``: closed loop on the 2-D ill-conditioned quadratic, 100 steps;
* ``gluon-*``: the seed-001 Gluon program (:mod:`oracle.golden.gluon`).

Variants: ``plain``, ``centered``, ``momentum``, ``weight-decay`` where the
convention has the option (MXNet's momentum exists only centered, so
``centered-momentum`` there; Graves 2013's own form is ``centered-momentum``).

>>> names = list(all_cases())
>>> names[:2], len(names) > 50
(['docs-docs-decimal-5', 'docs-docs-decimal-200'], True)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

from ..accuracy import horizon
from ..conventions import PRESET_NAMES, Convention, preset
from ..engines.interval import CertifiedRun, certified_run
from . import fmt

DIGITS = 50
STREAM_STEPS, STREAM_SEED, STREAM_SIZE = 120, 1, 3
QUAD_STEPS = 100
MOMENTUM, WEIGHT_DECAY = "0.9", "0.01"
HORIZON_CRITERION = (
    "the last step before the propagated float error bound (oracle.engines.errorbound, any "
    "reasonable implementation in that dtype) of some parameter exceeds u^(1/3) relative: "
    "past it an implementation cannot be held to the exact trajectory; null = never within the run"
)


@dataclasses.dataclass(frozen=True)
class Case:
    """A golden case: its file name stem, a one-line description and its builder."""

    name: str
    kind: str
    build: Callable[[], dict]
    cost: int = 1
    long: bool = False
    """A long case takes minutes: ``regen``/``check`` recompute it only with ``--long``
    (or when named); a plain ``check`` verifies its hash and its agreement with a
    shorter case over their common steps (:func:`oracle.golden.store.check`)."""
    prefix_of: Optional[str] = None
    """The shorter case whose every step a long case must reproduce."""
    spec: Optional[Callable[[], dict]] = None
    """What the case is, without computing it: document fields (``convention``, ``problem``,
    ``initial_params``, ``digits``, ``step_count``), the stored step numbers (``steps``) and,
    open loop, the gradient fed at each step (``step_grads``).  A file read for a replay
    must match it (:func:`oracle.golden.verify.check_spec`)."""


def variants(name: str) -> dict[str, dict]:
    """The option sets a preset is run with: name -> overrides."""
    conv = preset(name)
    out: dict[str, dict] = {"plain": {"centered": False, "momentum": 0}}
    if "centered" in conv.allows:
        out["centered"] = {"centered": True, "momentum": 0}
    if "momentum" in conv.allows:
        if name == "mxnet":
            out["centered-momentum"] = {"centered": True, "momentum": MOMENTUM}
        else:
            out["momentum"] = {"centered": False, "momentum": MOMENTUM}
    if name == "graves2013":
        out["centered-momentum"] = {"centered": True, "momentum": MOMENTUM}
    if "weight_decay" in conv.allows:
        out["weight-decay"] = {"centered": False, "momentum": 0, "weight_decay": WEIGHT_DECAY}
    return out


def records_json(run: CertifiedRun, names: list[str], digits: int, keep: Optional[Callable[[int], bool]] = None,
                 extra: Optional[Callable[[int], dict]] = None) -> list[dict]:
    """The ``steps`` list: per kept step, params, state and (after step 0) gradients."""
    out = []
    for rec in run.records:
        t = rec["step"]
        if keep is not None and not keep(t):
            continue
        item: dict[str, Any] = {
            "step": t,
            "grads": None if rec["grads"] is None else fmt.encode_arrays(rec["grads"], names, digits),
            "params": fmt.encode_arrays(rec["params"], names, digits),
            "state": {k: fmt.encode_arrays(v, names, digits) for k, v in rec["state"].items()},
        }
        if extra is not None:
            item.update(extra(t))
        out.append(item)
    return out


def document(name: str, kind: str, description: str, conv: Convention, problem: dict, params0: list,
             names: list[str], run: CertifiedRun, digits: int = DIGITS, **more: Any) -> dict:
    """A complete golden document (unsealed) for a certified run."""
    doc = {
        "format": fmt.FORMAT,
        "format_version": fmt.FORMAT_VERSION,
        "header": fmt.header(run.prec),
        "case": name,
        "kind": kind,
        "description": description,
        "convention": conv.describe(),
        "problem": problem,
        "initial_params": {n: _json_exact(p) for n, p in zip(names, params0)},
        "digits": digits,
        "step_count": run.steps,
        "steps": records_json(run, names, digits, more.pop("keep", None), more.pop("extra", None)),
    }
    doc.update(more)
    return doc


def _json_exact(values: Any) -> Any:
    """Inputs exactly as given: decimal strings stay strings, ints become strings."""
    if isinstance(values, (list, tuple)):
        return [_json_exact(v) for v in values]
    if isinstance(values, float):
        return {"float": values.hex(), "repr": repr(values)}
    return str(values)


def horizons(conv: Convention, params0: list, steps: int, grad_fn: Any) -> dict:
    """Per dtype, the last step an implementation can be held to the exact trajectory."""
    out: dict[str, Any] = {"criterion": HORIZON_CRITERION}
    for dtype in ("float64", "float32"):
        out[dtype] = horizon(conv, dtype, params0, steps=steps, grad_fn=grad_fn)
    return out


def _docs(form: str, inputs: str, steps: int) -> Callable[[], dict]:
    def build() -> dict:
        from ..problems import docs_example as ex

        conv = ex.convention(inputs)
        run = ex.certified(form, inputs, steps=steps, digits=DIGITS)
        gdesc = "g = (y - w x)(-x), as the documents write it" if form == "docs" else "g = -2 x (y - w x), the true gradient"
        problem = {"name": "docs_example", "loss": "(y - w x)^2", "x": str(ex.X), "y": str(ex.Y),
                   "gradient": gdesc, "inputs": inputs, "closed_loop": True}
        return document(f"docs-{form}-{inputs}-{steps}", "docs", f"The documents' example, {gdesc}; "
                        f"hyperparameters as {inputs}; {steps} steps", conv, problem, [[str(ex.W0)]], ["w"], run,
                        horizon=horizons(conv, [ex.W0], steps, ex.grad_fn(form)))

    return build


def _eps_outside() -> dict:
    from ..problems import docs_example as ex

    conv = ex.convention("decimal").replace(eps_placement="outside")
    run = certified_run(conv, [ex.W0], steps=5, grad_fn=ex.grad_fn("docs"), digits=DIGITS)
    problem = {"name": "docs_example", "loss": "(y - w x)^2", "x": str(ex.X), "y": str(ex.Y),
               "gradient": "g = (y - w x)(-x), as the documents write it", "inputs": "decimal", "closed_loop": True}
    return document("docs-docs-decimal-5-eps-outside", "errata", "The documents' example with eps outside the "
                    "root (sqrt(G) + eps, as PyTorch), for the eps-placement erratum", conv, problem, [[str(ex.W0)]],
                    ["w"], run)


STREAM_P0 = [["0.5", "-1.25", "2"]]


def stream_inputs(name: str, overrides: dict) -> tuple[Convention, list, list, dict]:
    """A stream case's convention, initial parameters, gradients (decimal strings) and problem description."""
    from ..problems import streams

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
                "initial_params": {"p": _json_exact(p0[0])}, "digits": DIGITS, "step_count": STREAM_STEPS,
                "steps": list(range(STREAM_STEPS + 1)), "step_grads": [{"p": row[0]} for row in grads]}

    return spec


def _quadratic(name: str, variant: str, overrides: dict) -> Callable[[], dict]:
    def build() -> dict:
        from ..problems import quadratic as q

        conv = preset(name, **overrides)
        p0 = [list(q.P0)]
        run = certified_run(conv, p0, steps=QUAD_STEPS, grad_fn=q.grad_fn(), digits=DIGITS)
        problem = {"name": "quadratic", "closed_loop": True, "definition": q.DESCRIPTION}
        return document(f"quadratic-{name}-{variant}", "quadratic", f"The {name} convention ({variant}) in closed "
                        f"loop on the 2-D ill-conditioned quadratic, {QUAD_STEPS} steps", conv, problem, p0, ["p"],
                        run, horizon=horizons(conv, p0, QUAD_STEPS, q.grad_fn()))

    return build


def all_cases() -> dict[str, Case]:
    """Every golden case, in a fixed order."""
    from . import gluon

    cases: list[Case] = []
    for form in ("docs", "true"):
        for inputs in ("decimal", "binary64"):
            for steps in (5, 200):
                cases.append(Case(f"docs-{form}-{inputs}-{steps}", "docs", _docs(form, inputs, steps)))
    from . import literal

    cases.append(Case("docs-docs-decimal-5-eps-outside", "errata", _eps_outside))
    cases.append(Case(literal.NAME, "errata", literal.build))
    for name in PRESET_NAMES:
        for variant, overrides in variants(name).items():
            cases.append(Case(f"stream-{name}-{variant}", "stream", _stream(name, variant, overrides),
                              spec=_stream_spec(name, overrides)))
            cases.append(Case(f"quadratic-{name}-{variant}", "quadratic", _quadratic(name, variant, overrides)))
    cases.extend(gluon.cases())
    return {c.name: c for c in cases}


def build(name: str) -> str:
    """The canonical text of case ``name`` (``ValueError`` for an unknown case)."""
    cases = all_cases()
    if name not in cases:
        raise ValueError(f"unknown case {name!r}; `python -m oracle golden list` names them all")
    doc = cases[name].build()
    return fmt.seal(doc)

