"""Wrong RMSProps that only a wide domain catches, and candidates whose errors are extreme.

Each gap mutant agrees exactly with a correct ``seed`` RMSProp (eps inside the
root, :class:`mutants.base.RMSProp`) everywhere a narrow suite looks: lr <= 0.5,
hyperparameters that are short decimals, at most three parameter arrays, runs of
at most 1000 steps, normal numbers.  ``GAPS`` maps each to the fixed case (of the
default profile) that must fail it, and the dtypes it is checked in;
``docs/certificate.md`` gives the detection argument for each.
"""

import numpy as np

from .base import RMSProp


class lr_capped(RMSProp):
    """Clips the learning rate to 0.5 (a 'safety' clamp)."""

    def __init__(self, params, *, lr, **kw):
        super().__init__(params, lr=min(lr, 0.5), **kw)


class rho_rounded(RMSProp):
    """Stores rho with three decimals (a config file written with %.3f)."""

    def __init__(self, params, *, rho, **kw):
        super().__init__(params, rho=round(rho, 3), **kw)


class state_reset_after_1000(RMSProp):
    """Re-creates its state after 1000 steps (a cache keyed by a wrapping counter)."""

    def __call__(self, grads):
        if self.t == 1000:
            self.v = [np.full_like(x, self.v0) for x in self.p]
        return super().__call__(grads)


class wrong_from_4th_array(RMSProp):
    """Uses a slightly wrong learning rate for every parameter array from the fourth on (a per-group bug)."""

    def apply(self, i, p, g, d):
        if i < 3:
            return super().apply(i, p, g, d)
        return p - (self.c(self.lr * (1 + 2.0**-9)) * g) / d


class flush_to_zero(RMSProp):
    """Flushes subnormal inputs and results to zero (FTZ/DAZ), in every dtype."""

    def _ftz(self, x):
        x = np.asarray(x)
        return np.where(np.abs(x) < np.finfo(x.dtype).tiny, x.dtype.type(0), x)

    def update(self, i, p, g):
        return self._ftz(super().update(i, self._ftz(p), self._ftz(g)))


GAPS = {
    "lr_capped": ("wide-hyperparameters", ("float64", "float32", "float16")),
    "rho_rounded": ("wide-hyperparameters", ("float64", "float32")),
    "state_reset_after_1000": ("long-run", ("float64", "float32")),
    "wrong_from_4th_array": ("wide-hyperparameters", ("float64", "float32")),
    "flush_to_zero": ("subnormal", ("float64", "float32", "float16")),
}


class huge_output(RMSProp):
    """Returns the largest finite value of the dtype: the error is finite but near overflow."""

    def __call__(self, grads):
        out = super().__call__(grads)
        return [np.full_like(x, np.finfo(x.dtype).max) for x in out]


class drift_at_zero(RMSProp):
    """Adds 1e-12 to every result: where the exact value is 0 the error is 2e311 ULP (subnormal spacing)."""

    def __call__(self, grads):
        return [x + x.dtype.type(1e-12) for x in super().__call__(grads)]


class declines_rho_zero(RMSProp):
    """Correct, but declines rho = 0 (NotImplementedError): the certificate's domain must show it."""

    def __init__(self, params, *, rho, **kw):
        if rho == 0:
            raise NotImplementedError("rho = 0 is not supported")
        super().__init__(params, rho=rho, **kw)
