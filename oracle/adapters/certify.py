"""Certify an adapter in a fresh process: ``python -m oracle certify`` plus one JSON reader.

Used by the adapter tests and ``scripts/compat_matrix.py``.  Each run is its own
process (Keras fixes its backend at first import; jax's x64 switch is process-wide),
possibly in another virtualenv (``python=``).  The certificate is read from the file
``--certificate=PATH`` writes, never from stdout, by :func:`read_certificate`, the one
place that knows the certificate's layout.

>>> suite_args("pytorch")[0][0]
'--convention=pytorch'
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Optional, Sequence

DTYPES = ("float64", "float32", "float16")
STATS = ("worst_lre", "median_lre", "worst_ulp", "median_ulp", "worst_fraction_of_bound")


def adapter_convention(factory: str) -> str:
    """The ``CONVENTION`` of an adapter ``MODULE:ATTR``: the factory's own, else its module's.

    Importing an adapter module imports no framework.

    >>> adapter_convention("oracle.adapters.tensorflow:rmsprop_v1")
    'tf1,float32=all'
    """
    import importlib

    mod, attr = factory.split(":")
    module = importlib.import_module(mod)
    return getattr(getattr(module, attr), "CONVENTION", None) or module.CONVENTION


def declined_only(details: Sequence[str]) -> bool:
    """Whether every failure detail is the candidate declining (raising ``NotImplementedError``).

    A suite that predates declining reports a decline as a failure; this tells them apart.
    """
    return bool(details) and all("NotImplementedError" in d for d in details)


def takes_specs() -> bool:
    """Whether the installed conformance suite reads ``--convention=PRESET,FIELD=VALUE...`` specs."""
    from ..conformance import session

    try:
        session.validate({**session.OPTION_DEFAULTS, "convention": "seed,v0=0", "oracle_profile": "quick"})
    except ValueError:
        return False
    return True


def suite_args(spec: str, dtypes: Sequence[str] = DTYPES) -> tuple[list[str], str]:
    """The options that hold a candidate to the convention ``spec`` in the installed suite, and a note.

    A suite that takes specs gets ``--convention=SPEC``.  An older one (preset names, and
    ``--hyperparameters`` overriding the preset's own rounding) gets ``--convention=PRESET
    --hyperparameters=MODE`` when the spec is a preset with at most its rounding
    (``exact``, ``float32``, ``float32_lr``) or its allowed options changed.  A partial
    float32 rounding (``float32:rho+eps+momentum``) it cannot express for float64 data
    (``ValueError``).  For float32 and float16 data every hyperparameter reaches the kernel
    in float32 or narrower anyway, *except* through the constant ``1 - rho``, which a
    framework forms from the rounded rho when it rounds rho and from the exact rho otherwise
    (for rho = 0.999 the two differ by 1.3e-5 relative); so such data runs under ``float32``
    when the spec rounds rho and under ``float32_lr`` / ``exact`` when it does not, and the
    note says so.
    """
    from ..conformance import session
    from ..conventions import parse, preset, rounded_names

    conv = parse(spec)
    if takes_specs():
        return [f"--convention={spec}"], ""
    mode = conv.hyperparameters
    base = preset(conv.name, hyperparameters=mode)
    if conv.structure() != base.structure():
        raise ValueError(f"convention spec {spec!r}: the installed conformance suite takes preset names only")
    if mode in session.ROUNDING_MODES:
        return [f"--convention={conv.name}", f"--hyperparameters={mode}"], ""
    if "float64" in dtypes:
        raise ValueError(f"convention spec {spec!r}: the installed conformance suite cannot hold float64 data "
                         f"to hyperparameters {mode}")
    names = rounded_names(mode)
    near = "float32" if "rho" in names else "float32_lr" if "lr" in names else "exact"
    return ([f"--convention={conv.name}", f"--hyperparameters={near}"],
            f"held to hyperparameters {near}: the installed suite cannot express {mode}, which is the same "
            f"for {'/'.join(dtypes)} data (rho {'is' if 'rho' in names else 'is not'} rounded before 1 - rho)")


def read_certificate(path: str) -> dict:
    """The one candidate's verdict, per-dtype counts and statistics, failures and versions.

    Returns ``{"verdict", "convention", "hyperparameters", "versions", "dtypes": {dtype:
    {"passed", "failed", "skipped", "declined", "worst_lre", ...}}, "failures": [test, ...],
    "declined": [reason, ...]}``.  This is the only function that reads the certificate format.
    """
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    (cand,) = doc["candidates"]
    dtypes = {}
    for dtype, s in cand.get("dtypes", {}).items():
        if dtype not in DTYPES:
            continue
        dtypes[dtype] = {k: s.get(k) for k in ("passed", "failed", "skipped", "declined", *STATS)}
        dtypes[dtype]["declined"] = s.get("declined", 0)
    declined = [d.get("reason", "") for d in cand.get("declined", [])]
    declined += [s["reason"] for s in cand.get("skipped", []) if "declined" in s.get("reason", "")]
    return {
        "verdict": cand.get("verdict"), "convention": cand.get("convention"),
        "hyperparameters": cand.get("hyperparameters"), "versions": doc.get("versions", {}),
        "dtypes": dtypes, "failures": [f["test"] for f in cand.get("failures", [])],
        "failure_details": [f.get("detail", "") for f in cand.get("failures", [])], "declined": declined,
    }


def certify(factory: str, convention: str, dtypes: Sequence[str] = DTYPES, *, python: Optional[str] = None,
            profile: str = "quick", timeout: float = 1800, env: Optional[dict] = None) -> dict:
    """Run ``python -m oracle certify FACTORY`` under ``convention`` in a subprocess; :func:`read_certificate`.

    Adds ``"returncode"`` and ``"output"`` (the last 4,000 characters of stdout and stderr).
    """
    python = python or sys.executable
    with tempfile.TemporaryDirectory(prefix="oracle-certify-") as tmp:
        path = os.path.join(tmp, "certificate.json")
        args, note = suite_args(convention, dtypes)
        cmd = [python, "-m", "oracle", "certify", factory, *args, f"--dtype={','.join(dtypes)}",
               f"--profile={profile}", f"--certificate={path}", "-q"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp,
                              env={**os.environ, **(env or {})})
        output = (proc.stdout + proc.stderr)[-4000:]
        if not os.path.exists(path):
            return {"verdict": "error", "returncode": proc.returncode, "output": output, "dtypes": {},
                    "failures": [], "failure_details": [], "declined": [], "versions": {}, "note": note}
        out = read_certificate(path)
    out.update(returncode=proc.returncode, output=output, note=note)
    return out
