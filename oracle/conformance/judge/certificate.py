"""The certificate: the verdicts, the summary and the JSON certificate of a run, from its tests' outcomes.

A :class:`Ledger` holds the :class:`.outcome.Outcome` of every suite test (by node
id), pytest's counts, what the cases covered and how the run ended.  The judge
(:func:`.run.judge`) fills it with the outcomes it computes; under pytest the
plugin fills it from pytest's own reports (:mod:`oracle.conformance.pytest.report`:
the counts are pytest's, and a suite test that failed without an outcome, or any
setup or teardown error, is an *oracle error*: a bug in rmsprop-oracle, counted and
shown, never a verdict on the candidate).

Verdicts (:class:`.status.Verdict`), per candidate and overall: ``certified``
(every graded test passed), ``failed`` (a test failed), ``error`` (an oracle
error, or pytest's internal error), ``incomplete`` (tests were deselected, or the
run has not finished: the certificate written at session start), ``interrupted``
(the run was stopped before its end), ``nothing certified`` (no value was graded:
every case declined, skipped or deselected).  Per dtype also ``passed`` (the
checks' row: passed, no value to grade) and ``declined``.

The certificate names the candidate's module file and the SHA-256 of its source,
its distribution, the oracle's version, the domain the cases covered
(:mod:`.domain`) and the SHA-256 of its own content (:mod:`.certfile`;
``docs/certificate.md``).
"""

from __future__ import annotations

import platform
import re
import sys
from collections import Counter

from . import certfile
from .options import Settings
from .outcome import Stats
from .status import Status, Verdict

FORMAT = "rmsprop-oracle conformance certificate 4"


