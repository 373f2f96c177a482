"""The catalogue of known RMSProp mistakes, and the diagnosis of a failure.

A :class:`Mistake` is the correct update with one thing changed, in one of two ways:

* a :class:`~oracle.conventions.Convention` edit (eps on the other side of the
  root, with or without momentum; the other v0; hyperparameters rounded to
  float32, or not; weight decay coupled the other way; an option switched off);
* one stage of :data:`oracle.algorithm.RMSPROP` swapped for a wrong one
  (:mod:`.wrong_stages`, each with its equation).

Every mistake runs through the same :func:`oracle.algorithm.simulate`, over
:class:`~oracle.engines.floating.FloatArith` in the case's dtype (closed loop
through the case problem's ``grad_fn``), so it rounds as a float implementation
does.  To diagnose a failing candidate, the mistakes the case can tell apart
from the correct update are replayed on it -- not those whose option the case
does not use (weight-decay mistakes need weight decay), whose edit changes
nothing here, or whose trajectory equals the correct float run's -- and each
trajectory is compared with the candidate's over the steps up to a little past
the first divergence, in units of the reference error bound.

The criterion for naming a mistake (:data:`WITHIN`, :data:`RATIO`): a mistake
is named as the most likely cause only when it reproduces the candidate
*markedly* better than the correct update -- its distance to the candidate is
at most ``WITHIN`` (2) bounds **and** at most ``RATIO`` (1/4) of the correct
update's distance.  Otherwise the diagnosis says that no catalogued mistake
explains the failure (the failure text shows the first divergence and the
reference state there); a closest-but-unconvincing mistake is never named.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import numpy as np

from ...algorithm import RMSPROP, Stages, accumulate_modulus, from_pairs, simulate, to_pairs
from ...conventions import HYPERPARAMETERS, Convention, rounding_mode
from ...engines.floating import FloatArith
from ...rounding import COMPLEX_DTYPES, component_dtype
from .cases import Case
from .reference import Reference, arithmetic_dtype, as_real, followed
from .wrong_stages import (
    accumulate_abs,
    accumulate_bias_corrected,
    accumulate_centered_unsquared,
    accumulate_in_narrower_float,
    accumulate_lagged,
    accumulate_shared,
    accumulate_swapped_rho,
    accumulate_without_one_minus_rho,
    accumulate_rho_in_dtype,
    accumulate_stale_gradient,
    accumulate_stale_gradient_current_first,
    apply_momentum_from_first_update,
    apply_stale_gradient,
    apply_stale_gradient_current_first,
    denominator_eps_squared,
    apply_ascent,
    apply_damped_momentum,
    apply_without_lr,
    denominator_without_sqrt,
    gradient_scaled,
    numerator_scaled,
    state_lost_at,
    weight_decay_negated_when_maximizing,
    weight_decay_of_abs,
)

WITHIN = 2.0
"""A mistake is named only if it reproduces the candidate to at most this many bounds ..."""
RATIO = 0.25
"""... and at most this fraction of the correct update's distance to the candidate."""

FIXED_EPS = (1e-10, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3)
"""The eps constants frameworks fix (a candidate ignoring the eps it is given)."""
SCALES = tuple(2.0**k for k in range(-12, 13) if k) + (10.0, 100.0, 1000.0, 0.1, 0.01, 0.001)


# -- the catalogue -------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Mistake:
    """A named wrong update: a Convention ``edit``, or ``stages`` swapped (the others as RMSPROP's)."""

    name: str
    cause: str
    edit: Optional[Callable[[Convention], Convention]] = None
    stages: dict = dataclasses.field(default_factory=dict)
    needs: tuple = ()
    """What the case's convention must have for the mistake to show: ``momentum``, ``centered``,
    ``weight_decay``, ``maximize``, ``lr_schedule`` (on), ``eps`` (not 0); the case: ``complex``."""
    compute: str = ""
    """The dtype the arithmetic runs in when it is not the parameters' (float32 on float64 storage)."""

    def variant(self, conv: Convention) -> Optional[tuple[Convention, Stages]]:
        """(convention, stages) of the mistake under ``conv``, or None if it cannot show there."""
        have = {"complex": True, "momentum": conv.has_momentum, "centered": conv.centered, "maximize": conv.maximize,
                "lr_schedule": bool(conv.lr_schedule),
                "weight_decay": conv.exact("weight_decay") != 0, "eps": conv.exact("eps") != 0}
        if not all(have[n] for n in self.needs):
            return None
        try:
            edited = conv if self.edit is None else self.edit(conv)
        except ValueError:  # the edit is no convention at all
            return None
        if self.edit is not None and _same_update(edited, conv):
            return None
        return edited, dataclasses.replace(RMSPROP, **self.stages)

    def trajectory(self, conv: Convention, case: Case, steps: int) -> Optional[list]:
        """The mistake's parameters at steps 0..steps on ``case``, in its dtype (None if it cannot show)."""
        if "complex" in self.needs and case.dtype not in COMPLEX_DTYPES:
            return None
        found = self.variant(conv)
        real = component_dtype(case.dtype)
        if found is None or (self.compute and np.dtype(self.compute).itemsize >= np.dtype(real).itemsize):
            return None
        return float_trajectory(*found, case, steps, compute=self.compute or None)


