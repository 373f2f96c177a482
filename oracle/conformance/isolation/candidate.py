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
failure message shows the last lines it printed.  They are opaque bytes: the
channel (:mod:`.frames`, a private pipe pair) carries every reply, so nothing
the candidate prints can be taken for one.  Replies are plain data checked in
this process (:mod:`.replies`); the worker's processes are contained as
:mod:`.containment` describes (the escaped ones killed at the end of each case).
"""

from __future__ import annotations

import atexit
import itertools
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from typing import Any, Callable, Optional

import numpy as np

from . import containment
from .frames import MAX_HEADER, FrameError, decode, encode, read_frame, write_frame
from .loader import OPTIONS, UsageError, check_spec
from .replies import CandidateError, Declined, Record, error, is_load, plain, reply, text

__all__ = ["Candidate", "CandidateError", "Declined", "UsageError", "OPTIONS", "OpenFeed"]


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
    """A worker process running the candidate (under :mod:`.containment`), a private channel, drained output."""

    def __init__(self, patience: float) -> None:
        req_r, self.req = os.pipe()
        self.rep, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        env.pop("PYTEST_XDIST_WORKER", None)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "oracle.conformance.isolation.containment", str(req_r), str(rep_w),
                 str(os.getpid())],
                pass_fds=(req_r, rep_w), stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                start_new_session=True, env=env, close_fds=True)
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        for fd in (self.req, self.rep, out_r):
            os.set_blocking(fd, False)
            _widen(fd)
        self.seq, self.reaper, self.worker, self.closed = 0, None, None, False
        self.output = Output()
        self.out_fd, self.out_lock, self.out_eof = out_r, threading.Lock(), False
        self.reader = threading.Thread(target=self._drain, daemon=True, name="rmsprop-worker-output")
        self.reader.start()
        _LIVE.add(self)
        try:  # the reaper's hello, written before the worker reads its first request
            _, hello = read_frame(self.rep, time.monotonic() + max(patience, 30.0), 4096, 0)
        except (EOFError, OSError, TimeoutError, FrameError) as exc:
            self.kill()
            raise CandidateError(f"the worker process did not start ({type(exc).__name__}: {exc})") from None
        self.namespace = isinstance(hello, dict) and hello.get("namespace") is True
        if containment.LINUX:  # the candidate is not loaded yet: the reaper has one child, the worker
            reaper = containment.children(self.proc.pid)
            worker = containment.children(reaper[0]) if len(reaper) == 1 else []
            if len(worker) == 1:
                self.reaper, self.worker = reaper[0], worker[0]

    # -- output: opaque bytes, drained under a lock so that sync() can empty the pipe ------------
    def _drain(self) -> None:
        poller = select.poll()
        poller.register(self.out_fd, select.POLLIN)
        while not self.out_eof:
            poller.poll(200)
            with self.out_lock:
                self._read_output()
        os.close(self.out_fd)

    def _read_output(self, budget: int = 1 << 26) -> None:
        while budget > 0 and not self.out_eof:
            try:
                chunk = os.read(self.out_fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.out_eof = True
                return
            budget -= len(chunk)
            self.output.feed(chunk)

    def sync(self) -> None:
        """Take in what the worker wrote before its last reply (it is in the pipe by then)."""
        with self.out_lock:
            self._read_output()

    # -- the channel ------------------------------------------------------------------------
    def call(self, msg: dict, timeout: Optional[float], max_body: int = 0,
             max_header: int = MAX_HEADER) -> Optional[dict]:
        """Send ``msg`` and wait for the reply: None after a timeout (the worker killed), else the reply.

        :class:`CandidateError` when the worker died or its channel broke (then it is killed).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        self.seq += 1
        try:
            write_frame(self.req, self.seq, msg, deadline)
            seq, answer = read_frame(self.rep, deadline, max_header, max_body)
        except TimeoutError:
            self.kill()
            return None
        except (EOFError, OSError):
            raise CandidateError(self.ended()) from None
        except FrameError as exc:
            self.kill()
            raise CandidateError(f"the worker's channel was corrupted ({exc}); its processes were killed") from None
        except BaseException:  # an interrupt in the middle of a call: the channel's state is unknown
            self.kill()
            raise
        if seq != self.seq:
            self.kill()
            raise CandidateError(f"the worker's channel was corrupted (reply {seq} to request {self.seq}); "
                                 "its processes were killed")
        return answer

    def ended(self) -> str:
        """Why the worker is gone (waits briefly for its exit status)."""
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "the worker's channel closed while the process was still running (it was killed)"
        self.kill()
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
        return not self.closed and self.proc.poll() is None

    def reap_strays(self) -> int:
        """Kill the processes the candidate let escape from the worker (orphans of double forks); how many."""
        if self.reaper is None or not self.alive:
            return 0
        found = containment.strays(self.reaper, self.worker)
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return len(found)

    def kill(self) -> None:
        """SIGKILL the worker and every process below the launcher, then the launcher; reap it."""
        if self.proc.poll() is None:
            if containment.LINUX:
                containment.kill_descendants(self.proc.pid)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()
        if not self.closed:
            self.closed = True
            for fd in (self.req, self.rep):
                os.close(fd)

    def close(self) -> None:
        if self.alive:
            try:
                write_frame(self.req, self.seq + 1, {"op": "exit"}, time.monotonic() + 2.0)
                self.proc.wait(2)
            except (OSError, TimeoutError, subprocess.TimeoutExpired):
                pass
        self.kill()


