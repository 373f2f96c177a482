"""Wrong RMSProp implementations (see ``mutants.MUTANTS`` for what the suite must say about each)."""

import time

import numpy as np

from .base import PyTorchStyle, RMSProp
from .right import torch_scheduled as _Scheduled  # PyTorch style with lr_schedule: lr of step t is lr_schedule[t - 1]


class eps_outside(RMSProp):
    eps_inside = False


class eps_inside(PyTorchStyle):
    eps_inside = True


class no_one_minus_rho(RMSProp):
    def accumulate(self, v, g):
        return self.c(self.rho) * v + g * g


class bias_correction(RMSProp):
    def variance(self, i, v, g):
        return v / self.c(1 - self.rho**self.t)


class accumulator_at_one(RMSProp):
    v0 = 1.0


class batch_size_twice(RMSProp):
    def apply(self, i, p, g, d):
        return p - (self.c(self.lr) * (g / self.c(32))) / d


class lagged_accumulator(RMSProp):
    def update(self, i, p, g):
        d = self.denominator(self.v[i])
        self.v[i] = self.accumulate(self.v[i], g)
        return self.apply(i, p, g, d)


class shared_accumulator(RMSProp):
    def __call__(self, grads):
        self.t += 1
        g = [np.asarray(x, dtype=self.dtype) for x in grads]
        n = sum(x.size for x in g)
        mean_sq = sum(np.sum(x * x) for x in g) / max(n, 1)
        self.shared = self.c(self.rho) * getattr(self, "shared", self.c(0)) + self.c(1 - self.rho) * mean_sq
        with np.errstate(all="ignore"):
            self.p = [p - self.c(self.lr) * x / np.sqrt(self.shared + self.c(self.eps)) for p, x in zip(self.p, g)]
        return [np.array(x, dtype=self.dtype).reshape(s) for x, s in zip(self.p, self.shapes)]


class float32_state(RMSProp):
    """Agrees to ~1e-8 on typical float64 inputs: the accumulator is kept in float32."""

    def accumulate(self, v, g):
        return super().accumulate(v, g).astype(np.float32).astype(self.dtype)


class no_sqrt(RMSProp):
    def denominator(self, s):
        return s + self.c(self.eps)


class ascent(RMSProp):
    def apply(self, i, p, g, d):
        return p + (self.c(self.lr) * g) / d


class swapped_rho(RMSProp):
    def accumulate(self, v, g):
        return self.c(1 - self.rho) * v + self.c(self.rho) * (g * g)


class float32_hyperparameters(RMSProp):
    def hyper(self, x):
        return float(np.float32(x))


class momentum_ignored(PyTorchStyle):
    def apply(self, i, p, g, d):
        return p - (self.c(self.lr) * g) / d


class momentum_damped(PyTorchStyle):
    def apply(self, i, p, g, d):
        if not self.mu:
            return super().apply(i, p, g, d)
        self.b[i] = self.c(self.mu) * self.b[i] + self.c(1 - self.mu) * (g / d)
        return p - self.c(self.lr) * self.b[i]


class centered_ignored(PyTorchStyle):
    def variance(self, i, v, g):
        return v


class centered_unsquared(PyTorchStyle):
    """Centered: v - m instead of v - m^2."""

    def variance(self, i, v, g):
        if not self.centered:
            return v
        self.m[i] = self.c(self.rho) * self.m[i] + self.c(1 - self.rho) * g
        return np.maximum(v - self.m[i], self.c(0))


class weight_decay_decoupled(PyTorchStyle):
    def update(self, i, p, g):
        p = p - self.c(self.lr * self.wd) * p
        self.v[i] = self.accumulate(self.v[i], g)
        return self.apply(i, p, g, self.denominator(self.variance(i, self.v[i], g)))


class weight_decay_abs(PyTorchStyle):
    """Exact for positive parameters; wrong only where a parameter is negative."""

    def decay(self, p, g):
        return g + self.c(self.wd) * np.abs(p) if self.wd else g


class float16_loss_scale(RMSProp):
    """Mixed-precision code path: float16 gradients arrive scaled by 1024 and are never unscaled."""

    def update(self, i, p, g):
        if self.dtype == np.float16:
            g = g * self.c(1024)
        return super().update(i, p, g)


class flush_tiny_gradients(RMSProp):
    """Flushes |g| < 1e-15 to zero: invisible unless gradients are that small."""

    def update(self, i, p, g):
        return super().update(i, p, np.where(np.abs(g) < 1e-15, self.c(0), g))