def _same_update(a: Convention, b: Convention) -> bool:
    """Whether two conventions run the same update: every switch alike, every hyperparameter exactly."""
    fields = [f.name for f in dataclasses.fields(Convention) if f.name not in ("name", "source", "allows",
                                                                                 "hyperparameters")]
    return all(a.exact(f) == b.exact(f) if f in HYPERPARAMETERS else getattr(a, f) == getattr(b, f) for f in fields)


def float_trajectory(conv: Convention, stages: Stages, case: Case, steps: int,
                     compute: Optional[str] = None) -> list:
    """Parameters at steps 0..steps of ``stages`` under ``conv`` on ``case``, in the case's dtype (full shapes).

    ``compute``: run the arithmetic in that (narrower) dtype, the parameters and gradients rounded to it on
    entry and the gradient of a closed loop computed in the case's dtype, as storage in the case's dtype does.
    """
    if case.dtype in COMPLEX_DTYPES:  # complex: run as real pairs in the component dtype
        return _complex_trajectory(conv, stages, case, steps, compute)
    conv = conv.for_dtype(case.dtype)
    compute = compute or (arithmetic_dtype(conv, case.dtype) if conv.compute else None)
    compute = None if compute == case.dtype else compute
    grad_fn = case.problem.grad_fn() if case.closed else None
    ar = FloatArith(compute or case.dtype, subnormals=conv.subnormals)
    if grad_fn is not None and compute:
        wide, inner = FloatArith(case.dtype), grad_fn
        grad_fn = lambda _ar, params: [g.astype(compute) for g in inner(wide, [p.astype(case.dtype) for p in params])]  # noqa: E731
    with np.errstate(all="ignore"):
        records = simulate(conv, ar, case.params0, steps=steps, grad_fn=grad_fn,
                           grads=None if case.closed else case.grads[:steps], stages=stages)
    return [[p.astype(case.dtype) for p in rec["params"]] for rec in records]


def _complex_trajectory(conv: Convention, stages: Stages, case: Case, steps: int, compute: Optional[str]) -> list:
    """:func:`float_trajectory` of an open-loop complex case: the pairs (:func:`oracle.algorithm.to_pairs`)
    run in the component dtype, the modulus reading's accumulator unless the mistake swaps it."""
    real = component_dtype(case.dtype)
    conv = conv.for_dtype(real)
    compute = compute or (arithmetic_dtype(conv, real) if conv.compute else None)
    compute = None if compute == real else compute
    if conv.complex_reading == "modulus" and stages.accumulate is RMSPROP.accumulate:
        stages = dataclasses.replace(stages, accumulate=accumulate_modulus)
    with np.errstate(all="ignore"):
        records = simulate(conv, FloatArith(compute or real, subnormals=conv.subnormals),
                           [to_pairs(p) for p in case.params0], steps=steps,
                           grads=[[to_pairs(g) for g in step] for step in case.grads[:steps]], stages=stages)
    return [[from_pairs(p.astype(real)).astype(case.dtype) for p in rec["params"]] for rec in records]


def _other(place: str) -> str:
    return "outside" if place == "inside" else "inside"


def _eps_flipped(conv: Convention) -> Convention:
    with_m = conv.eps_placement_with_momentum
    return conv.replace(eps_placement=_other(conv.eps_placement),
                        eps_placement_with_momentum=with_m if with_m == "same" else _other(with_m))


