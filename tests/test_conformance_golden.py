"""Golden replay: the suite's reference of every replayed case is the golden file's trajectory."""

import numpy as np
import pytest

from oracle.conformance.golden_replay import golden_cases, golden_files
from oracle.conformance.reference import reference
from oracle.conventions import preset
from oracle.golden import fmt


def golden_f64(path, step):
    rec = next(r for r in fmt.load(path)["steps"] if str(r["step"]) == str(step))
    return np.array([float.fromhex(v["f64"]) for v in rec["params"]["p"]["values"]])


@pytest.mark.parametrize("case", golden_cases("float64", "quick"), ids=lambda c: c.name)
def test_reference_follows_the_golden_trajectory(case):
    """At steps 1, 10 and the last, the reference's nearest doubles equal the golden binary64 values."""
    path = next(p for p in golden_files("quick") if f"golden-{p.stem}" == case.name)
    conv = preset(case.exact["preset"], **case.options)
    ref = reference(conv, case)
    for step in (1, 10, case.steps):
        hi, lo, err = ref.params[step][0]
        assert np.array_equal(hi, golden_f64(path, step)), (case.name, step)


def test_candidate_inputs_are_the_golden_inputs_rounded():
    """The candidate receives the golden decimals rounded to its dtype (-3.63 as float32)."""
    case = next(c for c in golden_cases("float32", "quick") if c.name == "golden-stream-pytorch-plain")
    assert case.grads[0][0][0] == np.float32(-3.63) and case.hyper["lr"] == 0.01
    assert case.exact["grads"][0][0][0] == "-3.63" and case.exact["hyper"]["lr"] == "0.01"
