"""Shared checks of the framework adapter tests (``tests/test_adapters_*.py``).

:func:`assert_certified` judges an adapter (:func:`oracle.conformance.judge.judge`: the
suite's tests as direct calls, quick profile; the framework runs in the candidate's own
fresh worker process) under the adapter's documented ``CONVENTION`` and asserts that every
given dtype is certified (cases graded, none failed) and that nothing failed at all.
"""

from __future__ import annotations

import os
import tempfile
from typing import Sequence
from unittest import mock

from oracle.adapters.certify import adapter_convention, read_certificate
from oracle.conformance.judge import judge

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

