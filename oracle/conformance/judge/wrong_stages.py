"""Wrong stages of the RMSProp chain (:data:`oracle.algorithm.RMSPROP`): each one known mistake, with its equation.

A stage here replaces the stage of the same kind (``accumulate``,
``denominator``, ``apply``, ``weight_decay``, ``gradient``, ``carry``) in
:class:`oracle.algorithm.Stages`; :mod:`.mistakes` names each.  Stages using
numpy directly (``np.abs``, ``astype``) run over float arrays only, which is
where mistakes are replayed (:class:`~oracle.engines.floating.FloatArith`).

>>> import numpy as np
>>> from oracle.algorithm import RMSPROP, simulate
>>> from oracle.conventions import preset
>>> from oracle.engines.floating import FloatArith
>>> wrong = dataclasses.replace(RMSPROP, denominator=denominator_without_sqrt)
>>> recs = simulate(preset("seed"), FloatArith("float64"), [np.array([1.0])], grads=[[np.array([2.0])]],
...                 steps=1, stages=wrong)
>>> recs[1]["params"][0]  # 1 - 0.1 * 2 / (0.4 + 1e-8)
array([0.50000001])
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Callable

import numpy as np

from ...algorithm import Arrays, Hyper, State, accumulate, apply, gradient, init_state, weight_decay
from ...rounding import numpy_dtype

NARROWER = {"float64": "float32", "float32": "float16", "float16": "float16", "bfloat16": "bfloat16"}
"""The float a low-precision state is kept in, per dtype."""


def _variance(h: Hyper, v: Arrays, slots: State) -> Arrays:
    """s from accumulator values ``v``: max(v - m^2, 0) where centered (m from ``slots``), else v."""
    return [h.ar.nonneg(v_ - m * m) for v_, m in zip(v, slots["m"])] if "m" in slots else list(v)


def _with_v(h: Hyper, state: State, grads: Arrays, v: Arrays) -> tuple[State, Arrays]:
    """RMSProp's accumulate (m as usual where centered) with the accumulator replaced by ``v``."""
    slots, _ = accumulate(h, state, grads)
    return {**slots, "v": v}, _variance(h, v, slots)


