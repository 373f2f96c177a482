"""Reading what a candidate's worker answers: every field checked, every verdict decided here, on copies.

Everything in a reply came from the candidate's process, so it is data to be
checked, never trusted: types and sizes are validated (:func:`reply`,
:func:`is_load`), strings are cut to a length (:func:`text`), and the checks that
decide a verdict run in the oracle's process on arrays :mod:`.frames` rebuilt as
fresh copies (:class:`Record`): the shapes and dtypes of every output, and the
state hygiene audit, which compares what the worker says the candidate's arrays
hold *now* with the oracle's own copies of what it sent and received.  A
worker patched to forge its report can hide a mutation only by sending back
exactly what the oracle sent (see docs/isolation.md for what stays unprovable).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .frames import dtype_name


class CandidateError(Exception):
    """The candidate raised, hung, died or broke the protocol; the message says how."""

    def __init__(self, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback

    def text(self) -> str:
        """The message and, when the candidate raised, its own traceback."""
        return f"{self}\n{self.traceback.rstrip()}" if self.traceback else str(self)


class Declined(CandidateError):
    """The candidate raised ``NotImplementedError`` from its factory or first step: it does not do this."""


def text(x: Any, limit: int = 2000) -> str:
    """A string the worker sent, cut to ``limit`` characters ("?" for anything that is not a str)."""
    return x[:limit] if type(x) is str else "?"


def number(x: Any) -> Optional[int]:
    return x if type(x) is int else None


def plain(a: Any) -> np.ndarray:
    """The oracle's own plain copy of an input array (a dtype of the channel's whitelist)."""
    out = np.array(a, copy=True)
    if type(out) is not np.ndarray or dtype_name(out.dtype) is None:
        raise ValueError(f"arrays sent to a candidate must be numpy arrays of the channel's dtypes, got {out.dtype}")
    return out


def reply(value: Any) -> tuple:
    """``(status, value)`` of a reply; status ``"malformed"`` when it is not one."""
    if isinstance(value, dict) and set(value) == {"status", "value"} and value["status"] in ("ok", "usage", "error"):
        return value["status"], value["value"]
    return "malformed", None


def is_load(value: Any) -> bool:
    """A well-formed answer to ``load``: options from the protocol's list, a convention str or None."""
    from .loader import NAMED_OPTIONS, OPTIONS

    from .native import is_native

    return (isinstance(value, dict) and set(value) - {"native"} == {"options", "convention"}
            and isinstance(value["options"], list) and all(o in OPTIONS + NAMED_OPTIONS for o in value["options"])
            and (value["convention"] is None or (type(value["convention"]) is str and len(value["convention"]) < 500))
            and ("native" not in value or is_native(value["native"])))


def _same(a: Any, b: np.ndarray) -> bool:
    return (type(a) is np.ndarray and a.shape == b.shape and a.dtype == b.dtype
            and np.ndarray.tobytes(a) == np.ndarray.tobytes(b))


def _rows(x: Any, n: int) -> bool:
    return isinstance(x, list) and len(x) == n and all(isinstance(r, list) for r in x)


