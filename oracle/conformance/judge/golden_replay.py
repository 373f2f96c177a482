"""Golden-file replay: the open-loop preset streams of the golden data as conformance cases.

Each ``stream-{preset}-{variant}.json`` was certified from exact inputs: the
convention's decimal hyperparameters, decimal initial parameters and the
seeded decimal gradient stream (:mod:`oracle.problems.streams`).  A replay
case gives the candidate those inputs rounded to its dtype (hyperparameters as
the nearest Python floats) and holds it to the golden file's exact trajectory,
within the error bound, which charges the input roundings
(:mod:`oracle.engines.bound.errorbound`).  A replay case runs only against a
candidate certified under the file's own convention; for any other it is
skipped.

Nothing is replayed from unverified data (:func:`oracle.golden.trajectory.verified`):
the golden folder must hold exactly the registry's case files; each replayed
file must pass the format's checks (structure, canonical bytes, SHA-256) and be
the case the registry defines (convention, problem, initial parameters, step
count, every step stored, the gradient of every step); and the exact values of
the engine the reference runs on (:class:`~oracle.engines.bound.errorbound.ErrorBoundArith`,
from the same inputs) must agree with every certified value the file stores for
the replayed steps to its 50 digits, so the reference the candidate is graded
against is the certified trajectory on disk to far better than the grading
needs.  Any failure raises :class:`oracle.golden.GoldenDataError` (a
``ValueError``) with one line naming the file, the step and the field.  The
file's certified values travel with the case (``Case.exact["certified"]``).

``golden-gluon-intended`` replays the intended Gluon computation (seed 001,
``gluon-intended-long``) in closed loop: the gradient of the full-batch mean
loss is computed exactly from the candidate's own parameters and rounded once
to its dtype; the reference starts from the program's exact decimals (w0 =
[[0.5], [-0.3]], lr 0.03, alpha 0.9, eps 1e-6) and is followed to its horizon
(about 33 epochs in float64, 13 in float32).

The documents' example is replayed by the fixed case ``docs-example``
(the same closed-loop problem with binary64 inputs as ``docs-docs-binary64-*``).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Optional

import numpy as np

from ...conventions import preset
from ...golden import trajectory, verify
from ...problems import ContextProblem
from ...problems import gluon as G
from ...rounding import COMPLEX_DTYPES, component_dtype
from .cases import Case, arr

HYPER = ("lr", "rho", "eps")
GLUON_FILE, GLUON_EPOCHS = "gluon-intended-long", 40


def gluon_problem() -> ContextProblem:
    """The intended Gluon gradient (column residuals, all 4 rows, the mean loss) as a closed-loop problem."""
    return ContextProblem(G.grad_fn(G.VARIANTS[G.INTENDED]), "gluon-intended")


def gluon_case(dtype: str, profile: str = "default", golden_dir: Optional[Path] = None) -> Case:
    """The intended Gluon run, replayed in closed loop for 40 epochs (past both horizons).

    Its exact inputs and its reference over the 40 epochs are checked against
    ``gluon-intended-long`` on disk (:func:`oracle.golden.trajectory.verified`).
    """
    w0, b0 = G.params0()
    hyper = {"lr": G.LR, "rho": G.ALPHA, "eps": G.EPS}
    plain = {"momentum": 0.0, "weight_decay": 0.0, "centered": False}  # explicit: no target's defaults leak in
    case = Case("golden-gluon-intended", dtype,
                [arr([[float(Fraction(x)) for x in row] for row in w0], dtype), arr([float(Fraction(x)) for x in b0], dtype)],
                {k: float(Fraction(v)) for k, v in hyper.items()}, GLUON_EPOCHS, dict(plain), problem=gluon_problem(),
                tags=("closed", "golden"),
                exact={"preset": "seed", "hyper": {**hyper, **plain},
                       "params0": [np.array(w0, dtype=object), np.array(b0, dtype=object)],
                       "key": "gluon-intended:" + repr((w0, b0, hyper))})
    path = verify.require_file_set(golden_dir) / f"{GLUON_FILE}.json"
    closed = trajectory.Closed(preset("seed").replace(**hyper), ("w", "b"), [w0, b0], case.steps,
                               case.problem.grad_fn())
    case.exact["certified"] = trajectory.verified(path, closed).certified
    return case


def golden_files(profile: str, golden_dir: Optional[Path] = None, complex_: bool = False) -> list:
    """The stream golden files replayed under ``profile`` (plain variants only when quick); with
    ``complex_``, the complex streams instead (every profile: one per reading).

    The folder must hold exactly the registry's case files (``GoldenDataError`` otherwise).
    """
    files = sorted(verify.require_file_set(golden_dir).glob("stream-*.json"))
    files = [f for f in files if (COMPLEX_STEM in f.stem) == complex_]
    if profile == "quick" and not complex_:
        files = [f for f in files if f.stem.endswith("-plain")]
    return files


COMPLEX_STEM = "-complex-"
"""The complex streams' names: ``stream-pytorch-complex-{split,modulus}``."""


