"""Keeping a candidate's processes in and the oracle's process out of reach (see docs/isolation.md).

The worker runs under a *launcher* (``python -m oracle.conformance.isolation.containment``, :func:`launch`):
the oracle starts the launcher in a new session; the launcher is killed with
SIGKILL when the oracle dies (``PR_SET_PDEATHSIG``), moves its children into a
new PID namespace when the kernel allows it (:func:`new_pid_namespace`: as root,
or through a user namespace), becomes their child subreaper
(``PR_SET_CHILD_SUBREAPER``) and forks the worker, which is killed when the
launcher dies.  So on Linux:

* with a PID namespace the worker is its namespace's init: the candidate cannot
  name (signal, stop) the oracle's pid, and when the worker dies the kernel kills
  every process in the namespace (double forks and ``setsid`` included);
* without one, orphans of the candidate are reparented to the launcher, so
  :func:`kill_descendants` of the launcher finds them all by walking ``/proc``.

Elsewhere (no ``prctl``, no ``/proc``) the worker gets a new session, and its
process group is killed; processes that leave the group escape.

The oracle turns SIGTERM into :class:`OracleInterrupted` (a ``KeyboardInterrupt``,
so pytest ends with its summary and the session's hooks run) by :func:`guard_signals`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import struct
import sys
import threading
import time
from typing import Optional

LINUX = sys.platform.startswith("linux")
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18


class OracleInterrupted(KeyboardInterrupt):
    """The oracle's process got SIGTERM (or SIGINT): the run ends as interrupted, with its summary."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"the oracle received {signal_name}: the run was interrupted")
        self.signal_name = signal_name


def _raise_interrupted(signum: int, frame: object) -> None:
    raise OracleInterrupted(signal.Signals(signum).name)


