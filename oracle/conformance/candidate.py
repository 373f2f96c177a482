"""The oracle's side of a candidate: a handle on the worker process it runs in.

:class:`Candidate` starts a worker (:mod:`.worker`) for ``MODULE:ATTR``, learns
the options the factory accepts and the convention it declares, and runs
instances of it under a per-case time limit.  Every failure of the candidate
becomes :class:`CandidateError` with a message saying what happened; a
``NotImplementedError`` from the factory or the first step becomes
:class:`Declined`:

* an exception (its own traceback, the oracle's frames trimmed; ``SystemExit``
  and ``KeyboardInterrupt`` included), a protocol breach (type, number, shape or
  dtype of the returned arrays);
* a case past the time limit: the worker is killed (it stops using CPU) and a
  new one is started for the next case;
* a worker that ends by itself (``os._exit``, a crash, a signal).

With ``isolation="inline"`` the candidate runs in the oracle's own process
(for debugging with pdb): no protection, no time limit enforcement.

The worker's standard output and error are drained into a bounded buffer
(:class:`Output`): a candidate printing megabytes costs no memory, and a
failure message shows the last lines it printed.
"""

from __future__ import annotations

import atexit
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from typing import Any, Callable, Optional

from .loader import OPTIONS, UsageError, check_spec

__all__ = ["Candidate", "CandidateError", "Declined", "UsageError", "OPTIONS", "OpenFeed"]


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


class OpenFeed:
    """The gradients of an open-loop case, all known in advance (sent to the worker in one message)."""

    def __init__(self, grads: list) -> None:
        self.grads = grads

    def __call__(self, t: int, params: list) -> list:
        return [g.copy() for g in self.grads[t - 1]]


class Output:
    """A bounded record of what the worker writes: the first and the last bytes, and a count."""

    HEAD, TAIL = 2000, 6000

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.reset()
        self.synced = -1

    def reset(self) -> None:
        self.head, self.tail, self.count = b"", b"", 0

    def feed(self, data: bytes) -> None:
        with self.lock:
            self.count += len(data)
            if len(self.head) < self.HEAD:
                room = self.HEAD - len(self.head)
                self.head, data = self.head + data[:room], data[room:]
            self.tail = (self.tail + data)[-self.TAIL:]

    def take(self) -> dict:
        """What was written since the last ``take`` (``bytes``, ``text``), and start again."""
        with self.lock:
            out = {"bytes": self.count, "text": _text(self.head, self.tail, self.count)}
            self.reset()
        return out


def _text(head: bytes, tail: bytes, count: int) -> str:
    if count <= len(head) + len(tail):
        return (head + tail).decode("utf-8", "replace")
    return (head.decode("utf-8", "replace") + f"\n[... {count - len(head) - len(tail):,} bytes not kept ...]\n"
            + tail.decode("utf-8", "replace"))


