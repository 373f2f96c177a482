"""Mistakes real RMSProp code makes, each written the way a user would write it (issue 16).

Every class is PyTorch's update (eps outside the root, v0 = 0, lr outside the
momentum buffer) with one realistic mistake; ``REALISTIC`` maps each name to
the explicit convention it is meant for and the catalogue name the diagnosis
must give (``oracle.conformance.judge.mistakes``), and the dtype in which it shows.
They are independent of the oracle's code: plain numpy, as a user writes it.
"""

import numpy as np

from .base import PyTorchStyle
from .wrong import centered_unsquared  # noqa: F401 (centered: v - m instead of v - m^2; one copy)

REALISTIC = {
    # name: (convention, catalogued mistake that must be named, dtype where it shows, options)
    "bias_correction": ("pytorch", "bias-correction", "float64", {}),
    "stale_gradient": ("pytorch", "stale-gradient", "float64", {}),
    "stale_gradient_current_first": ("pytorch", "stale-gradient-current-first", "float64", {}),
    "narrow_state": ("pytorch", "low-precision-state", "float64", {}),
    "float32_arithmetic": ("pytorch", "compute-float32", "float64", {}),
    "hyper_in_param_dtype": ("pytorch", "hyper-param-dtype", "float16", {}),
    "momentum_from_first_update": ("pytorch", "momentum-first-update", "float64", {"momentum": 0.9}),
    "eps_squared": ("pytorch", "eps-squared", "float64", {}),
    "rho_swapped": ("pytorch", "swapped-rho", "float64", {}),
    "centered_unsquared": ("pytorch", "centered-unsquared", "float64", {"centered": True}),
}


class bias_correction(PyTorchStyle):
    """Adam habit: the accumulator bias-corrected, v / (1 - rho^t), before the root."""

    def variance(self, i, v, g):
        return super().variance(i, v, g) / self.c(1 - self.rho**self.t)


class stale_gradient(PyTorchStyle):
    """Applies the gradient of the previous call (a buffer filled after it is read; zeros at step 1)."""

    def update(self, i, p, g):
        prev = getattr(self, "prev", {}).get(i, np.zeros_like(g))
        self.__dict__.setdefault("prev", {})[i] = g.copy()
        return super().update(i, p, prev)


class stale_gradient_current_first(PyTorchStyle):
    """Applies the gradient of the previous call, the buffer filled with the current one at the first call."""

    def update(self, i, p, g):
        prev = getattr(self, "prev", {}).get(i, g)
        self.__dict__.setdefault("prev", {})[i] = g.copy()
        return super().update(i, p, prev)


class narrow_state(PyTorchStyle):
    """The square average kept in float32 for float64 parameters (float16 for float32)."""

    def accumulate(self, v, g):
        narrow = np.float32 if self.dtype == np.float64 else np.float16
        return super().accumulate(v, g).astype(narrow).astype(self.dtype)


class float32_arithmetic(PyTorchStyle):
    """Parameters and state stored in float64, but every operation done in float32."""

    def __call__(self, grads):
        self.t += 1
        f32 = np.dtype(np.float32)
        with np.errstate(all="ignore"):
            out = []
            for i, (p, g) in enumerate(zip(self.p, grads)):
                p32, g32 = p.astype(f32), np.asarray(g).astype(f32)
                v = np.float32(self.rho) * self.v[i].astype(f32) + np.float32(1 - self.rho) * (g32 * g32)
                self.v[i] = v.astype(self.dtype)
                out.append((p32 - (np.float32(self.lr) * g32) / (np.sqrt(v) + np.float32(self.eps))).astype(self.dtype))
        self.p = out
        return [np.array(x, copy=True).reshape(s) for x, s in zip(self.p, self.shapes)]


class hyper_in_param_dtype(PyTorchStyle):
    """lr, rho, 1 - rho and eps cast to the parameter's dtype (float16 for float16 parameters)."""

    def hyper(self, x):
        return x

    def accumulate(self, v, g):
        rho = self.dtype.type(self.rho)
        return rho * v + (self.dtype.type(1) - rho) * (g * g)


class momentum_from_first_update(PyTorchStyle):
    """The momentum buffer initialised from the first update and then updated again (the missing ``else``):
    ``if buf is None: buf = u`` followed by ``buf = mu buf + u``, so b1 = (1 + mu) u."""

    def apply(self, i, p, g, d):
        if self.mu and self.t == 1:
            self.b[i] = g / d
        return super().apply(i, p, g, d)


class eps_squared(PyTorchStyle):
    """eps**2 added (eps read as a variance floor): sqrt(v) + eps^2."""

    def denominator(self, s):
        return np.sqrt(s) + self.c(self.eps * self.eps)


class rho_swapped(PyTorchStyle):
    """v = (1 - rho) v + rho g^2 (alpha read as the weight of the new term)."""

    def accumulate(self, v, g):
        return self.c(1 - self.rho) * v + self.c(self.rho) * (g * g)