def _widen(fd: int, size: int = 1 << 20) -> None:
    """A 1 MiB pipe buffer where the platform allows it (fewer round trips for large arrays)."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (ImportError, AttributeError, OSError):
        pass


_LIVE: "weakref.WeakSet[ProcessWorker]" = weakref.WeakSet()


@atexit.register
def _kill_workers() -> None:
    """No worker outlives the oracle's process."""
    for worker in list(_LIVE):
        worker.kill()


class InlineWorker:
    """The same requests answered in the oracle's own process (``isolation="inline"``; for debugging only).

    Requests and replies still go through :mod:`.frames` (copies, the same checks), but the candidate
    runs in this process: nothing is contained and no time limit is enforced.
    """

    def __init__(self, patience: float) -> None:
        from .worker import Executor

        self.executor = Executor()
        self.output = Output()
        self.alive = True

    def call(self, msg: dict, timeout: Optional[float], max_body: int = 0,
             max_header: int = MAX_HEADER) -> dict:
        _, request = decode(b"".join(encode(0, msg)))
        try:
            return decode(b"".join(encode(0, self.executor.handle(request))), max_header, max_body)[1]
        except FrameError as exc:
            raise CandidateError(f"the candidate's reply cannot travel ({exc})") from None

    def sync(self) -> None:
        pass

    def reap_strays(self) -> int:
        return 0

    def kill(self) -> None:
        pass

    close = kill


ISOLATIONS = ("process", "inline")


