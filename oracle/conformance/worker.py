"""Where a candidate runs: ``python -m oracle.conformance.worker FD`` (or in-process for debugging).

The oracle never imports or calls a candidate in its own process.  It starts
this worker (:class:`oracle.conformance.candidate.ProcessWorker`), which loads
``MODULE:ATTR`` and answers commands sent over a private channel (a
:mod:`multiprocessing.connection` on file descriptor FD):

=========================================  ============================================
``("load", spec)``                         ``{"options", "convention"}`` of the factory
``("make", iid, params, hyper, options,    build instance ``iid``: ``factory(params, lr=, rho=, eps=, **options)``
audit)``
``("step", iid, grads)``                   one update: the returned arrays, checked and copied
``("run", iid, grads_list)``               several updates (open loop): the list of results
``("audit", iid)``                         what instance ``iid`` did to arrays it was given or returned
``("drop", iid)``, ``("sync", n)``         forget an instance; flush output and write marker ``n``
=========================================  ============================================

Every reply is ``("ok", value)``, ``("usage", message)`` or ``("error", info)``
where ``info`` describes what the candidate did: an exception (any
``BaseException``: ``SystemExit`` and ``KeyboardInterrupt`` too), with its own
traceback frames (this module's frames are trimmed), or a protocol breach
(wrong type, number, shape or dtype of the returned arrays).  A
``NotImplementedError`` from the factory or the first step is a *decline*.

The worker's standard output and error (file descriptors 1 and 2) go to a pipe
the oracle drains into a bounded buffer.  Whatever the candidate does to this
process (numpy error settings, monkeypatched functions, ``mpmath.mp``) stays
here: the checks below use references taken before the candidate is imported,
and arrays travel back as plain ``numpy.ndarray`` copies.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Callable, Optional

import numpy as np

from .loader import UsageError, accepted_options, declared_convention, load

_ndarray, _generic = np.ndarray, np.generic
_HERE = os.path.dirname(os.path.abspath(__file__))
SYNC = b"\n\x1eoracle-sync-%d\x1e\n"
"""The marker written to standard output at the end of a case (see ``("sync", n)``)."""


def _copy(a: Any) -> np.ndarray:
    """A plain ndarray copy (subclasses dropped: the oracle must not unpickle candidate classes)."""
    return _ndarray.copy(_ndarray.view(a, _ndarray))


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes() for x, y in zip(a, b))


def trimmed_traceback(exc: BaseException) -> str:
    """The exception formatted with the oracle's own frames removed (the candidate's frames kept)."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, limit=40)
    for link in _chain(te):
        link.stack = traceback.StackSummary.from_list(
            [f for f in link.stack if not os.path.abspath(f.filename).startswith(_HERE + os.sep)])
    return "".join(te.format())[-6000:]


def _chain(te: traceback.TracebackException):
    while te is not None:
        yield te
        te = te.__cause__ or (None if te.__suppress_context__ else te.__context__)


def raised(exc: BaseException, where: str, step: Optional[int] = None) -> dict:
    """The description of an exception the candidate raised."""
    return {"kind": "raised", "where": where, "step": step, "type": type(exc).__name__,
            "message": str(exc)[:2000], "traceback": trimmed_traceback(exc),
            "declined": isinstance(exc, NotImplementedError) and (where == "factory" or step == 1)}


def breach(message: str, where: str = "step", step: Optional[int] = None) -> dict:
    """The description of a protocol breach."""
    return {"kind": "protocol", "where": where, "step": step, "message": message, "declined": False}


def check_output(got: Any, shapes: list, dtypes: list, t: int) -> tuple[Optional[str], list]:
    """``(problem, arrays)``: the returned arrays copied, or a message saying what is wrong with them."""
    n = len(shapes)
    if isinstance(got, _ndarray) or not isinstance(got, (list, tuple)):
        return f"step {t} returned {type(got).__name__}, expected a list of {n} arrays", []
    if len(got) != n:
        return f"step {t} returned {len(got)} arrays for {n} parameters", []
    out = []
    for i, (a, shape, dtype) in enumerate(zip(got, shapes, dtypes)):
        if isinstance(a, _generic):
            return (f"step {t} returned a numpy scalar ({type(a).__name__}) for parameter {i}, expected a numpy "
                    "array (return a 0-d array for a 0-d parameter, e.g. np.asarray(x))"), []
        if not isinstance(a, _ndarray):
            return f"step {t} returned {type(a).__name__} for parameter {i}, expected a numpy array", []
        if a.shape != shape:
            return f"step {t} returned shape {a.shape} for parameter {i}, expected {shape}", []
        if a.dtype != dtype:
            return f"step {t} returned dtype {a.dtype} for parameter {i}, expected {dtype}", []
        out.append(_copy(a))
    return None, out


