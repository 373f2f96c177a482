"""Golden cases of the seed-001 Gluon program (:mod:`oracle.problems.gluon`).

* ``gluon-V0-as-written``, ``gluon-V1-R1``: the program cannot run; the file
  records exactly how it fails (from the real MXNet 1.9.1 run,
  ``golden/mxnet/gluon_probe_mxnet-1.9.1.json``) and the edits applied.
* ``gluon-V2-R2`` ... ``gluon-V6-R6``: each cumulative repair, labelled with
  its textual edit: per update the batch, loss, gradient used, accumulators
  and parameters (certified), and the epoch losses the program prints.
* ``gluon-intended-long``, ``gluon-intended-10000``: the intended computation
  run long (:mod:`oracle.golden.gluon_long`).

The pieces both modules use are public here: the probe record (:func:`probe`),
the edits (:func:`edits`), the ``problem`` field (:func:`problem`) and a
certified run that certifies the losses too (:func:`certified`).
"""

from __future__ import annotations

from typing import Any, Callable

from ..engines.certified import CertifiedValue
from ..engines.certify import certified_run
from ..problems import gluon as G
from . import data, fmt
from .document import DIGITS, GoldenCase, document, horizons

PROBE = "mxnet/gluon_probe_mxnet-1.9.1.json"
FILE_IDS = {"V0": "gluon-V0-as-written", "V1": "gluon-V1-R1", "V2": "gluon-V2-R2", "V3": "gluon-V3-R3",
            "V4": "gluon-V4-R4", "V5": "gluon-V5-R5", "V6": "gluon-V6-R6-intended"}
LONG, LONGEST = "gluon-intended-long", "gluon-intended-10000"
"""The long runs of the intended computation (:mod:`oracle.golden.gluon_long`)."""


def probe() -> dict:
    """The real MXNet 1.9.1 run's record (read-only evidence beside the golden files)."""
    return data.read_record(PROBE, "the MXNet probe record", "git checkout golden/mxnet")


def edits(v: G.Variant, data: dict) -> list[dict]:
    """The textual edits of a variant: instrumentation INIT, then each repair in order."""
    out = []
    for eid in ("INIT", *v.edits):
        e = data["edits"][eid]
        out.append({"id": eid, "description": e["description"], "edits": e["edits"]})
    return out


def problem(v: G.Variant) -> dict:
    """The ``problem`` field of a Gluon case: data, batch, loss, divisor and updates of variant ``v``."""
    label_shape = "(n,1)" if v.column else "(n,)"
    return {
        "name": "gluon_linear_regression", "closed_loop": True,
        "X": [[str(a) for a in r] for r in G.X_ROWS], "y": [str(a) for a in G.Y],
        "batch_rows": [r + 1 for r in v.rows], "label_shape": label_shape,
        "loss": "mean over the (n,1) column residual" if v.column else
                "mean over the (n,n) residual broadcast from (n,1) predictions minus (n,) targets",
        "gradient_divisor": str(v.divisor),
        "updates_per_epoch": "1 every epoch" if v.every_epoch else "1 in epoch 0, none after (iterator not reset)",
        "inputs": "X, y, w0, b0, lr, alpha, eps as the exact decimals of the program text (MXNet holds them as "
                  "float32: a float32 run differs by about one float32 ulp of the inputs)",
    }


def _failure(v: G.Variant) -> Callable[[], dict]:
    def build() -> dict:
        data = probe()
        runs = {"V0": ["V0_verbatim", "V0"], "V1": ["V1a", "V1"]}[v.id]
        failures = []
        for key in runs:
            exc = data["variants"][key]["exception"]
            failures.append({"probe_variant": key, "description": data["variants"][key]["description"],
                             "type": exc["type"], "message": exc["message"],
                             "seed_file_line": str(exc["seed_file_line"]), "line_text": exc["seed_line_text"],
                             "stdout": data["variants"][key]["stdout"]})
        return {
            "format": fmt.FORMAT, "format_version": fmt.FORMAT_VERSION, "header": fmt.header(None),
            "case": FILE_IDS[v.id], "kind": "gluon-failure",
            "description": f"The Gluon program ({v.id}: edits {', '.join(v.edits) or 'none'}) cannot run: "
                           f"{failures[-1]['type']}: {failures[-1]['message']} at seed line "
                           f"{failures[-1]['seed_file_line']}",
            "edits": edits(v, data), "failures": failures,
            "evidence": f"golden/{PROBE} variants.{{{','.join(runs)}}}.exception (MXNet 1.9.1, real run)",
        }

    return build


def certified(v: G.Variant, steps: int, digits: int = DIGITS, eval_loss: bool = True) -> tuple[Any, G.Tracker]:
    """The certified run of variant ``v`` and its tracker, at a precision that certifies the losses too."""
    tracker = G.Tracker(v, eval_loss)
    run = certified_run(G.convention(), G.params0(), steps=steps, grad_fn=tracker, digits=digits)
    while _min_digits(tracker, tracker.losses + tracker.eval_losses, digits) < digits:
        tracker = G.Tracker(v, eval_loss)
        run = certified_run(G.convention(), G.params0(), steps=steps, grad_fn=tracker, digits=digits,
                            prec=2 * run.prec)
    return run, tracker


def _min_digits(tracker: G.Tracker, values: list, cap: int) -> int:
    ds = [tracker.certify(x, cap + 10).digits for x in values]
    return min([d for d in ds if d is not None] + [cap])


def certified_loss(tracker: G.Tracker, x: Any) -> CertifiedValue:
    """A loss the tracker recorded, as a certified value (``DIGITS`` + 10 digits counted)."""
    return tracker.certify(x, DIGITS + 10)


def _running(v: G.Variant) -> Callable[[], dict]:
    def build() -> dict:
        data = probe()
        n_updates = G.EPOCHS if v.every_epoch else 1
        run, tr = certified(v, n_updates + 1)  # one more step gives the loss after the last update
        run.records = run.records[: n_updates + 1]
        run.steps = n_updates
        after = [sum(G.updates_in_epoch(v, k) for k in range(e + 1)) for e in range(G.EPOCHS)]
        evals = [certified_loss(tr, tr.eval_losses[k]) for k in after]
        printed = [f"Epoch {e}, loss {cv.fixed(4)}" for e, cv in enumerate(evals)]
        rows = [r + 1 for r in v.rows]

        def extra(t: int) -> dict:
            if t == 0:
                return {"loss": None}
            return {"loss": fmt.encode_value(certified_loss(tr, tr.losses[t - 1]), DIGITS), "batch_rows": rows,
                    "epoch": str(t - 1 if v.every_epoch else 0)}

        return document(
            FILE_IDS[v.id], "gluon", f"The Gluon program with cumulative repairs {'+'.join(v.edits)} "
            f"({n_updates} update{'s' if n_updates > 1 else ''}); grads = param.grad / {v.divisor}",
            G.convention(), problem(v), G.params0(), ["w", "b"], run, extra=extra,
            edits=edits(v, data),
            epoch_losses=[fmt.encode_value(cv, DIGITS) for cv in evals], printed=printed,
            mxnet_printed=data["variants"][v.id]["epoch_lines"],
            horizon=horizons(G.convention(), G.params0(), n_updates, G.grad_fn(v)),
        )

    return build


def cases() -> list[GoldenCase]:
    """The cases of the program's variants in order: failures, then repairs."""
    return [GoldenCase(FILE_IDS[vid], "gluon", _failure(v) if v.error else _running(v)) for vid, v in G.VARIANTS.items()]
