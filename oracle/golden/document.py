"""What every golden case is built from: its registry entry, the document skeleton, exact inputs, horizons.

:class:`GoldenCase` is one entry of the case registry (:func:`oracle.golden.cases.all_cases`);
:func:`document` turns a certified run into a golden document (unsealed:
:func:`oracle.golden.fmt.seal` adds the hash); :func:`json_exact` writes inputs
exactly as given; :func:`horizons` gives the per-dtype horizons of a closed-loop case.

>>> json_exact(["0.5", 2, 0.1])
['0.5', '2', {'float': '0x1.999999999999ap-4', 'repr': '0.1'}]
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

from ..accuracy import horizon
from ..conventions import Convention
from ..engines.certified import CertifiedRun
from . import fmt

DIGITS = 50
"""Significant digits published per value."""
# stored in every golden file, so its text stays as written (the module is oracle.engines.bound.errorbound now)
HORIZON_CRITERION = (
    "the last step before the propagated float error bound (oracle.engines.errorbound, any "
    "reasonable implementation in that dtype) of some parameter exceeds u^(1/3) relative: "
    "past it an implementation cannot be held to the exact trajectory; null = never within the run"
)


@dataclasses.dataclass(frozen=True)
class GoldenCase:
    """A golden case: its file name stem, its kind and its builder (the document it computes)."""

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
    """A complete golden document (unsealed) for a certified run.

    ``keep(t)`` (in ``more``) selects the stored steps, ``extra(t)`` adds fields to a
    step; every other keyword is a top-level field.
    """
    doc = {
        "format": fmt.FORMAT,
        "format_version": fmt.FORMAT_VERSION,
        "header": fmt.header(run.prec),
        "case": name,
        "kind": kind,
        "description": description,
        "convention": conv.describe(),
        "problem": problem,
        "initial_params": {n: json_exact(p) for n, p in zip(names, params0)},
        "digits": digits,
        "step_count": run.steps,
        "steps": records_json(run, names, digits, more.pop("keep", None), more.pop("extra", None)),
    }
    doc.update(more)
    return doc


def json_exact(values: Any) -> Any:
    """Inputs exactly as given: decimal strings stay strings, ints become strings, floats their hex."""
    if isinstance(values, (list, tuple)):
        return [json_exact(v) for v in values]
    if isinstance(values, float):
        return {"float": values.hex(), "repr": repr(values)}
    return str(values)


def horizons(conv: Convention, params0: list, steps: int, grad_fn: Any) -> dict:
    """Per dtype, the last step an implementation can be held to the exact trajectory (:func:`oracle.accuracy.horizon`)."""
    out: dict[str, Any] = {"criterion": HORIZON_CRITERION}
    for dtype in ("float64", "float32"):
        out[dtype] = horizon(conv, dtype, params0, steps=steps, grad_fn=grad_fn)
    return out
