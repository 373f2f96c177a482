"""Which convention does a candidate follow?  Discriminating probes, one question each.

Each probe is a short open-loop run whose hyperparameters are binary32 numbers
except the one under test, so it answers one question and nothing else can
explain the answer:

==========================  ===============================================  ==================
probe                       question                                         hyperparameters
==========================  ===============================================  ==================
``eps-and-v0``              eps inside or outside the root; v0 = 0 or 1      tiny gradients
``lr-rounding``             lr used exactly or rounded to float32            lr = 0.1
``rho-rounding``            rho exactly or rounded                           rho = 0.9
``eps-rounding``            eps exactly or rounded                           eps = 1e-4, tiny g
``momentum-eps``            with momentum, eps on the same side or not       momentum = 0.5
``momentum-rounding``       momentum exactly or rounded                      momentum = 0.9
``weight-decay-coupling``   weight decay coupled or decoupled                wd = 0.25
``weight-decay-rounding``   weight decay exactly or rounded                  wd = 0.1
``lr-in-momentum``          lr inside the momentum buffer or outside          momentum = 0.5,
                            (seen only when lr changes: a schedule)           lr 0.5, 0.125, 0.25
``maximize``                maximize=True ascends: g <- -g before the        wd = 0.25
                            coupled weight decay (PyTorch), so only the
                            gradient's sign flips, not the decay's
``subnormals``              subnormals kept or flushed to zero, per dtype;   eps = 1; p and g below
                            a flush (the CPU's) applies to every preset      the smallest normal
==========================  ===============================================  ==================

(the momentum, weight-decay and maximize probes only when the factory accepts the option and does not
decline it; ``maximize`` asks no switch: a candidate that ignores the option, or negates the whole update,
agrees with no convention). Every answer is graded against the error bound in every dtype being certified
(the candidate's declined dtypes left out); the answers that pass all of them are kept. A convention
*agrees* with the candidate when it passes every probe in every such dtype. The suite certifies against the
candidate's declared ``CONVENTION`` -- always: a declaration is binding, and when the probes disagree with
it the fingerprint fails with "declares SPEC but behaves as ..." -- else against an agreeing preset (one
allowing the factory's options first). When nothing agrees, the suite still runs every test, against the
``--convention=`` spec the probes determine or else the closest preset (the smallest share of failed probes,
under which the mistake catalogue explains the first failing probe), so the diagnosis runs; the fingerprint
fails, showing each disagreeing probe as its question and both answers in words (:data:`QUESTIONS`, :func:`in_words`), and
:func:`first_failure` names the first divergence and its most likely cause.  In float32 and float16 the rounding of
hyperparameters to float32 cannot be seen; lr inside or outside the momentum
buffer gives the same exact trajectory at constant lr: it is asked (``lr-in-momentum``)
only of a factory that takes ``lr_schedule``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any, Callable, Optional

import numpy as np

from ...rounding import component_dtype, limits
from ...conventions import (HYPERPARAMETERS, PRESET_NAMES, Convention, flush_dtypes, parse, preset, rounding_mode,
                           subnormals_mode)
from ..isolation.candidate import Candidate, CandidateError, Declined
from .cases import Case, arr
from .grading import grade
from .status import Status

EXACT = dict(lr=0.5, rho=0.75, eps=2.0**-20)
"""Hyperparameters exact in every dtype: a probe changes only what it asks about."""


@dataclasses.dataclass(frozen=True)
class Probe:
    name: str
    hyper: dict
    options: dict
    tiny: bool  # gradients far below sqrt(eps)
    answers: Callable[[dict], list]  # known answers -> possible new answers (dicts of fields)
    needs: str = ""  # the option the factory must accept
    subnormal: bool = False  # parameters and gradients below the smallest normal number

    def case(self, dtype: str) -> Case:
        normal = limits(dtype)[0] if self.subnormal else 1.0
        p0 = [arr(np.array([0.5, -0.25, 0.0]) * normal, dtype)]
        scale = 1e-3 if self.tiny else normal / 2 if self.subnormal else 1.0
        rows = ([1.0, -2.0, 0.5], [3.0, 1.0, -1.0], [-2.0, 1.0, 1.0]) if self.tiny else \
            ([0.7, -1.3, 0.2], [-0.4, 0.9, 1.1], [0.3, 0.6, -0.8])
        grads = [[arr(np.array(r) * scale, dtype)] for r in rows]
        return Case(f"probe-{self.name}", dtype, p0, dict(self.hyper), 3, dict(self.options), grads=grads,
                    tags=("probe",))


def _rounding(name: str) -> Callable[[dict], list]:
    return lambda known: [{"round_" + name: False}, {"round_" + name: True}]


PROBES = (
    Probe("eps-and-v0", dict(EXACT, eps=2.0**-14), {}, True,
          lambda k: [{"eps_placement": p, "v0": v} for p in ("inside", "outside") for v in (0, 1)]),
    Probe("lr-rounding", dict(EXACT, lr=0.1), {}, False, _rounding("lr")),
    Probe("rho-rounding", dict(EXACT, rho=0.9), {}, False, _rounding("rho")),
    Probe("eps-rounding", dict(EXACT, eps=1e-4), {}, True, _rounding("eps")),
    Probe("momentum-eps", dict(EXACT, eps=2.0**-14), {"momentum": 0.5}, True,
          lambda k: [{"eps_placement_with_momentum": "same"},
                     {"eps_placement_with_momentum": "outside" if k["eps_placement"] == "inside" else "inside"}],
          needs="momentum"),
    Probe("momentum-rounding", EXACT, {"momentum": 0.9}, False, _rounding("momentum"), needs="momentum"),
    Probe("weight-decay-coupling", dict(EXACT, eps=2.0**-14), {"weight_decay": 0.25}, True,
          lambda k: [{"decoupled_weight_decay": False}, {"decoupled_weight_decay": True}], needs="weight_decay"),
    Probe("weight-decay-rounding", EXACT, {"weight_decay": 0.1}, False, _rounding("weight_decay"),
          needs="weight_decay"),
    Probe("lr-in-momentum", EXACT, {"momentum": 0.5, "lr_schedule": (0.5, 0.125, 0.25)}, False,
          lambda k: [{"lr_in_momentum": False}, {"lr_in_momentum": True}], needs="momentum+lr_schedule"),
    Probe("maximize", dict(EXACT, eps=2.0**-14), {"maximize": True, "weight_decay": 0.25}, False,
          lambda k: [{}], needs="maximize+weight_decay"),
    Probe("subnormals", dict(EXACT, eps=1.0), {}, False,  # last: a flush answer is narrowed per dtype (_answer)
          lambda k: [{"subnormals": "gradual"}, {"subnormals": "flush"}], subnormal=True),
)


QUESTIONS = {
    "eps-and-v0": "is eps inside or outside the root, and does the accumulator start at 0 or 1?",
    "lr-rounding": "is lr used exactly or rounded to float32?",
    "rho-rounding": "is rho used exactly or rounded to float32?",
    "eps-rounding": "is eps used exactly or rounded to float32?",
    "momentum-eps": "with momentum on, does eps stay on the same side of the root?",
    "momentum-rounding": "is momentum used exactly or rounded to float32?",
    "weight-decay-coupling": "is weight decay coupled (added to the gradient) or decoupled (p -= lr wd p)?",
    "weight-decay-rounding": "is weight decay used exactly or rounded to float32?",
    "subnormals": "are subnormal numbers kept (gradual underflow) or flushed to zero?",
}
"""The question each probe asks, in words."""


def in_words(answer: dict) -> str:
    """One probe's answer in words (``{"eps_placement": "outside", "v0": 0}`` -> ``eps outside the root, v0 = 0``).

    >>> in_words({"eps_placement": "outside", "v0": 0}), in_words({"round_lr": True})
    ('eps outside the root, v0 = 0', 'lr rounded to float32')
    """
    words = []
    for k, v in answer.items():
        if k == "eps_placement":
            words.append(f"eps {v} the root")
        elif k == "v0":
            words.append(f"v0 = {v}")
        elif k.startswith("round_"):
            words.append(f"{k[len('round_'):]} {'rounded to float32' if v else 'exact'}")
        elif k == "eps_placement_with_momentum":
            words.append("eps on the same side with momentum" if v == "same" else f"eps {v} the root with momentum")
        elif k == "decoupled_weight_decay":
            words.append("weight decay decoupled" if v else "weight decay coupled")
        elif k == "subnormals":
            words.append(f"subnormals flushed to zero in {', '.join(flush_dtypes(v))}" if flush_dtypes(v) else
                         "subnormals kept (gradual underflow)")
        else:
            words.append(f"{k} = {v}")
    return ", ".join(words)


def convention_of(answers: dict) -> Convention:
    """A convention with the answered switches (everything else as the seed documents)."""
    rounded = [n for n in HYPERPARAMETERS if answers.get("round_" + n)]
    fields = {k: v for k, v in answers.items() if not k.startswith("round_")}
    return Convention(name="probed", hyperparameters=rounding_mode(rounded), **fields)


def answers_of(conv: Convention, asked: set) -> dict:
    """A convention's answers to the questions that were asked."""
    out: dict = {"eps_placement": conv.eps_placement, "v0": int(conv.exact("v0"))}
    names = conv.rounded
    for n in ("lr", "rho", "eps", "momentum", "weight_decay"):
        out["round_" + n] = n in names
    out["eps_placement_with_momentum"] = conv.eps_placement_with_momentum
    if out["eps_placement_with_momentum"] == conv.eps_placement:
        out["eps_placement_with_momentum"] = "same"
    out["decoupled_weight_decay"] = conv.decoupled_weight_decay
    out["lr_in_momentum"] = conv.lr_in_momentum
    out["subnormals"] = conv.subnormals
    return {k: v for k, v in out.items() if k in asked}


