"""Correct RMSProp implementations in other styles: the suite must accept each."""

import numpy as np

from .base import PyTorchStyle, RMSProp


class tf_order(RMSProp):
    """TF's ApplyRMSProp order: v += (g^2 - v)(1 - rho)."""

    def accumulate(self, v, g):
        return v + (g * g - v) * self.c(1 - self.rho)


class in_place(RMSProp):
    """Everything in place with ``out=`` arguments."""

    def update(self, i, p, g):
        p, g = np.atleast_1d(np.array(p, copy=True)), np.atleast_1d(g)
        v = self.v[i] = np.atleast_1d(self.v[i])
        np.multiply(v, self.c(self.rho), out=v)
        v += self.c(1 - self.rho) * np.square(g)
        d = np.add(v, self.c(self.eps))
        np.sqrt(d, out=d)
        step = np.multiply(g, self.c(self.lr))
        np.divide(step, d, out=step)
        p -= step
        return p


class rsqrt(RMSProp):
    """Multiplies by a reciprocal square root, lr * (g * rsqrt(v + eps))."""

    def apply(self, i, p, g, d):
        return p - self.c(self.lr) * (g * (self.c(1) / d))


class float32_careful(RMSProp):
    """float16 parameters, float32 internal arithmetic, one rounding back per step."""

    def update(self, i, p, g):
        if self.dtype != np.float16:
            return super().update(i, p, g)
        p32, g32 = np.float32(p) if np.ndim(p) == 0 else p.astype(np.float32), np.asarray(g, np.float32)
        v32 = self.v[i].astype(np.float32)
        v32 = np.float32(self.rho) * v32 + np.float32(1 - self.rho) * g32 * g32
        self.v[i] = v32.astype(np.float16)
        out = p32 - np.float32(self.lr) * g32 / np.sqrt(v32 + np.float32(self.eps))
        return np.asarray(out).astype(np.float16)


class torch_style(PyTorchStyle):
    """PyTorch's order: lr * (g / d) inside addcdiv, lr outside the momentum buffer."""

    def apply(self, i, p, g, d):
        if self.mu:
            self.b[i] = self.b[i] * self.c(self.mu) + g / d
            return p + self.c(-self.lr) * self.b[i]
        return p + (self.c(-self.lr) * g) / d


class kwargs_class:
    """A class-based factory taking ``**options`` (all options passed)."""

    def __init__(self, params, *, lr, rho, eps, **options):
        self.inner = PyTorchStyle(params, lr=lr, rho=rho, eps=eps, **options)

    def __call__(self, grads):
        return self.inner(grads)


class torch_maximize(PyTorchStyle):
    """PyTorch's maximize: g <- -g, then the coupled decay g + wd p."""

    def __init__(self, params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0, maximize=False):
        super().__init__(params, lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered,
                         weight_decay=weight_decay)
        self.maximize = maximize

    def decay(self, p, g):
        return super().decay(p, -g if self.maximize else g)


class torch_scheduled(PyTorchStyle):
    """PyTorch's update with a per-step learning rate (param_groups' lr set before each step)."""

    def __init__(self, params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0, lr_schedule=()):
        super().__init__(params, lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered,
                         weight_decay=weight_decay)
        self.schedule = list(lr_schedule)

    def __call__(self, grads):
        if self.schedule:
            self.lr = self.schedule[self.t]
        return super().__call__(grads)