class Candidate:
    """A candidate factory ``MODULE:ATTR`` running in a worker, with its options and a per-case time limit."""

    def __init__(self, spec: str, timeout: float = 60.0, isolation: str = "process",
                 names: Optional[dict] = None) -> None:
        check_spec(spec)
        if not (isinstance(timeout, (int, float)) and 0 < timeout < float("inf")):
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, got {isolation!r}")
        self.name = self.spec = spec
        self.timeout, self.isolation = float(timeout), isolation
        self._worker: Any = None
        self._ids = itertools.count(1)
        self._deadline: Optional[float] = None
        self._instances: dict = {}
        self.output_bytes = 0
        self.strays_killed = 0
        if isolation == "process":
            containment.guard_signals()
        self.names = dict(names or {})  # --hyperparameter-names for a native optimizer (.native)
        info = self._load()
        self.options: frozenset = frozenset(info["options"])
        self.convention: Optional[str] = info["convention"]
        self.native: Optional[dict] = info.get("native")  # validated plain data (replies.is_load)

    # -- the worker ---------------------------------------------------------
    def _load(self) -> dict:
        try:
            self._worker = ProcessWorker(self.timeout) if self.isolation == "process" else InlineWorker(self.timeout)
            msg = {"op": "load", "spec": self.spec, **({"names": self.names} if self.names else {})}
            reply_ = self._worker.call(msg, self.timeout)
            if reply_ is None:
                raise CandidateError(f"importing it took longer than the per-case timeout of {self.timeout:g} s")
        except CandidateError as exc:
            self.close()
            raise UsageError(f"loading {self.spec!r} failed: {exc}") from None
        status, value = reply(reply_)
        if status == "usage":
            self.close()
            raise UsageError(text(value, 4000))
        if status != "ok" or not is_load(value):
            self.close()
            raise UsageError(f"loading {self.spec!r} failed: the worker's answer was malformed")
        return value

    def _call(self, msg: dict, max_body: int = 0, max_header: int = MAX_HEADER) -> Any:
        if self._worker is None or not self._worker.alive:
            self._load()  # a fresh worker after a timeout or a crash
        timeout = None if self.isolation == "inline" else self._remaining()
        reply_ = self._worker.call(msg, timeout, max_body, max_header)
        if reply_ is None:
            raise self._timed_out()
        status, value = reply(reply_)
        if status == "ok":
            return value
        if status == "error":
            raise error(value, self._instances.get(msg.get("iid")))
        self._worker.kill()
        raise CandidateError("the worker's reply was malformed; its processes were killed")

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
        """``with candidate.case(): ...``: one time limit for everything inside; escaped processes killed after."""
        return _Case(self)

    def output(self) -> dict:
        """What the candidate wrote to stdout/stderr since the last call (bounded)."""
        if self._worker is None:
            return {"bytes": 0, "text": ""}
        if self._worker.alive:
            try:
                if self._worker.call({"op": "sync"}, 5.0) is not None:
                    self._worker.sync()
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
        params = [plain(p) for p in params]
        msg = {"op": "make", "iid": iid, "params": params, "hyper": {k: float(hyper[k]) for k in ("lr", "rho", "eps")},
               "options": {k: (v if isinstance(v, bool) else [float(x) for x in v] if isinstance(v, (tuple, list))
                               else float(v)) for k, v in options.items()}, "audit": audit}
        self._call(msg)
        self._instances[iid] = Record(params, audit)
        return iid

    def step(self, iid: int, grads: list) -> list:
        return self.steps(iid, [grads])[0]

    def steps(self, iid: int, grads_list: list) -> list:
        """Several updates of instance ``iid`` (the grads all known in advance): the outputs, copies checked here."""
        rec = self._instances[iid]
        n = len(grads_list)
        stacked = [np.stack([plain(g[i]) for g in grads_list]) if n else np.empty((0,) + s, d)
                   for i, (s, d) in enumerate(zip(rec.shapes, rec.dtypes))]
        units = n * (2 if rec.audit else 1)
        value = self._call({"op": "run", "iid": iid, "grads": stacked, "steps": n},
                           max_body=rec.nbytes * units, max_header=MAX_HEADER + 256 * len(rec.shapes) * units)
        out = rec.outputs(value, n)
        if out is None:
            self._worker.kill()
            raise CandidateError("the worker's reply to a step was malformed; its processes were killed")
        if rec.audit:
            rec.note(grads_list, value, out)
        return out

    def audit(self, iid: int) -> list:
        """What instance ``iid`` did to the arrays it was given or returned: findings decided here, on copies."""
        rec = self._instances[iid]
        units = 1 + 2 * len(rec.grads)
        value = self._call({"op": "audit", "iid": iid}, max_body=rec.nbytes * units,
                           max_header=MAX_HEADER + 256 * len(rec.shapes) * units)
        return rec.findings(value)

    def drop(self, iid: int) -> None:
        self._instances.pop(iid, None)
        if self._worker is not None and self._worker.alive:
            self._call({"op": "drop", "iid": iid})

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
        c = self.candidate
        c._deadline = self.outer
        if self.outer is None and c._worker is not None:
            c.strays_killed += c._worker.reap_strays()