@dataclasses.dataclass
class Fingerprint:
    """What the probes found."""

    spec: Optional[str]  # the convention to certify against (None: nothing agrees)
    matched: bool  # spec is the declared convention or a preset agreeing with every probe
    equivalent: tuple = ()  # the presets agreeing with every probe
    closest: Optional[str] = None
    differing: tuple = ()  # (probe, dtype, worst error / bound) where the closest preset fails
    dtypes: tuple = ()  # the dtypes probed
    rounding: Optional[str] = None  # the hyperparameter rounding identified, if determined
    note: str = ""
    declared: Optional[str] = None  # the candidate's CONVENTION, when the probes disagree with it
    behaves: Optional[str] = None  # what the probes say instead (an agreeing preset, a determined spec)
    disagreements: tuple = ()  # (probe, question, the convention's answer, the candidate's answer), in words

    def questions(self) -> str:
        """The disagreeing probes as questions with both answers."""
        against = self.declared or self.closest
        shown = "; ".join(f"probe {p} asked: {q} {against} answers: {mine}; the candidate answers: {theirs}"
                          for p, q, mine, theirs in self.disagreements[:3])
        more = len(self.disagreements) - 3
        return shown + (f"; {more} more probe{'s disagree' if more > 1 else ' disagrees'}" if more > 0 else "")

    def header(self) -> str:
        where = f"probed in {', '.join(self.dtypes)}" if self.dtypes else "not probed"
        if self.declared:
            behaves = self.behaves or "no known convention"
            out = f"declares {self.declared} but behaves as {behaves} ({where}{'; ' + self.note if self.note else ''})"
            return out + (f"; {self.questions()}" if self.disagreements else "")
        if self.matched:
            eq = [e for e in self.equivalent if e != self.spec]
            also = f"; presets agreeing on every probe: {', '.join(self.equivalent)}" if eq else ""
            return f"follows {self.spec} ({where}{also})"
        lines = [f"no preset agrees with every probe ({where}{'; ' + self.note if self.note else ''})"]
        if self.closest:
            diff = ", ".join(f"{p} in {d}: {r:.3g} x bound" for p, d, r in self.differing[:3])
            if len(self.differing) > 3:
                diff += f" and {len(self.differing) - 3} more"
            lines.append(f"closest preset: {self.closest} (differs on {diff or 'no probe'})")
        if self.spec and self.spec != self.closest:
            lines.append(f"the probes determine --convention={self.spec}")
        if self.disagreements:
            lines.append(self.questions())
        return "; ".join(lines)