def accumulate_without_one_minus_rho(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """v <- rho v + g^2 (the (1 - rho) factor missing)."""
    return _with_v(h, state, grads, [h.rho * v + g * g for v, g in zip(state["v"], grads)])


def accumulate_swapped_rho(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """v <- (1 - rho) v + rho g^2."""
    return _with_v(h, state, grads, [h.one_minus_rho * v + h.rho * (g * g) for v, g in zip(state["v"], grads)])


def accumulate_abs(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """v <- rho v + (1 - rho) |g| (|g| accumulated instead of g^2)."""
    return _with_v(h, state, grads, [h.rho * v + h.one_minus_rho * np.abs(g) for v, g in zip(state["v"], grads)])


def accumulate_shared(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """One accumulator for every element of every array: v <- rho v + (1 - rho) mean(g^2)."""
    n = sum(g.size for g in grads)
    mean = h.ar.const(Fraction(sum(float(np.sum(g * g)) for g in grads)) / max(n, 1))
    return _with_v(h, state, grads, [h.rho * v + h.one_minus_rho * mean for v in state["v"]])


def accumulate_in_narrower_float(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """v kept in a narrower float (float64 -> float32, float32 -> float16)."""
    slots, _ = accumulate(h, state, grads)
    return _with_v(h, state, grads, [v.astype(numpy_dtype(NARROWER[v.dtype.name])).astype(v.dtype) for v in slots["v"]])


def accumulate_bias_corrected(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """s from v / (1 - rho^t), Adam's bias correction, with v kept as RMSProp's."""
    slots, _ = accumulate(h, state, grads)
    c = h.ar.const(1 - h.conv.exact("rho") ** h.t)
    return slots, _variance(h, [v / c for v in slots["v"]], slots)


def accumulate_lagged(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """v <- rho v + (1 - rho) g^2 as usual, but s from the previous step's v."""
    slots, _ = accumulate(h, state, grads)
    return slots, _variance(h, state["v"], slots)


def accumulate_centered_unsquared(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """Centered, but s = max(v - m, 0): the mean gradient not squared."""
    slots, _ = accumulate(h, state, grads)
    return slots, [h.ar.nonneg(v - m) for v, m in zip(slots["v"], slots["m"])]


def denominator_without_sqrt(h: Hyper, s: Arrays) -> Arrays:
    """d = s + eps: the square root missing."""
    return [x + h.eps for x in s]


def apply_ascent(h: Hyper, params: Arrays, state: State, grads: Arrays, d: Arrays) -> tuple[Arrays, State]:
    """The step added instead of subtracted: RMSProp's update of -g."""
    return apply(h, params, state, [-g for g in grads], d)


def apply_without_lr(h: Hyper, params: Arrays, state: State, grads: Arrays, d: Arrays) -> tuple[Arrays, State]:
    """The update with eta = 1."""
    return apply(dataclasses.replace(h, lr=h.ar.const(Fraction(1))), params, state, grads, d)


def apply_damped_momentum(h: Hyper, params: Arrays, state: State, grads: Arrays, d: Arrays) -> tuple[Arrays, State]:
    """b <- mu b + (1 - mu) step: the momentum buffer damped (lr inside: step = eta g / d, p <- p - b;
    outside: step = g / d, p <- p - eta b)."""
    damp = h.ar.const(1 - h.conv.exact("momentum"))
    if h.conv.lr_in_momentum:
        b = [h.mu * b_ + damp * ((h.lr * g) / d_) for b_, g, d_ in zip(state["b"], grads, d)]
        return [p - b_ for p, b_ in zip(params, b)], {"b": b}
    b = [h.mu * b_ + damp * (g / d_) for b_, g, d_ in zip(state["b"], grads, d)]
    return [p - h.lr * b_ for p, b_ in zip(params, b)], {"b": b}


def weight_decay_of_abs(h: Hyper, params: Arrays, grads: Arrays) -> tuple[Arrays, Arrays]:
    """Weight decay of |p|: g <- g + lambda |p| (coupled) or p <- p - (eta lambda) |p| (decoupled)."""
    if h.conv.decoupled_weight_decay:
        return [p - h.lr_wd * np.abs(p) for p in params], list(grads)
    return list(params), [g + h.wd * np.abs(p) for p, g in zip(params, grads)]


def numerator_scaled(scale: float) -> Callable:
    """The update's numerator scaled by ``scale``, the accumulator not: RMSProp's update of scale * g."""
    def apply_scaled(h: Hyper, params: Arrays, state: State, grads: Arrays, d: Arrays) -> tuple[Arrays, State]:
        c = h.ar.const(Fraction(scale))
        return apply(h, params, state, [g * c for g in grads], d)

    return apply_scaled


def gradient_scaled(scale: float) -> Callable:
    """g <- scale * g before everything else (a loss scale never undone)."""
    def scaled(h: Hyper, params: Arrays, grads: Arrays) -> Arrays:
        c = h.ar.const(Fraction(scale))
        return gradient(h, params, [g * c for g in grads])

    return scaled


def state_lost_at(step: int) -> Callable:
    """The state re-initialized (v = v0, m = b = 0) before update ``step``."""
    def carry(h: Hyper, params: Arrays, state: State) -> State:
        return init_state(h.conv, h.ar, params) if h.t == step else state

    return carry


def weight_decay_negated_when_maximizing(h: Hyper, params: Arrays, grads: Arrays) -> tuple[Arrays, Arrays]:
    """maximize negating the decayed gradient, g <- -(g + lambda p), instead of g alone (PyTorch: -g + lambda p).

    The ``gradient`` stage has negated g already, so the coupled decay is subtracted here.
    """
    if h.wd is None or h.conv.decoupled_weight_decay or not h.conv.maximize:
        return weight_decay(h, params, grads)
    return list(params), [g - h.wd * p for p, g in zip(params, grads)]


def _stale(state: State, grads: Arrays, first: str = "zeros") -> Arrays:
    """The gradient of the previous step: the slot ``g_prev``; before the first, zeros (``first="zeros"``) or the
    current gradient (``first="current"``)."""
    return state.get("g_prev", list(grads) if first == "current" else [g * 0 for g in grads])


def accumulate_stale_gradient(h: Hyper, state: State, grads: Arrays, first: str = "zeros") -> tuple[State, Arrays]:
    """v <- rho v + (1 - rho) g_{t-1}^2 (the previous step's gradient; g_0 = 0); keeps g_t as ``g_prev``."""
    slots, s = accumulate(h, state, _stale(state, grads, first))
    return {**slots, "g_prev": list(grads)}, s


def apply_stale_gradient(h: Hyper, params: Arrays, state: State, grads: Arrays, d: Arrays,
                         first: str = "zeros") -> tuple[Arrays, State]:
    """p <- p - eta g_{t-1} / d: the update of the previous step's gradient (with :func:`accumulate_stale_gradient`)."""
    return apply(h, params, state, _stale(state, grads, first), d)


def accumulate_stale_gradient_current_first(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """:func:`accumulate_stale_gradient` with g_0 = g_1: step 1 uses its own gradient, step 2 uses g_1 again."""
    return accumulate_stale_gradient(h, state, grads, first="current")


def apply_stale_gradient_current_first(h: Hyper, params: Arrays, state: State, grads: Arrays,
                                       d: Arrays) -> tuple[Arrays, State]:
    """:func:`apply_stale_gradient` with g_0 = g_1 (with :func:`accumulate_stale_gradient_current_first`)."""
    return apply_stale_gradient(h, params, state, grads, d, first="current")


def accumulate_rho_in_dtype(h: Hyper, state: State, grads: Arrays) -> tuple[State, Arrays]:
    """1 - rho formed in the parameters' dtype from rho rounded to it (a hyperparameter cast to the dtype)."""
    return accumulate(dataclasses.replace(h, one_minus_rho=h.ar.const(Fraction(1)) - h.rho), state, grads)


def denominator_eps_squared(h: Hyper, s: Arrays) -> Arrays:
    """eps^2 in place of eps: sqrt(s + eps^2) (inside) or sqrt(s) + eps^2 (outside)."""
    eps2 = h.ar.const(h.conv.exact("eps") ** 2)
    if h.conv.effective_eps_placement == "inside":
        return [h.ar.sqrt(x + eps2) for x in s]
    return [h.ar.sqrt(x) + eps2 for x in s]


def apply_momentum_from_first_update(h: Hyper, params: Arrays, state: State, grads: Arrays,
                                     d: Arrays) -> tuple[Arrays, State]:
    """The buffer initialised to the first update, then updated again: b_1 = mu u_1 + u_1 (the missing ``else``)."""
    if h.t == 1 and "b" in state:
        lr_in = h.conv.lr_in_momentum
        state = {**state, "b": [(h.lr * g) / d_ if lr_in else g / d_ for g, d_ in zip(grads, d)]}
    return apply(h, params, state, grads, d)
