"""A golden file's certified values against the reference engine's run of the same case.

A conformance replay holds a candidate to a golden file's trajectory.  Before a
replay case is built, the exact values of the engine the reference runs on
(:class:`oracle.engines.bound.errorbound.ErrorBoundArith`, 256-bit values) are compared
with every certified value the file stores for the replayed steps: each must lie
within half a unit of the file's last published digit (50 digits), widened by
2^-200 of itself for the engine's own rounding.  Anything else -- a value edited
and the hash recomputed, a file computed by another engine -- is a
:class:`~oracle.golden.data.GoldenDataError` naming the step and the value.

>>> within("1.25e0", mpmath.mpf("1.2549")), within("1.25e0", mpmath.mpf("1.2551")), within("0", mpmath.mpf(0))
(True, False, True)
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

import mpmath
import numpy as np

from ..algorithm import complex_stages, simulate
from ..conventions import preset
from ..engines.bound.errorbound import ErrorBoundArith
from .data import GoldenDataError
from .verify import load_case

MARGIN = mpmath.mpf(2) ** -200
"""Relative allowance for the engine's own rounding (256-bit values, a few hundred operations)."""


def within(dec: str, val: Any) -> bool:
    """Whether the engine's value ``val`` (an mpf) is the exact value ``dec`` is a correct rounding of.

    Evaluated at 320 bits: its own rounding (about 2^-318 relative) is far inside ``MARGIN``.
    """
    if dec == "0":
        return val == 0
    if not mpmath.isfinite(val):
        return False
    mant, exp = dec.split("e")
    digits = len(mant) - mant.startswith("-") - ("." in mant)
    with mpmath.workprec(320):
        d, x = mpmath.mpf(dec), mpmath.mpf(val)
        half = mpmath.mpf(10) ** (int(exp) - digits + 1) / 2
        return abs(x - d) <= half + MARGIN * abs(d)


def _groups(rec: dict) -> dict[str, list]:
    """An engine record's arrays by field label: params, grads, state.<name>."""
    out = {"params": rec["params"]}
    if rec.get("grads") is not None:
        out["grads"] = rec["grads"]
    out.update({f"state.{k}": v for k, v in rec["state"].items()})
    return out


def _disk(step: dict, label: str) -> Any:
    if label.startswith("state."):
        return (step.get("state") or {}).get(label.split(".", 1)[1])
    return step.get(label)


def require_agreement(doc: dict, records: list[dict], names: list[str], where: str) -> int:
    """Compare the engine's ``records`` (``algorithm.simulate`` output) with the file; returns values compared.

    Every record's step must be stored in the file with the same fields, and every
    value must agree (:func:`within`); else ``GoldenDataError``.
    """
    by_step = {r["step"]: r for r in doc["steps"]}
    n = 0
    for rec in records:
        t = rec["step"]
        stored = by_step.get(t)
        if stored is None:
            raise GoldenDataError(f"{where}: step {t} is not stored, but the replay follows it")
        state_names = sorted((stored.get("state") or {}))
        if state_names != sorted(rec["state"]):
            raise GoldenDataError(f"{where}: step {t}.state holds {state_names}, but the convention keeps "
                                  f"{sorted(rec['state'])}")
        for label, arrays in _groups(rec).items():
            group = _disk(stored, label)
            for name, a in zip(names, arrays):
                values = (group or {}).get(name, {}).get("values")
                flat = np.asarray(a, dtype=object).reshape(-1)
                if values is None or len(values) != flat.size:
                    raise GoldenDataError(f"{where}: step {t}.{label}.{name} is missing or has another size "
                                          f"than the replay's {flat.size} values")
                for k, (v, x) in enumerate(zip(values, flat)):
                    if not within(v["dec"], x.val):
                        raise GoldenDataError(
                            f"{where}: step {t}.{label}.{name}[{k}] is {v['dec']} in the file, but the reference "
                            f"engine computes {_show(x.val)} (not within half a unit of the file's last digit: "
                            f"the file's value or the engine is wrong)")
                    n += 1
    return n


def _show(val: Any) -> str:
    return mpmath.nstr(val, 25)


