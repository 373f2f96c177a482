"""Hostile candidates: each attacks the oracle's isolation (channel, audit, processes, signals, output).

Unlike :mod:`mutants.misbehaving` (accidents), these are written by an attacker who
knows how the oracle works.  ``tests/test_hostile.py`` runs each through
:class:`oracle.conformance.isolation.candidate.Candidate` and asserts a correct verdict with
a named cause, no crash of the oracle and no process left behind.  Files the
attacks try to write are named by the environment variable ``HOSTILE_DIR``.
"""

import os
import signal
import struct
import sys
import threading
import time

import numpy as np

from .base import RMSProp


def _right(params, lr, rho, eps):
    return RMSProp(params, lr=lr, rho=rho, eps=eps)


def _marker(name):
    return os.path.join(os.environ.get("HOSTILE_DIR", "."), name)


# -- the channel ---------------------------------------------------------------------------
class Bomb:
    """Unpickling this object would run code (it would create the file ``bomb``)."""

    def __reduce__(self):
        return (exec, (f"open({_marker('bomb')!r}, 'w').write('ran in ' + str(__import__('os').getpid()))",))


def pickle_bomb(params, *, lr, rho, eps):
    return lambda grads: [Bomb() for _ in grads]


class _Sneaky(str):
    """A str subclass: unpickling it would import this module."""

    def __eq__(self, other):
        open(_marker("sneaky"), "w").write("compared")
        return True

    __hash__ = str.__hash__


def sneaky_convention(params, *, lr, rho, eps):
    return _right(params, lr, rho, eps)


sneaky_convention.CONVENTION = _Sneaky("seed")


def _rep_fd():
    return int(sys.argv[2])  # the launcher's argv: REQ_FD REP_FD ORACLE_PID


def _flood(payload):
    def factory(params, *, lr, rho, eps):
        inner = _right(params, lr, rho, eps)

        def step(grads):
            os.write(_rep_fd(), payload)
            return inner(grads)

        return step

    return factory


garbage_on_channel = _flood(b"\x80\x04\x95 not a frame at all" * 10)
huge_header_on_channel = _flood(b"RMS1\xff\xff\xff\xff" + b"\0" * 8)
_FORGED = b'{"seq": 99999, "sizes": [], "body": {"status": "ok", "value": "forged!"}}'
forged_frame_on_channel = _flood(struct.pack(">4sIQ", b"RMS1", len(_FORGED), 0) + _FORGED)


def closes_channel(params, *, lr, rho, eps):
    def step(grads):
        for fd in (int(sys.argv[1]), int(sys.argv[2])):
            os.close(fd)
        return grads

    return step


# -- the audit ------------------------------------------------------------------------------
def patches_audit(params, *, lr, rho, eps):
    """Mutates the caller's arrays and switches the worker's audit off (as it was written before)."""
    from oracle.conformance.isolation import worker

    worker.Instance.report = lambda self: []
    worker.snapshot = lambda a, shape, dtype: None if a is None else np.zeros(shape, dtype)
    inner = _right(params, lr, rho, eps)

    def step(grads):
        out = inner(grads)
        for p, g in zip(params, grads):
            p[...] = 0
            g[...] = 0
        return out

    return step


# -- lying arrays ---------------------------------------------------------------------------
class Liar(np.ndarray):
    """Claims the shape, dtype and bytes of a float64 array whatever it holds."""

    claimed = None

    @property
    def shape(self):
        return self.claimed.shape

    @property
    def dtype(self):
        return self.claimed.dtype

    def __array__(self, *args, **kwargs):
        return self.claimed

    def tobytes(self, *args, **kwargs):
        return self.claimed.tobytes()


def _liar(real, claimed):
    out = np.asarray(real).view(Liar)
    out.claimed = claimed
    return out


def lying_and_wrong(params, *, lr, rho, eps):
    """Holds float32 values, claims the float64 ones."""
    inner = _right(params, lr, rho, eps)
    return lambda grads: [_liar(x.astype(np.float32), x) for x in inner(grads)]


def lying_but_right(params, *, lr, rho, eps):
    """Holds the right values, claims nonsense: judged on what it holds."""
    inner = _right(params, lr, rho, eps)
    return lambda grads: [_liar(x, np.zeros((7, 7), np.float16)) for x in inner(grads)]


