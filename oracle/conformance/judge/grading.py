"""Run a candidate on a case and grade it against the reference.

Every followed element of every parameter array is compared at every step
while the reference can still hold a float implementation to the exact
trajectory: an element is compared while its bound is at most u^(1/3) of the
exact value (two thirds of the dtype's digits) or below the smallest normal
number, and is dropped for good after that (:func:`oracle.accuracy.compared`;
the last step every element is compared is the *horizon*).  The candidate
passes when the error of every compared value is within the bound.  Each value
is graded in ULPs of the dtype at the exact value, in LRE (log relative error,
capped at the dtype's digits) and as a fraction of the bound
(:mod:`oracle.accuracy`).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Optional

import numpy as np

from ...accuracy import abs_error, bound_ratio, lre, ulp, ulp_error
from ...conventions import Convention
from ...engines.certify import certified_run
from ...rounding import COMPLEX_DTYPES, component_dtype, format_sci
from . import mistakes
from ..isolation.candidate import Candidate, CandidateError, Declined
from .cases import Case
from .options import LOCAL, Compute
from .outcome import Stats
from .status import Status
from .reference import as_real, followed, reference


@dataclasses.dataclass
class Grade:
    """The outcome of one candidate on one case."""

    case: str
    dtype: str
    status: Status  # passed | failed | skipped | declined
    message: str = ""
    compared: int = 0  # values compared
    last_step: int = 0  # last step with a compared value
    stats: Stats = dataclasses.field(default_factory=Stats)
    cause: str = ""
    diagnosis: str = ""  # the cause without the numbers of this case: what failures of one cause share

    @property
    def worst_ratio(self) -> float:
        return self.stats.worst_ratio


def grade(candidate: Candidate, conv: Convention, case: Case, *, diagnose: bool = True,
          traj: Optional[list] = None, compute: Compute = LOCAL) -> Grade:
    """Run ``candidate`` on ``case`` (or take its open-loop trajectory ``traj``) and grade it against ``conv``
    (the reference of a large case computed where ``compute`` says)."""
    missing = candidate.supports(case.options)
    if missing:
        return Grade(case.id, case.dtype, Status.SKIPPED, f"unsupported: the factory has no {missing!r} option")
    ref = reference(conv, case, compute)
    if ref.undefined:
        return Grade(case.id, case.dtype, Status.SKIPPED, ref.undefined)
    try:
        if traj is None:
            traj = candidate.run(case.params0, case.hyper, case.options, case.feed(), case.steps)
    except Declined as exc:
        return Grade(case.id, case.dtype, Status.DECLINED, str(exc))
    except CandidateError as exc:
        return Grade(case.id, case.dtype, Status.FAILED, f"{case.id}: {exc.text()}", cause="broke the protocol",
                     diagnosis=str(exc))
    got = [[as_real(g) for g in followed(case, arrays)] for arrays in traj]
    real = component_dtype(case.dtype)  # ULP and LRE of a complex case: per part, in the component dtype
    masks = ref.masks
    result = Grade(case.id, case.dtype, Status.PASSED)
    result.stats.engines[ref.engine] = 1  # which rung of the bound ladder computed the reference
    pending: list = []  # (error, exact, ratio) of compared values, added to the stats in batches

    def flush() -> None:
        if pending:
            e, hi, ratio = (np.concatenate(x) for x in list(zip(*pending))[:3])
            starts = np.cumsum([0] + [len(p[0]) for p in pending])
            wheres = [p[3] for p in pending]

            def where(k: int) -> dict:  # the location of the k-th value of the batch
                n = int(np.searchsorted(starts, k, side="right")) - 1
                return wheres[n](k - int(starts[n]))

            with np.errstate(all="ignore"):  # an error near float64's max is infinitely many ULPs, not a crash
                result.stats.add(ulp_error(e, hi, real), lre(e, hi, real), ratio, where=where)
            pending.clear()

    for t in range(1, ref.last + 1):
        for i, g in enumerate(got[t]):
            hi, lo, err = ref.params[t][i]
            mask = masks[t][i]
            if not mask.any():
                continue
            with np.errstate(all="ignore"):
                e = abs_error(g, hi, lo)
                ratio = bound_ratio(e, err)
            result.compared += int(mask.sum())
            result.last_step = t
            pending.append((e[mask], hi[mask], ratio[mask], located(case, t, i, np.flatnonzero(mask))))
            bad = np.flatnonzero(mask & ~(ratio <= 1.0))
            if bad.size:
                flush()
                j = int(bad[np.argmax(ratio[bad])])
                result.status = Status.FAILED
                result.message = failure_text(conv, case, ref, got, masks, t, i, j, diagnose, result)
                return result
        if len(pending) > 512:
            flush()
    flush()
    if result.compared == 0:
        result.status = Status.SKIPPED
        result.message = f"{case.id}: beyond the reach of {case.dtype} (no value within the horizon)"
    return result


def _part(case: Case, j: int) -> tuple:
    """Value ``j`` of a flattened parameter: (element index, "re"/"im" or "") (complex: two values each)."""
    if case.dtype in COMPLEX_DTYPES:
        return j // 2, ("re", "im")[j % 2]
    return j, ""


def located(case: Case, t: int, i: int, compared: np.ndarray):
    """``where(k)``: the case, step, parameter and element of the k-th compared value of parameter ``i``
    (a complex case names the part, ``"part": "re"`` or ``"im"``)."""
    def where(k: int) -> dict:
        j, part = _part(case, int(compared[k]))
        flat = int(case.sample[i][j]) if case.sample is not None else j
        shape = np.shape(case.params0[i])
        element = [int(x) for x in np.unravel_index(flat, shape)] if shape else []
        out = {"case": case.id, "step": t, "parameter": i, "element": element}
        if part:
            out["part"] = part
        return out

    return where


def failure_text(conv, case, ref, got, masks, t, i, j, diagnose, result) -> str:
    hi, lo, err = ref.params[t][i]
    g = got[t][i][j]
    shape = np.shape(case.params0[i])
    element, part = _part(case, j)
    flat = int(case.sample[i][element]) if case.sample is not None else element
    where = np.unravel_index(flat, shape) if shape else ()
    exact = Fraction(float(hi[j])) + Fraction(float(lo[j]))
    e = abs(Fraction(float(g)) - exact) if math.isfinite(g) else math.inf
    ulps = _float(e / Fraction(float(ulp(hi[j], component_dtype(case.dtype))))) if e != math.inf else math.inf
    ratio = _float(e / Fraction(float(err[j]))) if err[j] > 0 and e != math.inf else math.inf
    lines = [
        f"{case.id} ({'closed' if case.closed else 'open'} loop, {case.steps} steps, lr={case.hyper['lr']!r}, "
        f"rho={case.hyper['rho']!r}, eps={case.hyper['eps']!r}, options={case.options or {}}) against the "
        f"{conv.name!r} convention, hyperparameters {conv.hyperparameters}",
        f"first divergence: step {t}, parameter {i}, element {tuple(int(x) for x in where)}"
        + (f", {'real' if part == 're' else 'imaginary'} part (under complex_reading={conv.complex_reading})"
           if part else ""),
        f"  expected {format_sci(exact, 17)} +- {float(err[j]):.3g} (exact value +- forward error bound)",
    ]
    cert = certified_digits(conv, case, t, i, flat)
    if cert:
        lines.append(f"  certified {cert} (interval engine)")
    lines.append(f"  got      {float(g)!r}")
    lines.append(f"  error    {ulps:.4g} ULP ({component_dtype(case.dtype)}) = {ratio:.4g} x bound")
    state = ", ".join(f"{k} = {format_sci(Fraction(float(v[i][0][j])) + Fraction(float(v[i][1][j])), 8)}"
                      if v[i][0][j] != 0 or v[i][1][j] != 0 else f"{k} = 0" for k, v in ref.state[t].items())
    lines.append(f"  state    {state} (reference, after step {t})")
    moved = hi[j] != ref.params[t - 1][i][0][j]
    stuck = "parameter not updated at this element (gradient flushed to zero, or element skipped)"
    if not math.isfinite(g):
        result.cause = result.diagnosis = "non-finite output where the exact value is finite"
    elif diagnose:
        found = mistakes.diagnose(conv, case, got, ref, masks, t)
        stalled = got[t][i][j] == got[t - 1][i][j] and moved
        if found.explained or not stalled:
            result.cause, result.diagnosis = found.text(), found.short()
        else:
            result.cause = result.diagnosis = stuck
    elif got[t][i][j] == got[t - 1][i][j] and moved:
        result.cause = result.diagnosis = stuck
    if result.cause:
        lines.append(f"  {result.cause}")
    return "\n".join(lines)


def _float(x: Fraction) -> float:
    """``float(x)``, infinite past the largest double (an error of 1e-12 at an exact 0 is 2e311 ULP)."""
    try:
        return float(x)
    except OverflowError:
        return math.inf


def certified_digits(conv, case, t: int, i: int, flat: int) -> Optional[str]:
    """The certified 17-digit value of the diverging element, for short small cases."""
    if t > 40 or sum(np.size(p) for p in followed(case, case.params0)) > 16 or case.dtype in COMPLEX_DTYPES:
        return None
    try:
        exact = case.exact  # a golden replay: certify the golden file's exact inputs
        if exact is not None:
            conv = conv.replace(**exact["hyper"])
        params0 = followed(case, exact["params0"] if exact else case.params0)
        if case.closed:
            run = certified_run(conv, params0, steps=t, grad_fn=case.problem.grad_fn(), digits=17)
        else:
            grads = exact["grads"] if exact else case.grads
            run = certified_run(conv, params0, steps=t, grads=[followed(case, g) for g in grads[:t]], digits=17)
        j = flat if case.sample is None else list(case.sample[i]).index(flat)
        return run.records[t]["params"][i].reshape(-1)[j].sci(17)
    except Exception:  # the certified value is an extra; never let it hide the failure
        return None
