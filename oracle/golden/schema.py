"""The structure every golden file must have (``golden/schema.json``, enforced without ``jsonschema``).

:func:`check_structure` walks a parsed document and raises
:class:`~oracle.golden.data.GoldenDataError` at the first field that is not what
the format says, naming the field by its path and echoing the value:

>>> check_structure({"case": "c", "kind": "stream", "description": "d", "digits": 50, "step_count": 1,
...                  "steps": [{"step": 0, "params": {"p": {"shape": [2], "values": []}}}]}, "c.json")
Traceback (most recent call last):
...
oracle.golden.data.GoldenDataError: c.json: steps[0].params.p holds 0 values, but its shape [2] needs 2
"""

from __future__ import annotations

import math
import re
from typing import Any

from .data import GoldenDataError

KINDS = ("docs", "stream", "quadratic", "gluon", "gluon-long", "gluon-failure", "errata", "user")
CASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
DEC = re.compile(r"0|-?[1-9](\.[0-9]+)?e-?[0-9]+")
HEX = re.compile(r"-?0x[01]\.[0-9a-f]+p[-+][0-9]+")
ARRAY_GROUPS = ("params", "grads")


def _fail(where: str, path: str, what: str) -> None:
    raise GoldenDataError(f"{where}: {path} {what}")


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def check_value(v: Any, where: str, path: str) -> None:
    """A certified value: ``{"dec": D, "f32": H|null, "f64": H|null}``."""
    if not isinstance(v, dict) or sorted(v) != ["dec", "f32", "f64"]:
        _fail(where, path, f"must be a value {{dec, f32, f64}}, got {v!r:.80}")
    if not isinstance(v["dec"], str) or not DEC.fullmatch(v["dec"]):
        _fail(where, path + ".dec", f"must be a decimal like -1.25e-3, got {v['dec']!r:.80}")
    for key in ("f32", "f64"):
        if v[key] is not None and (not isinstance(v[key], str) or not HEX.fullmatch(v[key])):
            _fail(where, f"{path}.{key}", f"must be float.hex text or null, got {v[key]!r:.80}")


def check_arrays(group: Any, where: str, path: str) -> None:
    """Named arrays: ``{name: {"shape": [n, ...], "values": [value, ...]}}`` with prod(shape) values."""
    if not isinstance(group, dict):
        _fail(where, path, f"must be an object of named arrays, got {group!r:.80}")
    for name, a in group.items():
        sub = f"{path}.{name}"
        if not isinstance(a, dict) or sorted(a) != ["shape", "values"]:
            _fail(where, sub, f"must be {{shape, values}}, got {a!r:.80}")
        shape, values = a["shape"], a["values"]
        if not isinstance(shape, list) or not all(_int(n) and n >= 0 for n in shape):
            _fail(where, sub + ".shape", f"must be a list of counts, got {shape!r:.80}")
        if not isinstance(values, list) or len(values) != math.prod(shape):
            n = len(values) if isinstance(values, list) else values
            _fail(where, sub, f"holds {n!r:.40} values, but its shape {shape} needs {math.prod(shape)}")
        for k, v in enumerate(values):
            check_value(v, where, f"{sub}.values[{k}]")


def check_step(rec: Any, where: str, path: str) -> None:
    """One ``steps`` record: ``step``, arrays (params, grads), ``state`` groups, other values."""
    if not isinstance(rec, dict) or not _int(rec.get("step")) or rec["step"] < 0:
        _fail(where, path, f"must be an object with a count 'step', got {rec!r:.80}")
    for key, value in rec.items():
        sub = f"{path}.{key}"
        if key in ARRAY_GROUPS:
            if value is not None:
                check_arrays(value, where, sub)
        elif key == "state":
            if not isinstance(value, dict):
                _fail(where, sub, f"must be an object of state groups, got {value!r:.80}")
            for name, group in value.items():
                check_arrays(group, where, f"{sub}.{name}")
        elif isinstance(value, dict):
            check_value(value, where, sub)


def check_steps(doc: dict, where: str) -> None:
    """``steps``: records with strictly increasing step numbers from 0, ending at ``step_count``."""
    steps = doc["steps"]
    if not isinstance(steps, list) or not steps:
        _fail(where, "steps", f"must be a non-empty list, got {steps!r:.80}")
    for k, rec in enumerate(steps):
        check_step(rec, where, f"steps[{k}]")
        if k == 0 and rec["step"] != 0:
            _fail(where, "steps[0].step", f"must be 0, got {rec['step']}")
        if k and rec["step"] <= steps[k - 1]["step"]:
            _fail(where, f"steps[{k}].step", f"is {rec['step']} after step {steps[k - 1]['step']} "
                                             "(steps must increase)")
    if "step_count" in doc and steps[-1]["step"] != doc["step_count"]:
        _fail(where, "steps", f"end at step {steps[-1]['step']}, but step_count is {doc['step_count']}")


def check_structure(doc: dict, where: str) -> None:
    """Every field the format defines has its type (``GoldenDataError`` at the first that does not)."""
    if not isinstance(doc["case"], str) or not CASE_NAME.fullmatch(doc["case"]):
        _fail(where, "case", f"must be a case name, got {doc['case']!r:.80}")
    if doc["kind"] not in KINDS:
        _fail(where, "kind", f"must be one of {', '.join(KINDS)}, got {doc['kind']!r:.80}")
    if not isinstance(doc["description"], str):
        _fail(where, "description", f"must be a string, got {doc['description']!r:.80}")
    for key in ("convention", "problem", "initial_params", "analysis"):
        if key in doc and not isinstance(doc[key], dict):
            _fail(where, key, f"must be an object, got {doc[key]!r:.80}")
    if "digits" in doc and (not _int(doc["digits"]) or doc["digits"] < 1):
        _fail(where, "digits", f"must be a positive count, got {doc['digits']!r:.80}")
    if "step_count" in doc and (not _int(doc["step_count"]) or doc["step_count"] < 0):
        _fail(where, "step_count", f"must be a count, got {doc['step_count']!r:.80}")
    if "steps" in doc:
        check_steps(doc, where)
    if "horizon" in doc:
        h = doc["horizon"]
        if not isinstance(h, dict) or not all(h.get(d) is None or _int(h.get(d)) for d in ("float64", "float32")):
            _fail(where, "horizon", f"must give float64 and float32 steps (or null), got {h!r:.80}")
    for key in ("epoch_losses",):
        if key in doc:
            for k, v in enumerate(doc[key]):
                check_value(v, where, f"{key}[{k}]")
