"""Misbehaving candidates: each one fails (or is declined) with its cause named, the run goes on, nothing crashes.

Every entry of ``mutants.misbehaving.CATALOGUE`` is judged by
:func:`oracle.conformance.judge.run.judge`: the suite's tests as direct calls, the
candidate in its worker process (so even ``os._exit`` or a segfault cannot reach
this one), with the catalogue's arguments.  That the judge is the pytest session is
tested in ``tests/test_plugin.py``; one real session below shows a crashing entry as a user
meets it (exit status, no INTERNALERROR).
"""

import json
import os
import resource
import time

import pytest

from mutants.misbehaving import CATALOGUE, FAILED, OK, USAGE
from oracle.conformance.isolation.loader import UsageError
from oracle.conformance.judge.run import judge, options_from_argv
from oracle.conformance.judge.status import Status, Verdict
from proc_support import launchers

BASE = ("--convention=seed", "--dtype=float64", "--oracle-profile=quick", "-p", "no:cacheprovider")
VERDICTS = {OK: {Verdict.CERTIFIED, Verdict.INCOMPLETE}, FAILED: {Verdict.FAILED, Verdict.NOTHING_CERTIFIED}}
"""The verdicts each catalogued exit status stands for (the plugin's exit status follows the verdict)."""


def _judge(spec: str, extra: tuple, **options):
    """The catalogue's defaults (seed, float64, quick) with the entry's own arguments on top."""
    return judge(spec, **{"convention": "seed", "dtype": "float64", "oracle_profile": "quick",
                          **options_from_argv(extra), **options})


@pytest.mark.parametrize("spec", sorted(CATALOGUE))
def test_misbehaving_candidate_is_handled(tmp_path, spec):
    """The verdict is as expected, the cause is named, the oracle never errs, and no worker outlives the run."""
    status, cause, extra = CATALOGUE[spec]
    before = set(launchers(parent=os.getpid()))
    if status == USAGE:
        with pytest.raises(UsageError) as info:
            _judge(spec, extra)
        assert cause in str(info.value)
    else:
        cert = tmp_path / "cert.json"
        j = _judge(spec, extra, certificate=str(cert))
        assert not [o.detail for o in j.outcomes if o.status == Status.ORACLE_ERROR]
        assert j.verdict in VERDICTS[status], j.summary()
        text = j.summary() + "\n".join(o.detail for o in j.outcomes) + cert.read_text()
        assert cause in text, j.summary()
    assert not set(launchers(parent=os.getpid())) - before


def test_a_crashing_candidate_in_a_real_session(run_session):
    """In a pytest session a candidate that segfaults fails with its cause named, exit 1, no INTERNALERROR
    (exit 4 for a usage error and 0 for a pass are shown by the sessions of tests/test_plugin.py)."""
    status, cause, extra = CATALOGUE["mutants.misbehaving:segfaults"]
    result = run_session("--optimizer=mutants.misbehaving:segfaults", *BASE, *extra)
    out = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in out
    assert result.ret == status == FAILED, out[-3000:]
    assert cause in out, out[-3000:]


def test_candidate_traceback_is_its_own(run_session):
    """A candidate's exception is shown with its own frames, the oracle's trimmed."""
    result = run_session("--optimizer=mutants.misbehaving:raises_at_step_1", *BASE,
                                          "-k", "test_case and docs-example-float64")
    out = result.stdout.str()
    assert 'misbehaving.py", line' in out and "in step" in out and 'raise RuntimeError("boom at step 1")' in out
    assert "oracle/conformance/isolation/worker.py" not in out


def test_hung_candidate_stops_using_cpu():
    """A busy-looping candidate is killed at the timeout: three cases take about three timeouts, not more."""
    start = time.monotonic()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    j = _judge("mutants.misbehaving:busy_loop", ("--case-timeout=1", "-k", "test_case and (docs-example-float64 or "
                                                  "stream-float64 or sign-flips-float64)"))
    elapsed = time.monotonic() - start
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert [o.status for o in j.outcomes] == [Status.FAILED] * 3, j.summary()
    assert elapsed < 3 * 1 + 15  # three timeouts plus the starts of the workers
    assert used.ru_utime - cpu.ru_utime < 3 * 1 + 10


def test_megabytes_of_output_cost_no_memory(tmp_path):
    """A candidate printing a megabyte per call is certified; the oracle's memory stays bounded."""
    cert = tmp_path / "cert.json"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    j = _judge("mutants.misbehaving:chatty", ("-k", "test_case and long-run-float64"), certificate=str(cert))
    assert [o.status for o in j.outcomes] == [Status.PASSED], j.summary()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (cand,) = json.loads(cert.read_text())["candidates"]
    assert cand["output_bytes"] >= 1000 * 2**20  # 1,000 steps of a megabyte each
    assert after - before < 200 * 1024  # kilobytes: far less than the gigabyte printed


def test_sys_exit_under_auto_is_a_failed_fingerprint():
    """Under --convention=auto a candidate calling sys.exit fails the fingerprint, with the reason."""
    j = _judge("mutants.misbehaving:calls_sys_exit", (), convention="auto")
    assert j.verdict == Verdict.FAILED
    assert not [o for o in j.outcomes if o.status == Status.ORACLE_ERROR]
    assert "the candidate failed on a probe: step 1 called sys.exit(0)" in j.summary() + "\n".join(
        o.detail for o in j.outcomes)
