"""Where a candidate runs: the worker process, which calls the candidate and sends back raw data.

The oracle never imports or calls a candidate in its own process.  It starts a
launcher (:mod:`.containment`), which forks this worker; the worker loads
``MODULE:ATTR`` and answers requests on a private pipe pair with frames of plain
data and raw array buffers (:mod:`.frames`; nothing is pickled either way):

===============================================  ==========================================================
``{"op": "load", "spec"}``                       ``{"options", "convention"}`` of the factory
``{"op": "make", "iid", "params", "hyper",       build instance ``iid``: ``factory(params, lr=, rho=, eps=,
"options", "audit"}``                            **options)``
``{"op": "run", "iid", "grads", "steps"}``       ``steps`` updates, ``grads`` stacked per parameter; the
                                                 results stacked per parameter (``"outs"``) and, when
                                                 auditing, the given grads as they were after each step
``{"op": "audit", "iid"}``                       the arrays instance ``iid`` was given or returned, as they
                                                 are now
``{"op": "drop", "iid"}``, ``{"op": "sync"}``    forget an instance; flush the output streams
===============================================  ==========================================================

Every reply is ``{"status": "ok" | "usage" | "error", "value": ...}``; an error
describes what the candidate did: an exception (any ``BaseException``), with
its own traceback frames (this module's trimmed), or a returned value that is
not the expected list of arrays (described, never sent).  A
``NotImplementedError`` from the factory or the first step is a *decline*.

Nothing here decides a verdict: the oracle checks every shape, dtype and value
on its own copies (:mod:`.candidate`), so a candidate that patches this module
can only send other numbers, which it could have returned anyway.  Arrays are
read through ``numpy.ndarray``'s own descriptors (a subclass's ``shape``,
``dtype``, ``tobytes`` or ``__array__`` are never called).  A numpy scalar of the
parameter's dtype is accepted for a 0-d parameter.  The worker's standard
output and error go to a pipe the oracle drains as opaque bytes.
"""

from __future__ import annotations

import ctypes
import os
import sys
import traceback
from typing import Any, Callable, Optional

import numpy as np

from .frames import DTYPES, FrameError, read_frame, write_frame
from .loader import UsageError, accepted_options, declared_convention, load

_ndarray, _view, _copy_nd = np.ndarray, np.ndarray.view, np.ndarray.copy
_SCALARS = {dt.type: dt for dt in DTYPES.values() if dt is not None}  # bfloat16 (lazy): arrays only
_HERE = os.path.dirname(os.path.abspath(__file__))


def plain(a: Any) -> np.ndarray:
    """A plain ``numpy.ndarray`` copy of an ndarray (of any subclass), read through ndarray's own methods."""
    return _copy_nd(_view(a, _ndarray), order="C")


def _name(obj: Any) -> str:
    try:
        return str(type(obj).__name__)[:100]
    except BaseException:
        return "object"


def trimmed_traceback(exc: BaseException) -> str:
    """The exception formatted with the oracle's own frames removed (the candidate's frames kept)."""
    try:
        te = traceback.TracebackException(type(exc), exc, exc.__traceback__, limit=40)
        for link in _chain(te):
            link.stack = traceback.StackSummary.from_list(
                [f for f in link.stack if not os.path.abspath(f.filename).startswith(_HERE + os.sep)])
        return "".join(te.format())[-6000:]
    except BaseException:  # the candidate's exception may break formatting
        return ""


def _chain(te: traceback.TracebackException):
    while te is not None:
        yield te
        te = te.__cause__ or (None if te.__suppress_context__ else te.__context__)


def raised(exc: BaseException, where: str, step: Optional[int] = None) -> dict:
    """The description of an exception the candidate raised."""
    try:
        message = str(exc)[:2000]
    except BaseException:
        message = "(its message could not be read)"
    return {"kind": "raised", "where": where, "step": step, "type": _name(exc), "message": message,
            "traceback": trimmed_traceback(exc),
            "declined": isinstance(exc, NotImplementedError) and (where == "factory" or step == 1)}


def convert(got: Any, shapes: list, dtypes: list) -> tuple:
    """``(arrays, None)``: plain copies of what a step returned; or ``(None, what)`` describing why not."""
    kind = type(got)
    if issubclass(kind, _ndarray) or not issubclass(kind, (list, tuple)):
        return None, {"what": "type", "type": _name(got)}
    base = list if issubclass(kind, list) else tuple
    items = [base.__getitem__(got, i) for i in range(base.__len__(got))]
    if len(items) != len(shapes):
        return None, {"what": "count", "count": len(items)}
    out = []
    for i, (a, shape, dtype) in enumerate(zip(items, shapes, dtypes)):
        kind = type(a)
        if kind in _SCALARS:  # an exact numpy float scalar: numpy's own conversion
            arr = np.array(a)
            if shape != () or arr.dtype != dtype:
                return None, {"what": "scalar", "index": i, "type": _name(a), "dtype": str(arr.dtype)}
            out.append(arr)
        elif issubclass(kind, np.generic):
            return None, {"what": "scalar", "index": i, "type": _name(a), "dtype": str(np.generic.dtype.__get__(a))}
        elif issubclass(kind, _ndarray):
            v = _view(a, _ndarray)
            if v.shape != shape or v.dtype != dtype:
                return None, {"what": "array", "index": i, "shape": list(v.shape), "dtype": str(v.dtype)[:40]}
            out.append(_copy_nd(v, order="C"))
        else:
            return None, {"what": "other", "index": i, "type": _name(a)}
    return out, None


