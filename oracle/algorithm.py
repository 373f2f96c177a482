"""The RMSProp update, written once over an arithmetic context.

Like mpmath's "one algorithm over several number contexts", :func:`step` is
the only place where the RMSProp equations are written.  The arithmetic comes
from an ``ar`` object (see :class:`Arith`): rigorous intervals
(:mod:`oracle.engines.interval`), exact symbols (:mod:`oracle.engines.symbolic`),
IEEE floats of one dtype (:mod:`oracle.engines.floating`) or forward error
bounds (:mod:`oracle.engines.errorbound`).  Arrays are numpy arrays: object
arrays holding the context's numbers, or float arrays.

Hyperparameters enter as exact rationals (``Convention.exact``) and are turned
into context numbers by ``ar.const``: derived constants such as ``1 - rho`` and
``lr * wd`` are formed exactly first, as frameworks do in Python double.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from .conventions import Convention

Arrays = list  # list[np.ndarray]
State = dict  # name -> list[np.ndarray]


class Arith(Protocol):
    """What :func:`step` needs from a number context."""

    def const(self, x: Fraction) -> Any: ...  # a scalar of the context

    def array(self, values: Any) -> np.ndarray: ...  # exact inputs -> context array

    def sqrt(self, a: np.ndarray) -> np.ndarray: ...

    def nonneg(self, a: np.ndarray) -> np.ndarray: ...  # a value >= 0 in real arithmetic


class UndefinedUpdate(ArithmeticError):
    """The update divides by an exact zero (0/0 in IEEE arithmetic: NaN)."""


def init_state(conv: Convention, ar: Arith, params: Arrays) -> State:
    """Fresh optimizer state: v = v0, m = 0, b = 0 (each slot only where present)."""
    v0 = ar.const(conv.exact("v0"))
    zero = ar.const(Fraction(0))
    state: State = {"v": [_full_like(p, v0) for p in params]}
    if conv.centered:
        state["m"] = [_full_like(p, zero) for p in params]
    if conv.has_momentum:
        state["b"] = [_full_like(p, zero) for p in params]
    return state


def _full_like(p: np.ndarray, value: Any) -> np.ndarray:
    out = np.empty(p.shape, dtype=p.dtype)
    out[...] = value
    return out


def step(
    conv: Convention, ar: Arith, params: Arrays, state: State, grads: Arrays
) -> tuple[Arrays, State]:
    """One RMSProp update of every parameter array; returns new params and state.

    The equations are those of :mod:`oracle.conventions`; nothing is mutated.
    """
    rho = conv.exact("rho")
    lr = conv.exact("lr")
    wd = conv.exact("weight_decay")
    c_rho, c_one_minus_rho = ar.const(rho), ar.const(1 - rho)
    c_lr, c_eps = ar.const(lr), ar.const(conv.exact("eps"))
    c_mu = ar.const(conv.exact("momentum"))
    new_params: Arrays = []
    new_state: State = {name: [] for name in state}
    for i, (p, g) in enumerate(zip(params, grads)):
        if conv.maximize:
            g = -g
        if wd != 0 and not conv.decoupled_weight_decay:
            g = g + ar.const(wd) * p
        if wd != 0 and conv.decoupled_weight_decay:
            p = p - ar.const(lr * wd) * p
        v = c_rho * state["v"][i] + c_one_minus_rho * (g * g)
        new_state["v"].append(v)
        s = v
        if conv.centered:
            m = c_rho * state["m"][i] + c_one_minus_rho * g
            new_state["m"].append(m)
            s = ar.nonneg(v - m * m)
        if conv.effective_eps_placement == "inside":
            d = ar.sqrt(s + c_eps)
        else:
            d = ar.sqrt(s) + c_eps
        if conv.has_momentum:
            if conv.lr_in_momentum:
                b = c_mu * state["b"][i] + (c_lr * g) / d
                p = p - b
            else:
                b = c_mu * state["b"][i] + g / d
                p = p - c_lr * b
            new_state["b"].append(b)
        else:
            p = p - (c_lr * g) / d
        new_params.append(p)
    return new_params, new_state


GradFn = Callable[[Arith, Arrays], Arrays]
"""A closed-loop gradient: ``grad_fn(ar, params) -> grads``, written with context ops."""


def simulate(
    conv: Convention,
    ar: Arith,
    params0: Sequence[Any],
    *,
    steps: int,
    grads: Sequence[Sequence[Any]] | None = None,
    grad_fn: GradFn | None = None,
) -> list[dict]:
    """Run ``steps`` updates; open loop (``grads[t]``) or closed loop (``grad_fn``).

    Returns one record per step t = 0..steps: ``{"step", "grads", "params",
    "state"}``; record 0 holds the initial parameters and state (grads None).
    """
    if (grads is None) == (grad_fn is None):
        raise ValueError("give exactly one of grads (open loop) or grad_fn (closed loop)")
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    if grads is not None and len(grads) < steps:
        raise ValueError(f"grads has {len(grads)} steps, fewer than steps={steps}")
    # 0-d arrays are run as shape (1,): numpy returns bare scalars from 0-d
    # object-array arithmetic, and mpmath/sympy scalars do not combine with arrays.
    shapes = [np.shape(p) for p in params0]
    params = [np.atleast_1d(ar.array(p)) for p in params0]
    state = init_state(conv, ar, params)
    records = [{"step": 0, "grads": None, "params": params, "state": state}]
    for t in range(1, steps + 1):
        if grads is not None:
            g = [np.atleast_1d(ar.array(x)) for x in grads[t - 1]]
            if len(g) != len(params) or any(a.shape != p.shape for a, p in zip(g, params)):
                raise ValueError(
                    f"grads[{t - 1}] shapes {[a.shape for a in g]} do not match "
                    f"params shapes {[p.shape for p in params]}"
                )
        else:
            g = grad_fn(ar, params)
        params, state = step(conv, ar, params, state, g)
        records.append({"step": t, "grads": g, "params": params, "state": state})
    return [_reshaped(rec, shapes) for rec in records]


def _reshaped(rec: dict, shapes: list) -> dict:
    def fix(arrays: Arrays) -> Arrays:
        return [a.reshape(shape) for a, shape in zip(arrays, shapes)]

    return {
        "step": rec["step"],
        "grads": None if rec["grads"] is None else fix(rec["grads"]),
        "params": fix(rec["params"]),
        "state": {k: fix(v) for k, v in rec["state"].items()},
    }
