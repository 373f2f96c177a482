"""Hostile candidates (``mutants.hostile``) against the isolation layer: a correct verdict, a named cause,
no crash, no hang, no process left behind.

Most tests call :class:`~oracle.conformance.isolation.candidate.Candidate` directly; two start an oracle in a
subprocess (killed with SIGKILL; stopped with SIGTERM in a pytest session), which only a real process shows.
"""

import ast
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import types

import numpy as np
import pytest

from mutants.base import RMSProp
from proc_support import launchers
from oracle.conformance.isolation import containment, frames, loader
from oracle.conformance.judge import hygiene
from oracle.conformance.isolation.candidate import Candidate, CandidateError, OpenFeed

TESTS = pathlib.Path(__file__).parent
P0 = [np.array([0.5, -1.0, 2.0]), np.array(0.25)]
HYPER = dict(lr=0.01, rho=0.9, eps=1e-8)
GRADS = [np.array([0.1, 0.2, -0.3]), np.array(0.5)]
LINUX = containment.LINUX and os.path.isdir("/proc/self")


@pytest.fixture(autouse=True)
def hostile_dir(tmp_path, monkeypatch):
    """Where the attacks try to write (the workers inherit the variable)."""
    monkeypatch.setenv("HOSTILE_DIR", str(tmp_path))
    return tmp_path


def _expected(steps: int) -> list:
    opt = RMSProp([p.copy() for p in P0], **HYPER)
    out = [[p.copy() for p in P0]]
    for _ in range(steps):
        out.append(opt([g.copy() for g in GRADS]))
    return out


def _run(name: str, steps: int = 2, timeout: float = 30.0) -> list:
    c = Candidate(f"mutants.hostile:{name}", timeout=timeout)
    try:
        return c.run(P0, HYPER, {}, OpenFeed([GRADS] * steps), steps)
    finally:
        c.close()


def _same(a: list, b: list) -> bool:
    return all(np.array_equal(x, y) and x.dtype == y.dtype for xs, ys in zip(a, b) for x, y in zip(xs, ys))


# -- the channel ------------------------------------------------------------------------------------
def test_the_oracle_side_never_unpickles():
    """The isolation layer imports neither pickle nor multiprocessing (read from the source of every module)."""
    paths = sorted((TESTS.parent / "oracle" / "conformance" / "isolation").glob("*.py"))
    assert {p.stem for p in paths} >= {"candidate", "replies", "frames", "containment", "worker"}
    for path in paths:
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in imported if m.split(".")[0] in ("pickle", "multiprocessing", "marshal", "dill")}


def test_a_code_running_object_is_only_a_wrong_return(hostile_dir):
    """An object whose unpickling would run code is described, never sent: a named failure, no code ran."""
    with pytest.raises(CandidateError, match="step 1 returned Bomb for parameter 0, expected a numpy array"):
        _run("pickle_bomb")
    assert not (hostile_dir / "bomb").exists()


def test_a_str_subclass_convention_is_ignored_and_never_imported(hostile_dir):
    """A CONVENTION that is a str subclass is no declaration; the oracle never imports the candidate."""
    before = set(sys.modules)
    c = Candidate("mutants.hostile:sneaky_convention")
    try:
        assert c.convention is None
    finally:
        c.close()
    assert not {m for m in set(sys.modules) - before if m.startswith("mutants")}
    assert not (hostile_dir / "sneaky").exists()


def test_declared_convention_accepts_only_a_plain_str():
    class S(str):
        pass

    def f():
        pass

    f.CONVENTION = S("seed")
    assert loader.declared_convention(f) is None
    f.CONVENTION = "seed"
    assert type(loader.declared_convention(f)) is str and loader.declared_convention(f) == "seed"


@pytest.mark.parametrize("name, cause", [
    ("garbage_on_channel", r"the worker's channel was corrupted \(a frame must start with b'RMS1'"),
    ("huge_header_on_channel", r"the worker's channel was corrupted \(a header of 4,294,967,295 bytes"),
    ("forged_frame_on_channel", r"the worker's channel was corrupted \(reply 99999 to request"),
    ("closes_channel", r"ended the worker process with exit status 0|channel closed"),
])
def test_writing_on_the_channel_is_a_named_failure(name, cause):
    with pytest.raises(CandidateError, match=cause):
        _run(name)