class Instance:
    """One ``step`` function of the candidate and what the audit remembers about it."""

    def __init__(self, step: Callable, params: list, audit: bool) -> None:
        self.step, self.t, self.audit = step, 0, audit
        self.shapes = [p.shape for p in params]
        self.dtypes = [p.dtype for p in params]
        self.given = params
        self.kept = [_copy(p) for p in params] if audit else []
        self.grads: list = []  # (arrays given, copies) per step, when auditing
        self.returned: list = []  # (arrays returned, copies) per step, when auditing
        self.findings: list = []

    def advance(self, grads: list) -> tuple:
        self.t += 1
        t = self.t
        kept = [_copy(g) for g in grads] if self.audit else None
        try:
            got = self.step(grads)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the candidate's too
            return "error", raised(exc, "step", t)
        problem, out = check_output(got, self.shapes, self.dtypes, t)
        if problem:
            return "error", breach(problem, "step", t)
        if self.audit:
            if not _same(grads, kept):
                self.findings.append(f"step {t} mutated the gradient arrays it was given")
            self.grads.append((grads, kept))
            self.returned.append((list(got), [_copy(a) for a in got]))
        return "ok", out

    def report(self) -> list:
        found = list(self.findings)
        if not _same(self.given, self.kept):
            found.append("the factory's params were mutated by the steps (the candidate must copy them)")
        for t, (given, kept) in enumerate(self.grads, 1):
            if not _same(given, kept) and not any(f.startswith(f"step {t} mutated") for f in found):
                found.append(f"the gradient arrays given to step {t} were changed later (the candidate kept them)")
                break
        for t, (got, kept) in enumerate(self.returned, 1):
            if not _same([_ndarray.view(a, _ndarray) for a in got], kept):
                found.append(f"the arrays returned by step {t} were changed by later steps (aliased to state)")
                break
        return found


class Executor:
    """Answers the worker's commands for one candidate factory (also used in-process)."""

    def __init__(self) -> None:
        self.factory: Optional[Callable] = None
        self.options: frozenset = frozenset()
        self.instances: dict = {}

    def handle(self, msg: tuple) -> tuple:
        verb, args = msg[0], msg[1:]
        return getattr(self, "do_" + verb)(*args)

    def do_load(self, spec: str) -> tuple:
        try:
            self.factory = load(spec)
            self.options = accepted_options(self.factory)
        except UsageError as err:
            return "usage", str(err)
        return "ok", {"options": sorted(self.options), "convention": declared_convention(self.factory)}

    def do_make(self, iid: int, params: list, hyper: dict, options: dict, audit: bool = False) -> tuple:
        kwargs = {k: v for k, v in options.items() if k in self.options}
        try:
            step = self.factory(params, lr=hyper["lr"], rho=hyper["rho"], eps=hyper["eps"], **kwargs)
        except BaseException as exc:
            return "error", raised(exc, "factory")
        if not callable(step):
            return "error", breach(f"the factory returned {type(step).__name__}, not a step function", "factory")
        self.instances[iid] = Instance(step, params, audit)
        return "ok", None

    def do_step(self, iid: int, grads: list) -> tuple:
        return self.instances[iid].advance(grads)

    def do_run(self, iid: int, grads_list: list) -> tuple:
        out = []
        for grads in grads_list:
            status, value = self.instances[iid].advance(grads)
            if status != "ok":
                return status, value
            out.append(value)
        return "ok", out

    def do_audit(self, iid: int) -> tuple:
        return "ok", self.instances[iid].report()

    def do_drop(self, iid: int) -> tuple:
        self.instances.pop(iid, None)
        return "ok", None

    def do_sync(self, n: int) -> tuple:
        _flush()
        os.write(1, SYNC % n)
        return "ok", n


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # the candidate may have replaced or closed them
            pass


def main(argv: list) -> int:
    from multiprocessing.connection import Connection

    conn = Connection(int(argv[1]))
    executor = Executor()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return 0
        if msg[0] == "exit":
            return 0
        reply = executor.handle(msg)
        _flush()
        conn.send(reply)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