class FakeArray:
    """Looks like an array to duck typing (and to isinstance, through __class__)."""

    def __init__(self, real):
        self.real = real
        self.shape, self.dtype = real.shape, real.dtype

    def __array__(self, *args, **kwargs):
        return self.real

    @property
    def __class__(self):
        return np.ndarray


def pretends_array(params, *, lr, rho, eps):
    inner = _right(params, lr, rho, eps)
    return lambda grads: [FakeArray(x) for x in inner(grads)]


def object_dtype(params, *, lr, rho, eps):
    inner = _right(params, lr, rho, eps)
    return lambda grads: [x.astype(object) for x in inner(grads)]


def big_endian(params, *, lr, rho, eps):
    inner = _right(params, lr, rho, eps)
    return lambda grads: [x.astype(x.dtype.newbyteorder(">")) for x in inner(grads)]


def scalars_for_0d(params, *, lr, rho, eps):
    """Right, with numpy scalars of the right dtype for 0-d parameters (accepted)."""
    inner = _right(params, lr, rho, eps)
    return lambda grads: [x[()] if x.ndim == 0 else x for x in inner(grads)]


def float32_scalars_for_0d(params, *, lr, rho, eps):
    inner = _right(params, lr, rho, eps)
    return lambda grads: [np.float32(x[()]) if x.ndim == 0 else x for x in inner(grads)]


def huge_output(params, *, lr, rho, eps):
    return lambda grads: [np.empty(2**28) for _ in grads]  # 2 GiB, never touched


class _EvilError(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


def evil_exception(params, *, lr, rho, eps):
    def step(grads):
        raise _EvilError()

    return step


# -- processes --------------------------------------------------------------------------------
def _escape(name):
    """Double fork + setsid: the grandchild appends to a file every 20 ms, forever."""
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            with open(_marker(name), "a", buffering=1) as fh:
                while True:
                    fh.write("still here\n")
                    time.sleep(0.02)
        os._exit(0)
    os.waitpid(child, 0)  # the grandchild is an orphan now
    deadline = time.monotonic() + 60
    while not os.path.exists(_marker(name)) and time.monotonic() < deadline:
        time.sleep(0.01)


def escapes(params, *, lr, rho, eps):
    _escape("escaped")
    return _right(params, lr, rho, eps)


def sleeps_in_step(params, *, lr, rho, eps):
    def step(grads):
        open(_marker("sleeping"), "w").close()
        time.sleep(10_000)

    return step


def keeps_stdout_open(params, *, lr, rho, eps):
    """A child (same session) holding the output pipe open forever."""
    if os.fork() == 0:
        time.sleep(10_000)
        os._exit(0)
    return _right(params, lr, rho, eps)


def ignores_sigterm(params, *, lr, rho, eps):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def step(grads):
        while True:
            pass

    return step


def _ancestors():
    """The global pids of this process's ancestors, read from /proc (the host's, even in a namespace)."""
    out, pid = [], "self"
    while True:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
        parent = int(stat[stat.rfind(")") + 2:].split()[1])
        if parent <= 1:
            return out
        out.append(parent)
        pid = parent


def signals_the_oracle(params, *, lr, rho, eps):
    """SIGSTOP, SIGTERM and SIGINT to the parent and to every ancestor it can find, then right results."""
    inner = _right(params, lr, rho, eps)

    def step(grads):
        for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGINT):
            for pid in [os.getppid()] + _ancestors():
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        return inner(grads)

    return step


def rude_process(params, *, lr, rho, eps):
    """Changes directory, starts a new session, points fds 1 and 2 at /dev/null, spins a thread; right results."""
    os.chdir("/")
    try:
        os.setsid()
    except OSError:
        pass
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    threading.Thread(target=lambda: [time.sleep(0.001) for _ in iter(int, 1)], daemon=True).start()
    return _right(params, lr, rho, eps)


# -- output -----------------------------------------------------------------------------------
def forges_markers(params, *, lr, rho, eps):
    """Right results; prints the old sync marker (with a number and without), and a frame's magic."""
    inner = _right(params, lr, rho, eps)

    def step(grads):
        sys.stdout.write("\n\x1eoracle-sync-abc\x1e\n\n\x1eoracle-sync-999999999999\x1e\nRMS1\0\0\0\0")
        sys.stdout.flush()
        return inner(grads)

    return step