def test_frames_are_checked_before_use():
    """Bad magic, oversized or non-JSON headers, sizes that do not add up, dtypes off the whitelist, wrong
    shapes, deep nesting: each is a FrameError, never an exception of another kind."""
    good = b"".join(frames.encode(3, {"a": [np.arange(4.0), 1, "x"]}))
    assert frames.decode(good)[0] == 3

    def frame(header: bytes, body: bytes = b"") -> bytes:
        return frames.PREFIX.pack(frames.MAGIC, len(header), len(body)) + header + body

    bad = [b"XXXX" + good[4:], frame(b"{not json"), frame(b'{"seq": 1, "sizes": [8], "body": null}'),
           frame(b'{"seq": 1, "sizes": [8], "body": {"nd": 0, "dtype": "object", "shape": [1]}}', b"\0" * 8),
           frame(b'{"seq": 1, "sizes": [8], "body": {"nd": 0, "dtype": "float64", "shape": [2]}}', b"\0" * 8),
           frame(b'{"seq": 1, "sizes": [8], "body": {"nd": 5, "dtype": "float64", "shape": [1]}}', b"\0" * 8),
           frame(b"[" * 100000 + b"]" * 100000), frame(b'{"seq": 1, "sizes": [], "body": ' + b"[" * 40 + b"]" * 40
                                                         + b"}"), frame(b"\xff\xfe")]
    for blob in bad:
        with pytest.raises(frames.FrameError):
            frames.decode(blob)
    with pytest.raises(frames.FrameError, match="more than the 10 allowed"):
        frames.decode(good, max_header=10)
    with pytest.raises(frames.FrameError, match="body of 32 bytes, more than the 31"):
        frames.decode(good, max_body=31)
    with pytest.raises(frames.FrameError, match="not on the channel's whitelist"):
        frames.encode(1, np.zeros(2, ">f8"))


# -- the audit --------------------------------------------------------------------------------------
def _hygiene(name: str, check: str) -> tuple:
    c = Candidate(f"mutants.hostile:{name}", timeout=30)
    try:
        return getattr(hygiene, check)(types.SimpleNamespace(candidate=c), "float64")
    finally:
        c.close()


@pytest.mark.parametrize("check", ["inputs_not_mutated", "no_aliasing"])
def test_patching_the_workers_audit_fails_the_candidate(check):
    """A candidate that mutates the caller's arrays and patches the worker's audit is failed: the verdict is
    decided in the oracle, against its own copies."""
    status, detail = _hygiene("patches_audit", check)
    assert status == "failed", detail
    assert "mutated" in detail or "malformed" in detail


# -- lying arrays -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cause", [
    ("lying_and_wrong", "step 1 returned dtype float32 for parameter 0, expected float64"),
    ("pretends_array", "step 1 returned FakeArray for parameter 0, expected a numpy array"),
    ("object_dtype", "step 1 returned dtype object for parameter 0, expected float64"),
    ("big_endian", "step 1 returned dtype >f8 for parameter 0, expected float64"),
    ("float32_scalars_for_0d", "step 1 returned a numpy scalar (float32, dtype float32) for parameter 1, "
                               "expected float64"),
    ("huge_output", "step 1 returned shape (268435456,) for parameter 0, expected (3,)"),
    ("evil_exception", "step 1 raised _EvilError: (its message could not be read)"),
])
def test_lying_returns_fail_with_a_named_cause(name, cause):
    with pytest.raises(CandidateError) as info:
        _run(name)
    assert cause in str(info.value)


@pytest.mark.parametrize("name", ["lying_but_right", "scalars_for_0d", "forges_markers", "rude_process"])
def test_right_values_are_accepted_however_returned(name):
    """Judged on what the arrays hold (read through ndarray's own descriptors); numpy scalars of the right dtype
    for 0-d parameters; printing the old sync marker or a frame's magic; new session, cwd, fds, threads."""
    assert _same(_run(name, steps=3), _expected(3))


def test_forged_markers_are_just_output():
    c = Candidate("mutants.hostile:forges_markers", timeout=30)
    try:
        c.run(P0, HYPER, {}, OpenFeed([GRADS]), 1)
        out = c.output()
    finally:
        c.close()
    assert "oracle-sync-abc" in out["text"] and out["bytes"] > 40


# -- processes --------------------------------------------------------------------------------------
def _wait_for(path: pathlib.Path, patience: float = 60.0) -> None:
    deadline = time.monotonic() + patience
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


@pytest.mark.skipif(not LINUX, reason="containment of escaped processes needs Linux")
@pytest.mark.parametrize("namespace", ["1", "0"])
def test_an_escaped_process_is_killed_at_case_end(hostile_dir, monkeypatch, namespace):
    """Double fork + setsid: the orphan is killed when the case ends; the file it writes stops growing.
    With a PID namespace and without (the reaper as child subreaper)."""
    monkeypatch.setenv("ORACLE_PID_NAMESPACE", namespace)
    c = Candidate("mutants.hostile:escapes", timeout=30)
    try:
        if namespace == "0":
            assert not c._worker.namespace
        c.run(P0, HYPER, {}, OpenFeed([GRADS]), 1)
        assert c.strays_killed >= 1
        marker = hostile_dir / "escaped"
        _wait_for(marker)
        size = marker.stat().st_size
        time.sleep(0.3)  # it appends every 20 ms while it lives
        assert marker.stat().st_size == size
    finally:
        c.close()


