"""The suite's teeth: every catalogued wrong RMSProp is rejected with a plausible cause, every correct one accepted.

Each entry is judged by :func:`oracle.conformance.judge.run.judge`: the suite's own
tests as direct calls (the candidate in its worker process), with the
catalogue's pytest arguments (``--dtype``, ``-k``) and ``-x``: the first failing
test must be a failure (never an oracle error) whose diagnosis names the
expected cause.  That the judge is the pytest session is tested in
``tests/test_plugin.py`` (same tests, same outcomes); one real session below
shows a mutant's failure as a user sees it.
"""

import pytest

import mutants.right
import mutants.wrong
from mutants import CORRECT, MUTANTS
from oracle.conformance.judge.run import judge, options_from_argv


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_rejected_with_cause(name):
    """The suite fails the mutant, names the expected cause, and the oracle never errs."""
    convention, cause, extra = MUTANTS[name]
    j = judge(f"mutants.wrong:{name}", convention=convention, oracle_profile="quick",
              **options_from_argv(["-x", *extra]))
    assert j.failures, j.summary()
    first = j.failures[0]
    assert first.status == "failed", first.detail
    assert cause in first.detail, first.detail
    assert j.verdict == "failed"


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_accepted(name):
    """A correct implementation in another style passes every test of the suite."""
    j = judge(f"mutants.right:{name}", convention=CORRECT[name], oracle_profile="quick")
    assert j.verdict == "certified", j.summary()
    assert j.ledger.targets[f"mutants.right:{name}"]["convention"] == CORRECT[name]
    assert {o.status for o in j.outcomes} <= {"passed", "skipped"}


def test_a_mutant_fails_a_real_session_with_its_cause(run_session):
    """In a pytest session (-x) the mutant's failure prints the diagnosis and the run exits 1."""
    result = run_session("--optimizer=mutants.wrong:no_sqrt", "--convention=seed", "--dtype=float64",
                         "--oracle-profile=quick", "-x")
    out = result.stdout.str()
    assert "INTERNALERROR" not in out + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out[-3000:]
    assert MUTANTS["no_sqrt"][1] in out and "verdict: FAILED" in out


def test_catalogue_is_large_and_has_subtle_mutants():
    """At least 20 behavioural mutants, including ones that agree exactly on ordinary inputs."""
    behavioural = [n for n, (_, cause, _) in MUTANTS.items() if "returned" not in cause and "raised" not in cause]
    assert len(behavioural) >= 20
    assert {"flush_tiny_gradients", "chunk_tail_skipped", "state_reset_after_500", "weight_decay_abs",
            "float16_loss_scale"} <= set(MUTANTS)
    assert all(callable(getattr(mutants.wrong, n, None)) for n in MUTANTS)
    assert all(callable(getattr(mutants.right, n, None)) for n in CORRECT)
