"""Golden-file replay: the open-loop preset streams of ``golden/`` as conformance cases.

Each ``stream-{preset}-{variant}.json`` was certified from exact inputs: the
convention's decimal hyperparameters, decimal initial parameters and the
seeded decimal gradient stream (:mod:`oracle.problems.streams`).  A replay
case gives the candidate those inputs rounded to its dtype (hyperparameters as
the nearest Python floats) and holds it to the golden file's exact trajectory,
within the error bound, which charges the input roundings
(:mod:`oracle.engines.errorbound`).  A replay case runs only against a
candidate certified under the file's own convention; for any other it is
skipped.  ``tests/test_conformance_golden.py`` checks that the reference of
every replay case is the golden file's trajectory (its binary64 values).

The documents' example is replayed by the fixed case ``docs-example``
(the same closed-loop problem with binary64 inputs as ``docs-docs-binary64-*``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .cases import Case, arr

HYPER = ("lr", "rho", "eps")


def golden_files(profile: str) -> list:
    """The stream golden files replayed under ``profile`` (plain variants only when quick)."""
    from ..golden import GOLDEN_DIR

    files = sorted(GOLDEN_DIR.glob("stream-*.json"))
    if profile == "quick":
        files = [f for f in files if f.stem.endswith("-plain")]
    return files


def _options(conv: dict) -> dict:
    """The options a candidate must be given: those that are on, or differ from the preset's default."""
    from ..conventions import preset

    default = preset(conv["name"])
    out = {}
    for key in ("momentum", "weight_decay"):
        value = Fraction(conv[key])
        if value != 0 or value != default.exact(key):
            out[key] = float(value)
    if conv["centered"] or conv["centered"] != default.centered:
        out["centered"] = bool(conv["centered"])
    return out


def golden_cases(dtype: str, profile: str = "default") -> list:
    """One replay case per stream golden file, in ``dtype``."""
    from ..golden import fmt
    from ..problems import streams

    out = []
    for path in golden_files(profile):
        doc = fmt.load(path)
        conv, problem = doc["convention"], doc["problem"]
        steps = int(doc["step_count"])
        p0 = doc["initial_params"]["p"]
        grads = streams.stream(int(problem["seed"]), steps, int(problem["size"]))
        exact_hyper = {k: conv[k] for k in HYPER}
        options = _options(conv)
        exact_hyper.update({k: conv[k] for k in ("momentum", "weight_decay", "centered")})
        out.append(Case(
            f"golden-{path.stem}", dtype,
            [arr([float(Fraction(x)) for x in p0], dtype)],
            {k: float(Fraction(conv[k])) for k in HYPER},
            steps, options,
            grads=[[arr([float(Fraction(x)) for x in row[0]], dtype)] for row in grads],
            tags=("open", "golden"),
            exact={"preset": conv["name"], "hyper": exact_hyper, "params0": [np.array(p0, dtype=object)],
                   "grads": [[np.array(row[0], dtype=object)] for row in grads],
                   "key": f"{path.name}:{doc['header']['sha256']}"},
        ))
    return out
