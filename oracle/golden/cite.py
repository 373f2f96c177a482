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


FORMATS = ("md", "latex", "rst", "json", "csv")
"""The table styles :func:`render` writes."""


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


def wanted_digits(case: str, have: int, digits: Optional[int]) -> int:
    """The digits to print: ``digits`` (default all ``have`` certified ones), refused beyond them or below 1."""
    want = have if digits is None else digits
    if want > have:
        raise ValueError(f"{case}: --digits {want} asked for, but only {have} significant digits are certified")
    if want < 1:
        raise ValueError(f"{case}: --digits must be a positive integer, got {want}")
    return want


def table(case: str, steps: list, step: Optional[int], field: Optional[str], digits: int) -> tuple[list, list]:
    """(columns, [(step, {column: decimal})]) of a golden document's ``steps`` records, rounded again
    to ``digits`` significant digits (:func:`oracle.rounding.reround`)."""
    if field is not None and field not in FIELDS:
        raise ValueError(f"{case}: --field must be one of {', '.join(FIELDS)}; got {field!r}")
    records = steps
    if step is not None:
        records = [r for r in records if r["step"] == step]
        if not records:
            stored = [r["step"] for r in steps]
            raise ValueError(f"{case}: --step {step} is not stored (steps {stored[0]}..{stored[-1]}"
                             f"{', sampled' if len(stored) != stored[-1] - stored[0] + 1 else ''})")
    rows, columns = [], []
    for rec in records:
        entries = _entries(rec, field)
        for label, _ in entries:
            if label not in columns:
                columns.append(label)
        cells = {label: reround(v["dec"], digits, f"{case} step {rec['step']} {label}") for label, v in entries}
        rows.append((rec["step"], cells))
    if not columns:
        raise ValueError(f"{case}: no values for --field {field!r}")
    return columns, rows


def cite(case: str, step: Optional[int] = None, field: Optional[str] = None, digits: Optional[int] = None,
         style: str = "md", golden_dir: Optional[Path] = None) -> str:
    """A table (md, latex, rst or json) of the certified values of ``case``."""
    doc = load_case(case, golden_dir)
    if "steps" not in doc:
        raise ValueError(f"{case}: this case has no certified values ({doc['kind']}: {doc['description']})")
    want = wanted_digits(case, int(doc["digits"]), digits)
    columns, rows = table(case, doc["steps"], step, field, want)
    return render(style, columns, rows, case, want)


def render(style: str, columns: list[str], rows: list, case: str, digits: int, caption: str = "",
           provenance: Optional[dict] = None) -> str:
    """The table in ``style`` (:data:`FORMATS`), with ``caption`` (a caption, csv comment lines or
    reST table title) and, in json, ``provenance`` where given."""
    if style not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, got {style!r}")
    if style == "json":
        out: dict = {"case": case, "digits": digits, "rows": [{"step": s, **c} for s, c in rows]}
        if provenance is not None:
            out["provenance"] = provenance
        return json.dumps(out, indent=1, sort_keys=True)
    head = ["step", *columns]
    body = [[str(s), *(c.get(col, "") for col in columns)] for s, c in rows]
    if style == "csv":
        return "\n".join(([f"# {caption}"] if caption else []) + [",".join(r) for r in [head, *body]])
    if style == "md":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in body)]
        return "\n".join(lines + (["", f"Table: {caption}"] if caption else []))
    if style == "latex":
        def tex(v: str) -> str:
            if not v or "e" not in v:
                return f"${v}$" if v else ""
            m, e = v.split("e")
            return f"${m} \\times 10^{{{int(e)}}}$"

        def esc(text: str) -> str:
            return "".join("\\" + ch if ch in "_&%#$" else ch for ch in text).replace("^", r"\^{}")

        tab = [r"\begin{tabular}{" + "r" * len(head) + "}", r"\hline", " & ".join(esc(h) for h in head) + r" \\",
               r"\hline", *(" & ".join([r[0]] + [tex(v) for v in r[1:]]) + r" \\" for r in body), r"\hline",
               r"\end{tabular}"]
        if not caption:
            return "\n".join(tab)
        return "\n".join([r"\begin{table}", r"\centering", f"\\caption{{{esc(caption)}}}", *tab, r"\end{table}"])
    widths = [max(len(h), *(len(r[k]) for r in body)) for k, h in enumerate(head)]
    sep = " ".join("=" * w for w in widths)
    line = lambda r: " ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    grid = [sep, line(head), sep, *(line(r) for r in body), sep]
    if not caption:
        return "\n".join(grid)
    return "\n".join([f".. table:: {caption}", "", *("   " + g for g in grid)])
