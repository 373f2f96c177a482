"""Citable tables with their provenance: a caption (md, latex, rst), front matter (csv) or a record (json).

The provenance of a table is what a reader needs to reproduce it: the
convention as a spec, the hyperparameters as given and as used (after any
float32 rounding the convention applies), the initial values, the gradient,
the number of steps and the method ("interval arithmetic, N correctly rounded
significant digits").  It is read from the verified golden file itself.

>>> doc = {"case": "c", "convention": {"name": "seed", "lr": "0.1", "rho": "0.9", "eps": "1e-8"},
...        "initial_params": {"w": ["0"]}, "problem": {"gradient": "g = 2 w"}, "step_count": 5, "digits": 50,
...        "header": {"provenance": {"package_version": "0.1.0", "mpmath_version": "1.3.0"}}}
>>> print(caption(doc, 12))
c: RMSProp convention seed; hyperparameters as given lr = 0.1, rho = 0.9, eps = 1e-8 (exact decimals); as used the same; initial values w = 0; gradient g = 2 w; 5 steps; interval arithmetic, 12 correctly rounded significant digits (rmsprop-oracle 0.1.0, mpmath 1.3.0).
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from typing import Any, Optional

from ..cases.trajectory import fraction_text
from ..conventions import Convention, preset
from .cite import FIELDS, reround

FORMATS = ("md", "latex", "rst", "json", "csv")
SHOWN = ("lr", "rho", "eps", "momentum", "weight_decay")


def convention_of(desc: dict) -> Convention:
    """The :class:`Convention` a golden file's ``convention`` field describes (hyperparameters as given)."""
    names = {f.name for f in dataclasses.fields(Convention)}
    fields: dict = {}
    for key, value in desc.items():
        if key not in names or key in ("name", "source"):
            continue
        if key == "allows":
            value = frozenset(value)
        elif isinstance(value, dict) and "float" in value:
            value = float.fromhex(value["float"])
        fields[key] = value
    try:
        return preset(desc["name"], **fields)
    except (KeyError, ValueError):
        return Convention(name=str(desc.get("name", "custom")), **fields)


def _given(value: Any) -> str:
    if isinstance(value, dict) and "float" in value:
        return f"{value['repr']} (binary64 {value['float']})"
    return str(value)


def provenance(doc: dict, digits: int) -> dict:
    """The provenance record of a golden document, for a table of ``digits`` digits."""
    conv = convention_of(doc["convention"])
    present = [f for f in SHOWN if f in doc["convention"] and (f in ("lr", "rho", "eps") or conv.exact(f) != 0)]
    given = {f: _given(doc["convention"][f]) for f in present}
    used = {f: fraction_text(conv.exact(f)) for f in present}
    prob = doc.get("problem") or {}
    if prob.get("closed_loop") is False:
        gradient: Any = "an open-loop stream of gradients, exact as given (stored in the file)"
    else:
        gradient = prob.get("gradient") or prob.get("loss") or prob.get("definition") or prob.get("name", "")
    prov = doc.get("header", {}).get("provenance", {})
    return {
        "case": doc["case"], "convention": conv.spec(values=True), "hyperparameters_given": given,
        "hyperparameters_used": used, "hyperparameter_rounding": conv.hyperparameters,
        "initial_params": doc.get("initial_params", {}), "gradient": gradient, "loss": prob.get("loss"),
        "steps": doc.get("step_count"),
        "method": f"interval arithmetic, {digits} correctly rounded significant digits",
        "computed_by": f"rmsprop-oracle {prov.get('package_version', '?')}, mpmath {prov.get('mpmath_version', '?')}",
    }


def _flat(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_flat(v) for v in values) + "]"
    return _given(values)


def caption(doc: dict, digits: int) -> str:
    """One sentence of provenance for a table of ``digits`` digits from ``doc``."""
    p = provenance(doc, digits)
    given = ", ".join(f"{k} = {v}" for k, v in p["hyperparameters_given"].items())
    used = ", ".join(f"{k} = {v}" for k, v in p["hyperparameters_used"].items())
    exact = all(not isinstance(doc["convention"].get(k), dict) for k in p["hyperparameters_given"])
    same = exact and p["hyperparameter_rounding"] == "exact" and \
        all(Fraction(p["hyperparameters_given"][k]) == Fraction(p["hyperparameters_used"][k]) for k in p["hyperparameters_used"])
    init = ", ".join(f"{n} = {_flat(v[0] if isinstance(v, list) and len(v) == 1 else v)}"
                     for n, v in p["initial_params"].items())
    grad = p["gradient"]
    grad = "; ".join(f"{k}: {_flat(v)}" for k, v in grad.items()) if isinstance(grad, dict) else grad
    if isinstance(p["gradient"], dict) and p["loss"]:
        grad = f"of the loss {p['loss']} ({grad})"
    return (f"{p['case']}: RMSProp convention {p['convention']}; hyperparameters as given {given}"
            f"{' (exact decimals)' if exact else ''}; as used {'the same' if same else used}; initial values "
            f"{init}; gradient {grad}; {p['steps']} step{'' if p['steps'] == 1 else 's'}; {p['method']} ({p['computed_by']}).")