HYPER, OPTIONS = ("lr", "rho", "eps"), ("momentum", "weight_decay", "centered", "maximize")
ADDED_OPTIONS = ("lr_schedule",)
"""Options a file has only where they are set (``Convention.describe`` leaves defaults out)."""


class Closed(NamedTuple):
    """A closed-loop replay: the convention, parameter names, exact initial parameters, steps and gradient."""

    convention: Any
    names: tuple
    params0: list
    steps: int
    grad_fn: Callable


@dataclasses.dataclass(frozen=True)
class Verified:
    """A golden file checked for a replay: its document and its certified values per step (Fractions)."""

    doc: dict
    certified: list
    """Per replayed step t = 0..n: ``{"params": [array], "state": {name: [array]}}``, object arrays of
    the file's certified decimals as Fractions (the exact values to 50 digits)."""


_VERIFIED: dict = {}


def verified(path: Path, closed: Optional[Closed] = None) -> Verified:
    """Load, verify and run one replayed golden file (cached per file version; ``GoldenDataError``).

    Open loop (``closed`` None): the file's own exact inputs are run for its ``step_count``
    steps.  Closed loop: the replay's convention and initial parameters must be those the
    file records, and its ``steps`` are run with its gradient.  The file must be the
    registry's case (:func:`oracle.golden.verify.load_case`), and the engine's values must
    agree with the file's (:func:`require_agreement`).
    """
    st = Path(path).stat()
    key = (str(path), st.st_mtime_ns, st.st_size, None if closed is None else closed.steps)
    if key not in _VERIFIED:
        _VERIFIED[key] = _verify(Path(path), closed)
    return _VERIFIED[key]


def _verify(path: Path, closed: Optional[Closed]) -> Verified:
    doc = load_case(path.stem, path.parent)
    conv = doc["convention"]
    names = sorted(doc["initial_params"]) if closed is None else list(closed.names)
    try:
        c = preset(conv["name"]).replace(**{k: conv[k] for k in (*HYPER, *OPTIONS)},
                                         **{k: tuple(conv[k]) for k in ADDED_OPTIONS if k in conv},
                                         **({"complex_reading": conv["complex_reading"]} if "complex_reading" in conv
                                            else {}))
    except (KeyError, TypeError, ValueError) as err:
        raise GoldenDataError(f"{path}: convention is not a preset with valid hyperparameters: {err}") from None
    params0 = [doc["initial_params"][n] for n in names]
    ar = ErrorBoundArith("float64")
    if closed is None:
        grads = [[[v["dec"] for v in r["grads"][n]["values"]] for n in names] for r in doc["steps"][1:]]
        if is_complex(doc):  # stored flat; the pairs' shape
            grads = [[np.array(g, dtype=object).reshape(r["grads"][n]["shape"]).tolist() for g, n in zip(row, names)]
                     for row, r in zip(grads, doc["steps"][1:])]
        stages = complex_stages(c) if is_complex(doc) else complex_stages(c.replace(complex_reading="split"))
        records = simulate(c, ar, params0, steps=int(doc["step_count"]), grads=grads, stages=stages)
    else:
        if c.describe() != closed.convention.describe():
            raise GoldenDataError(f"{path}: convention is not the replay's {closed.convention.describe()}")
        if params0 != [np.asarray(p, dtype=object).tolist() for p in closed.params0]:
            raise GoldenDataError(f"{path}: initial_params {params0} are not the replay's {closed.params0}")
        records = simulate(c, ar, params0, steps=closed.steps, grad_fn=closed.grad_fn)
    require_agreement(doc, records, names, str(path))
    by_step = {r["step"]: r for r in doc["steps"]}
    return Verified(doc, [_exact(by_step[r["step"]], names) for r in records])


def is_complex(doc: dict) -> bool:
    """Whether a golden stream is on complex parameters (stored as real pairs, ``problem.complex``)."""
    return bool((doc.get("problem") or {}).get("complex"))


def _exact(rec: dict, names: list) -> dict:
    def arrays(group: dict) -> list:
        return [np.array([Fraction(v["dec"]) for v in group[n]["values"]], dtype=object).reshape(group[n]["shape"])
                for n in names]

    return {"params": arrays(rec["params"]), "state": {k: arrays(g) for k, g in rec["state"].items()}}
