"""The results of a conformance session: terminal summary and JSON certificate.

A :class:`Ledger` collects one entry per graded case (candidate, convention,
dtype, status, ULP and LRE statistics, worst ratio to the bound, cause of a
failure) and per property test; :meth:`Ledger.certificate` assembles the JSON
document: candidate, versions, convention, dtypes, cases passed/skipped/failed,
worst and median LRE and ULP per dtype, platform.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import sys
from typing import Optional


@dataclasses.dataclass
class Entry:
    target: str
    test: str
    dtype: Optional[str]
    status: str
    ulps: list = dataclasses.field(default_factory=list)
    lres: list = dataclasses.field(default_factory=list)
    worst_ratio: float = 0.0
    detail: str = ""


def _median(xs: list) -> Optional[float]:
    if not xs:
        return None
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


class Ledger:
    def __init__(self) -> None:
        self.entries: list = []
        self.targets: dict = {}  # name -> dict(convention=..., fingerprint=..., hyperparameters=...)
        self.options: dict = {}

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def by_target(self) -> dict:
        out: dict = {}
        for e in self.entries:
            out.setdefault(e.target, []).append(e)
        return out

    def stats(self, entries: list) -> dict:
        per: dict = {}
        for e in entries:
            d = per.setdefault(e.dtype or "(all)", {"passed": 0, "failed": 0, "skipped": 0, "ulps": [], "lres": [],
                                                  "worst_ratio": 0.0})
            d[e.status] = d.get(e.status, 0) + 1
            d["ulps"] += e.ulps
            d["lres"] += e.lres
            d["worst_ratio"] = max(d["worst_ratio"], e.worst_ratio)
        out = {}
        for dtype, d in per.items():
            out[dtype] = {
                "passed": d["passed"], "failed": d["failed"], "skipped": d["skipped"],
                "values_graded": len(d["ulps"]),
                "worst_ulp": max(d["ulps"], default=None), "median_ulp": _median(d["ulps"]),
                "worst_lre": min(d["lres"], default=None), "median_lre": _median(d["lres"]),
                "worst_fraction_of_bound": d["worst_ratio"],
            }
        return out

    def summary_lines(self) -> list:
        lines = []
        for target, entries in self.by_target().items():
            info = self.targets.get(target, {})
            verdict = "FAILED" if any(e.status == "failed" for e in entries) else "CERTIFIED"
            lines.append(f"{target}: {verdict} against {info.get('convention', '?')} "
                         f"(hyperparameters {info.get('hyperparameters', 'exact')})")
            if info.get("fingerprint"):
                lines.append(f"  fingerprint: {info['fingerprint']}")
            for dtype, s in sorted(self.stats(entries).items()):
                lre = "-" if s["worst_lre"] is None else f"{s['worst_lre']:.2f}/{s['median_lre']:.2f}"
                ulp = "-" if s["worst_ulp"] is None else f"{s['worst_ulp']:.3g}/{s['median_ulp']:.3g}"
                lines.append(f"  {dtype:8} passed {s['passed']:3} failed {s['failed']:3} skipped {s['skipped']:3}  "
                             f"LRE worst/median {lre}  ULP worst/median {ulp}  "
                             f"worst error {s['worst_fraction_of_bound']:.3g} x bound")
            for e in entries:
                if e.status == "failed":
                    lines.append(f"  FAILED {e.test}: {e.detail.splitlines()[-1].strip() if e.detail else ''}")
        return lines

    def certificate(self) -> dict:
        import numpy

        from .. import __version__

        versions = {"rmsprop-oracle": __version__, "python": platform.python_version(), "numpy": numpy.__version__}
        for mod in ("torch", "jax", "optax", "keras", "hypothesis", "pytest", "mpmath"):
            if mod in sys.modules:
                versions[mod] = getattr(sys.modules[mod], "__version__", "?")
        targets = []
        for target, entries in self.by_target().items():
            info = self.targets.get(target, {})
            targets.append({
                "candidate": target,
                "verdict": "failed" if any(e.status == "failed" for e in entries) else "certified",
                **{k: v for k, v in info.items()},
                "dtypes": self.stats(entries),
                "failures": [{"test": e.test, "detail": e.detail} for e in entries if e.status == "failed"],
                "skipped": [{"test": e.test, "reason": e.detail} for e in entries if e.status == "skipped"],
            })
        return {
            "format": "rmsprop-oracle conformance certificate 1",
            "versions": versions,
            "platform": {"system": platform.platform(), "machine": platform.machine(),
                         "processor": platform.processor()},
            "options": self.options,
            "candidates": targets,
        }

    def write(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.certificate(), fh, indent=2, default=str)
            fh.write("\n")
