"""What the cases covered: the domain a certificate can speak for.

A :class:`Domain` summarizes a set of cases without keeping them: how many,
the ranges of the hyperparameters (lr, rho, eps, momentum, weight decay), the
number of parameter arrays and their sizes, the longest run and the last step
actually compared, and the regimes the inputs reached in their dtype
(:func:`regimes`).  Each suite test records one per status (``graded``: the
candidate's values were compared, passed or failed; ``declined``; ``skipped``)
as a user property of its report (:data:`KEY`); the certificate merges them per
candidate and dtype, so a candidate that declines every case with rho = 0 shows
it (a ``declined`` domain whose rho range is [0, 0], and a ``graded`` one that
starts above 0).

>>> import numpy as np
>>> from oracle.conformance.judge.cases import Case
>>> c = Case("c", "float64", [np.zeros(3)], dict(lr=0.1, rho=0.9, eps=1e-8), 2,
...          grads=[[np.array([0.0, 5e-324, 1.0])]] * 2)
>>> d = Domain()
>>> d.add(c, last_step=2)
>>> d.to_json()["lr"], d.to_json()["regimes"]
([0.1, 0.1], ['exact zero gradients', 'subnormal gradients'])
"""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ...rounding import limits
from .status import Status

KEY = "rmsprop_oracle_domain"
"""The user property holding ``{status: Domain.to_json()}`` of one suite test."""
HYPER = ("lr", "rho", "eps", "momentum", "weight_decay")
NEAR_OVERFLOW = 2.0**-8
"""A gradient is *near overflow* when g^2 exceeds this fraction of the dtype's largest value."""


def regimes(case: Any) -> set:
    """The regimes the case's inputs reach in its dtype (open loop: its gradients; closed: the loop)."""
    out = set()
    tiny, big = limits(case.dtype)
    arrays = [np.asarray(p) for p in case.params0]
    if case.grads is not None:
        arrays_g = [np.asarray(g) for step in case.grads[: case.steps] for g in step]
        flat = np.concatenate([_parts(a) for a in arrays_g]) if arrays_g else np.zeros(0)
        mag = np.abs(flat)
        if np.any(flat == 0):
            out.add("exact zero gradients")
        if np.any((mag > 0) & (mag < tiny)):
            out.add("subnormal gradients")
        if np.any(mag * mag > big * NEAR_OVERFLOW):
            out.add("near-overflow gradients")
    else:
        out.add("closed loop")
    pflat = np.concatenate([_parts(a) for a in arrays]) if arrays else np.zeros(0)
    if np.any((np.abs(pflat) > 0) & (np.abs(pflat) < tiny)):
        out.add("subnormal parameters")
    return out


def _parts(a: np.ndarray) -> np.ndarray:
    """The values of an array as float64, flattened (a complex one: its real and imaginary parts)."""
    if np.iscomplexobj(a):
        return np.concatenate([a.real.reshape(-1), a.imag.reshape(-1)]).astype(np.float64)
    return a.reshape(-1).astype(np.float64)


def _span(a: Optional[list], x: float) -> list:
    return [x, x] if a is None else [min(a[0], x), max(a[1], x)]


class Domain:
    """Count, ranges, sizes, run lengths and regimes of a set of cases (mergeable, JSON-ready)."""

    def __init__(self) -> None:
        self.cases = 0
        self.ranges: dict = {}  # name -> [min, max]
        self.centered: set = set()
        self.longest_run = 0
        self.longest_compared = 0
        self.regimes: set = set()

    def add(self, case: Any, last_step: int = 0) -> None:
        """Add one case (``last_step``: the last step with a compared value, 0 if none)."""
        self.cases += 1
        values = {**case.hyper, **case.options}
        for name in HYPER:
            x = float(values.get(name, 0.0) or 0.0)
            if math.isfinite(x):
                self.ranges[name] = _span(self.ranges.get(name), x)
        self.centered.add(bool(values.get("centered", False)))
        self.ranges["arrays"] = _span(self.ranges.get("arrays"), len(case.params0))
        for p in case.params0:
            self.ranges["elements"] = _span(self.ranges.get("elements"), int(np.size(p)))
        self.longest_run = max(self.longest_run, int(case.steps))
        self.longest_compared = max(self.longest_compared, int(last_step))
        self.regimes |= regimes(case)

    def merge(self, other: "Domain") -> None:
        self.cases += other.cases
        for name, (lo, hi) in other.ranges.items():
            self.ranges[name] = _span(_span(self.ranges.get(name), lo), hi)
        self.centered |= other.centered
        self.longest_run = max(self.longest_run, other.longest_run)
        self.longest_compared = max(self.longest_compared, other.longest_compared)
        self.regimes |= other.regimes

    def to_json(self) -> dict:
        return {"cases": self.cases, **{k: self.ranges[k] for k in (*HYPER, "arrays", "elements") if k in self.ranges},
                "centered": sorted(self.centered), "longest_run": self.longest_run,
                "longest_compared": self.longest_compared, "regimes": sorted(self.regimes)}

    @classmethod
    def from_json(cls, d: dict) -> "Domain":
        out = cls()
        out.cases = int(d.get("cases", 0))
        out.ranges = {k: list(d[k]) for k in (*HYPER, "arrays", "elements") if k in d}
        out.centered = {bool(x) for x in d.get("centered", ())}
        out.longest_run, out.longest_compared = int(d.get("longest_run", 0)), int(d.get("longest_compared", 0))
        out.regimes = set(d.get("regimes", ()))
        return out


def bucket(status: Status) -> str:
    """The domain a grade's status counts in: ``graded`` (passed or failed), ``declined`` or ``skipped``."""
    return "graded" if status in (Status.PASSED, Status.FAILED) else Status(status).value


def record(node: Any, domains: dict) -> None:
    """Attach ``{status: Domain}`` to a pytest item's report (read back by the certificate)."""
    node.user_properties.append((KEY, {k: d.to_json() for k, d in domains.items() if d.cases}))


def merge_into(into: dict, found: dict) -> None:
    """Merge a report's ``{status: json}`` into ``into`` (``{status: Domain}``)."""
    for status, d in (found or {}).items():
        into.setdefault(status, Domain()).merge(Domain.from_json(d))
