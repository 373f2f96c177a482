"""Shared checks of the framework adapter tests (``tests/test_adapters_*.py``).

:func:`assert_certified` runs ``python -m oracle certify`` (quick profile) on an adapter
in a fresh process under the adapter's documented ``CONVENTION`` and asserts that every
given dtype is certified (cases graded, none failed) and that nothing failed at all.
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
    assert not result["failures"], f"{factory} under {spec!r}: {result['failures'][:3]}"
    for dtype in dtypes:
        stats = result["dtypes"][dtype]
        assert stats["verdict"] == "certified" and stats["failed"] == 0 and stats["passed"] > 0, \
            (factory, spec, dtype, stats)
    return result