class Ledger:
    """The suite's test reports and what they say about each candidate."""

    def __init__(self) -> None:
        self.outcomes: dict = {}  # nodeid -> Outcome (the last word on that test)
        self.extra_errors: list = []  # teardown errors after a verdict
        self.pytest_counts: Counter = Counter()
        self.deselected = 0
        self.interrupted = False
        self.broken = False  # pytest's internal error: the run's verdict cannot stand
        self.domains: dict = {}  # target -> dtype -> {status: domain.Domain}
        self.targets: dict = {}  # name -> {"convention": spec, "how": ..., "fingerprint": ...}
        self.options: dict = {}
        self.notes: list = []

    # -- per candidate --------------------------------------------------------
    def by_target(self) -> dict:
        out: dict = {}
        for o in list(self.outcomes.values()) + self.extra_errors:
            out.setdefault(o.target, []).append(o)
            if o.convention and o.target not in self.targets:
                self.targets[o.target] = {"convention": o.convention}
        for name in self.targets:
            out.setdefault(name, [])
        return out

    def verdict(self, outcomes: list) -> Verdict:
        statuses = Counter(o.status for o in outcomes)
        if statuses[Status.ORACLE_ERROR] or self.broken:
            return Verdict.ERROR
        if statuses[Status.FAILED]:
            return Verdict.FAILED
        if self.interrupted:
            return Verdict.INTERRUPTED
        if not any(o.status == Status.PASSED and o.stats.values for o in outcomes):
            return Verdict.NOTHING_CERTIFIED
        if self.deselected:
            return Verdict.INCOMPLETE
        return Verdict.CERTIFIED

    @classmethod
    def placeholder(cls, settings: Settings) -> "Ledger":
        """The certificate written at session start: ``incomplete`` until the run's end replaces it."""
        out = cls()
        out.pending = True
        out.options = settings.record()
        if settings.optimizer:
            out.targets = {settings.optimizer: {"convention": "(not determined yet)", "how": ""}}
        out.notes.append("written at session start: the run has not finished (a run that ends replaces it; "
                         "this one remaining means the run was killed)")
        return out

    pending = False

    def overall(self) -> Verdict:
        if self.pending:
            return Verdict.INCOMPLETE
        return Verdict.worst([self.verdict(v) for v in self.by_target().values()] or [self.verdict([])])

    def dtypes(self, outcomes: list, reruns: bool = False) -> dict:
        """Per dtype: verdict, counts, statistics and where the worst values are (``reruns``: with the command
        rerunning each; the certificate keeps those apart, in ``worst_at``, as the judge has no command line)."""
        per: dict = {}
        for o in outcomes:
            d = per.setdefault(o.dtype or "(checks)", {"counts": Counter(), "stats": Stats()})
            d["counts"][o.status] += 1
            if o.status == Status.PASSED:
                for key, value in (("ulp", o.stats.worst_ulp), ("ratio", o.stats.worst_ratio)):
                    at = getattr(o.stats, f"worst_{key}_at")
                    if at is not None and (f"{key}_at" not in d or value > d[f"{key}_value"]):
                        d[f"{key}_at"], d[f"{key}_value"] = ({**at, "rerun": o.rerun} if reruns else at), value
                d["stats"].merge(o.stats)
        out = {}
        for dtype, d in sorted(per.items()):
            c, s = d["counts"], d["stats"]
            if c[Status.ORACLE_ERROR] or c[Status.FAILED]:
                verdict = Verdict.ERROR if c[Status.ORACLE_ERROR] else Verdict.FAILED
            elif s.values:
                verdict = Verdict.CERTIFIED
            elif c[Status.PASSED]:
                verdict = Verdict.PASSED
            elif c[Status.DECLINED]:
                verdict = Verdict.DECLINED
            else:
                verdict = Verdict.NOTHING_CERTIFIED
            out[dtype] = {
                "verdict": verdict.value, "passed": c[Status.PASSED], "failed": c[Status.FAILED],
                "skipped": c[Status.SKIPPED], "declined": c[Status.DECLINED],
                "oracle_errors": c[Status.ORACLE_ERROR],
                "values_graded": s.values,
                "worst_ulp": s.worst_ulp if s.values else None, "median_ulp": s.median_ulp(),
                "worst_lre": s.worst_lre, "median_lre": s.median_lre(),
                "worst_fraction_of_bound": s.worst_ratio if s.values else None,
                "worst_ulp_at": d.get("ulp_at"), "worst_fraction_of_bound_at": d.get("ratio_at"),
                "reference_engines": dict(sorted(s.engines.items())),  # rung of the bound ladder -> cases
            }
        return out

    def not_checked(self, outcomes: list) -> list:
        """What did not run or was cut short, grouped by reason."""
        groups: dict = {}
        for o in outcomes:
            if o.status in (Status.SKIPPED, Status.DECLINED):
                key = (o.status.value, _first_line(o.detail))
            elif o.status == Status.PASSED and o.compared_steps is not None and o.steps and o.compared_steps < o.steps:
                key = ("horizon", "compared only up to the horizon (after it the bound exceeds u^(1/3) of the value)")
            else:
                continue
            g = groups.setdefault(key, {"tests": 0, "dtypes": set()})
            g["tests"] += 1
            g["dtypes"].add(o.dtype or "-")
        return [{"status": s, "reason": r, "tests": g["tests"], "dtypes": sorted(g["dtypes"])}
                for (s, r), g in sorted(groups.items())]

    # -- output ---------------------------------------------------------------
    def summary_lines(self, details: bool = False) -> list:
        """The terminal summary; ``details``: under each cause of failure, the full report of its first test
        (for a run that shows no other report of it: the judge, ``certify``'s ``--tb=no``)."""
        lines = []
        for target, outcomes in self.by_target().items():
            info = self.targets.get(target, {})
            verdict = self.verdict(outcomes)
            lines.append(f"{target}: {verdict.label} against {info.get('convention', '?')}"
                         + (f" ({info['how']})" if info.get("how") else ""))
            if info.get("fingerprint"):
                lines.append(f"  fingerprint: {info['fingerprint']}")
            for dtype, s in self.dtypes(outcomes, reruns=True).items():
                lre = "-" if s["worst_lre"] is None else f"{s['worst_lre']:.2f}/{s['median_lre']:.2f}"
                ulp = "-" if s["worst_ulp"] is None else f"{s['worst_ulp']:.3g}/{s['median_ulp']:.3g}"
                bound = "-" if s["worst_fraction_of_bound"] is None else f"{s['worst_fraction_of_bound']:.3g}"
                lines.append(f"  {dtype:8} {s['verdict']:15} passed {s['passed']:3} failed {s['failed']:3} "
                             f"declined {s['declined']:3} skipped {s['skipped']:3}  values {s['values_graded']:,}  "
                             f"LRE worst/median {lre}  ULP worst/median {ulp}  worst error {bound} x bound")
                lines += _worst_lines(s)
            for dtype, per in sorted(self.domains.get(target, {}).items()):
                lines.append(f"  domain {dtype:8} " + _domain_line(per))
            for item in self.not_checked(outcomes):
                n = item["tests"]
                lines.append(f"  not checked ({item['status']}, {n} test{'s' * (n > 1)}, {','.join(item['dtypes'])}): "
                             f"{item['reason']}")
            lines += failure_lines(outcomes, details=details)
        counts = Counter(o.status for v in self.by_target().values() for o in v)
        pytest_line = ", ".join(f"{n} {k}" for k, n in sorted(self.pytest_counts.items()))
        lines.append(f"verdict: {self.overall().label}; suite tests: {counts[Status.PASSED]} passed, "
                     f"{counts[Status.FAILED]} failed, {counts[Status.DECLINED]} declined, {counts[Status.SKIPPED]} "
                     f"skipped, {counts[Status.ORACLE_ERROR]} oracle errors (pytest: {pytest_line or 'nothing'}"
                     + (f", {self.deselected} deselected" if self.deselected else "") + ")")
        if self.interrupted:
            lines.append("the run was interrupted: the certificate is incomplete")
        elif self.deselected and self.overall() == Verdict.INCOMPLETE:
            lines.append(f"incomplete, not failed: the selected tests passed (exit status 0), but {self.deselected} "
                         f"suite tests were deselected (-k, --deselect) and a certificate needs them all")
        lines += self.notes
        return lines

    def certificate(self) -> dict:
        import numpy  # the plugin imports nothing heavy at load

        from ... import __version__  # the version in use when called

        versions = {"rmsprop-oracle": __version__, "python": platform.python_version(), "numpy": numpy.__version__}
        for mod in ("hypothesis", "pytest", "mpmath", "xdist"):
            if mod in sys.modules:
                versions[mod] = getattr(sys.modules[mod], "__version__", "?")
        candidates = []
        for target, outcomes in self.by_target().items():
            def listing(status: Status) -> list:
                return [{"test": o.test, "dtype": o.dtype, "nodeid": o.nodeid, "detail": o.detail,
                         **({"rerun": o.rerun} if o.rerun else {})} for o in outcomes if o.status == status]

            counts = Counter(o.status for o in outcomes)
            module = "oracle.conformance.judge.builtin:" if target.startswith("builtin:") else target
            candidates.append({
                "candidate": target, "verdict": (Verdict.INCOMPLETE if self.pending else self.verdict(outcomes)).value,
                **self.targets.get(target, {}), "source": certfile.candidate_source(module),
                "domain": {dtype: {k: d.to_json() for k, d in sorted(per.items())}
                           for dtype, per in sorted(self.domains.get(target, {}).items())},
                "counts": {s.value: counts[s] for s in (Status.PASSED, Status.FAILED, Status.DECLINED, Status.SKIPPED,
                                                        Status.ORACLE_ERROR)},
                "dtypes": self.dtypes(outcomes), "not_checked": self.not_checked(outcomes),
                "worst_at": {d: {"worst_ulp": x["worst_ulp_at"], "worst_fraction_of_bound": x["worst_fraction_of_bound_at"]}
                             for d, x in self.dtypes(outcomes, reruns=True).items() if x["worst_ulp_at"]},
                "failures": listing(Status.FAILED), "oracle_errors": listing(Status.ORACLE_ERROR),
                "declined": listing(Status.DECLINED), "skipped": listing(Status.SKIPPED),
                "output_bytes": sum(o.output_bytes for o in outcomes),
            })
        return {
            "format": FORMAT, "verdict": self.overall().value,
            "pytest": {**dict(sorted(self.pytest_counts.items())), "deselected": self.deselected,
                       "interrupted": self.interrupted},
            "versions": versions,
            "platform": {"system": platform.platform(), "machine": platform.machine(),
                         "processor": platform.processor()},
            "options": self.options, "candidates": candidates, "notes": list(self.notes),
            "limits": "a certificate speaks for the candidate's behaviour on the cases its domain lists, in this "
                      "run; a candidate that detects the oracle can behave differently elsewhere (docs/certificate.md)",
        }

    def write(self, path: str) -> None:
        """Write the sealed JSON certificate atomically, to a regular file only (:func:`.certfile.write`)."""
        certfile.write(path, self.certificate())


