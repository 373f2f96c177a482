"""Ready-to-paste tables of certified values from a golden file.

A golden file publishes each value correctly rounded to ``digits`` (50)
significant digits, all certified.  Asking for fewer digits rounds that
decimal again; this is the exact value's correct rounding except when the
published decimal is itself a rounding tie at the shorter length, which is
refused.  Asking for more digits than are certified is refused, saying how
many are.

>>> print(cite("docs-docs-decimal-5", step=5, field="params", digits=12))
| step | params.w[0] |
|---|---|
| 5 | 9.51072698033e-1 |
>>> cite("docs-docs-decimal-5", step=5, digits=60)
Traceback (most recent call last):
...
ValueError: docs-docs-decimal-5: --digits 60 asked for, but only 50 significant digits are certified
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from ..rounding import reround
from . import store, verify
from .cases import all_cases, unknown_case
from .data import GoldenDataError

FIELDS = ("params", "state.v", "state.m", "state.b", "grads", "loss")


def load_case(case: str, golden_dir: Optional[Path] = None) -> dict:
    """The verified golden document of ``case`` (``ValueError`` if unknown; ``GoldenDataError`` if damaged).

    The folder must hold exactly the registry's case files (:func:`oracle.golden.verify.require_file_set`);
    the file must pass the format's checks (structure, canonical bytes, SHA-256) and be the
    registry's case; and its values must be the recomputed ones (:func:`oracle.golden.store.check_values`:
    a value edited and re-hashed is caught; the long case is checked against the shorter case it extends).
    """
    if case not in all_cases():
        raise unknown_case(case)
    folder = verify.require_file_set(golden_dir)
    doc = verify.load_case(case, folder)
    problems = store.check_values(case, folder)
    if problems:
        raise GoldenDataError(f"golden data damaged: {'; '.join(problems[:2])} (the file is not what the engine "
                              f"computes; `python -m oracle golden check` lists every difference)")
    return doc


def _entries(rec: dict, field: Optional[str]) -> list[tuple[str, dict]]:
    out = []
    for f in FIELDS:
        if field is not None and f != field:
            continue
        if f == "loss":
            if rec.get("loss") is not None:
                out.append(("loss", rec["loss"]))
            continue
        group = rec.get("params") if f == "params" else rec.get("grads") if f == "grads" else \
            (rec.get("state") or {}).get(f.split(".")[1])
        if not group:
            continue
        for name in sorted(group):
            for k, v in enumerate(group[name]["values"]):
                out.append((f"{f}.{name}[{k}]", v))
    return out


def cite(case: str, step: Optional[int] = None, field: Optional[str] = None, digits: Optional[int] = None,
         style: str = "md", golden_dir: Optional[Path] = None) -> str:
    """A table (md, latex, rst or json) of the certified values of ``case``."""
    doc = load_case(case, golden_dir)
    if "steps" not in doc:
        raise ValueError(f"{case}: this case has no certified values ({doc['kind']}: {doc['description']})")
    have = int(doc["digits"])
    want = have if digits is None else digits
    if want > have:
        raise ValueError(f"{case}: --digits {want} asked for, but only {have} significant digits are certified")
    if want < 1:
        raise ValueError(f"{case}: --digits must be a positive integer, got {want}")
    if field is not None and field not in FIELDS:
        raise ValueError(f"{case}: --field must be one of {', '.join(FIELDS)}; got {field!r}")
    records = doc["steps"]
    if step is not None:
        records = [r for r in records if r["step"] == step]
        if not records:
            stored = [r["step"] for r in doc["steps"]]
            raise ValueError(f"{case}: --step {step} is not stored (steps {stored[0]}..{stored[-1]}"
                             f"{', sampled' if len(stored) != stored[-1] - stored[0] + 1 else ''})")
    rows, columns = [], []
    for rec in records:
        entries = _entries(rec, field)
        for label, _ in entries:
            if label not in columns:
                columns.append(label)
        cells = {label: reround(v["dec"], want, f"{case} step {rec['step']} {label}") for label, v in entries}
        rows.append((rec["step"], cells))
    if not columns:
        raise ValueError(f"{case}: no values for --field {field!r}")
    return _render(style, columns, rows, case, want)


def _render(style: str, columns: list[str], rows: list, case: str, digits: int) -> str:
    if style == "json":
        return json.dumps({"case": case, "digits": digits, "rows": [{"step": s, **c} for s, c in rows]},
                          indent=1, sort_keys=True)
    table = [[str(s)] + [c.get(col, "") for col in columns] for s, c in rows]
    head = ["step"] + columns
    if style == "md":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in table])
    if style == "latex":
        def tex(v: str) -> str:
            if "e" not in v:
                return f"${v}$"
            m, e = v.split("e")
            return f"${m} \\times 10^{{{int(e)}}}$"

        body = [" & ".join([r[0]] + [tex(v) if v else "" for v in r[1:]]) + r" \\" for r in table]
        cols = " & ".join(h.replace("_", r"\_") for h in head) + r" \\"
        return "\n".join([r"\begin{tabular}{" + "r" * len(head) + "}", r"\hline", cols, r"\hline", *body,
                          r"\hline", r"\end{tabular}"])
    widths = [max(len(h), *(len(r[k]) for r in table)) for k, h in enumerate(head)]
    sep = " ".join("=" * w for w in widths)
    fmt_row = lambda r: " ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([sep, fmt_row(head), sep, *(fmt_row(r) for r in table), sep])
