"""The suite's teeth: every catalogued wrong RMSProp is rejected with a plausible cause, every correct one accepted.

Each case runs an inner pytest session (``pytester``, in process) of the
plugin: ``pytest --optimizer=mutants.wrong:<name> --convention=<preset>``.  The
reference cache of :mod:`oracle.conformance.reference` lives in this process,
so the sessions share references.
"""

import pytest

import mutants.right
import mutants.wrong
from mutants import CORRECT, MUTANTS
from oracle.conformance import reference  # noqa: F401  (keeps the reference cache across inner sessions)

pytest_plugins = ["pytester"]

# pytester's in-process sessions drop the modules they import afterwards; numpy (and torch)
# cannot be imported twice, so everything the inner sessions need is imported here first.
import numpy  # noqa: E402,F401
import hypothesis  # noqa: E402,F401

import oracle.conformance.suite  # noqa: E402,F401
from oracle.conformance import fingerprint, generated, grading, hygiene, metamorphic, mistakes  # noqa: E402,F401
from oracle.engines import interval  # noqa: E402,F401

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def _inner(pytester, spec, convention, *extra):
    return pytester.runpytest_inprocess(
        f"--optimizer={spec}", f"--convention={convention}", "--oracle-profile=quick", "-p", "no:cacheprovider",
        "-q", *extra)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_rejected_with_cause(pytester, name):
    """The suite fails the mutant, names the expected cause, and never crashes (no INTERNALERROR)."""
    convention, cause, extra = MUTANTS[name]
    result = _inner(pytester, f"mutants.wrong:{name}", convention, "-x", *extra)
    out = result.stdout.str()
    assert "INTERNALERROR" not in out + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out[-3000:]
    assert cause in out, out[-3000:]


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_accepted(pytester, name):
    """A correct implementation in another style passes every test of the suite."""
    result = _inner(pytester, f"mutants.right:{name}", CORRECT[name])
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, out[-3000:]
    assert "CERTIFIED against " + CORRECT[name] in out


def test_catalogue_is_large_and_has_subtle_mutants():
    """At least 20 behavioural mutants, including ones that agree exactly on ordinary inputs."""
    behavioural = [n for n, (_, cause, _) in MUTANTS.items() if "returned" not in cause and "raised" not in cause]
    assert len(behavioural) >= 20
    assert {"flush_tiny_gradients", "chunk_tail_skipped", "state_reset_after_500", "weight_decay_abs",
            "float16_loss_scale"} <= set(MUTANTS)
    assert all(callable(getattr(mutants.wrong, n, None)) for n in MUTANTS)
    assert all(callable(getattr(mutants.right, n, None)) for n in CORRECT)