def guard_signals() -> bool:
    """SIGTERM raises :class:`OracleInterrupted` in the oracle (when it still has the default action).

    Only from the main thread (Python's rule); returns whether the handler is installed.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _raise_interrupted)
    return signal.getsignal(signal.SIGTERM) is _raise_interrupted


_LIBC: list = []


def _libc():
    """The C library (the process's own symbols: no ``ldconfig`` subprocess as ``find_library`` would start)."""
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def prctl(option: int, arg: int) -> bool:
    """``prctl(option, arg)`` on Linux; False where it is not available or fails."""
    if not LINUX:
        return False
    try:
        return _libc().prctl(option, ctypes.c_ulong(arg), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent ends; exit now if the parent is already gone."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(70)


def new_pid_namespace() -> bool:
    """Put this process's future children in a new PID namespace (as root, else through a user namespace).

    ``ORACLE_PID_NAMESPACE=0`` in the environment turns it off (the fallback is then what runs).
    """
    if not LINUX or os.environ.get("ORACLE_PID_NAMESPACE") == "0":
        return False
    try:
        libc = _libc()
        return any(libc.unshare(flags | CLONE_NEWPID) == 0 for flags in (
            CLONE_NEWNS, 0, CLONE_NEWUSER | CLONE_NEWNS, CLONE_NEWUSER))
    except (OSError, AttributeError):
        return False


def own_proc() -> bool:
    """Mount a ``/proc`` of this PID namespace (run by its init): the candidate sees no process outside it.

    Only after every mount is made private in this mount namespace (a shared ``/proc``
    mount must never propagate back to the oracle's); False when either step is refused.
    """
    libc = _libc()
    if libc.mount(b"none", b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) != 0:
        return False
    return libc.mount(b"proc", b"/proc", b"proc", ctypes.c_ulong(MS_NOSUID | MS_NODEV | MS_NOEXEC), None) == 0


def _parents() -> dict:
    """``{pid: parent pid}`` of every live (not zombie) process in ``/proc``."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if fields and fields[0] not in (b"Z", b"X"):
            out[int(name)] = int(fields[1])
    return out


def strays(reaper: int, worker: int) -> list:
    """Descendants of ``reaper`` that are neither ``worker`` nor one of its descendants (escaped orphans).

    Orphans are reparented to the reaper itself, so its children are read first (one small
    file where the kernel has it); ``/proc`` is walked only when there is another child.
    """
    try:
        with open(f"/proc/{reaper}/task/{reaper}/children") as fh:
            if [int(p) for p in fh.read().split()] == [worker]:
                return []
    except (OSError, ValueError):
        pass
    mine = set(descendants(worker)) | {worker}
    return [p for p in descendants(reaper) if p not in mine]


def children(pid: int) -> list:
    """The live children of ``pid``, from ``/proc``."""
    return [p for p, parent in _parents().items() if parent == pid] if os.path.isdir("/proc/self") else []


def descendants(root: int) -> list:
    """The live descendants of ``root`` (children first), from ``/proc``; [] without ``/proc``."""
    if not os.path.isdir("/proc/self"):
        return []
    children: dict = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_descendants(root: int, keep: frozenset = frozenset(), patience: float = 5.0) -> int:
    """SIGKILL every descendant of ``root`` but ``keep``, until none is left (or ``patience`` s); how many."""
    killed: set = set()
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        found = [p for p in descendants(root) if p not in keep]
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)
    return len(killed)


def gone(pid: int, patience: float) -> bool:
    """Wait up to ``patience`` s for a process (not necessarily a child) to end; whether it did."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
            if stat[stat.rfind(b")") + 2:][:1] in (b"Z", b"X"):
                return True
        except OSError:
            return True
        time.sleep(0.005)
    return False


def reset_signals() -> None:
    """The default action for the signals a launcher ignores (in the worker, before the candidate runs)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def ignore_signals() -> None:
    """The launcher ignores SIGTERM, SIGINT and SIGHUP (only SIGKILL from the oracle ends it)."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


def mirror(status: int) -> "Optional[int]":
    """End this process as a wait ``status`` says (the same exit code, or the same signal)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ImportError, ValueError, OSError):
            pass
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL and SIGSTOP have no handler to reset
            pass
        os.kill(os.getpid(), sig)
        time.sleep(1)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def launch(argv: list) -> None:
    """``python -m oracle.conformance.isolation.containment REQ_FD REP_FD ORACLE_PID``: launcher, reaper, worker.

    The launcher (this process, the oracle's child) forks the reaper, in a new PID
    namespace when possible; the reaper, child subreaper of every orphan the
    candidate makes, forks the worker (:func:`oracle.conformance.isolation.worker.serve`) and
    ends as the worker ends.  Each dies with its parent.
    """
    req, rep, oracle = int(argv[1]), int(argv[2]), int(argv[3])
    die_with_parent(oracle)
    ignore_signals()
    launcher = os.getpid()
    namespace = new_pid_namespace()
    told, tell = os.pipe()  # the reaper tells the launcher how the worker ended (init cannot die of a signal)
    reaper = os.fork()
    if reaper == 0:
        os.close(told)
        die_with_parent(0 if namespace else launcher)
        prctl(PR_SET_CHILD_SUBREAPER, 1)
        if namespace:
            own_proc()
        me = os.getpid()  # 1 in a new PID namespace
        worker = os.fork()
        if worker == 0:
            os.close(tell)
            die_with_parent(me)
            if namespace:  # its own session: kill(0, ...) reaches no one outside the namespace
                os.setsid()
            reset_signals()
            for fd in (req, rep):
                os.set_inheritable(fd, False)
            from .worker import serve

            code = serve(req, rep)
            os._exit(code)
        os.close(req)
        hello = json.dumps({"seq": 0, "sizes": [], "body": {"namespace": namespace}}).encode()
        os.write(rep, struct.pack(">4sIQ", b"RMS1", len(hello), 0) + hello)  # frames.PREFIX, without numpy
        os.close(rep)
        status = _reap_until(worker, None if namespace else me)  # a namespace dies with its init, the reaper
        os.write(tell, b"%d" % status)
        os._exit(0)
    os.close(req)
    os.close(rep)
    os.close(tell)
    status = _reap_until(reaper, launcher)
    try:
        status = int(os.read(told, 64))
    except ValueError:  # the reaper was killed before it could tell
        pass
    mirror(status)


def _reap_until(child: int, here: Optional[int]) -> int:
    """Reap children until ``child`` ends, kill what is left below ``here``; ``child``'s wait status.

    ``here`` is None inside a PID namespace: ``/proc`` shows the outer namespace's pids there.
    """
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:
            continue
        if pid == child:
            if here is not None:
                kill_descendants(here, patience=2.0)
            return status


if __name__ == "__main__":
    launch(sys.argv)