def _eps_flipped_with_momentum(conv: Convention) -> Convention:
    other = _other(conv.effective_eps_placement)
    return conv.replace(eps_placement_with_momentum="same" if other == conv.eps_placement else other)


def _rounded(names: Callable[[frozenset], frozenset]) -> Callable[[Convention], Convention]:
    return lambda conv: conv.replace(hyperparameters=rounding_mode(names(conv.rounded)))


def catalogue(conv: Convention, reset_at: int = 1) -> list[Mistake]:
    """Every catalogued mistake, phrased for ``conv`` (the state-loss one resets before step ``reset_at``)."""
    v0 = conv.exact("v0")
    place = conv.effective_eps_placement
    items = [
        Mistake("eps-placement", f"eps on the wrong side of the root ({_other(place)}, the convention has it "
                f"{place})", edit=_eps_flipped, needs=("eps",)),
        Mistake("eps-placement-with-momentum", f"eps {_other(place)} the root when momentum is on (the convention "
                f"has it {place}; Keras 2 legacy switches with momentum)", edit=_eps_flipped_with_momentum,
                needs=("eps", "momentum")),
        Mistake("v0", "accumulator started at 1 (TF1 style)" if v0 == 0 else
                "accumulator started at 0 (this convention starts it at 1)",
                edit=lambda c: c.replace(v0=1 if c.exact("v0") == 0 else 0)),
        Mistake("no-one-minus-rho", "missing (1 - rho) factor: v = rho v + g^2",
                stages={"accumulate": accumulate_without_one_minus_rho}),
        Mistake("swapped-rho", "rho and (1 - rho) swapped: v = (1 - rho) v + rho g^2",
                stages={"accumulate": accumulate_swapped_rho}),
        Mistake("bias-correction", "Adam-style bias correction v / (1 - rho^t)",
                stages={"accumulate": accumulate_bias_corrected}),
        Mistake("lagged", "lagged accumulator: the denominator uses the previous step's v",
                stages={"accumulate": accumulate_lagged}),
        Mistake("shared", "one accumulator shared by all parameters (mean of g^2)",
                stages={"accumulate": accumulate_shared}),
        Mistake("low-precision-state", "lower-precision internal state (v rounded to a narrower float)",
                stages={"accumulate": accumulate_in_narrower_float}),
        Mistake("no-sqrt", "square root missing: divides by v + eps", stages={"denominator": denominator_without_sqrt}),
        Mistake("lr-cached", "learning rate cached at construction (the schedule's later values never used)",
                edit=lambda c: c.replace(lr_schedule=(c.lr_schedule[0],) * len(c.lr_schedule)),
                needs=("lr_schedule",)),
        Mistake("lr-side", "lr on the wrong side of the momentum buffer "
                + ("(b = mu b + lr g / d; p -= b: TF style, the convention has p -= lr b)" if not conv.lr_in_momentum
                   else "(b = mu b + g / d; p -= lr b: PyTorch style, the convention has b = mu b + lr g / d)"),
                edit=lambda c: c.replace(lr_in_momentum=not c.lr_in_momentum), needs=("momentum", "lr_schedule")),
        # before "sign": with maximize on, ignoring it is the likelier reading of the same trajectory
        Mistake("maximize-ignored", "maximize option ignored (descends)", edit=lambda c: c.replace(maximize=False),
                needs=("maximize",)),
        Mistake("sign", "update added instead of subtracted (gradient ascent)", stages={"apply": apply_ascent}),
        Mistake("no-lr", "learning rate not applied", stages={"apply": apply_without_lr}),
        Mistake("abs-grad", "|g| accumulated instead of g^2", stages={"accumulate": accumulate_abs}),
        Mistake("hyper-float32", "hyperparameters rounded to float32 before use (certify with "
                "--hyperparameters=float32 if intended)", edit=lambda c: c.replace(hyperparameters="float32")),
        Mistake("float32_lr", "learning rate rounded to float32 before use (Keras style; certify with "
                "--hyperparameters=float32_lr if intended)", edit=_rounded(lambda names: names | {"lr"})),
        Mistake("hyper-exact", "hyperparameters used exactly, not rounded to float32",
                edit=lambda c: c.replace(hyperparameters="exact")),
        Mistake("wd-coupling", "weight decay coupled/decoupled the wrong way round",
                edit=lambda c: c.replace(decoupled_weight_decay=not c.decoupled_weight_decay),
                needs=("weight_decay",)),
        Mistake("wd-abs", "weight decay of |p| (the sign of the parameter lost)",
                stages={"weight_decay": weight_decay_of_abs}, needs=("weight_decay",)),
        Mistake("wd-ignored", "weight_decay option ignored", edit=lambda c: c.replace(weight_decay=0),
                needs=("weight_decay",)),
        Mistake("momentum-ignored", "momentum option ignored", edit=lambda c: c.replace(momentum=0),
                needs=("momentum",)),
        Mistake("momentum-damped", "momentum buffer damped: b = mu b + (1 - mu) step",
                stages={"apply": apply_damped_momentum}, needs=("momentum",)),
        Mistake("centered-ignored", "centered option ignored",
                edit=lambda c: c.replace(centered=False, momentum_needs_centered=False), needs=("centered",)),
        Mistake("centered-unsquared", "centered: mean gradient not squared (v - m)",
                stages={"accumulate": accumulate_centered_unsquared}, needs=("centered",)),
        Mistake("maximize-whole-update", "maximize negates the decayed gradient -(g + wd p), not g alone "
                "(the weight decay ascends too)", stages={"weight_decay": weight_decay_negated_when_maximizing},
                needs=("maximize", "weight_decay")),
        Mistake("state-lost", f"optimizer state lost (re-initialized) at step {reset_at}",
                stages={"carry": state_lost_at(reset_at)}),
        Mistake("stale-gradient", "stale gradient: each step applies the previous step's gradient (zeros at "
                "step 1)", stages={"accumulate": accumulate_stale_gradient, "apply": apply_stale_gradient}),
        Mistake("stale-gradient-current-first", "stale gradient: each step applies the previous step's gradient, "
                "step 1 its own (g_1 applied at steps 1 and 2)",
                stages={"accumulate": accumulate_stale_gradient_current_first,
                        "apply": apply_stale_gradient_current_first}),
        # before compute-float32: a float32 computation flushes a float64 subnormal too, the likelier
        # reading is the CPU's flush-to-zero mode (TensorFlow, XLA)
        Mistake("flush-subnormals", "flushes subnormals to zero (FTZ/DAZ: results and inputs below the smallest "
                "normal number read as 0, as TensorFlow and XLA on the CPU; certify with "
                "--convention=...,subnormals=flush if intended)", edit=lambda c: c.replace(subnormals="flush")),
        Mistake("compute-float32", "float32 arithmetic on float64 storage (every operation rounded to float32; "
                "certify with --convention=...,compute=float32 if intended)", compute="float32"),
        Mistake("hyper-param-dtype", "hyperparameters rounded to the parameters' dtype (1 - rho formed from rho "
                "rounded to it; certify with --convention=...,hyper_dtype=param if intended)",
                stages={"accumulate": accumulate_rho_in_dtype}),
        Mistake("momentum-first-update", "momentum buffer initialised from the first update and then updated "
                "again (b_1 = (1 + mu) u_1: the missing else)", stages={"apply": apply_momentum_from_first_update},
                needs=("momentum",)),
        Mistake("complex-reading", "complex parameters under the other reading: " + (
                "complex_reading=modulus (one accumulator per complex element, v = rho v + (1 - rho) |g|^2; the "
                "convention updates the real and imaginary parts as independent reals, split)"
                if conv.complex_reading == "split" else "complex_reading=split (real and imaginary parts as "
                "independent reals; the convention has the modulus reading, v = rho v + (1 - rho) |g|^2)"),
                edit=lambda c: c.replace(complex_reading="modulus" if c.complex_reading == "split" else "split"),
                needs=("complex",)),
        Mistake("eps-squared", "eps squared (eps^2 used where eps belongs)", stages={"denominator":
                denominator_eps_squared}, needs=("eps",)),
    ]
    for e in FIXED_EPS:  # before the scales: with eps outside, eps * k is the gradient scaled by 1/k exactly
        items.append(Mistake(f"fixed-eps-{e:g}", f"eps ignored: the candidate uses a fixed eps = {e:g} (a framework "
                             f"constant; certify with --convention=...,fixed_eps={e:g} if intended)",
                             edit=lambda c, e=e: c.replace(fixed_eps=repr(e)), needs=("eps",)))
    for s in SCALES:
        items.append(Mistake(f"numerator-scale-{s:g}", f"gradient divided by the batch size twice (the update's "
                             f"numerator scaled by {s:g}, the accumulator not)", stages={"apply": numerator_scaled(s)}))
        items.append(Mistake(f"loss-scale-{s:g}", f"gradients scaled by {s:g} throughout (loss scale not undone; "
                             "visible only through eps)", stages={"gradient": gradient_scaled(s)}))
    return items


