"""Golden replay: the suite's reference of every replayed case is the golden file's trajectory."""

import functools
from fractions import Fraction

import numpy as np
import pytest

from oracle.conformance.judge.golden_replay import golden_cases, golden_files
from oracle.conformance.judge.reference import reference
from oracle.conventions import preset
from oracle.golden import fmt


def golden_f64(path, step):
    rec = next(r for r in fmt.load(path)["steps"] if str(r["step"]) == str(step))
    return np.array([float.fromhex(v["f64"]) for v in rec["params"]["p"]["values"]])


@functools.lru_cache(maxsize=None)
def _replays(dtype):
    """The replay cases by name (built at run time, not at collection: building verifies every file)."""
    return {c.name: c for c in golden_cases(dtype, "quick")}


@pytest.mark.parametrize("path", golden_files("quick"), ids=lambda p: f"golden-{p.stem}")
def test_reference_follows_the_golden_trajectory(path):
    """At steps 1, 10 and the last, the reference's nearest doubles equal the golden binary64 values."""
    case = _replays("float64")[f"golden-{path.stem}"]
    assert not case.closed
    conv = preset(case.exact["preset"], **case.options)
    ref = reference(conv, case)
    for step in (1, 10, case.steps):
        hi, lo, err = ref.params[step][0]
        assert np.array_equal(hi, golden_f64(path, step)), (case.name, step)


def test_candidate_inputs_are_the_golden_inputs_rounded():
    """The candidate receives the golden decimals rounded to its dtype (-3.63 as float32)."""
    case = _replays("float32")["golden-stream-pytorch-plain"]
    assert case.grads[0][0][0] == np.float32(-3.63) and case.hyper["lr"] == 0.01
    assert case.exact["grads"][0][0][0] == Fraction("-3.63") and case.exact["hyper"]["lr"] == "0.01"


def test_gluon_replay_reference_is_the_golden_intended_run():
    """The closed-loop Gluon replay's reference equals gluon-intended-long's binary64 w and b at epochs 1, 10, 30."""
    from oracle.conformance.judge.golden_replay import gluon_case
    from oracle.golden import GOLDEN_DIR

    case = gluon_case("float64")
    ref = reference(preset("seed"), case)
    doc = fmt.load(GOLDEN_DIR / "gluon-intended-long.json")
    for step in (1, 10, 30):
        rec = next(r for r in doc["steps"] if str(r["step"]) == str(step))
        for i, name in enumerate(("w", "b")):
            want = [float.fromhex(v["f64"]) for v in rec["params"][name]["values"]]
            assert ref.params[step][i][0].tolist() == want, (step, name)


def test_gluon_replay_gradient_is_exact_then_rounded():
    """At w0, b0 the candidate is fed the exact gradient (23, 27; 4) rounded to its dtype."""
    from oracle.conformance.judge.golden_replay import gluon_case

    case = gluon_case("float32")
    g = case.problem.exact_grads(case.params0, "float32")
    assert g[0].dtype == np.float32 and g[0].shape == (2, 1)
    assert abs(float(g[0][0, 0]) - 23) < 1e-5 and abs(float(g[1][0]) - 4) < 1e-5


@pytest.mark.parametrize("reading", ["split", "modulus"])
def test_complex_replay_reference_is_the_golden_trajectory(reading):
    """A complex golden stream replays in complex128 as real pairs: the reference's nearest doubles are the
    file's binary64 parts (re, im interleaved) at steps 1, 10 and 120; it applies only to its own reading."""
    case = next(c for c in golden_cases("complex128", "quick") if c.name.endswith(f"-complex-{reading}"))
    path = next(p for p in golden_files("quick", complex_=True) if f"golden-{p.stem}" == case.name)
    assert case.params0[0].dtype == np.complex128 and case.params0[0][0] == 0.5 - 0.75j
    assert case.replayed().complex_reading == reading
    ref = reference(preset("pytorch", complex_reading=reading, **case.options), case)
    for step in (1, 10, case.steps):
        assert np.array_equal(ref.params[step][0][0], golden_f64(path, step)), (case.name, step)
