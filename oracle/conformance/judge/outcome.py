"""What one suite test concluded, in a form that travels with pytest's report.

A suite test attaches an :class:`Outcome` to its pytest report
(``item.user_properties``, which pytest-xdist carries to the controller); the
certificate is assembled from those reports only (:mod:`.certificate`).
Its status is a :class:`.status.Status`: ``passed``, ``failed`` (a verdict on the
candidate), ``skipped`` (the case does not apply), ``declined`` (the candidate raised
``NotImplementedError`` for it), ``oracle-error`` (an exception inside the oracle:
never a verdict).

:class:`Stats` summarizes graded values without keeping them: the count, the
worst ULP error, LRE and fraction of the bound, and histograms from which
medians are read (ULP errors in bins (2^((k-1)/8), 2^(k/8)], LRE in bins of 0.01 digit).

>>> import numpy as np
>>> s = Stats()
>>> s.add(np.array([0.0, 0.5, 3.0]), np.array([15.9, 15.6, 15.1]), np.array([0.0, 0.1, 0.2]))
>>> s.values, s.worst_ulp, s.worst_lre, s.median_ulp(), s.median_lre()
(3, 3.0, 15.1, 0.5, 15.6)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

from .status import Status

KEY = "rmsprop_oracle"
"""The name of the user property holding the outcome."""
ULP_BINS = 8  # per octave
LRE_BINS = 100  # per digit


class Stats:
    """Count, extremes and histograms of graded values (mergeable, JSON-ready)."""

    def __init__(self) -> None:
        self.values = 0
        self.worst_ulp = 0.0
        self.worst_lre: Optional[float] = None
        self.worst_ratio = 0.0
        self.ulp_hist: dict = {}  # bin -> count; bin None is ULP error 0, "inf" infinite
        self.lre_hist: dict = {}
        self.worst_ulp_at: Optional[dict] = None  # where the worst ULP error is: case, step, parameter, element
        self.worst_ratio_at: Optional[dict] = None  # where the worst fraction of the bound is
        self.engines: dict = {}  # rung of the bound ladder -> cases whose reference it computed

    def add(self, ulp: Any, lre: Any, ratio: Any, where: Any = None) -> None:
        """Add graded values (numpy arrays of equal size); ``where(k)`` is the location of the k-th value."""
        import numpy as np

        ulp, lre, ratio = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (ulp, lre, ratio))
        if ulp.size == 0:
            return
        if where is not None:
            k, r = int(np.argmax(ulp)), int(np.argmax(ratio))
            if self.worst_ulp_at is None or ulp[k] > self.worst_ulp:
                self.worst_ulp_at = where(k)
            if self.worst_ratio_at is None or ratio[r] > self.worst_ratio:
                self.worst_ratio_at = where(r)
        self.values += int(ulp.size)
        self.worst_ulp = max(self.worst_ulp, float(np.max(ulp)))
        low = float(np.min(lre))
        self.worst_lre = low if self.worst_lre is None else min(self.worst_lre, low)
        self.worst_ratio = max(self.worst_ratio, float(np.max(ratio)))
        with np.errstate(all="ignore"):
            ub = np.where(ulp > 0, np.ceil(np.round(np.log2(ulp) * ULP_BINS, 9)), -(10**9))
        ub = np.where(np.isinf(ulp), 10**9, ub).astype(np.int64)
        _count(self.ulp_hist, ub)
        _count(self.lre_hist, np.floor(np.round(lre * LRE_BINS, 6)).astype(np.int64))

    def merge(self, other: "Stats") -> None:
        if other.worst_ulp_at is not None and (self.worst_ulp_at is None or other.worst_ulp > self.worst_ulp):
            self.worst_ulp_at = other.worst_ulp_at
        if other.worst_ratio_at is not None and (self.worst_ratio_at is None or other.worst_ratio > self.worst_ratio):
            self.worst_ratio_at = other.worst_ratio_at
        self.values += other.values
        self.worst_ulp = max(self.worst_ulp, other.worst_ulp)
        if other.worst_lre is not None:
            self.worst_lre = other.worst_lre if self.worst_lre is None else min(self.worst_lre, other.worst_lre)
        self.worst_ratio = max(self.worst_ratio, other.worst_ratio)
        for mine, theirs in ((self.ulp_hist, other.ulp_hist), (self.lre_hist, other.lre_hist),
                             (self.engines, other.engines)):
            for k, n in theirs.items():
                mine[k] = mine.get(k, 0) + n

    def median_ulp(self) -> Optional[float]:
        """The upper edge of the bin holding the median ULP error (at most 9% above the median)."""
        k = _median_bin(self.ulp_hist, self.values)
        if k is None:
            return None
        if k <= -(10**9):
            return 0.0
        return math.inf if k >= 10**9 else 2.0 ** (k / ULP_BINS)

    def median_lre(self) -> Optional[float]:
        """The lower edge of the bin holding the median LRE (at most 0.01 digit below the median)."""
        k = _median_bin(self.lre_hist, self.values)
        return None if k is None else k / LRE_BINS

    def to_json(self) -> dict:
        return {"values": self.values, "worst_ulp": _finite(self.worst_ulp), "worst_lre": self.worst_lre,
                "worst_ratio": _finite(self.worst_ratio), "ulp_hist": sorted(self.ulp_hist.items()),
                "lre_hist": sorted(self.lre_hist.items()), "worst_ulp_at": self.worst_ulp_at,
                "worst_ratio_at": self.worst_ratio_at, "engines": self.engines}

    @classmethod
    def from_json(cls, d: dict) -> "Stats":
        s = cls()
        s.values, s.worst_lre = int(d["values"]), d["worst_lre"]
        s.worst_ulp, s.worst_ratio = _number(d["worst_ulp"]), _number(d["worst_ratio"])
        s.ulp_hist = {int(k): int(n) for k, n in d["ulp_hist"]}
        s.lre_hist = {int(k): int(n) for k, n in d["lre_hist"]}
        s.worst_ulp_at, s.worst_ratio_at = d.get("worst_ulp_at"), d.get("worst_ratio_at")
        s.engines = {str(k): int(n) for k, n in d.get("engines", {}).items()}
        return s


def _count(hist: dict, keys: Any) -> None:
    import numpy as np

    uniq, counts = np.unique(keys, return_counts=True)
    for k, n in zip(uniq.tolist(), counts.tolist()):
        hist[k] = hist.get(k, 0) + n


def _median_bin(hist: dict, total: int) -> Optional[int]:
    if not total:
        return None
    seen, half = 0, (total + 1) // 2
    for k in sorted(hist):
        seen += hist[k]
        if seen >= half:
            return k
    return None


def _finite(x: float) -> Any:
    return x if math.isfinite(x) else "inf"


def _number(x: Any) -> float:
    return math.inf if x == "inf" else float(x)


@dataclasses.dataclass
class Outcome:
    """The conclusion of one suite test about one candidate."""

    target: str
    test: str
    dtype: Optional[str]
    status: Status  # a Status, or its value (converted)
    detail: str = ""
    stats: Stats = dataclasses.field(default_factory=Stats)
    compared_steps: Optional[int] = None  # the last step compared, where the horizon cut a case short
    steps: Optional[int] = None
    output_bytes: int = 0
    convention: Optional[str] = None  # the spec the test held the candidate to
    rerun: str = ""  # a command that reruns exactly this test
    diagnosis: str = ""  # a failure's likely cause without this case's numbers (the summary groups failures by it)
    nodeid: Optional[str] = None

    def __post_init__(self) -> None:
        try:
            self.status = Status(self.status)
        except ValueError:
            known = ", ".join(s.value for s in Status)
            raise ValueError(f"status must be one of {known}, got {self.status!r}") from None

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["status"] = self.status.value  # plain data: pytest-xdist carries it between processes
        d["stats"] = self.stats.to_json()
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Outcome":
        d = dict(d)
        d["stats"] = Stats.from_json(d["stats"])
        return cls(**d)
