"""Misbehaving candidates: each one fails (or is declined) with its cause named, the run goes on, nothing crashes.

Every entry of ``mutants.misbehaving.CATALOGUE`` runs through the plugin in an
inner pytest session (``run_session``, in process: the candidate itself runs in a worker
process, so even ``os._exit`` or a segfault cannot reach this one).
"""

import json
import os
import resource
import time

import pytest

from mutants.misbehaving import CATALOGUE, OK
from proc_support import launchers

BASE = ("--convention=seed", "--dtype=float64", "--oracle-profile=quick", "-p", "no:cacheprovider")


@pytest.mark.parametrize("spec", sorted(CATALOGUE))
def test_misbehaving_candidate_is_handled(run_session, tmp_path, spec):
    """The exit status is as expected, the cause is named, no INTERNALERROR, and no worker outlives the run."""
    status, cause, extra = CATALOGUE[spec]
    cert = tmp_path / "cert.json"
    before = set(launchers(parent=os.getpid()))
    args = list(BASE)
    if any(a.startswith("--dtype") for a in extra):
        args.remove("--dtype=float64")
    result = run_session(f"--optimizer={spec}", f"--certificate={cert}", *args, *extra)
    out = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in out
    assert result.ret == status, out[-3000:]
    text = out + (cert.read_text() if cert.exists() else "")
    assert cause in text, out[-3000:]
    assert not set(launchers(parent=os.getpid())) - before


def test_candidate_traceback_is_its_own(run_session):
    """A candidate's exception is shown with its own frames, the oracle's trimmed."""
    result = run_session("--optimizer=mutants.misbehaving:raises_at_step_1", *BASE,
                                          "-k", "test_case and docs-example-float64")
    out = result.stdout.str()
    assert 'misbehaving.py", line' in out and "in step" in out and 'raise RuntimeError("boom at step 1")' in out
    assert "oracle/conformance/isolation/worker.py" not in out


def test_hung_candidate_stops_using_cpu(run_session):
    """A busy-looping candidate is killed at the timeout: three cases take about three timeouts, not more."""
    start = time.monotonic()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_session("--optimizer=mutants.misbehaving:busy_loop", *BASE, "--case-timeout=1",
                                          "-k", "test_case and (docs-example-float64 or stream-float64 or "
                                          "sign-flips-float64)")
    elapsed = time.monotonic() - start
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.assert_outcomes(failed=3)
    assert elapsed < 3 * 1 + 15  # three timeouts plus the starts of the workers
    assert used.ru_utime - cpu.ru_utime < 3 * 1 + 10


def test_megabytes_of_output_cost_no_memory(run_session, tmp_path):
    """A candidate printing a megabyte per call is certified; the oracle's memory stays bounded."""
    cert = tmp_path / "cert.json"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_session("--optimizer=mutants.misbehaving:chatty", *BASE, f"--certificate={cert}",
                                          "-k", "test_case and long-run-float64")
    result.assert_outcomes(passed=1)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (cand,) = json.loads(cert.read_text())["candidates"]
    assert cand["output_bytes"] >= 1000 * 2**20  # 1,000 steps of a megabyte each
    assert after - before < 200 * 1024  # kilobytes: far less than the gigabyte printed


def test_vandal_cannot_change_the_reference(run_session):
    """A candidate that rebinds numpy functions and mpmath's precision in its process is still certified."""
    result = run_session("--optimizer=mutants.misbehaving:vandal", *BASE)
    assert result.ret == OK, result.stdout.str()[-3000:]


def test_sys_exit_under_auto_is_a_failed_fingerprint(run_session):
    """Under --convention=auto a candidate calling sys.exit fails the fingerprint, with the reason."""
    result = run_session("--optimizer=mutants.misbehaving:calls_sys_exit", "--dtype=float64",
                                          "--oracle-profile=quick", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert "INTERNALERROR" not in out
    assert result.ret == 1
    assert "the candidate failed on a probe: step 1 called sys.exit(0)" in out