# -- diagnosis -----------------------------------------------------------------------

@dataclasses.dataclass
class Diagnosis:
    """The mistake closest to a failing candidate, and whether it explains the failure."""

    cause: str
    name: str
    explained: bool
    distance: float  # in units of the reference bound
    ref_distance: float
    ties: int = 0  # other catalogued mistakes exactly as close

    def _also(self) -> str:
        return f"; {self.ties} other catalogued variants fit equally well" if self.ties else ""

    def short(self) -> str:
        """The diagnosis without its distances (what failures of one cause share)."""
        if not self.name:
            return "no catalogued mistake differs from the convention on this case"
        return f"most likely cause: {self.cause}" if self.explained else "no catalogued mistake explains this"

    def text(self) -> str:
        if not self.name:
            return "no catalogued mistake differs from the convention on this case"
        if self.explained:
            return (f"most likely cause: {self.cause} [reproduces the candidate to {self.distance:.2g} x bound, "
                    f"the correct update is at {self.ref_distance:.3g} x bound{self._also()}]")
        return (f"no catalogued mistake explains this (none reproduces the candidate within {WITHIN:g} x bound "
                f"and {1 / RATIO:g} times closer than the correct update, at {self.ref_distance:.3g} x bound)")


def distance(traj: list, got: list, ref: Reference, masks: list, t_end: int) -> float:
    """max |traj - got| / bound over the compared followed elements, steps 1..t_end (``traj`` followed already)."""
    worst = 0.0
    with np.errstate(all="ignore"):
        for t in range(1, t_end + 1):
            for i, model in enumerate(traj[t]):
                mask = masks[t][i]
                if not mask.any():
                    continue
                hi, _, err = ref.params[t][i]
                scale = np.maximum(err[mask], np.abs(hi[mask]) * 2.0**-50)
                r = np.abs(np.asarray(model, dtype=np.float64)[mask] - got[t][i][mask]) / scale
                worst = max(worst, float(np.max(np.where(np.isnan(r), np.inf, r))))
    return worst