class ProcessWorker:
    """A worker process running the candidate, with a private channel and drained output."""

    def __init__(self) -> None:
        from multiprocessing.connection import Pipe

        ours, theirs = Pipe(duplex=True)
        read_fd, write_fd = os.pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        env.pop("PYTEST_XDIST_WORKER", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oracle.conformance.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=write_fd, stderr=write_fd,
            start_new_session=True, env=env, close_fds=True)
        theirs.close()
        os.close(write_fd)
        self.conn = ours
        self.output = Output()
        self.reader = threading.Thread(target=self._drain, args=(read_fd,), daemon=True, name="rmsprop-worker-output")
        self.reader.start()
        _LIVE.add(self)

    def _drain(self, fd: int) -> None:
        from .worker import SYNC

        pending = b""
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(1 << 16)
                if not chunk:
                    break
                pending += chunk
                while True:
                    start = pending.find(b"\n\x1eoracle-sync-")
                    end = pending.find(b"\x1e\n", start + 3) if start >= 0 else -1
                    if end < 0:
                        break
                    n = int(pending[start + len(b"\n\x1eoracle-sync-"):end])
                    self.output.feed(pending[:start])
                    pending = pending[end + 2:]
                    with self.output.lock:
                        self.output.synced = n
                        self.output.lock.notify_all()
                keep = len(SYNC % 10**12)
                if len(pending) > keep:
                    self.output.feed(pending[:-keep])
                    pending = pending[-keep:]
            self.output.feed(pending)
        with self.output.lock:
            self.output.synced = sys.maxsize
            self.output.lock.notify_all()

    def call(self, msg: tuple, timeout: Optional[float]) -> Optional[tuple]:
        """Send ``msg`` and wait for the reply: None after a timeout (the worker killed), else the reply.

        :class:`CandidateError` when the worker died or its channel broke.
        """
        try:
            self.conn.send(msg)
            ready = self.conn.poll(timeout)
        except (OSError, EOFError, BrokenPipeError):
            raise CandidateError(self.ended()) from None
        if not ready:
            self.kill()
            return None
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            raise CandidateError(self.ended()) from None
        except Exception as exc:  # garbage on the channel: the candidate wrote to it
            self.kill()
            raise CandidateError(f"the worker's channel was corrupted ({type(exc).__name__}: {exc})") from None

    def ended(self) -> str:
        """Why the worker is gone (waits briefly for its exit status)."""
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "the worker's channel closed while the process was still running (it was killed)"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the candidate crashed the worker process ({name})"
        return (f"the candidate ended the worker process with exit status {code} "
                "(os._exit, or a crash of the interpreter)")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def sync(self, n: int, timeout: float = 2.0) -> None:
        """Wait until the output written before marker ``n`` has been drained."""
        deadline = time.monotonic() + timeout
        with self.output.lock:
            while self.output.synced < n and time.monotonic() < deadline:
                self.output.lock.wait(max(0.0, deadline - time.monotonic()))

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()
        self.conn.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.conn.send(("exit",))
                self.proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


_LIVE: "weakref.WeakSet[ProcessWorker]" = weakref.WeakSet()


@atexit.register
def _kill_workers() -> None:
    """No worker outlives the oracle's process."""
    for worker in list(_LIVE):
        worker.kill()


class InlineWorker:
    """The same commands answered in the oracle's own process (``isolation="inline"``)."""

    def __init__(self) -> None:
        from .worker import Executor

        self.executor = Executor()
        self.output = Output()
        self.alive = True

    def call(self, msg: tuple, timeout: Optional[float]) -> tuple:
        return self.executor.handle(msg)

    def sync(self, n: int, timeout: float = 0.0) -> None:
        pass

    def kill(self) -> None:
        pass

    close = kill


ISOLATIONS = ("process", "inline")


