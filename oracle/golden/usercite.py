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
from fractions import Fraction
from typing import Any, Optional

from ..cases.trajectory import fraction_text
from ..conventions import Convention, preset
from .cite import FORMATS, render, table, wanted_digits
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
    """(columns, [(step, {column: decimal})]) of the document's certified values (:func:`.cite.table`)."""
    return table(doc["case"], doc["steps"], step, field, digits)


def cite(doc: dict, step: Optional[int] = None, field: Optional[str] = None, digits: Optional[int] = None,
         style: str = "md", with_caption: bool = True) -> str:
    """A table of ``doc``'s certified values in ``style`` with its provenance (caption, front matter, record)."""
    case = doc["case"]
    want = wanted_digits(case, int(doc["digits"]), digits)
    columns, table_rows = rows(doc, step, field, want)
    return render(style, columns, table_rows, case, want, caption=caption(doc, want) if with_caption else "",
                  provenance=provenance(doc, want) if with_caption else None)


__all__ = ["FORMATS", "caption", "cite", "convention_of", "provenance", "rows"]
