"""Shared checks of the framework adapter tests (``tests/test_adapters_*.py``).

:func:`assert_certified` judges an adapter (:func:`oracle.conformance.judge.run.judge`: the
suite's tests as direct calls, quick profile; the framework runs in the candidate's own
fresh worker process) under the adapter's documented ``CONVENTION`` and asserts that every
given dtype is certified (cases graded, none failed) and that nothing failed at all.
"""

from __future__ import annotations

import os
import tempfile
from typing import Optional, Sequence
from unittest import mock

from oracle.adapters.certify import adapter_convention, read_certificate
from oracle.conformance.judge.run import judge

FRAMEWORK_ENV = {"CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
"""The environment the candidate's worker gets: frameworks on the CPU, quietly."""


def assert_certified(factory: str, dtypes: Sequence[str], profile: str = "quick") -> dict:
    """Certify ``factory`` under its ``CONVENTION`` in ``dtypes``; return the certificate's summary."""
    spec = adapter_convention(factory)
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, FRAMEWORK_ENV):
        path = os.path.join(tmp, "certificate.json")
        j = judge(factory, convention=spec, dtype=",".join(dtypes), oracle_profile=profile, certificate=path)
        result = read_certificate(path)
    result["output"] = j.summary()
    assert result["dtypes"], f"{factory}: no certificate ({result.get('output', '')[-2000:]})"
    assert not result["failures"], f"{factory} under {spec!r}: {result['failures'][:3]}"
    for dtype in dtypes:
        stats = result["dtypes"][dtype]
        assert stats["verdict"] == "certified" and stats["failed"] == 0 and stats["passed"] > 0, \
            (factory, spec, dtype, stats)
    return result



def assert_schedule_convention(factory: str, spec: str, dtypes: Sequence[str]) -> None:
    """``factory`` drives its framework's own schedule mechanism: its ``lr_in_momentum`` is the one ``spec``
    says, confirmed by a real run.  Under ``spec`` the suite's schedule cases pass and the fingerprint's
    ``lr-in-momentum`` probe agrees; with ``lr_in_momentum`` flipped both fail."""
    from oracle.conformance.isolation.candidate import Candidate
    from oracle.conformance.judge.cases import builtin_cases
    from oracle.conformance.judge.fingerprint import PROBES, _Runs
    from oracle.conformance.judge.grading import grade
    from oracle.conventions import parse

    conv = parse(spec)
    flipped = conv.replace(lr_in_momentum=not conv.lr_in_momentum)
    with mock.patch.dict(os.environ, FRAMEWORK_ENV):
        candidate = Candidate(factory)
    try:
        assert "lr_schedule" in candidate.options, (factory, candidate.options)
        probe = next(p for p in PROBES if p.name == "lr-in-momentum")
        runs = _Runs(candidate, tuple(dtypes))
        for dtype in dtypes:
            assert runs.ratio(conv, probe, dtype) <= 1.0, (factory, spec, dtype)
            assert runs.ratio(flipped, probe, dtype) > 1.0, (factory, spec, dtype)
            cases = [c for c in builtin_cases(dtype, "quick") if "schedule" in c.tags]
            assert len(cases) == 4
            for case in cases:
                right = grade(candidate, conv.replace(**case.hyper, **case.options), case)
                assert right.status == "passed", (factory, spec, case.name, right.message[-2000:])
                wrong = grade(candidate, flipped.replace(**case.hyper, **case.options), case)
                assert wrong.status == "failed", (factory, case.name)
    finally:
        candidate.close()


def grade_cases(factory: str, spec: str, dtypes: Sequence[str], skip_tags: Sequence[str] = (),
                names: Optional[dict] = None) -> dict:
    """``{(dtype, case name): (status, worst ratio)}`` of the quick profile's fixed cases graded under ``spec``
    (direct calls, the candidate in its own worker).  Left out, as the suite skips them: cases whose options
    the factory does not take or the convention does not allow; and cases tagged ``skip_tags`` (a framework
    deviation no convention field states yet, which the caller names)."""
    from oracle.conformance.isolation.candidate import Candidate
    from oracle.conformance.judge.cases import builtin_cases
    from oracle.conformance.judge.grading import grade
    from oracle.conventions import parse

    with mock.patch.dict(os.environ, FRAMEWORK_ENV):
        candidate = Candidate(factory, names=names)
    out: dict = {}
    try:
        for dtype in dtypes:
            for case in builtin_cases(dtype, "quick"):
                if set(case.tags) & set(skip_tags) or any(v and k not in candidate.options
                                                          for k, v in case.options.items()):
                    continue
                try:
                    conv = parse(spec).replace(**case.hyper, **case.options)
                    conv.for_dtype(dtype)
                except ValueError:
                    continue
                g = grade(candidate, conv, case)
                out[dtype, case.name] = (g.status, g.worst_ratio)
    finally:
        candidate.close()
    return out