class Record:
    """What the oracle sent to and got from one instance: shapes, dtypes and (when auditing) copies."""

    def __init__(self, params: list, audit: bool) -> None:
        self.shapes = [p.shape for p in params]
        self.dtypes = [p.dtype for p in params]
        self.nbytes = sum(p.nbytes for p in params)
        self.audit = audit
        self.params = params if audit else []
        self.grads: list = []  # the oracle's copies of the grads sent, per step
        self.returned: list = []  # the outputs received, per step
        self.mutated: list = []  # steps after which the worker said the grads differed

    def outputs(self, value: Any, n: int) -> Optional[list]:
        """The per-step outputs of a ``run`` reply, or None when it is not exactly the arrays expected."""
        if not (isinstance(value, dict) and isinstance(value.get("outs"), list) and len(value["outs"]) == len(self.shapes)):
            return None
        for a, s, d in zip(value["outs"], self.shapes, self.dtypes):
            if not (type(a) is np.ndarray and a.shape == (n,) + s and a.dtype == d):
                return None
        if self.audit and not _rows(value.get("grads_after"), n):
            return None
        return [[a[t, ...] for a in value["outs"]] for t in range(n)]  # views of arrays this process owns

    def note(self, grads_list: list, value: dict, out: list) -> None:
        for g, after, o in zip(grads_list, value["grads_after"], out):
            mine = [plain(x) for x in g]
            self.grads.append(mine)
            self.returned.append(o)
            self.mutated.append(len(after) != len(mine) or not all(map(_same, after, mine)))

    def findings(self, value: Any) -> list:
        """The hygiene findings: the worker's report of the arrays as they are now against the oracle's copies.

        :class:`CandidateError` when the report is not one (every hygiene check then fails).
        """
        steps = len(self.grads)
        if not (isinstance(value, dict) and isinstance(value.get("params"), list)
                and _rows(value.get("grads"), steps) and _rows(value.get("returned"), steps)):
            raise CandidateError("the worker's audit report was malformed (the candidate tampered with its worker)")

        def differ(now: list, mine: list) -> bool:
            return len(now) != len(mine) or not all(map(_same, now, mine))

        found = [f"step {t} mutated the gradient arrays it was given" for t, m in enumerate(self.mutated, 1) if m]
        if differ(value["params"], self.params):
            found.append("the factory's params were mutated by the steps (the candidate must copy them)")
        for t, (now, mine) in enumerate(zip(value["grads"], self.grads), 1):
            if differ(now, mine) and not self.mutated[t - 1]:
                found.append(f"the gradient arrays given to step {t} were changed later (the candidate kept them)")
                break
        for t, (now, mine) in enumerate(zip(value["returned"], self.returned), 1):
            if differ(now, mine):
                found.append(f"the arrays returned by step {t} were changed by later steps (aliased to state)")
                break
        return found


def _returned(info: dict, rec: Optional[Record]) -> str:
    """The message for a step's return value the worker described as not the expected arrays."""
    t, what = number(info.get("step")), info.get("what")
    n = len(rec.shapes) if rec else "?"
    i = number(info.get("index"))
    shape = rec.shapes[i] if rec and i is not None and 0 <= i < len(rec.shapes) else None
    dtype = rec.dtypes[i] if shape is not None else None
    kind = text(info.get("type"), 100)
    if what == "type":
        return f"step {t} returned {kind}, expected a list of {n} arrays"
    if what == "count":
        return f"step {t} returned {number(info.get('count'))} arrays for {n} parameters"
    if what == "scalar":
        want = f"{dtype}" if shape == () else f"a numpy array of shape {shape}"
        return (f"step {t} returned a numpy scalar ({kind}, dtype {text(info.get('dtype'), 40)}) for parameter {i}, "
                f"expected {want}")
    if what == "array":
        got = info.get("shape")
        got = tuple(got) if isinstance(got, list) and all(type(x) is int for x in got[:32]) else "?"
        if got != shape:
            return f"step {t} returned shape {got} for parameter {i}, expected {shape}"
        return f"step {t} returned dtype {text(info.get('dtype'), 40)} for parameter {i}, expected {dtype}"
    if what == "other":
        return f"step {t} returned {kind} for parameter {i}, expected a numpy array"
    return f"step {t} returned something the worker could not describe"


def error(info: Any, rec: Optional[Record] = None) -> CandidateError:
    """The exception for an error reply of the worker (every field checked before use)."""
    if not isinstance(info, dict):
        return CandidateError("the worker's error report was malformed (the candidate tampered with its worker)")
    if info.get("kind") == "returned":
        return CandidateError(_returned(info, rec))
    if info.get("kind") == "factory":
        return CandidateError(f"the factory returned {text(info.get('type'), 100)}, not a step function")
    where = "the factory" if info.get("where") == "factory" else f"step {number(info.get('step'))}"
    kind, message, tb = text(info.get("type"), 100), text(info.get("message")), text(info.get("traceback"), 6000)
    if kind == "SystemExit":
        msg = f"{where} called sys.exit({message})" if message else f"{where} raised SystemExit"
    elif kind == "KeyboardInterrupt":
        msg = f"{where} raised KeyboardInterrupt"
    else:
        msg = f"{where} raised {kind}: {message}" if message else f"{where} raised {kind}"
    if info.get("declined") is True and (where == "the factory" or where == "step 1"):
        return Declined(f"declined by the candidate: {message or kind}", tb)
    return CandidateError(msg, tb)
