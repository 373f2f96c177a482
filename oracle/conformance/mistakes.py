"""The catalogue of known RMSProp mistakes, and the diagnosis of a failure.

Each :class:`Mistake` is a deliberately wrong variant of the convention, run by
:func:`run_variant` (numpy float64, elementwise like the real thing).  To
diagnose a failing candidate, every applicable mistake is replayed on the same
case and its trajectory compared with the candidate's over the steps up to a
little past the first divergence, in units of the reference error bound; the
mistake that reproduces the candidate (distance <= 2 bounds, and less than half
the distance to the reference) is named as the most likely cause; otherwise the
closest one is named as such.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from ..conventions import Convention

SCALES = tuple(2.0**k for k in range(-12, 13) if k) + (10.0, 100.0, 1000.0, 0.1, 0.01, 0.001)


@dataclasses.dataclass(frozen=True)
class Mistake:
    name: str
    cause: str
    flags: tuple  # (key, value) pairs for run_variant

    def applies(self, conv: Convention) -> bool:
        f = dict(self.flags)
        if ("ignore_momentum" in f or "damped_momentum" in f) and not conv.has_momentum:
            return False
        if ("ignore_centered" in f or "center_nosq" in f) and not conv.centered:
            return False
        if ("wd_flip" in f or "wd_abs" in f or "ignore_wd" in f) and conv.exact("weight_decay") == 0:
            return False
        if ("hyper32" in f or "lr32" in f) and conv.hyperparameters == "float32":
            return False
        if "hyper_exact" in f and conv.hyperparameters == "exact":
            return False
        return True


def catalogue(conv: Convention, reset_at: int = 1) -> list:
    """The mistakes that apply to ``conv`` (the state-loss one resets at ``reset_at``)."""
    v0 = float(conv.exact("v0"))
    other_place = "outside" if conv.eps_placement == "inside" else "inside"
    items = [
        Mistake("eps-placement", f"eps on the wrong side of the root ({other_place}, the convention has it "
                f"{conv.eps_placement})", (("eps_placement", other_place),)),
        Mistake("v0", "accumulator started at 1 (TF1 style)" if v0 == 0 else
                "accumulator started at 0 (this convention starts it at 1)", (("v0", 1.0 if v0 == 0 else 0.0),)),
        Mistake("no-one-minus-rho", "missing (1 - rho) factor: v = rho v + g^2", (("no_one_minus", True),)),
        Mistake("swapped-rho", "rho and (1 - rho) swapped: v = (1 - rho) v + rho g^2", (("swap", True),)),
        Mistake("bias-correction", "Adam-style bias correction v / (1 - rho^t)", (("bias", True),)),
        Mistake("lagged", "lagged accumulator: the denominator uses the previous step's v", (("lagged", True),)),
        Mistake("shared", "one accumulator shared by all parameters (mean of g^2)", (("shared", True),)),
        Mistake("low-precision-state", "lower-precision internal state (v rounded to a narrower float)",
                (("state_low", True),)),
        Mistake("no-sqrt", "square root missing: divides by v + eps", (("no_sqrt", True),)),
        Mistake("sign", "update added instead of subtracted (gradient ascent)", (("sign", -1.0),)),
        Mistake("no-lr", "learning rate not applied", (("no_lr", True),)),
        Mistake("abs-grad", "|g| accumulated instead of g^2", (("abs", True),)),
        Mistake("hyper-float32", "hyperparameters rounded to float32 before use (certify with "
                "--hyperparameters=float32 if intended)", (("hyper32", True),)),
        Mistake("float32_lr", "learning rate rounded to float32 before use (Keras style; certify with "
                "--hyperparameters=float32_lr if intended)", (("lr32", True),)),
        Mistake("hyper-exact", "hyperparameters used exactly, not rounded to float32", (("hyper_exact", True),)),
        Mistake("wd-coupling", "weight decay coupled/decoupled the wrong way round", (("wd_flip", True),)),
        Mistake("wd-abs", "weight decay of |p| (the sign of the parameter lost)", (("wd_abs", True),)),
        Mistake("wd-ignored", "weight_decay option ignored", (("ignore_wd", True),)),
        Mistake("momentum-ignored", "momentum option ignored", (("ignore_momentum", True),)),
        Mistake("momentum-damped", "momentum buffer damped: b = mu b + (1 - mu) step", (("damped_momentum", True),)),
        Mistake("centered-ignored", "centered option ignored", (("ignore_centered", True),)),
        Mistake("centered-unsquared", "centered: mean gradient not squared (v - m)", (("center_nosq", True),)),
        Mistake("state-lost", f"optimizer state lost (re-initialized) at step {reset_at}", (("reset_at", reset_at),)),
    ]
    for s in SCALES:
        items.append(Mistake(f"numerator-scale-{s:g}", f"gradient divided by the batch size twice (the update's "
                             f"numerator scaled by {s:g}, the accumulator not)", (("num_scale", s),)))
        items.append(Mistake(f"loss-scale-{s:g}", f"gradients scaled by {s:g} throughout (loss scale not undone; "
                             "visible only through eps)", (("gscale", s),)))
    return [m for m in items if m.applies(conv)]


def run_variant(conv: Convention, case, steps: int, flags: dict) -> list:
    """The variant's parameters at steps 0..steps, computed in the case's dtype (full shapes).

    Hyperparameters are the exact values rounded once to the dtype, as a float
    implementation receives them, so overflow and underflow are those of the dtype.
    """
    dt = np.dtype(case.dtype)
    c = dt.type
    hyp = {k: float(conv.exact(k)) for k in ("lr", "rho", "eps", "momentum", "weight_decay", "v0")}
    if flags.get("hyper32"):
        hyp = {k: float(np.float32(v)) for k, v in hyp.items()}
    if flags.get("lr32"):
        hyp["lr"] = float(np.float32(hyp["lr"]))
    if flags.get("hyper_exact"):
        hyp = {k: float(conv.replace(hyperparameters="exact").exact(k)) for k in hyp}
    lr, rho, eps, mu, wd = (hyp[k] for k in ("lr", "rho", "eps", "momentum", "weight_decay"))
    v0 = flags.get("v0", hyp["v0"])
    place = flags.get("eps_placement", conv.eps_placement)
    decoupled = conv.decoupled_weight_decay != bool(flags.get("wd_flip"))
    if flags.get("ignore_wd"):
        wd = 0.0
    low = {"float64": np.float32, "float32": np.float16, "float16": np.float16}[case.dtype]
    params = [np.array(p, dtype=dt, copy=True).reshape(np.shape(p) or (1,)) for p in case.params0]
    shapes = [np.shape(p) for p in case.params0]

    def fresh():
        return ([np.full(p.shape, c(v0)) for p in params], [np.zeros(p.shape, dt) for p in params],
                [np.zeros(p.shape, dt) for p in params])

    v, m, b = fresh()
    out = [[p.reshape(s).copy() for p, s in zip(params, shapes)]]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            if flags.get("reset_at") == t:
                v, m, b = fresh()
            if case.closed:
                grads = case.problem.float_grads(params)
            else:
                grads = [np.array(g, dtype=dt).reshape(p.shape) for g, p in zip(case.grads[t - 1], params)]
            grads = [g * c(flags.get("gscale", 1.0)) for g in grads]
            if flags.get("shared"):
                n = sum(g.size for g in grads)
                shared_g2 = c(sum(float(np.sum(g * g)) for g in grads) / max(n, 1))
            new = []
            for i, (p, g) in enumerate(zip(params, grads)):
                if conv.maximize:
                    g = -g
                if wd and not decoupled:
                    g = g + c(wd) * (np.abs(p) if flags.get("wd_abs") else p)
                if wd and decoupled:
                    p = p - c(lr * wd) * (np.abs(p) if flags.get("wd_abs") else p)
                g2 = np.abs(g) if flags.get("abs") else g * g
                if flags.get("shared"):
                    g2 = np.full(g.shape, shared_g2)
                if flags.get("no_one_minus"):
                    vn = c(rho) * v[i] + g2
                elif flags.get("swap"):
                    vn = c(1 - rho) * v[i] + c(rho) * g2
                else:
                    vn = c(rho) * v[i] + c(1 - rho) * g2
                if flags.get("state_low"):
                    vn = vn.astype(low).astype(dt)
                s = v[i] if flags.get("lagged") else vn
                v[i] = vn
                if flags.get("bias"):
                    s = s / c(1 - rho**t)
                if conv.centered and not flags.get("ignore_centered"):
                    m[i] = c(rho) * m[i] + c(1 - rho) * g
                    s = np.maximum(s - (m[i] if flags.get("center_nosq") else m[i] * m[i]), c(0))
                if flags.get("no_sqrt"):
                    d = s + c(eps)
                elif place == "inside":
                    d = np.sqrt(s + c(eps))
                else:
                    d = np.sqrt(s) + c(eps)
                num = g * c(flags.get("num_scale", 1.0))
                upd = (c(1.0) if flags.get("no_lr") else c(lr)) * num / d * c(flags.get("sign", 1.0))
                if mu and not flags.get("ignore_momentum"):
                    b[i] = c(mu) * b[i] + (c(1 - mu) * upd if flags.get("damped_momentum") else upd)
                    p = p - b[i]
                else:
                    p = p - upd
                new.append(p)
            params = new
            out.append([p.reshape(s).copy() for p, s in zip(params, shapes)])
    return out


@dataclasses.dataclass
class Diagnosis:
    cause: str
    name: str
    explained: bool
    distance: float  # in units of the reference bound
    ref_distance: float
    ties: int = 0  # other catalogued mistakes exactly as close

    def _also(self) -> str:
        return f"; {self.ties} other catalogued variants fit equally well" if self.ties else ""

    def text(self) -> str:
        if self.explained:
            return (f"most likely cause: {self.cause} [reproduces the candidate to {self.distance:.2g} x bound"
                    f"{self._also()}]")
        return (f"no catalogued mistake reproduces the candidate; closest: {self.cause} "
                f"({self.distance:.3g} x bound, the reference is at {self.ref_distance:.3g} x bound)")


def distance(traj: list, got: list, ref, masks: list, case, t_end: int) -> float:
    """max |traj - got| / bound over the followed elements, steps 1..t_end, where compared."""
    from .reference import followed

    worst = 0.0
    with np.errstate(all="ignore"):
        for t in range(1, t_end + 1):
            for i, model in enumerate(followed(case, traj[t])):
                hi, lo, err = ref.params[t][i]
                mask = masks[t][i]
                if not mask.any():
                    continue
                diff = np.abs(model.astype(np.float64)[mask] - got[t][i][mask])
                scale = np.maximum(err[mask], np.abs(hi[mask]) * 2.0**-50)
                r = diff / scale
                r = np.where(np.isnan(r), np.inf, r)
                worst = max(worst, float(np.max(r)))
    return worst


def diagnose(conv: Convention, case, got: list, ref, masks: list, fail_step: int) -> Diagnosis:
    """The catalogued mistake that best reproduces the candidate's followed values ``got``."""
    t_end = min(fail_step + 3, len(got) - 1, ref.last)
    ref_traj = [[hi + lo for hi, lo, _ in ref.params[t]] for t in range(t_end + 1)]
    ref_d = distance_ref(ref_traj, got, ref, masks, t_end)
    best: Optional[Diagnosis] = None
    ties = 0
    for mistake in catalogue(conv, reset_at=fail_step):
        traj = run_variant(conv, case, t_end, dict(mistake.flags))
        d = distance(traj, got, ref, masks, case, t_end)
        if best is not None and d == best.distance:
            ties += 1
        if best is None or d < best.distance:
            best, ties = Diagnosis(mistake.cause, mistake.name, False, d, ref_d), 0
    best.explained = best.distance <= 2.0 and best.distance < ref_d / 2
    best.ties = ties
    return best


def distance_ref(ref_traj: list, got: list, ref, masks: list, t_end: int) -> float:
    worst = 0.0
    with np.errstate(all="ignore"):
        for t in range(1, t_end + 1):
            for i, model in enumerate(ref_traj[t]):
                mask = masks[t][i]
                if mask.any():
                    err = np.maximum(ref.params[t][i][2][mask], np.abs(model[mask]) * 2.0**-50)
                    r = np.abs(model[mask] - got[t][i][mask]) / err
                    worst = max(worst, float(np.max(np.where(np.isnan(r), np.inf, r))))
    return worst
