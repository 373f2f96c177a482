#!/usr/bin/env python3
"""Where the intended Gluon run ends: the analysis the long golden cases record.

The intended run (V6: column targets, all 4 rows every epoch, the mean-loss
gradient used once) is gradient descent on L(w, b) = (1/4)|A p - y|^2 with
A = [X, 1], preconditioned by RMSProp.  A has rank 2: column 2 = column 1 +
ones, so the least-squares solutions, which fit exactly (y = -c1/2 + 1/2),
form the line w1 + w2 = -1/2, w2 + b = 1/2; the minimum-norm one is
(w1, w2, b) = (-1/2, 0, 1/2), and without the bias column (-1, 1/2).

The run converges to none of them.  Near the line the gradient g = H(p - c)
(H = A^T A / 2, eigenvalues about 103.4, 0.58 and 0) shrinks, the
accumulator follows g^2, and the step lr g / sqrt(v + eps) stays about lr per
coordinate: the fixed point is unstable and the run settles on a period-2
cycle p = c +- delta around a point c of the solution line, with
delta_i = (lr/2) (H delta)_i / sqrt((H delta)_i^2 + eps): delta is almost
(lr/2)(1, 1, 1) = 0.015 (1, 1, 1), so H delta = 0.015 (100, 120, 20) = (1.5,
1.8, 0.3), the gradient alternates +-(1.5, 1.8, 0.3) and the loss stays at
delta^T H delta / 2 = 0.027 (exactly 0.027 in the eps -> 0 limit).  Which c is
reached depends on the whole path; a float run ends on another c.

What it writes.  ``golden/analysis/gluon-intended.json``: the two paragraphs
above (``derivation``), scipy's least-squares solutions against the exact ones
(``least_squares``: whether they agree within 1e-12, not LAPACK's last bits,
which vary across builds), and the float64 and float32 programs (every
operation rounded in the dtype: :class:`oracle.engines.floating.FloatArith`)
run for ``FLOAT_EPOCHS`` epochs, their last two epochs as ``float.hex``
(``float_runs``: uncertified program output, never exact values).  The golden
cases ``gluon-intended-long`` and ``gluon-intended-10000`` embed it next to
their certified cycle (:mod:`oracle.golden.gluon_long`); ``golden check``
compares them with what is recorded here, so rerun this and then
``python -m oracle golden regen`` when either changes.

Run time: about 3 s on 2 cores (two float runs of 10,000 epochs).

Usage::

    python scripts/gluon_analysis.py            # rewrite golden/analysis/gluon-intended.json if it changed
    python scripts/gluon_analysis.py --check    # exit 1 if the recorded file is not what this computes
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from oracle.algorithm import iterate  # noqa: E402
from oracle.engines.floating import FloatArith  # noqa: E402
from oracle.golden import fmt  # noqa: E402
from oracle.golden.gluon_long import ANALYSIS  # noqa: E402
from oracle.problems import gluon as G  # noqa: E402

FLOAT_EPOCHS = 10000
OUT = ROOT / "golden" / ANALYSIS


def derivation() -> str:
    """The two paragraphs of this module's docstring after the title, on one line each joined by two spaces."""
    return (__doc__ or "").split("\n\n", 1)[1].split("\n\nWhat it writes")[0].replace("\n", " ")


def float_run(dtype: str, steps: int) -> dict:
    """The float program (every op rounded in ``dtype``) after ``steps - 1`` and ``steps`` epochs.

    >>> sorted(float_run("float64", 3))
    ['2', '3']
    """
    tracker = G.Tracker(G.VARIANTS[G.INTENDED], eval_loss=False)
    out = {}
    for rec in iterate(G.convention(), FloatArith(dtype), G.params0(), steps=steps, grad_fn=tracker):
        t = rec["step"]
        if t >= max(steps - 1, 1):
            w, b = rec["params"]
            out[str(t)] = {"w": [float(x).hex() for x in w.reshape(-1)], "b": [float(x).hex() for x in b.reshape(-1)],
                           "loss_before": float(tracker.losses[t - 1]).hex()}
    return out


def least_squares() -> dict:
    """scipy's least-squares solutions with and without the bias column, against the exact ones."""
    import scipy.linalg

    X = np.array(G.X_ROWS, dtype=float)
    y = np.array(G.Y, dtype=float)
    A = np.c_[X, np.ones(len(y))]
    sol_b, _, rank_b, _ = scipy.linalg.lstsq(A, y)
    sol, _, rank, _ = scipy.linalg.lstsq(X, y)
    exact_b, exact = (-0.5, 0.0, 0.5), (-1.0, 0.5)

    def agree(got: np.ndarray, want: tuple) -> str:
        return "yes" if max(abs(g - w) for g, w in zip(got, want)) < 1e-12 else "NO"

    return {
        "with_bias": {"rank": str(int(rank_b)), "exact_min_norm": ["-1/2", "0", "1/2"],
                      "scipy_lstsq_equals_exact_min_norm_within_1e-12": agree(sol_b, exact_b),
                      "solution_set": "w1 + w2 = -1/2 and w2 + b = 1/2 (zero residual)"},
        "without_bias": {"rank": str(int(rank)), "exact": ["-1", "1/2"],
                         "scipy_lstsq_equals_exact_within_1e-12": agree(sol, exact)},
    }


def analysis(epochs: int = FLOAT_EPOCHS) -> dict:
    """The record this script writes (``epochs``: the length of the float runs)."""
    return {
        "generator": "scripts/gluon_analysis.py",
        "derivation": derivation(),
        "least_squares": least_squares(),
        "float_runs": {"epochs": str(epochs), "note": "float program output (each op rounded in the dtype), not "
                       "exact values; each ends on its own 2-cycle around another point of the line",
                       "float64": float_run("float64", epochs), "float32": float_run("float32", epochs)},
    }


def text(record: dict) -> str:
    """The file's bytes: sorted keys, one-space indentation, ASCII, one trailing newline."""
    return json.dumps(record, sort_keys=True, indent=1, ensure_ascii=True) + "\n"


def main(argv: list | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if the recorded file differs; write nothing")
    p.add_argument("--out", type=Path, default=OUT, help=f"the file (default: {OUT.relative_to(ROOT)})")
    args = p.parse_args(argv)
    new = text(analysis())
    old = args.out.read_text(encoding="ascii") if args.out.exists() else None
    if args.check:
        print(f"{args.out}: {'up to date' if old == new else 'STALE (rerun scripts/gluon_analysis.py)'}")
        return 0 if old == new else 1
    if old != new:
        fmt.atomic_write(args.out, new)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