class _Runs:
    """The candidate's trajectory on each probe and dtype (run once), and grades against conventions."""

    def __init__(self, candidate: Candidate, dtypes: tuple) -> None:
        self.candidate, self.dtypes = candidate, dtypes
        self.trajs: dict = {}
        self.declined: dict = {}

    def traj(self, probe: Probe, dtype: str) -> Any:
        key = (probe.name, dtype)
        if key not in self.trajs:
            case = probe.case(dtype)
            try:
                self.trajs[key] = self.candidate.run(case.params0, case.hyper, case.options, case.feed(), case.steps)
            except Declined as exc:
                self.trajs[key], self.declined[key] = None, str(exc)
        return self.trajs[key]

    def ratio(self, conv: Convention, probe: Probe, dtype: str) -> Optional[float]:
        """Worst error / bound of the candidate against ``conv`` on one probe (None: the probe's options are
        not in the convention, so it says nothing about it)."""
        case = probe.case(dtype)
        try:
            conv = conv.replace(**case.hyper, **case.options)
        except ValueError:
            return None
        g = grade(self.candidate, conv, case, diagnose=False, traj=self.traj(probe, dtype))
        if g.status == Status.FAILED:
            return max(g.worst_ratio, 1.0 + 1e-9) if math.isfinite(g.worst_ratio) else math.inf
        return g.worst_ratio

    def worst(self, conv: Convention, probes: list) -> tuple:
        """(worst ratio, the (probe, dtype, ratio) that exceed the bound) over probes and dtypes."""
        worst, bad = 0.0, []
        self.graded = 0  # how many (probe, dtype) said something about ``conv``
        for probe in probes:
            for dtype in self.dtypes:
                if self.traj(probe, dtype) is None:
                    continue
                r = self.ratio(conv, probe, dtype)
                if r is None:
                    continue
                self.graded += probe.name != "subnormals"  # the arithmetic, not the algorithm: no distance
                worst = max(worst, r)
                if r > 1.0:
                    bad.append((probe.name, dtype, r))
        return worst, bad