def failure_lines(outcomes: list, names: int = 3, details: bool = False) -> list:
    """One summary line per cause of failure (pytest's short summary lists every failed test): the failures
    and oracle errors grouped by their diagnosis, or by their first line without the test's own name;
    ``details``: each followed by the full report of the group's first test.

    >>> from .outcome import Outcome
    >>> fail = [Outcome("c", f"{k}-float32", "float32", "failed", f"{k}-float32: step 1 raised ValueError: x")
    ...         for k in ("a", "b", "c", "d")]
    >>> for line in failure_lines(fail + [Outcome("c", "fingerprint", None, "failed", "no known convention")]):
    ...     print(line)
      FAILED 4 tests (float32): step 1 raised ValueError: x -- a-float32, b-float32, c-float32 and 1 more
      FAILED fingerprint: no known convention
    """
    groups: dict = {}
    for o in outcomes:
        if o.status.failure:
            first = _first_line(o.detail)
            key = o.diagnosis or re.sub(r"^(b?float|complex)[0-9]+: ", "", first.removeprefix(f"{o.test}: "))
            key = key.rstrip(":")
            groups.setdefault((o.status, key), []).append(o)
    lines = []
    for (status, key), group in groups.items():
        if len(group) == 1:
            lines.append(f"  {status.label} {group[0].test}: {group[0].diagnosis or _first_line(group[0].detail)}")
        else:
            dtypes = ", ".join(sorted({o.dtype for o in group if o.dtype})) or "-"
            shown = ", ".join(o.test for o in group[:names])
            shown += f" and {len(group) - names} more" if len(group) > names else ""
            lines.append(f"  {status.label} {len(group)} tests ({dtypes}): {key} -- {shown}")
        if details:
            lines += ["      " + line for line in group[0].detail.rstrip().splitlines()[:40]]
    return lines