def rows(doc: dict, step: Optional[int], field: Optional[str], digits: int) -> tuple[list, list]:
    """(columns, [(step, {column: decimal})]) of the document's certified values."""
    case = doc["case"]
    records = doc["steps"] if step is None else [r for r in doc["steps"] if r["step"] == step]
    if not records:
        raise ValueError(f"{case}: --step {step} is not stored (steps 0..{doc['steps'][-1]['step']})")
    if field is not None and field not in FIELDS:
        raise ValueError(f"{case}: --field must be one of {', '.join(FIELDS)}; got {field!r}")
    columns: list = []
    out = []
    for rec in records:
        cells = {}
        for f in FIELDS if field is None else [field]:
            if f == "loss":
                if rec.get("loss"):
                    cells["loss"] = reround(rec["loss"]["dec"], digits, f"{case} step {rec['step']} loss")
                continue
            group = rec.get("params") if f == "params" else rec.get("grads") if f == "grads" else \
                (rec.get("state") or {}).get(f.split(".")[1])
            for name in sorted(group or {}):
                for k, v in enumerate(group[name]["values"]):
                    label = f"{f}.{name}[{k}]"
                    cells[label] = reround(v["dec"], digits, f"{case} step {rec['step']} {label}")
        columns += [c for c in cells if c not in columns]
        out.append((rec["step"], cells))
    if not columns:
        raise ValueError(f"{case}: no values for --field {field!r}")
    return columns, out


def cite(doc: dict, step: Optional[int] = None, field: Optional[str] = None, digits: Optional[int] = None,
         style: str = "md", with_caption: bool = True) -> str:
    """A table of ``doc``'s certified values in ``style`` with its provenance (caption, front matter, record)."""
    case, have = doc["case"], int(doc["digits"])
    want = have if digits is None else digits
    if want > have:
        raise ValueError(f"{case}: --digits {want} asked for, but only {have} significant digits are certified")
    if want < 1:
        raise ValueError(f"{case}: --digits must be a positive integer, got {want}")
    if style not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, got {style!r}")
    columns, table_rows = rows(doc, step, field, want)
    text = caption(doc, want) if with_caption else ""
    head = ["step", *columns]
    body = [[str(s), *(c.get(col, "") for col in columns)] for s, c in table_rows]
    if style == "json":
        out: dict = {"case": case, "digits": want, "rows": [{"step": s, **c} for s, c in table_rows]}
        if with_caption:
            out["provenance"] = provenance(doc, want)
        return json.dumps(out, indent=1, sort_keys=True)
    if style == "csv":
        lines = [f"# {line}" for line in ([text] if text else [])]
        return "\n".join(lines + [",".join(r) for r in [head, *body]])
    if style == "md":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in body)]
        return "\n".join(lines + (["", f"Table: {text}"] if text else []))
    if style == "latex":
        def tex(v: str) -> str:
            if not v or "e" not in v:
                return f"${v}$" if v else ""
            m, e = v.split("e")
            return f"${m} \\times 10^{{{int(e)}}}$"

        def esc(s: str) -> str:
            return "".join("\\" + ch if ch in "_&%#$" else ch for ch in s).replace("^", r"\^{}")

        tab = [r"\begin{tabular}{" + "r" * len(head) + "}", r"\hline", " & ".join(esc(h) for h in head) + r" \\",
               r"\hline", *(" & ".join([r[0]] + [tex(v) for v in r[1:]]) + r" \\" for r in body), r"\hline",
               r"\end{tabular}"]
        if not text:
            return "\n".join(tab)
        return "\n".join([r"\begin{table}", r"\centering", f"\\caption{{{esc(text)}}}", *tab, r"\end{table}"])
    widths = [max(len(h), *(len(r[k]) for r in body)) for k, h in enumerate(head)]
    sep = " ".join("=" * w for w in widths)
    line = lambda r: " ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    grid = [sep, line(head), sep, *(line(r) for r in body), sep]
    if not text:
        return "\n".join(grid)
    return "\n".join([f".. table:: {text}", "", *("   " + g for g in grid)])


__all__ = ["FORMATS", "caption", "cite", "convention_of", "provenance", "rows"]