class Candidate:
    """A candidate factory ``MODULE:ATTR`` running in a worker, with its options and a per-case time limit."""

    def __init__(self, spec: str, timeout: float = 60.0, isolation: str = "process") -> None:
        check_spec(spec)
        if not (isinstance(timeout, (int, float)) and 0 < timeout < float("inf")):
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, got {isolation!r}")
        self.name = self.spec = spec
        self.timeout, self.isolation = float(timeout), isolation
        self._worker: Any = None
        self._ids = itertools.count(1)
        self._syncs = itertools.count(1)
        self._deadline: Optional[float] = None
        self.output_bytes = 0
        info = self._load()
        self.options: frozenset = frozenset(info["options"])
        self.convention: Optional[str] = info["convention"]

    # -- the worker ---------------------------------------------------------
    def _load(self) -> dict:
        self._worker = ProcessWorker() if self.isolation == "process" else InlineWorker()
        try:
            reply = self._worker.call(("load", self.spec), self.timeout)
            if reply is None:
                raise CandidateError(f"importing it took longer than the per-case timeout of {self.timeout:g} s")
        except CandidateError as exc:
            self.close()
            raise UsageError(f"loading {self.spec!r} failed: {exc}") from None
        status, value = reply
        if status == "usage":
            self.close()
            raise UsageError(value)
        return value

    def _call(self, *msg: Any) -> Any:
        if self._worker is None or not self._worker.alive:
            self._load()  # a fresh worker after a timeout or a crash
        timeout = None if self.isolation == "inline" else self._remaining()
        reply = self._worker.call(msg, timeout)
        if reply is None:
            raise self._timed_out()
        status, value = reply
        if status == "ok":
            return value
        raise _error(value)

    def _timed_out(self) -> CandidateError:
        return CandidateError(f"the candidate did not finish within the per-case timeout of {self.timeout:g} s "
                              "(hanging?); its worker process was killed")

    def _remaining(self) -> float:
        if self._deadline is None:
            return self.timeout
        left = self._deadline - time.monotonic()
        if left <= 0:
            self._worker.kill()
            raise self._timed_out()
        return left

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    # -- one case -------------------------------------------------------------
    def case(self) -> "_Case":
        """``with candidate.case(): ...``: one time limit for everything inside, output collected after."""
        return _Case(self)

    def output(self) -> dict:
        """What the candidate wrote to stdout/stderr since the last call (bounded)."""
        if self._worker is None:
            return {"bytes": 0, "text": ""}
        if self._worker.alive:
            n = next(self._syncs)
            try:
                if self._worker.call(("sync", n), 5.0) is not None:
                    self._worker.sync(n)
            except CandidateError:
                pass
        out = self._worker.output.take()
        self.output_bytes += out["bytes"]
        return out

    def supports(self, options: dict) -> Optional[str]:
        """None if every option that is on is accepted by the factory, else the name of one that is not."""
        for key, value in options.items():
            if value and key not in self.options:
                return key
        return None

    def make(self, params: list, hyper: dict, options: dict, audit: bool = False) -> int:
        """A new instance of the candidate (its id)."""
        iid = next(self._ids)
        self._call("make", iid, [p.copy() for p in params], dict(hyper), dict(options), audit)
        return iid

    def step(self, iid: int, grads: list) -> list:
        return self._call("step", iid, [g.copy() for g in grads])

    def steps(self, iid: int, grads_list: list) -> list:
        return self._call("run", iid, [[g.copy() for g in grads] for grads in grads_list])

    def audit(self, iid: int) -> list:
        return self._call("audit", iid)

    def drop(self, iid: int) -> None:
        if self._worker is not None and self._worker.alive:
            self._call("drop", iid)

    def run(self, params0: list, hyper: dict, options: dict, feed: Callable, steps: int) -> list:
        """One instance called ``steps`` times; ``feed(t, params)`` gives the grads (an :class:`OpenFeed` at once).

        Returns the list of parameter lists, index 0 the initial values.
        """
        with self.case():
            iid = self.make(params0, hyper, options)
            out = [[p.copy() for p in params0]]
            if isinstance(feed, OpenFeed):
                out += self.steps(iid, feed.grads[:steps])
            else:
                for t in range(1, steps + 1):
                    out.append(self.step(iid, feed(t, out[-1])))
            self.drop(iid)
        return out


class _Case:
    def __init__(self, candidate: Candidate) -> None:
        self.candidate = candidate

    def __enter__(self) -> Candidate:
        c = self.candidate
        self.outer = c._deadline
        if c._deadline is None:
            c._deadline = time.monotonic() + c.timeout
        return c

    def __exit__(self, *exc: Any) -> None:
        self.candidate._deadline = self.outer


def _error(info: dict) -> CandidateError:
    """The exception for an error reply of the worker."""
    if info["kind"] == "protocol":
        return CandidateError(info["message"])
    where = "the factory" if info["where"] == "factory" else f"step {info['step']}"
    kind, message = info["type"], info["message"]
    if kind == "SystemExit":
        text = f"{where} called sys.exit({message})" if message else f"{where} raised SystemExit"
    elif kind == "KeyboardInterrupt":
        text = f"{where} raised KeyboardInterrupt"
    else:
        text = f"{where} raised {kind}: {message}" if message else f"{where} raised {kind}"
    if info.get("declined"):
        return Declined(f"declined by the candidate: {message or kind}", info["traceback"])
    return CandidateError(text, info["traceback"])
