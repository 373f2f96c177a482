"""Diagnosis under ``auto`` and under an explicit convention, by direct calls (issue 16, deliverables 1 and 2).

Each realistic mutant (``mutants.realistic``) is run in-process (``isolation="inline"``) on the probes and
the quick cases; the tests assert that the catalogue names its mistake both when the convention is
identified by the probes (``auto``) and when it is given, and that a failure no mistake reproduces names
none.  The verdict line and the certificate come from the judge, which writes them as a real
session does (``tests/test_plugin.py``).
"""

import numpy as np
import pytest

from mutants.realistic import REALISTIC
from oracle.conformance.judge import mistakes
from oracle.conformance.isolation.candidate import Candidate
from oracle.conformance.judge.cases import Case, arr, builtin_cases
from oracle.conformance.judge.fingerprint import QUESTIONS, first_failure, identify
from oracle.conformance.judge.grading import grade
from oracle.conformance.judge.run import judge
from oracle.conventions import parse

SHOWN = sorted(REALISTIC)


def _cases(dtype):
    return builtin_cases(dtype, "quick")


def _candidate(name):
    return Candidate(f"mutants.realistic:{name}", isolation="inline")


@pytest.mark.parametrize("name", SHOWN)
def test_named_under_auto(name):
    conv, expected, dtype, _ = REALISTIC[name]
    c = _candidate(name)
    fp = identify(c, (dtype,))
    found = first_failure(c, fp.spec, (dtype,), _cases)
    cause = dict((m.name, m.cause) for m in mistakes.catalogue(parse(conv)))[expected]
    assert found is not None and f"most likely cause: {cause}" in found, (fp.header(), found)
    if not fp.matched:  # the probes disagree: the suite runs against the closest convention, asked in words
        assert fp.spec.split(",")[0] == conv and fp.disagreements
        assert all(q == QUESTIONS[p] and theirs for p, q, _, theirs in fp.disagreements)


@pytest.mark.parametrize("name", SHOWN)
def test_named_under_explicit_convention(name):
    conv, expected, dtype, options = REALISTIC[name]
    c = _candidate(name)
    cause = dict((m.name, m.cause) for m in mistakes.catalogue(parse(conv)))[expected]
    failed = []
    for case in _cases(dtype):
        if case.options != options:
            continue
        g = grade(c, parse(conv).replace(**case.hyper, **case.options), case)
        if g.status == "failed" and not g.cause.startswith("non-finite"):  # float32 overflow: no diagnosis needed
            failed.append(g.cause)
            if len(failed) == 3:
                break
    assert failed and all(f.startswith(f"most likely cause: {cause}") for f in failed), [f[:200] for f in failed]


def test_unexplained_failure_names_no_mistake():
    """A candidate off by a factor no catalogued mistake has: no hint, the divergence and the state shown."""
    c = Candidate("mutants.wrong:eps_outside", isolation="inline")  # eps outside, graded as lr * 3 below
    rng = np.random.default_rng(1)
    grads = [[arr(rng.uniform(-1, 1, 4), "float64")] for _ in range(6)]
    case = Case("odd", "float64", [arr([0.5, -0.5, 1.0, 2.0], "float64")], dict(lr=0.01, rho=0.9, eps=1e-8), 6, {},
                grads=grads)
    g = grade(c, parse("seed").replace(lr=0.03, rho=0.9, eps=1e-8), case)
    assert g.status == "failed"
    assert g.cause.startswith("no catalogued mistake explains this"), g.cause
    assert "first divergence: step 1" in g.message and "state    v = " in g.message


def test_criterion():
    assert mistakes.explains(0.5, 10.0) and not mistakes.explains(3.0, 100.0)
    assert not mistakes.explains(1.0, 3.0)  # within the bound but not markedly closer than the correct update


def test_declared_convention_is_binding():
    """A CONVENTION the candidate declares is what it is held to, even when a preset agrees (issue 14, 4)."""
    c = Candidate("mutants.declares_seed:rmsprop", isolation="inline")
    assert c.convention == "seed"
    fp = identify(c, ("float64",))
    assert fp.spec == "seed" and not fp.matched and fp.declared == "seed" and fp.behaves == "pytorch"
    assert fp.header().startswith("declares seed but behaves as pytorch")
    found = first_failure(c, fp.spec, ("float64",), _cases)
    assert "most likely cause: eps on the wrong side of the root" in found, found


def test_invalid_declaration_fails_and_says_why():
    c = Candidate("mutants.declares_seed:declares_nonsense", isolation="inline")
    fp = identify(c, ("float64",))
    assert not fp.matched and fp.spec == "pytorch" and fp.behaves == "pytorch"
    assert "declares pytorch,eps_placment=outside but behaves as pytorch" in fp.header()
    assert "unknown field 'eps_placment'" in fp.header()


# -- the verdict line and the certificate, as the judge (= the pytest session) writes them -------------


def _judged(spec):
    j = judge(spec, oracle_profile="quick", dtype="float64", keyword="fingerprint")
    assert not [o for o in j.outcomes if o.status == "oracle-error"]
    assert j.verdict == "failed", j.summary()
    return j.summary(), j.certificate()


def test_auto_verdict_line():
    """Under auto a candidate matching no convention fails the fingerprint, naming the closest preset and the cause."""
    out, cert = _judged("mutants.realistic:bias_correction")
    line = next(x for x in out.splitlines() if "FAILED fingerprint:" in x)
    assert "behaves as no known convention; against pytorch: first divergence at probe-" in line, line
    assert "most likely cause: Adam-style bias correction" in line, line
    (target,) = cert["candidates"]
    assert target["convention"] == "pytorch" and "no convention agrees" in target["how"]


def test_declared_convention_in_certificate():
    """A declared convention binds: the certificate says so and the fingerprint names what it behaves as."""
    out, cert = _judged("mutants.declares_seed:rmsprop")
    line = next(x for x in out.splitlines() if "FAILED fingerprint:" in x)
    assert "declares seed but behaves as pytorch; against seed: first divergence" in line, line
    (target,) = cert["candidates"]
    assert target["convention"] == "seed" and "declared by the candidate" in target["how"]
    assert "declares seed" in target["fingerprint"]
