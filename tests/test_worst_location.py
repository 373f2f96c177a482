"""Where the worst values are (issue 16, deliverable 5): the graded statistics locate the worst ULP error and
the worst fraction of the bound (case, step, parameter, element), and the certificate names them per dtype
with the rerun command.  Direct calls."""

import numpy as np

from oracle.accuracy import abs_error, ulp_error
from oracle.conformance.isolation.candidate import Candidate
from oracle.conformance.judge.cases import builtin_cases
from oracle.conformance.judge.certificate import Ledger
from oracle.conformance.judge.grading import grade
from oracle.conformance.judge.outcome import Outcome, Stats
from oracle.conformance.judge.reference import followed, reference
from oracle.conventions import parse


def test_worst_ulp_is_located_where_it_is():
    c = Candidate("mutants.right:torch_style", isolation="inline")
    case = next(k for k in builtin_cases("float32", "quick") if k.name == "stream")
    conv = parse("pytorch").replace(**case.hyper, **case.options)
    g = grade(c, conv, case)
    at = g.stats.worst_ulp_at
    assert g.status == "passed" and at["case"] == case.id and g.stats.worst_ratio_at is not None
    ref = reference(conv, case)
    assert g.stats.engines == {ref.engine: 1} and ref.engine in ("jitbound", "vecbound", "errorbound")
    traj = c.run(case.params0, case.hyper, case.options, case.feed(), case.steps)
    hi, lo, _ = ref.params[at["step"]][at["parameter"]]
    got = followed(case, traj[at["step"]])[at["parameter"]].astype(np.float64)
    flat = np.ravel_multi_index(at["element"], np.shape(case.params0[at["parameter"]])) if at["element"] else 0
    j = flat if case.sample is None else list(case.sample[at["parameter"]]).index(flat)
    ulps = ulp_error(abs_error(got, hi, lo), hi, "float32")
    assert ulps[j] == g.stats.worst_ulp


def test_merge_keeps_the_worst_location_and_the_certificate_names_it():
    a, b = Stats(), Stats()
    a.add(np.array([1.0, 2.0]), np.array([7.0, 7.0]), np.array([0.1, 0.2]), where=lambda k: {"case": "a", "step": 1,
                                                                                            "parameter": 0,
                                                                                            "element": [k]})
    b.add(np.array([5.0]), np.array([6.0]), np.array([0.05]), where=lambda k: {"case": "b", "step": 3, "parameter": 1,
                                                                                "element": []})
    a.engines, b.engines = {"jitbound": 2}, {"jitbound": 1, "errorbound": 1}
    merged = Stats.from_json(a.to_json())
    merged.merge(b)
    assert merged.engines == {"jitbound": 3, "errorbound": 1}
    assert merged.worst_ulp_at["case"] == "b" and merged.worst_ratio_at == {"case": "a", "step": 1, "parameter": 0,
                                                                            "element": [1]}
    ledger = Ledger()
    for name, stats in (("a", a), ("b", b)):
        o = Outcome("cand", name, "float32", "passed", stats=stats, rerun=f"pytest ... {name}")
        ledger.outcomes[name] = o
    d = ledger.dtypes(ledger.outcomes.values(), reruns=True)["float32"]
    assert d["worst_ulp_at"]["case"] == "b" and d["worst_ulp_at"]["rerun"] == "pytest ... b"
    assert d["worst_fraction_of_bound_at"]["element"] == [1]
    assert d["reference_engines"] == {"errorbound": 1, "jitbound": 3}  # the certificate says which engine ran
    lines = "\n".join(ledger.summary_lines())
    assert "worst ULP at b step 3, parameter 1, element (); rerun: pytest ... b" in lines
