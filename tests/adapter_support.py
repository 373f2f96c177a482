"""Shared checks of the framework adapter tests (``tests/test_adapters_*.py``).

:func:`assert_certified` runs ``python -m oracle certify`` (quick profile) on an adapter
in a fresh process under the adapter's documented ``CONVENTION`` and asserts that every
given dtype passed: cases graded, none failed.  The suite-level fingerprint test is not
a dtype verdict (it probes float64 even under an explicit convention in the suite this
was written against) and is not asserted.
"""

from __future__ import annotations

import sys
from typing import Sequence

from oracle.adapters.certify import adapter_convention, certify


def assert_certified(factory: str, dtypes: Sequence[str], profile: str = "quick") -> dict:
    """Certify ``factory`` under its ``CONVENTION`` in ``dtypes`` (one process); return the summary."""
    spec = adapter_convention(factory)
    result = certify(factory, spec, list(dtypes), python=sys.executable, profile=profile,
                     env={"CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"})
    assert result["dtypes"], f"{factory}: no certificate ({result.get('output', '')[-2000:]})"
    failures = [(t, d.strip().splitlines()[-1] if d.strip() else "")
                for t, d in zip(result["failures"], result["failure_details"]) if t != "fingerprint"]
    assert not failures, f"{factory} under {spec!r}: {failures[:5]}"
    for dtype in dtypes:
        stats = result["dtypes"][dtype]
        assert stats["failed"] == 0 and stats["passed"] > 0, (factory, spec, dtype, stats)
    return result


def certifiable(factory: str, dtypes: Sequence[str]) -> list[str]:
    """``dtypes`` less float64 when the installed suite cannot hold float64 data to the adapter's spec.

    A suite without convention specs cannot express a partial float32 rounding such as
    ``float32:rho+eps+momentum`` (:func:`oracle.adapters.certify.suite_args`); float32 and
    float16 data imply it, float64 data does not.
    """
    from oracle.adapters.certify import suite_args

    try:
        suite_args(adapter_convention(factory), ["float64"])
    except ValueError:
        return [d for d in dtypes if d != "float64"]
    return list(dtypes)
