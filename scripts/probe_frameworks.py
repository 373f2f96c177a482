#!/usr/bin/env python3
"""Probe the RMSProp conventions of whichever frameworks are installed.

Usage::

    python scripts/probe_frameworks.py            # every framework found
    python scripts/probe_frameworks.py torch keras

Installs nothing.  For each framework that imports (PyTorch ``torch.optim.RMSprop``,
``optax.rmsprop`` under jax, Keras 3 ``keras.optimizers.RMSprop`` and the numpy
transcription of the source document's function, ``oracle.adapters.textbook``) it
runs a few discriminating one- or two-step probes through the framework's *native*
API and compares the result with closed-form values computed here with
:mod:`decimal` at 60 significant digits (``fractions`` for the float32/float16
roundings of the hyperparameters), one value per hypothesis:

``eps``
    p=10, g=10, lr=0.1, rho=0.9, eps=1, one step: eps inside vs outside the root,
    accumulator starting at 0 or 1 (v0=0: 9.6984886554... inside, 9.7597469266...
    outside; v0=1: 9.7101144821... inside, 9.7675237571... outside).
``v0``
    a zero gradient with eps=0: 0/0 = NaN when v0 = 0, p unchanged when v0 > 0.
``momentum``
    mu=0.9, eps=0, two steps g=10, 10 with lr 0.1 then 0.01: a buffer holding
    lr-scaled steps (lr inside) keeps the old lr, lr outside rescales it.
``centered``
    two steps g=10, -5, eps=1: centered (eps inside / outside) vs plain.
``weight decay``
    p=10, g=1, wd=0.1, lr=0.1, eps=1: coupled (g += wd p) vs decoupled
    (p -= lr wd p first) vs none.
``hyperparameter rounding``
    float64 params; one hyperparameter set to 0.1 and every other to a binary
    fraction (lr 0.5, rho 0.5, eps 0.25, momentum 0.5, wd 0.25), two steps: is the
    result the float64 value or the one with that hyperparameter rounded to float32?
``float16``
    g=300 (g*g overflows float16: does the framework keep that product in float32?)
    and a zero gradient with eps=1e-8 (does eps survive in float16, or does 0/0 give NaN?).

Each line prints the framework's result, the hypotheses it matches (within 8 ulps
of float64 for the float64 probes) and whether that agrees with the convention the
oracle documents for it (``EXPECTED`` below).  Exit status is 0 even when a probe
disagrees: the script reports, it does not test (``tests/test_scripts.py`` holds
the installed frameworks to ``EXPECTED``).  It writes nothing.

Run time: a few seconds per framework (importing it dominates; about 10 s for
torch and the textbook function on 2 cores).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np

getcontext().prec = 60

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# What the oracle documents for each framework (oracle/adapters/*.py docstrings).
EXPECTED = {
    "torch": dict(eps="outside", v0=0, lr_in_momentum=False, wd="coupled", centered=True,
                  rounded_to_float32=()),
    "optax": dict(eps="inside", v0=0, lr_in_momentum=True, wd=None, centered=True,
                  rounded_to_float32=()),
    "keras": dict(eps="inside", v0=0, lr_in_momentum=True, wd="decoupled", centered=True,
                  rounded_to_float32=("lr",)),
    "seed": dict(eps="inside", v0=0, lr_in_momentum=None, wd=None, centered=False,
                 rounded_to_float32=()),
}


# ------------------------------------------------------------------ closed forms


def D(x) -> Decimal:
    """Exact Decimal of a float / Fraction (Fractions are divided at 60 digits)."""
    if isinstance(x, Fraction):
        return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(x)


def f32(x: float) -> float:
    """x rounded to float32 (as the float64 holding it)."""
    return float(np.float32(x))


def simulate(p, grads, lrs, rho, eps, *, eps_inside=True, v0=0, centered=False, mu=0,
             lr_inside=True, wd=0, wd_mode=None, wd_factor=None):
    """The closed-form RMSProp of one scalar, every quantity exact to 60 digits."""
    p, rho, eps, mu, wd = D(p), D(rho), D(eps), D(mu), D(wd)
    v, m, b = D(v0), Decimal(0), Decimal(0)
    for g, lr in zip(grads, lrs):
        g, lr = D(g), D(lr)
        if wd and wd_mode == "coupled":
            g = g + wd * p
        if wd and wd_mode == "decoupled":
            p = p * D(wd_factor) if wd_factor is not None else p - lr * wd * p
        v = rho * v + (1 - rho) * g * g
        s = v
        if centered:
            m = rho * m + (1 - rho) * g
            s = v - m * m
        if s < 0 or (s + (eps if eps_inside else 0)) == 0:
            return Decimal("NaN")
        d = (s + eps).sqrt() if eps_inside else s.sqrt() + eps
        if d == 0:
            return Decimal("NaN")
        if mu:
            if lr_inside:
                b = mu * b + lr * g / d
                p = p - b
            else:
                b = mu * b + g / d
                p = p - lr * b
        else:
            p = p - lr * g / d
    return p


def ulps(got: float, want: Decimal, dtype=np.float64) -> float:
    """|got - want| in ulps of ``dtype`` at max(|got|, |want|, 1) (inf for NaN)."""
    if want.is_nan() or not np.isfinite(got):
        return 0.0 if (want.is_nan() and np.isnan(got)) else float("inf")
    scale = max(abs(float(want)), abs(got), 1.0)  # the probes' inputs are O(1) to O(10)
    return float(abs(D(got) - want) / D(float(np.spacing(dtype(scale)))))


def matches(got: float, hyps: dict, tol=8.0, dtype=np.float64) -> list[str]:
    return [name for name, want in hyps.items() if ulps(got, want, dtype) <= tol]


# ------------------------------------------------------------------- runners
# Each runner: run(dtype, p0, grads, lrs, rho, eps, momentum=0, centered=False, wd=0)
# -> final parameter (a Python float) after len(grads) steps of one scalar parameter.


def torch_runner():
    import torch

    tdt = {np.float64: torch.float64, np.float32: torch.float32, np.float16: torch.float16}

    def run(dtype, p0, grads, lrs, rho, eps, momentum=0.0, centered=False, wd=0.0):
        p = torch.tensor([p0], dtype=tdt[dtype])
        opt = torch.optim.RMSprop([p], lr=lrs[0], alpha=rho, eps=eps, momentum=momentum,
                                  centered=centered, weight_decay=wd)
        for g, lr in zip(grads, lrs):
            opt.param_groups[0]["lr"] = lr
            p.grad = torch.tensor([g], dtype=tdt[dtype])
            opt.step()
        return float(p[0])

    return f"torch {torch.__version__}", run, True


def optax_runner():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jaxlib
    import optax

    def run(dtype, p0, grads, lrs, rho, eps, momentum=0.0, centered=False, wd=None):
        if wd:
            raise NotImplementedError("optax.rmsprop has no weight decay")
        schedule = lrs[0] if len(set(lrs)) == 1 else (lambda c: jnp.asarray(lrs, dtype)[c])
        opt = optax.rmsprop(schedule, decay=rho, eps=eps, momentum=momentum or None,
                            centered=centered)
        p = jnp.asarray([p0], dtype)
        state = opt.init(p)
        for g in grads:
            u, state = opt.update(jnp.asarray([g], dtype), state, p)
            p = optax.apply_updates(p, u)
        return float(p[0])

    return (f"optax {optax.__version__} (jax {jax.__version__}, jaxlib {jaxlib.__version__}, "
            "eager, x64 on)"), run, True


def keras_runner():
    if "KERAS_BACKEND" not in os.environ:
        os.environ["KERAS_BACKEND"] = "jax" if importlib.util.find_spec("jax") else "torch"
    if os.environ["KERAS_BACKEND"] == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
    import keras

    def run(dtype, p0, grads, lrs, rho, eps, momentum=0.0, centered=False, wd=0.0):
        name = np.dtype(dtype).name
        var = keras.Variable(np.array([p0], dtype), dtype=name)
        opt = keras.optimizers.RMSprop(learning_rate=float(lrs[0]), rho=rho, momentum=momentum,
                                       epsilon=eps, centered=centered, weight_decay=wd or None)
        for g, lr in zip(grads, lrs):
            opt.learning_rate = float(lr)
            opt.apply([keras.ops.convert_to_tensor(np.array([g], dtype), dtype=name)], [var])
        return float(keras.ops.convert_to_numpy(var.value)[0])

    return f"keras {keras.__version__} (backend {keras.backend.backend()})", run, True


def seed_runner():
    from oracle.adapters.textbook import GradArray, seed_rmsprop_inplace

    def run(dtype, p0, grads, lrs, rho, eps, momentum=0.0, centered=False, wd=0.0):
        if momentum or centered or wd:
            raise NotImplementedError("the source document's rmsprop has no such option")
        p = GradArray(np.array([p0], dtype))
        sqr = np.zeros(1, dtype)
        for g, lr in zip(grads, lrs):
            p.grad = np.array([g], dtype)
            seed_rmsprop_inplace([p], [sqr], lr, rho, 1, eps)
        return float(p[0])

    return f"seed (numpy {np.__version__} transcription of the source document)", run, False


RUNNERS = {"torch": ("torch", torch_runner), "optax": ("optax", optax_runner),
           "keras": ("keras", keras_runner), "seed": ("numpy", seed_runner)}


# -------------------------------------------------------------------- probes


def probe(name: str, label: str, run, has_wd: bool, out) -> None:
    exp = EXPECTED[name]
    F64 = np.float64
    # keras holds lr in a float32 variable: its structural hypotheses use that lr
    L = f32 if "lr" in exp["rounded_to_float32"] else float

    def say(tag, got, found, expected):
        verdict = "as documented" if expected in found else f"DIFFERS (documented: {expected})"
        out(f"  [{tag:<9}] {got!r:<22} matches {', '.join(found) or 'nothing'}  -> {verdict}")

    # eps placement and v0
    got = run(F64, 10.0, [10.0], [0.1], 0.9, 1.0)
    hyps = {f"eps {e}, v0={v0}": simulate(10, [10], [L(0.1)], 0.9, 1, eps_inside=(e == "inside"), v0=v0)
            for e in ("inside", "outside") for v0 in (0, 1)}
    say("eps", got, matches(got, hyps), f"eps {exp['eps']}, v0={exp['v0']}")

    # v0 via a zero gradient and eps = 0
    got = run(F64, 1.0, [0.0], [0.1], 0.9, 0.0)
    found = ["v0=0 (0/0 = NaN)"] if np.isnan(got) else (["v0>0 (p unchanged)"] if got == 1.0 else [])
    say("v0", got, found, "v0=0 (0/0 = NaN)" if exp["v0"] == 0 else "v0>0 (p unchanged)")

    eps_in = exp["eps"] == "inside"
    # momentum: lr inside / outside the buffer, lr changed between the steps
    if exp["lr_in_momentum"] is not None:
        got = run(F64, 10.0, [10.0, 10.0], [0.1, 0.01], 0.9, 0.0, momentum=0.9)
        hyps = {f"lr {w} momentum": simulate(10, [10, 10], [L(0.1), L(0.01)], 0.9, 0, mu=0.9,
                                            lr_inside=(w == "inside")) for w in ("inside", "outside")}
        say("momentum", got, matches(got, hyps),
            f"lr {'inside' if exp['lr_in_momentum'] else 'outside'} momentum")

    # centered
    if exp["centered"]:
        got = run(F64, 10.0, [10.0, -5.0], [0.1, 0.1], 0.9, 1.0, centered=True)
        hyps = {f"{'centered' if c else 'plain'}, eps {e}":
                simulate(10, [10, -5], [L(0.1)] * 2, 0.9, 1, centered=c, eps_inside=(e == "inside"))
                for c in (True, False) for e in ("inside", "outside")}
        say("centered", got, matches(got, hyps), f"centered, eps {exp['eps']}")

    # weight decay
    if exp["wd"] is not None and has_wd:
        got = run(F64, 10.0, [1.0], [0.1], 0.9, 1.0, wd=0.1)
        hyps = {f"wd {mode or 'none'}": simulate(10, [1], [L(0.1)], 0.9, 1, eps_inside=eps_in,
                                                 wd=0.1, wd_mode=mode)
                for mode in ("coupled", "decoupled", None)}
        if name == "keras":  # keras's torch backend forms the factor 1 - wd*lr in float32
            hyps["wd decoupled, factor 1-wd*lr in float32"] = simulate(
                10, [1], [f32(0.1)], 0.9, 1, wd=0.1, wd_mode="decoupled",
                wd_factor=float(np.float32(1) - np.float32(np.float32(0.1) * np.float32(0.1))))
        found = matches(got, hyps)
        say("wd", got, found, next((f for f in found if f.startswith(f"wd {exp['wd']}")),
                                    f"wd {exp['wd']}"))

    # hyperparameter rounding, float64 params
    base = dict(lr=0.5, rho=0.5, eps=0.25, mu=0.5, wd=0.25)
    probes = ["lr", "rho", "eps"]
    if exp["lr_in_momentum"] is not None:
        probes.append("mu")
    if exp["wd"] is not None and has_wd:
        probes.append("wd")
    for h in probes:
        hp = dict(base, **{h: 0.1})
        use_mu = h == "mu"
        use_wd = h == "wd"
        kwargs = dict(momentum=hp["mu"] if use_mu else 0.0, wd=hp["wd"] if use_wd else 0.0)
        got = run(F64, 1.0, [1.0, 0.5], [hp["lr"]] * 2, hp["rho"], hp["eps"], **kwargs)
        hyps = {}
        for tag, value in (("float64", 0.1), ("float32", f32(0.1))):
            q = dict(hp, **{h: value})
            if name == "keras" and h != "lr":
                q["lr"] = f32(q["lr"])  # keras always rounds lr; 0.5 is exact anyway
            hyps[f"{h} {tag}"] = simulate(
                1, [1, 0.5], [q["lr"]] * 2, q["rho"], q["eps"], eps_inside=eps_in,
                mu=q["mu"] if use_mu else 0, lr_inside=bool(exp["lr_in_momentum"]),
                wd=q["wd"] if use_wd else 0, wd_mode=exp["wd"])
        documented = f"{h} {'float32' if h in exp['rounded_to_float32'] else 'float64'}"
        if name == "keras" and h == "wd":  # torch backend: p *= float32(1 - wd*lr)
            hyps["wd: factor 1-wd*lr in float32"] = simulate(
                1, [1, 0.5], [0.5] * 2, 0.5, 0.25, eps_inside=eps_in, wd=0.1, wd_mode="decoupled",
                wd_factor=float(np.float32(1) - np.float32(np.float32(0.1) * np.float32(0.5))))
            if os.environ.get("KERAS_BACKEND") == "torch":
                documented = "wd: factor 1-wd*lr in float32"
        found = matches(got, hyps)
        if not found:
            closest = min(hyps, key=lambda k: ulps(got, hyps[k]))
            found = [f"closest: {closest} at {ulps(got, hyps[closest]):.3g} ulps"]
        say(f"{h}=0.1", got, found, documented)

    # float16: g*g overflow and eps underflow
    got = run(np.float16, 1.0, [300.0], [0.01], 0.9, 1e-3)
    fp32_internal = simulate(1, [300], [0.01], 0.9, 1e-3, eps_inside=eps_in)
    tag = ("g*g kept wider than float16" if abs(got - float(fp32_internal)) < 2e-3 else
           "g*g overflowed in float16 (update lost)" if got == 1.0 else "other")
    out(f"  [f16 g=300] {got!r:<22} {tag} (float32-internal value {float(fp32_internal):.6f})")
    got = run(np.float16, 1.0, [0.0], [0.01], 0.9, 1e-8)
    tag = ("NaN: eps=1e-8 vanished in float16, 0/0" if np.isnan(got)
           else "eps survived (p unchanged)" if got == 1.0 else "other")
    out(f"  [f16 eps  ] {got!r:<22} {tag}")


def main(argv: list[str]) -> int:
    wanted = argv or list(RUNNERS)
    for name in wanted:
        module, factory = RUNNERS[name]
        if importlib.util.find_spec(module) is None:
            print(f"== {name}: not installed, skipped ==")
            continue
        try:
            label, run, has_wd = factory()
        except Exception as exc:  # a framework that is present but broken is reported
            print(f"== {name}: could not start ({type(exc).__name__}: {exc}) ==")
            continue
        print(f"== {label} ==")
        with np.errstate(all="ignore"):
            probe(name, label, run, has_wd, print)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