@pytest.mark.skipif(not LINUX, reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("namespace", ["1", "0"])
def test_a_worker_dies_with_its_oracle(hostile_dir, monkeypatch, namespace):
    """An oracle SIGKILLed while the candidate sleeps in C: the launcher, reaper and worker all end."""
    monkeypatch.setenv("ORACLE_PID_NAMESPACE", namespace)
    script = ("import numpy as np\nfrom oracle.conformance.isolation.candidate import Candidate, OpenFeed\n"
              "c = Candidate('mutants.hostile:sleeps_in_step', timeout=600)\n"
              "w = c._worker\nprint(w.proc.pid, w.reaper, w.worker, flush=True)\n"
              "c.run([np.zeros(2)], dict(lr=0.1, rho=0.9, eps=1e-8), {}, OpenFeed([[np.ones(2)]]), 1)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS)] + sys.path))
    oracle = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    try:
        pids = [int(x) for x in oracle.stdout.readline().split()]
        _wait_for(hostile_dir / "sleeping")
        assert launchers(parent=oracle.pid) == [pids[0]]  # the /proc helper sees the live launcher
        assert pids[0] in launchers(marker=str(TESTS))
    finally:
        oracle.kill()
        oracle.communicate()
    assert len(pids) == 3
    for pid in pids:
        assert containment.gone(pid, 30.0), f"process {pid} outlived its oracle"


def test_a_candidate_ignoring_sigterm_is_killed_at_the_timeout():
    c = Candidate("mutants.hostile:ignores_sigterm", timeout=1)
    try:
        worker = c._worker.worker
        with pytest.raises(CandidateError, match="did not finish within the per-case timeout of 1 s"):
            c.run(P0, HYPER, {}, OpenFeed([GRADS]), 1)
        assert worker is None or containment.gone(worker, 10.0)
    finally:
        c.close()


def test_a_child_holding_the_output_pipe_does_not_keep_the_oracle():
    c = Candidate("mutants.hostile:keeps_stdout_open", timeout=30)
    try:
        c.run(P0, HYPER, {}, OpenFeed([GRADS]), 1)
        reader = c._worker.reader
    finally:
        c.close()
    reader.join(10)
    assert not reader.is_alive()


@pytest.mark.skipif(not LINUX, reason="PID namespaces are Linux's")
def test_signals_to_the_oracle_do_not_reach_it(hostile_dir):
    """SIGSTOP, SIGTERM, SIGINT to the parent and every ancestor it finds in /proc: the oracle (a subprocess,
    so that a failure cannot stop this test run) finishes and certifies the right values."""
    script = ("import numpy as np, sys\nfrom oracle.conformance.isolation.candidate import Candidate, OpenFeed\n"
              "c = Candidate('mutants.hostile:signals_the_oracle', timeout=60)\n"
              "if not c._worker.namespace: print('no namespace'); sys.exit(0)\n"
              "out = c.run([np.zeros(2)], dict(lr=0.1, rho=0.9, eps=1e-8), {}, OpenFeed([[np.ones(2)]] * 3), 3)\n"
              "print('finished', out[-1][0].tolist(), flush=True)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS)] + sys.path))
    oracle = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=env)
    try:
        out, _ = oracle.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        oracle.send_signal(signal.SIGCONT)
        oracle.kill()
        out, _ = oracle.communicate()
        pytest.fail(f"the oracle was stopped or hung: {out.decode()[-2000:]}")
    text = out.decode()
    if "no namespace" in text:
        pytest.skip("no PID namespace here (not root, no user namespaces): see docs/isolation.md")
    assert oracle.returncode == 0, text[-3000:]
    assert "finished" in text


@pytest.mark.skipif(not LINUX, reason="signals and /proc are Linux's")
def test_sigterm_to_the_oracle_ends_the_run_with_a_summary(hostile_dir):
    """A SIGTERM during a case (from a candidate that could reach the oracle) ends pytest as interrupted,
    with its summary, exit status 2 (not a silent 143), an 'interrupted' certificate, and no worker left."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS)] + sys.path))
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist",
         "--optimizer=mutants.hostile:sleeps_in_step",
         "--convention=seed", "--dtype=float64", "--oracle-profile=quick", "-k", "inputs_not_mutated",
         f"--certificate={hostile_dir / 'cert.json'}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=hostile_dir)
    try:
        _wait_for(hostile_dir / "sleeping", 120)
        session.send_signal(signal.SIGTERM)
        out, _ = session.communicate(timeout=60)
    finally:
        session.kill()
    text = out.decode()
    assert session.returncode == 2, text[-3000:]
    assert "the oracle received SIGTERM" in text and "INTERNALERROR" not in text
    assert re.fullmatch(r"=+ .* in [0-9.]+s( \(.*\))? =+", text.rstrip().splitlines()[-1]), text[-3000:]
    assert json.loads((hostile_dir / "cert.json").read_text())["verdict"] == "interrupted"
    assert not launchers(marker=str(hostile_dir))