class chunk_tail_skipped(RMSProp):
    """Updates large arrays in chunks of 2**16 and forgets the last, partial chunk."""

    def update(self, i, p, g):
        new = super().update(i, p, g)
        if np.size(p) > 1 << 16:
            n = (np.size(p) // (1 << 16)) * (1 << 16)
            new = np.array(new).reshape(-1)
            new[n:] = np.asarray(p).reshape(-1)[n:]
            new = new.reshape(np.shape(p))
        return new


class state_reset_after_500(RMSProp):
    """Re-creates its state after 500 steps (a cache keyed by a wrapping counter)."""

    def __call__(self, grads):
        if self.t == 500:
            self.v = [np.full_like(x, self.v0) for x in self.p]
        return super().__call__(grads)


# -- broken protocol and hygiene ------------------------------------------------

def raises(params, *, lr, rho, eps):
    def step(grads):
        raise RuntimeError("boom")

    return step


def wrong_count(params, *, lr, rho, eps):
    inner = RMSProp(params, lr=lr, rho=rho, eps=eps)
    return lambda grads: inner(grads) + [np.zeros(1, dtype=params[0].dtype)]


def wrong_shape(params, *, lr, rho, eps):
    inner = RMSProp(params, lr=lr, rho=rho, eps=eps)
    return lambda grads: [np.atleast_1d(x).reshape(-1, 1) for x in inner(grads)]


def wrong_dtype(params, *, lr, rho, eps):
    inner = RMSProp(params, lr=lr, rho=rho, eps=eps)
    return lambda grads: [x.astype(np.float64) for x in inner(grads)]


def returns_nan(params, *, lr, rho, eps):
    inner = RMSProp(params, lr=lr, rho=rho, eps=eps)
    return lambda grads: [np.full_like(x, np.nan) if inner.t == 2 else x for x in inner(grads)]


def hangs(params, *, lr, rho, eps):
    def step(grads):
        time.sleep(5)

    return step


def mutates_grads(params, *, lr, rho, eps):
    inner = RMSProp(params, lr=lr, rho=rho, eps=eps)

    def step(grads):
        out = inner(grads)
        for g in grads:
            g *= 0.5
        return out

    return step


def aliased_output(params, *, lr, rho, eps):
    p = [np.array(x, copy=True) for x in params]
    inner = RMSProp(params, lr=lr, rho=rho, eps=eps)

    def step(grads):
        for dst, src in zip(p, inner(grads)):
            dst[...] = src
        return p

    return step


class class_level_state(RMSProp):
    """Keeps its accumulator in a class attribute keyed by position: instances share it."""

    store = {}

    def accumulate(self, v, g):
        key = (len(self.p), np.shape(g))
        old = self.store.get(key, np.zeros_like(g))
        self.store[key] = super().accumulate(old, g)
        return self.store[key]


class _Maximizing(PyTorchStyle):
    """PyTorch style with a ``maximize`` option (the base class has none)."""

    def __init__(self, params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0, maximize=False):
        super().__init__(params, lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered,
                         weight_decay=weight_decay)
        self.maximize = maximize


class maximize_ignored(_Maximizing):
    """Accepts maximize=True and descends anyway."""


class maximize_whole_update(_Maximizing):
    """Negates the decayed gradient, -(g + wd p): right without weight decay, the decay ascends with it."""

    def decay(self, p, g):
        g = super().decay(p, g)
        return -g if self.maximize else g


class lr_cached(_Scheduled):
    """Takes the schedule and keeps the learning rate it was constructed with."""

    def __call__(self, grads):
        return PyTorchStyle.__call__(self, grads)


class lr_inside_buffer(_Scheduled):
    """Declares PyTorch but scales inside the momentum buffer (TF style): equal at constant lr."""

    def apply(self, i, p, g, d):
        if not self.mu:
            return super().apply(i, p, g, d)
        self.b[i] = self.c(self.mu) * self.b[i] + (self.c(self.lr) * g) / d
        return p - self.b[i]


class complex_modulus(PyTorchStyle):
    """PyTorch style on real parameters; a complex parameter read by its modulus (one accumulator per
    element, v = rho v + (1 - rho) |g|^2, both parts divided by the same root) instead of torch's
    independent real and imaginary parts: the convention's ``complex_reading=modulus``."""

    def __init__(self, params, **kw):
        super().__init__(params, **kw)
        self.pairs = np.iscomplexobj(self.p[0])
        if self.pairs:
            self.R = self.p[0].real.dtype.type
            self.p = [np.stack([x.real, x.imag], -1) for x in self.p]
            self.v = [np.zeros(x.shape[:-1] + (1,), x.dtype) for x in self.p]
            self.m = [np.zeros_like(x) for x in self.p]
            self.b = [np.zeros_like(x) for x in self.p]

    def __call__(self, grads):
        if not self.pairs:
            return super().__call__(grads)
        R = self.R
        for i, g in enumerate(grads):
            g = np.asarray(g)
            g, p = np.stack([g.real, g.imag], -1).astype(self.p[i].dtype), self.p[i]
            if self.wd:
                g = g + R(self.wd) * p
            g2 = g[..., 0:1] * g[..., 0:1] + g[..., 1:2] * g[..., 1:2]  # |g|^2, one per complex element
            self.v[i] = R(self.rho) * self.v[i] + R(1 - self.rho) * g2
            s = self.v[i]
            if self.centered:
                m = self.m[i] = R(self.rho) * self.m[i] + R(1 - self.rho) * g
                s = np.maximum(s - (m[..., 0:1] * m[..., 0:1] + m[..., 1:2] * m[..., 1:2]), R(0))
            d = np.sqrt(s) + R(self.eps)
            if self.mu:
                self.b[i] = R(self.mu) * self.b[i] + g / d
                self.p[i] = p - R(self.lr) * self.b[i]
            else:
                self.p[i] = p - (R(self.lr) * g) / d
        return [(p[..., 0] + 1j * p[..., 1]).astype(self.dtype).reshape(s) for p, s in zip(self.p, self.shapes)]