def identify(candidate: Candidate, dtypes: tuple = ("float64",), rounding: str = "convention") -> Fingerprint:
    """Probe ``candidate`` in ``dtypes``; ``rounding="auto"`` lets the probes decide hyperparameter rounding.

    The probes are real: a complex dtype is probed as its component dtype (complex64: float32).
    """
    dtypes = tuple(dict.fromkeys(component_dtype(d) for d in dtypes))
    runs = _Runs(candidate, dtypes)
    try:
        usable = [d for d in dtypes if runs.traj(PROBES[0], d) is not None]
        if not usable:
            return Fingerprint(None, False, note=f"the candidate declined every dtype probed "
                               f"({'; '.join(sorted(set(runs.declined.values())))})")
        runs.dtypes = tuple(usable)
        probes = [p for p in PROBES if all(n in candidate.options for n in p.needs.split("+") if n)]
        probes = [p for p in probes if all(runs.traj(p, d) is not None for d in usable)]
        hypotheses = _answer(runs, probes)
        return _conclude(candidate, runs, probes, hypotheses, rounding)
    except CandidateError as exc:
        return Fingerprint(None, False, dtypes=tuple(dtypes), note=f"the candidate failed on a probe: {exc.text()}")


def _answer(runs: _Runs, probes: list) -> list:
    """Every assignment of the probed switches that passes every probe (empty: nothing agrees)."""
    hypotheses: list = [{}]
    for probe in probes:
        nxt = []
        for known in hypotheses:
            for new in probe.answers(known):
                trial = {**known, **new}
                if runs.worst(convention_of(trial), [probe])[0] <= 1.0:
                    nxt.append(trial)
        hypotheses = nxt
        if not hypotheses:
            break
        if probe.name == "subnormals":  # each flush narrowed to the dtypes that flush, duplicates dropped
            nxt = [_narrowed(runs, probe, h) for h in hypotheses]
            hypotheses = [h for i, h in enumerate(nxt) if h not in nxt[:i]]
    return hypotheses


def _narrowed(runs: _Runs, probe: Probe, h: dict) -> dict:
    """A ``subnormals=flush`` answer narrowed to the dtypes where gradual underflow fails the probe."""
    gradual = convention_of({**h, "subnormals": "gradual"})
    flushing = [d for d in runs.dtypes if h.get("subnormals") == "flush" and (runs.ratio(gradual, probe, d) or 0) > 1]
    return {**h, "subnormals": subnormals_mode(flushing)} if h.get("subnormals") == "flush" else h


