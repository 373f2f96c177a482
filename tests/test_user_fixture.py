"""The ``rmsprop_oracle`` fixture and ``--oracle-cases`` (issue 15): one inner pytest session for both."""

import subprocess
import sys
from pathlib import Path

import pytest

import numpy  # noqa: F401  (pytester's in-process session must not import numpy a second time)

import oracle.conformance.pytest.suite  # noqa: F401
from oracle.cases.case import Case, find
from oracle.conventions import parse
from oracle.conformance.pytest import usercases

pytest_plugins = ["pytester"]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

USER_TEST = '''
import numpy as np
import pytest
from oracle.algorithm import simulate
from oracle.cases.case import find
from oracle.engines.floating import FloatArith

CASE = "cases.toml:keras-docstring-one-step"
LS = "cases.toml:least-squares"


def recorded(name, dtype):
    case = find("cases.toml", name)
    recs = simulate(case.convention, FloatArith(dtype), case.params0(), steps=case.steps, grad_fn=case.grad_fn())
    return [{n: np.asarray(p, dtype=dtype) for n, p in zip(case.names, r["params"])} for r in recs[1:]]


def test_user_fixture_holds_a_float_run(rmsprop_oracle):
    assert rmsprop_oracle.assert_trajectory(recorded("least-squares", "float32"), LS, dtype="float32") == 30
    ref = rmsprop_oracle.reference(CASE)
    assert ref.params(1)["var1"].sci(7) == "9.683772e0"


def test_user_fixture_catches_a_wrong_run(rmsprop_oracle):
    values = recorded("least-squares", "float32")
    values[6]["w"] = values[6]["w"] + np.float32(1e-3)
    rmsprop_oracle.assert_trajectory(values, LS, dtype="float32")
'''


def _files(pytester):
    pytester.makefile(".toml", cases=(EXAMPLES / "one_step.toml").read_text() + (EXAMPLES / "least_squares.toml")
                      .read_text())
    pytester.makepyfile(test_user=USER_TEST)


def test_the_fixture_in_a_users_session(pytester):
    """A plain session (no --optimizer): the fixture grades, names the first divergence, and --oracle-regen
    writes the golden files it reads under the tests' oracle_golden/ folder."""
    _files(pytester)
    result = pytester.runpytest_inprocess("--oracle-regen", "-v", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert "test_user_fixture_holds_a_float_run PASSED" in out, out
    assert "first divergence at step 7, w[0]: got" in out and "ULP" in out and "bounds" in out, out
    assert result.parseoutcomes() == {"passed": 1, "failed": 1}, out
    gold = pytester.path / "oracle_golden"
    assert sorted(p.name for p in gold.iterdir()) == ["keras-docstring-one-step.json", "least-squares.json",
                                                      "user-cases.json"]
    doc = usercases.Oracle(gold).golden(Case.from_file(pytester.path / "cases.toml", "least-squares"))
    assert doc["step_count"] == 10  # verified on read


@pytest.mark.slow
def test_oracle_cases_in_a_certification_session(pytester):
    """``--oracle-cases`` adds the user's cases to a real suite run (about 5 s: the suite's own cases are built)."""
    _files(pytester)
    result = pytester.runpytest_inprocess("--optimizer=oracle.conformance.judge.builtin:keras", "--convention=keras",
                                          "--oracle-cases=cases.toml", "--dtype=float32", "--oracle-profile=quick",
                                          "-k", "docstring", "-v", "-p", "no:cacheprovider")
    assert "keras-user-keras-docstring-one-step-float32] PASSED" in result.stdout.str(), result.stdout.str()


def test_user_cases_are_graded_like_the_shipped_ones():
    """What --oracle-cases adds (the source the plugin appends), graded by the suite's own grade()."""
    from oracle.conformance.isolation.candidate import Candidate
    from oracle.conformance.judge.grading import grade

    (keras_case,) = [c for c in usercases.source(EXAMPLES / "one_step.toml")("float32") if "docstring" in c.name]
    ls = usercases.conformance_case(find(EXAMPLES / "least_squares.toml"), "float64")
    # (candidate, the convention it is certified against, case, verdict): optax puts eps inside the root
    for spec, against, case, want in (("keras", "keras", keras_case, "passed"), ("pytorch", "pytorch", ls, "passed"),
                                      ("optax", "pytorch", ls, "failed")):
        cand = Candidate(f"oracle.conformance.judge.builtin:{spec}", isolation="inline")
        g = grade(cand, parse(against).replace(**case.hyper, **case.options), case)
        assert g.status == want, (spec, g.detail)


def test_the_fixture_module_imports_nothing_heavy():
    code = ("import sys, oracle.conformance.pytest.fixture; "
            "print([m for m in ('numpy', 'mpmath', 'sympy', 'hypothesis') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_user_case_becomes_a_conformance_case_with_exact_inputs():
    case = Case(name="s", convention="pytorch", lr="0.1", params={"p": ["0.1", "2"]},
                stream={"p": [["0.3", "-1"], ["1", "1"]]}, steps=2)
    c = usercases.conformance_case(case, "float32")
    assert c.params0[0].dtype == numpy.float32 and c.hyper["lr"] == 0.1 and not c.closed
    assert c.exact["hyper"]["lr"] == "0.1" and str(c.exact["grads"][0][0][0]) == "3/10"