def complex_case(path: Path, v: "trajectory.Verified", dtype: str) -> Case:
    """The replay of a complex golden stream in ``dtype``: its pairs fed as complex arrays (each part
    rounded to the component dtype), the exact pairs and the certified values for the reference."""
    doc = v.doc
    conv = doc["convention"]
    real = component_dtype(dtype)

    def cplx(pairs: list) -> np.ndarray:
        parts = arr([[float(Fraction(x)) for x in pair] for pair in pairs], real).astype(np.float64)
        return (parts[:, 0] + 1j * parts[:, 1]).astype(dtype)

    p0 = doc["initial_params"]["p"]
    grads = [np.array([Fraction(x["dec"]) for x in r["grads"]["p"]["values"]], dtype=object).reshape(-1, 2)
             for r in doc["steps"][1:]]
    exact_hyper = {k: conv[k] for k in (*HYPER, *trajectory.OPTIONS)}
    exact_hyper["complex_reading"] = conv.get("complex_reading", "split")
    return Case(f"golden-{path.stem}", dtype, [cplx(p0)], {k: float(Fraction(conv[k])) for k in HYPER},
                int(doc["step_count"]), _options(conv), grads=[[cplx(g)] for g in grads], tags=("open", "golden"),
                exact={"preset": conv["name"], "hyper": exact_hyper,
                       "structure": {"complex_reading": exact_hyper["complex_reading"]},
                       "params0": [np.array([[Fraction(x) for x in pair] for pair in p0], dtype=object)],
                       "grads": [[g] for g in grads], "key": f"{path.name}:{doc['header']['sha256']}",
                       "certified": v.certified})


def _options(conv: dict) -> dict:
    """The options a candidate is given: every one, explicitly (a target's own defaults must not leak in)."""
    return {"momentum": float(Fraction(conv["momentum"])), "weight_decay": float(Fraction(conv["weight_decay"])),
            "centered": bool(conv["centered"]), "maximize": bool(conv.get("maximize", False)),
            **({"lr_schedule": tuple(float(Fraction(x)) for x in conv["lr_schedule"])} if conv.get("lr_schedule")
               else {})}


def golden_cases(dtype: str, profile: str = "default", golden_dir: Optional[Path] = None) -> list:
    """One replay case per stream golden file, in ``dtype``, from verified files only.

    Raises :class:`oracle.golden.GoldenDataError` (a ``ValueError``, one-line message)
    when the golden data is missing, unreadable, incomplete, has unexpected files,
    or a replayed file is damaged or disagrees with the registry or the reference engine.
    """
    cplx = dtype in COMPLEX_DTYPES
    out = [] if cplx else [gluon_case(dtype, profile, golden_dir)]
    for path in golden_files(profile, golden_dir, complex_=cplx):
        v = trajectory.verified(path)
        doc = v.doc
        if cplx:
            out.append(complex_case(path, v, dtype))
            continue
        conv = doc["convention"]
        steps = int(doc["step_count"])
        p0 = doc["initial_params"]["p"]
        grads = [[[Fraction(x["dec"]) for x in r["grads"]["p"]["values"]]] for r in doc["steps"][1:]]
        exact_hyper = {k: conv[k] for k in HYPER}
        options = _options(conv)
        exact_hyper.update({k: conv[k] for k in trajectory.OPTIONS})
        exact_hyper.update({k: tuple(conv[k]) for k in trajectory.ADDED_OPTIONS if k in conv})
        out.append(Case(
            f"golden-{path.stem}", dtype,
            [arr([float(Fraction(x)) for x in p0], dtype)],
            {k: float(Fraction(conv[k])) for k in HYPER},
            steps, options,
            grads=[[arr([float(Fraction(x)) for x in row[0]], dtype)] for row in grads],
            tags=("open", "golden"),
            exact={"preset": conv["name"], "hyper": exact_hyper, "params0": [np.array(p0, dtype=object)],
                   "grads": [[np.array(row[0], dtype=object)] for row in grads],
                   "key": f"{path.name}:{doc['header']['sha256']}", "certified": v.certified},
        ))
    return out