def _conclude(candidate: Candidate, runs: _Runs, probes: list, hypotheses: list, rounding: str) -> Fingerprint:
    asked = set(itertools.chain.from_iterable(h.keys() for h in hypotheses)) or {"eps_placement", "v0"}
    identified = _identified_rounding(hypotheses)
    modes = {h.get("subnormals", "gradual") for h in hypotheses}
    flushing = modes.pop() if len(modes) == 1 and "gradual" not in modes else None  # a flush all agree on

    def adjusted(conv: Convention, kind: str = "preset") -> Convention:
        if flushing is not None and kind == "preset":  # the CPU's arithmetic, not the preset's algorithm
            conv = conv.replace(subnormals=flushing)
        if rounding == "auto" and identified is not None:
            return conv.replace(hyperparameters=identified)
        return conv

    named = []
    invalid = ""  # why a declared CONVENTION is no convention spec
    if candidate.convention:
        try:
            named.append(("declared", candidate.convention, parse(candidate.convention)))
        except ValueError as err:
            invalid = str(err)
    named += [("preset", n, preset(n)) for n in PRESET_NAMES]
    scores = {}
    for kind, label, conv in named:
        conv = adjusted(conv, kind)
        worst, bad = runs.worst(conv, probes)
        scores[(kind, label)] = (worst, bad, conv, runs.graded)
    agreeing = [n for n in PRESET_NAMES if scores[("preset", n)][0] <= 1.0]
    base = dict(dtypes=runs.dtypes, equivalent=tuple(agreeing), rounding=identified)
    declared = scores.get(("declared", candidate.convention or ""))
    if declared and declared[0] <= 1.0:
        return Fingerprint(declared[2].spec(), True, **base)
    fits = [n for n in agreeing if candidate.options <= preset(n).allows] or agreeing
    ranked = sorted(PRESET_NAMES, key=lambda n: _distance(scores[("preset", n)], candidate.options, n))
    closest = ranked[0] if fits else next((n for n in ranked if _explained(runs, probes, scores[("preset", n)])),
                                          ranked[0])
    determined = None if fits else _determined(closest, hypotheses, asked, runs, probes)
    if declared:  # a declared convention is binding: certify against it, and say how the candidate behaves
        conv = declared[2]
        behaves = scores[("preset", fits[0])][2].spec() if fits else determined
        return Fingerprint(conv.spec(), False, closest=closest, differing=tuple(declared[1]),
                           declared=candidate.convention, behaves=behaves,
                           disagreements=_disagreements(runs, probes, conv, declared[1], hypotheses), **base)
    if invalid:  # a declaration that cannot be held is no declaration: the run fails and says why
        behaves = scores[("preset", fits[0])][2].spec() if fits else determined
        return Fingerprint(behaves or scores[("preset", closest)][2].spec(), False, closest=closest,
                           declared=candidate.convention, behaves=behaves,
                           note=f"the declared CONVENTION is no convention spec: {invalid}", **base)
    if fits:
        return Fingerprint(scores[("preset", fits[0])][2].spec(), True, **base)
    worst = scores[("preset", closest)]
    # nothing agrees: the spec the probes determine, else the closest preset, so the whole suite (and its
    # diagnosis) still runs
    return Fingerprint(determined or worst[2].spec(), False, closest=closest, differing=tuple(worst[1]),
                       disagreements=_disagreements(runs, probes, worst[2], worst[1], hypotheses), **base)


def _distance(score: tuple, options: frozenset, name: str) -> tuple:
    """How far a preset is from the candidate: the share of probes it fails; then a preset allowing the
    factory's options, one using hyperparameters exactly, first; then the mean log ratio; then order."""
    bad, graded = [b for b in score[1] if b[0] != "subnormals"], score[3]  # (the arithmetic: Runs.worst)
    logs = [math.log2(r) if math.isfinite(r) else 2048.0 for _, _, r in bad]
    conv = preset(name)
    return (round(len(bad) / max(graded, 1), 3), not options <= conv.allows, conv.hyperparameters != "exact",
            sum(logs) / max(len(logs), 1), PRESET_NAMES.index(name))


def _explained(runs: _Runs, probes: list, score: tuple) -> bool:
    """Whether the catalogue names a mistake reproducing the candidate on the first probe ``score`` fails
    (the closest convention is the first, in order of distance, under which a catalogued mistake explains
    the candidate)."""
    _, bad, conv, _ = score
    if not bad:
        return False
    name, dtype, _ = bad[0]
    probe = next(p for p in probes if p.name == name)
    case = probe.case(dtype)
    try:
        g = grade(runs.candidate, conv.replace(**case.hyper, **case.options), case, traj=runs.traj(probe, dtype))
    except ValueError:
        return False
    return g.cause.startswith("most likely cause")