def _domain_line(per: dict) -> str:
    """One line of what a dtype's cases covered (graded), and what was declined or skipped."""
    def span(d: dict, k: str) -> str:
        return f"{k} {d[k][0]:.3g}..{d[k][1]:.3g}" if k in d else ""

    parts = []
    if "graded" in per:
        g = per["graded"].to_json()
        parts.append(f"{g['cases']} graded: " + ", ".join(x for x in (
            span(g, "lr"), span(g, "rho"), span(g, "eps"), span(g, "momentum"), span(g, "weight_decay"),
            span(g, "arrays"), span(g, "elements"), f"longest run {g['longest_run']} (compared to step "
            f"{g['longest_compared']})", "regimes: " + (", ".join(g["regimes"]) or "-")) if x))
    for status in ("declined", "skipped"):
        if status in per:
            d = per[status].to_json()
            parts.append(f"{d['cases']} {status} ({', '.join(x for x in (span(d, 'lr'), span(d, 'rho')) if x)})")
    return "; ".join(parts) or "no case"


def _worst_lines(s: dict) -> list:
    """Where a dtype's worst ULP error and worst fraction of the bound are, with the command rerunning it."""
    out = []
    for label, key in (("worst ULP", "worst_ulp_at"), ("worst bound ratio", "worst_fraction_of_bound_at")):
        at = s.get(key)
        if at:
            element = "(" + ", ".join(str(x) for x in at["element"]) + ("," if len(at["element"]) == 1 else "") + ")"
            element += f" {at['part']}" if at.get("part") else ""  # a complex case: the real or imaginary part
            out.append(f"           {label} at {at['case']} step {at['step']}, parameter {at['parameter']}, "
                       f"element {element}" + (f"; rerun: {at['rerun']}" if at.get("rerun") else ""))
    return out


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""
