"""Certify an adapter in a fresh process: ``python -m oracle certify`` plus one JSON reader.

Used by the adapter tests and ``scripts/compat_matrix.py``.  Each run is its own
process (Keras fixes its backend at first import; jax's x64 switch is process-wide),
possibly in another virtualenv (``python=``).  The certificate is read from the file
``--certificate=PATH`` writes, never from stdout, by :func:`read_certificate`, the one
place that knows the certificate's layout.

>>> suite_args("tf1,float32=all")
['--convention=tf1,float32=all']
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Optional, Sequence

from oracle.rounding import ALL_DTYPES, DTYPES

STATS = ("worst_lre", "median_lre", "worst_ulp", "median_ulp", "worst_fraction_of_bound")


def adapter_convention(factory: str) -> str:
    """The ``CONVENTION`` of an adapter ``MODULE:ATTR``: the factory's own, else its module's.

    Importing an adapter module imports no framework.

    >>> adapter_convention("oracle.adapters.tensorflow:rmsprop_v1")
    'tf1,float32=all,subnormals=flush:float64+float32+bfloat16'
    """
    import importlib

    mod, attr = factory.split(":")
    module = importlib.import_module(mod)
    return getattr(getattr(module, attr), "CONVENTION", None) or module.CONVENTION


def suite_args(spec: str) -> list[str]:
    """The suite options that hold a candidate to the convention ``spec`` (which must parse)."""
    from ..conventions import parse

    parse(spec)
    return [f"--convention={spec}"]


def read_certificate(path: str) -> dict:
    """The one candidate's verdict, per-dtype verdicts, counts and statistics, failures and declines.

    Returns ``{"verdict", "convention", "versions", "dtypes": {dtype: {"verdict", "passed",
    "failed", "skipped", "declined", "worst_lre", ...}}, "failures": [{"test", "dtype",
    "detail"}], "declined": [reason, ...], "not_checked": [...]}``.  This is the only function
    that reads the certificate format.
    """
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    (cand,) = doc["candidates"]
    dtypes = {d: {k: s.get(k) for k in ("verdict", "passed", "failed", "skipped", "declined", *STATS)}
              for d, s in cand.get("dtypes", {}).items() if d in ALL_DTYPES}
    return {
        "verdict": cand.get("verdict"), "convention": cand.get("convention"), "versions": doc.get("versions", {}),
        "dtypes": dtypes,
        "failures": [{"test": f.get("test"), "dtype": f.get("dtype"), "detail": f.get("detail", "")}
                     for f in cand.get("failures", []) + cand.get("oracle_errors", [])],
        "declined": sorted({d.get("detail", "").removeprefix("declined by the candidate: ")
                            for d in cand.get("declined", [])}),
        "not_checked": [n.get("reason", "") for n in cand.get("not_checked", [])],
    }


def certify(factory: str, convention: str, dtypes: Sequence[str] = DTYPES, *, python: Optional[str] = None,
            profile: str = "quick", timeout: float = 1800, env: Optional[dict] = None) -> dict:
    """Run ``python -m oracle certify FACTORY`` under ``convention`` in a subprocess; :func:`read_certificate`.

    Adds ``"returncode"`` and ``"output"`` (the last 4,000 characters of stdout and stderr).
    """
    python = python or sys.executable
    with tempfile.TemporaryDirectory(prefix="oracle-certify-") as tmp:
        path = os.path.join(tmp, "certificate.json")
        cmd = [python, "-m", "oracle", "certify", factory, *suite_args(convention), f"--dtype={','.join(dtypes)}",
               f"--oracle-profile={profile}", f"--certificate={path}", "-q"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp,
                              env={**os.environ, **(env or {})})
        output = (proc.stdout + proc.stderr)[-4000:]
        if not os.path.exists(path):
            return {"verdict": "error", "returncode": proc.returncode, "output": output, "dtypes": {},
                    "failures": [], "declined": [], "not_checked": [], "versions": {}}
        out = read_certificate(path)
    out.update(returncode=proc.returncode, output=output)
    return out