def _disagreements(runs: _Runs, probes: list, conv: Convention, bad: list, hypotheses: list) -> tuple:
    """The probes ``conv`` fails, each as (probe, question, ``conv``'s answer, the candidate's answer) in words."""
    out = []
    failed = {p for p, _, _ in bad}
    for probe in probes:
        if probe.name not in failed:
            continue
        known = answers_of(conv, {"eps_placement", "v0"})
        options = probe.answers(known)
        keys = set().union(*(o.keys() for o in options))
        mine = answers_of(conv, keys)
        theirs = []
        for option in options:
            try:
                trial = _with_answer(conv, option)
            except ValueError:
                continue
            if trial is not None and runs.worst(trial, [probe])[0] <= 1.0:
                theirs.append(in_words(option))
        out.append((probe.name, QUESTIONS[probe.name], in_words(mine),
                    " or ".join(theirs) if theirs else "none of these (no answer fits within the bound)"))
    return tuple(out)


def _with_answer(conv: Convention, answer: dict) -> Optional[Convention]:
    """``conv`` with one probe's answer applied."""
    fields = {k: v for k, v in answer.items() if not k.startswith("round_")}
    names = set(conv.rounded)
    for k, v in answer.items():
        if k.startswith("round_"):
            (names.add if v else names.discard)(k[len("round_"):])
    if fields.get("eps_placement_with_momentum") not in (None, "same") and \
            fields["eps_placement_with_momentum"] == fields.get("eps_placement", conv.eps_placement):
        fields["eps_placement_with_momentum"] = "same"
    return conv.replace(**fields, hyperparameters=rounding_mode(names))


def _identified_rounding(hypotheses: list) -> Optional[str]:
    """The rounding all hypotheses agree on (v0, never probed, counted as rounded when all probed names are)."""
    modes = set()
    for h in hypotheses:
        asked = [k[len("round_"):] for k in h if k.startswith("round_")]
        names = {n for n in asked if h["round_" + n]}
        if asked and len(names) == len(asked) == len(HYPERPARAMETERS) - 1:
            names.add("v0")
        modes.add(rounding_mode(names))
    return modes.pop() if len(modes) == 1 else None


def _determined(closest: str, hypotheses: list, asked: set, runs: _Runs, probes: list) -> Optional[str]:
    """The spec nearest to ``closest`` that agrees with every probe, if the probes leave one."""
    if not hypotheses:
        return None
    base = preset(closest)
    mine = answers_of(base, asked)
    best = min(hypotheses, key=lambda h: sum(mine.get(k) != v for k, v in h.items()))
    fields = {k: v for k, v in best.items() if not k.startswith("round_")}
    rounded = set(base.rounded)
    for n in ("lr", "rho", "eps", "momentum", "weight_decay"):
        if "round_" + n in best:
            (rounded.add if best["round_" + n] else rounded.discard)(n)
    if rounded >= set(HYPERPARAMETERS) - {"v0"}:
        rounded.add("v0")  # never probed: v0 is 0 or 1, exact in every format
    try:
        conv = base.replace(**fields, hyperparameters=rounding_mode(rounded))
    except ValueError:
        return None
    return conv.spec() if runs.worst(conv, probes)[0] <= 1.0 else None


def first_failure(candidate: Candidate, spec: str, dtypes: tuple, cases: Callable[[str], list]) -> Optional[str]:
    """Where the candidate first fails against ``spec`` and the diagnosis there, in one line (None: nowhere).

    The probes are graded first (short, and they are where a convention shows), then ``cases(dtype)``
    in order; the first failure's divergence and the catalogue's verdict on it are returned.
    """
    base = parse(spec)
    for dtype in dtypes:
        items = ([p.case(component_dtype(dtype)) for p in PROBES if not p.needs or p.needs in candidate.options]
                 + list(cases(dtype)))
        for case in items:
            if case.exact is not None and case.replayed().structure() != base.structure():
                continue  # a golden replay applies only to its own structure (as in the suite)
            try:
                conv = base.replace(**case.hyper, **case.options)
            except ValueError:
                continue
            g = grade(candidate, conv, case)
            if g.status != Status.FAILED:
                continue
            lines = g.message.splitlines()
            where = next((x.split(":", 1)[1].strip() for x in lines if x.startswith("first divergence:")), "")
            text = f"first divergence at {case.id}" + (f", {where}" if where else f": {lines[0] if lines else ''}")
            cause = g.cause or "no catalogued mistake explains this"
            return f"{text}; {cause}"
    return None