def diagnose(conv: Convention, case: Case, got: list, ref: Reference, masks: list, fail_step: int) -> Diagnosis:
    """The catalogued mistake that best reproduces the candidate's followed values ``got``."""
    t_end = min(fail_step + 3, len(got) - 1, ref.last)
    ref_traj = [[hi + lo for hi, lo, _ in ref.params[t]] for t in range(t_end + 1)]
    ref_d = distance(ref_traj, got, ref, masks, t_end)
    correct = _followed(case, float_trajectory(conv, RMSPROP, case, t_end))
    best: Optional[Diagnosis] = None
    ties = 0
    for mistake in catalogue(conv, reset_at=fail_step):
        traj = mistake.trajectory(conv, case, t_end)
        if traj is None:
            continue
        traj = _followed(case, traj)
        if _equal(traj, correct):
            continue  # indistinguishable from the correct update on this case
        d = distance(traj, got, ref, masks, t_end)
        if best is not None and d == best.distance:
            ties += 1
        if best is None or d < best.distance:
            best, ties = Diagnosis(mistake.cause, mistake.name, False, d, ref_d), 0
    if best is None:
        return Diagnosis("", "", False, ref_d, ref_d)
    best.explained = explains(best.distance, ref_d)
    best.ties = ties
    return best


def explains(d: float, ref_d: float) -> bool:
    """The naming criterion: within ``WITHIN`` bounds and at most ``RATIO`` of the correct update's distance."""
    return d <= WITHIN and d <= RATIO * ref_d


def _followed(case: Case, traj: list) -> list:
    if case.dtype in COMPLEX_DTYPES:  # compared part by part, like the candidate's outputs
        return [[as_real(a) for a in followed(case, arrays)] for arrays in traj]
    return [followed(case, arrays) for arrays in traj]


def _equal(a: list, b: list) -> bool:
    return all(np.array_equal(x, y, equal_nan=True) for xs, ys in zip(a, b) for x, y in zip(xs, ys))
