"""Which preset does a candidate follow?  Discriminating probes.

Short float64 probes separate the conventions: a gradient far below sqrt(eps)
(eps inside or outside the root; accumulator started at 0 or 1), the same with
weight decay when the factory accepts it (coupled, decoupled), and ordinary
gradients with hyperparameters that are not float32 numbers (0.1, 0.9, 1e-8:
used exactly, lr alone rounded to float32 as Keras does, or all rounded to
float32 first).  Every preset, under each
hyperparameter rounding, is graded on every probe; the presets whose bound is
never exceeded match.  Presets that agree on every probe (seed and optax are
the same update) are reported as equivalent.  With a constant learning rate,
lr inside or outside the momentum buffer gives the same exact trajectory, so
that switch is not (and need not be) identified.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from ..conventions import PRESET_NAMES, preset
from .candidate import Candidate
from .cases import Case
from .session import ROUNDING_MODES, convention_for


def probes(candidate: Candidate) -> list:
    p0 = [np.array([0.5, -0.25, 0.0])]
    tiny = [[np.array([1e-3, -2e-3, 5e-4])], [np.array([3e-3, 1e-3, -1e-3])], [np.array([-2e-3, 1e-3, 1e-3])]]
    out = [Case("probe-eps", "float64", p0, dict(lr=0.1, rho=0.9, eps=1e-4), 3, grads=tiny, tags=("probe",))]
    if "weight_decay" in candidate.options:
        out.append(Case("probe-weight-decay", "float64", p0, dict(lr=0.1, rho=0.9, eps=1e-4), 3,
                        {"weight_decay": 0.25}, grads=tiny, tags=("probe",)))
    normal = [[np.array([0.7, -1.3, 0.2])], [np.array([-0.4, 0.9, 1.1])]]
    out.append(Case("probe-hyperparameters", "float64", p0, dict(lr=0.1, rho=0.9, eps=1e-8), 2, grads=normal,
                    tags=("probe",)))
    return out


@dataclasses.dataclass
class Fingerprint:
    preset: Optional[str]  # the preset to certify against (the closest when nothing matches)
    matched: bool
    equivalent: tuple  # all presets matching every probe (under the rounding below)
    rounding: str  # the first of ROUNDING_MODES under which some preset matches
    scores: dict  # (preset, mode) -> worst ratio over the probes
    note: str = ""

    def header(self) -> str:
        if not self.matched:
            return (f"no preset matches ({self.note}); closest: {self.preset} "
                    f"(worst error {self.scores.get((self.preset, 'exact'), math.inf):.3g} x bound)")
        hyp = {"exact": "uses its hyperparameters exactly",
               "float32_lr": "rounds its learning rate (only) to float32",
               "float32": "rounds its hyperparameters to float32"}[self.rounding]
        eq = f" (equivalent on the probes: {', '.join(self.equivalent)})" if len(self.equivalent) > 1 else ""
        return f"follows {self.preset}{eq}; {hyp}"


def identify(candidate: Candidate) -> Fingerprint:
    """Grade every preset (exact and float32 hyperparameters) on the probes."""
    from .grading import grade

    from .candidate import CandidateError

    scores: dict = {(n, m): 0.0 for n in PRESET_NAMES for m in ROUNDING_MODES}
    for case in probes(candidate):  # open loop: one run of the candidate serves every preset
        try:
            traj = candidate.run(case.params0, case.hyper, case.options, case.feed(), case.steps)
        except CandidateError as exc:
            inf = {key: math.inf for key in scores}
            return Fingerprint(candidate.convention or "seed", False, (), "exact", inf, f"{case.id}: {exc}")
        for name in PRESET_NAMES:
            for mode in ROUNDING_MODES:
                try:
                    conv = convention_for(name, mode, case.hyper, case.options)
                except ValueError:
                    continue  # the preset has no such option
                g = grade(candidate, conv, case, diagnose=False, traj=traj)
                worst = g.worst_ratio if g.status != "failed" else max(g.worst_ratio, 1.0 + 1e-9)
                scores[(name, mode)] = max(scores[(name, mode)], worst)
    pick = lambda names: _prefer(candidate, names)
    for mode in ROUNDING_MODES:
        fits = tuple(n for n in PRESET_NAMES if scores[(n, mode)] <= 1.0)
        if fits:
            return Fingerprint(pick(fits), True, fits, mode, scores)
    closest = min(PRESET_NAMES, key=lambda n: min(scores[(n, m)] for m in ROUNDING_MODES))
    return Fingerprint(closest, False, (), "exact", scores, "every preset's bound is exceeded on some probe")


def _prefer(candidate: Candidate, names: tuple) -> str:
    """The declared CONVENTION if it matches, else a preset allowing the factory's options."""
    if candidate.convention in names:
        return candidate.convention
    for n in names:
        if set(candidate.options) <= set(preset(n).allows):
            return n
    return names[0]
