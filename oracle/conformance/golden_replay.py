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

import numpy as np

from .cases import Case, arr

HYPER = ("lr", "rho", "eps")


class GluonProblem:
    """The intended Gluon gradient: column residuals, all 4 rows, the mean loss (closed loop)."""

    def __init__(self) -> None:
        from ..problems import gluon as G

        self.G, self.variant = G, G.VARIANTS[G.INTENDED]

    def exact_grads(self, params: list, dtype: str) -> list:
        from .cases import _round

        if not all(np.all(np.isfinite(p)) for p in params):  # a broken candidate: feed NaN
            return [np.full(p.shape, np.nan, dtype=dtype) for p in params]
        exact = [np.vectorize(lambda x: Fraction(float(x)), otypes=[object])(p) for p in params]
        _, grads = self.G.evaluate(self.variant, exact)
        return [np.array([_round(x, dtype) for x in g.reshape(-1)], dtype=dtype).reshape(p.shape)
                for g, p in zip(grads, params)]

    def float_grads(self, params: list) -> list:
        from ..engines.floating import FloatArith

        ar = FloatArith(params[0].dtype.name)
        return self.grad_fn()(ar, [p.reshape(s) for p, s in zip(params, ((2, 1), (1,)))])

    def grad_fn(self):
        return lambda ar, params: self.G.loss_and_grads(self.variant, ar, params)[1]

    def key(self) -> list:
        return [np.array(self.G.X_ROWS, dtype=float), np.array(self.G.Y, dtype=float)]


def gluon_case(dtype: str, profile: str = "default") -> Case:
    """The intended Gluon run, replayed in closed loop for 40 epochs (past both horizons)."""
    from ..problems import gluon as G

    w0, b0 = G.params0()
    hyper = {"lr": G.LR, "rho": G.ALPHA, "eps": G.EPS}
    return Case("golden-gluon-intended", dtype,
                [arr([[float(Fraction(x)) for x in row] for row in w0], dtype), arr([float(Fraction(x)) for x in b0], dtype)],
                {k: float(Fraction(v)) for k, v in hyper.items()}, 40, problem=GluonProblem(),
                tags=("closed", "golden"),
                exact={"preset": "seed", "hyper": hyper, "params0": [np.array(w0, dtype=object), np.array(b0, dtype=object)],
                       "key": "gluon-intended:" + repr((w0, b0, hyper))})


def golden_files(profile: str) -> list:
    """The stream golden files replayed under ``profile`` (plain variants only when quick)."""
    from ..golden import GOLDEN_DIR

    files = sorted(GOLDEN_DIR.glob("stream-*.json"))
    if profile == "quick":
        files = [f for f in files if f.stem.endswith("-plain")]
    return files


def _options(conv: dict) -> dict:
    """The options a candidate is given: every one, explicitly (a target's own defaults must not leak in)."""
    return {"momentum": float(Fraction(conv["momentum"])), "weight_decay": float(Fraction(conv["weight_decay"])),
            "centered": bool(conv["centered"])}


def golden_cases(dtype: str, profile: str = "default") -> list:
    """One replay case per stream golden file, in ``dtype``."""
    from ..golden import fmt
    from ..problems import streams

    out = [gluon_case(dtype, profile)]
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