def snapshot(a: Any, shape: tuple, dtype: np.dtype) -> Optional[np.ndarray]:
    """A plain copy of an array the candidate was given or returned, as it is now (None: no longer one)."""
    if not issubclass(type(a), _ndarray):
        return None
    v = _view(a, _ndarray)
    return _copy_nd(v, order="C") if v.shape == shape and v.dtype == dtype else None


class Instance:
    """One ``step`` function of the candidate, and (when auditing) the very arrays it was given and returned."""

    def __init__(self, step: Callable, params: list, audit: bool) -> None:
        self.step, self.t, self.audit = step, 0, audit
        self.shapes = [p.shape for p in params]
        self.dtypes = [p.dtype for p in params]
        self.given = params
        self.grads: list = []  # the grads objects given, per step (auditing)
        self.returned: list = []  # the objects returned, per step (auditing)

    def _now(self, arrays: list) -> list:
        return [snapshot(a, s, d) for a, s, d in zip(arrays, self.shapes, self.dtypes)]

    def run(self, stacked: list, steps: int) -> dict:
        outs: list = [[] for _ in self.shapes]
        after: list = []
        for k in range(steps):
            grads = [np.array(g[k]) for g in stacked]
            self.t += 1
            try:
                got = self.step(grads)
                arrays, what = convert(got, self.shapes, self.dtypes)
            except BaseException as exc:  # SystemExit and KeyboardInterrupt are the candidate's too
                return {"status": "error", "value": raised(exc, "step", self.t)}
            if what is not None:
                return {"status": "error", "value": dict(what, kind="returned", step=self.t)}
            for slot, a in zip(outs, arrays):
                slot.append(a)
            if self.audit:
                after.append(self._now(grads))
                self.grads.append(grads)
                self.returned.append(list(got))
        value = {"outs": [np.stack(o) if o else np.empty((0,) + s, d)
                          for o, s, d in zip(outs, self.shapes, self.dtypes)]}
        if self.audit:
            value["grads_after"] = after
        return {"status": "ok", "value": value}

    def report(self) -> dict:
        """The arrays as they are now: params given to the factory, grads given and arrays returned per step."""
        return {"params": self._now(self.given), "grads": [self._now(g) for g in self.grads],
                "returned": [self._now(r) for r in self.returned]}


class Executor:
    """Answers the worker's requests for one candidate factory (also used in-process, ``isolation="inline"``)."""

    def __init__(self) -> None:
        self.factory: Optional[Callable] = None
        self.options: frozenset = frozenset()
        self.instances: dict = {}

    def handle(self, msg: dict) -> dict:
        try:
            return getattr(self, "do_" + msg["op"])(msg)
        except UsageError as err:
            return {"status": "usage", "value": str(err)}

    def do_load(self, msg: dict) -> dict:
        from .native import wrap  # native framework optimizers (torch, keras, tf1, optax) behind a bridge

        loaded = load(msg["spec"])
        try:
            self.factory, native = wrap(loaded, msg.get("names") or None)
        except ValueError as err:
            raise UsageError(str(err)) from None
        self.options = accepted_options(self.factory)
        value = {"options": sorted(self.options), "convention": declared_convention(loaded)}
        if native is not None:  # plain data describing the framework optimizer found
            value["native"] = native
        return {"status": "ok", "value": value}

    def do_make(self, msg: dict) -> dict:
        kwargs = {k: v for k, v in msg["options"].items() if k in self.options}
        hyper, params = msg["hyper"], msg["params"]
        try:
            step = self.factory(params, lr=hyper["lr"], rho=hyper["rho"], eps=hyper["eps"], **kwargs)
            ok = callable(step)
        except BaseException as exc:
            return {"status": "error", "value": raised(exc, "factory")}
        if not ok:
            return {"status": "error", "value": {"kind": "factory", "type": _name(step)}}
        self.instances[msg["iid"]] = Instance(step, params, bool(msg.get("audit")))
        return {"status": "ok", "value": None}

    def do_run(self, msg: dict) -> dict:
        return self.instances[msg["iid"]].run(msg["grads"], msg["steps"])

    def do_audit(self, msg: dict) -> dict:
        return {"status": "ok", "value": self.instances[msg["iid"]].report()}

    def do_drop(self, msg: dict) -> dict:
        self.instances.pop(msg["iid"], None)
        return {"status": "ok", "value": None}

    def do_sync(self, msg: dict) -> dict:
        flush()
        return {"status": "ok", "value": None}


def flush() -> None:
    """Flush Python's and C's buffered standard streams (the candidate may have replaced or closed them)."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:
            pass
    try:
        if not _LIBC:
            _LIBC.append(ctypes.CDLL(None))
        _LIBC[0].fflush(None)
    except (OSError, AttributeError):
        pass


_LIBC: list = []


def serve(req: int, rep: int) -> int:
    """Answer the oracle's frames on ``req`` with frames on ``rep`` until ``exit`` or the end of the channel."""
    executor = Executor()
    while True:
        try:
            seq, msg = read_frame(req, None, max_header=1 << 62)
        except (EOFError, OSError, FrameError):  # the oracle is gone
            return 0
        if msg["op"] == "exit":
            return 0
        reply = executor.handle(msg)
        flush()
        try:
            write_frame(rep, seq, reply)
        except (OSError, FrameError):
            return 0
