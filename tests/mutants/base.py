"""A plain numpy RMSProp (eps inside or outside, momentum, centered, coupled decay) to derive mutants from.

Independent of the oracle's own code.  Subclasses override one method each.
"""

import numpy as np


class RMSProp:
    eps_inside = True
    v0 = 0.0

    def __init__(self, params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0):
        self.dtype = params[0].dtype
        self.shapes = [np.shape(x) for x in params]
        self.p = [np.array(x, copy=True) for x in params]
        self.lr, self.rho, self.eps = self.hyper(lr), self.hyper(rho), self.hyper(eps)
        self.mu, self.centered, self.wd = self.hyper(momentum), centered, self.hyper(weight_decay)
        self.v = [np.full_like(x, self.v0) for x in self.p]
        self.m = [np.zeros_like(x) for x in self.p]
        self.b = [np.zeros_like(x) for x in self.p]
        self.t = 0

    def hyper(self, x):
        return x

    def c(self, x):
        return self.dtype.type(x)

    def accumulate(self, v, g):
        return self.c(self.rho) * v + self.c(1 - self.rho) * (g * g)

    def denominator(self, s):
        if self.eps_inside:
            return np.sqrt(s + self.c(self.eps))
        return np.sqrt(s) + self.c(self.eps)

    def variance(self, i, v, g):
        if not self.centered:
            return v
        self.m[i] = self.c(self.rho) * self.m[i] + self.c(1 - self.rho) * g
        return np.maximum(v - self.m[i] * self.m[i], self.c(0))

    def decay(self, p, g):
        return g + self.c(self.wd) * p if self.wd else g

    def apply(self, i, p, g, d):
        if self.mu:
            self.b[i] = self.c(self.mu) * self.b[i] + g / d
            return p - self.c(self.lr) * self.b[i]
        return p - (self.c(self.lr) * g) / d

    def update(self, i, p, g):
        g = self.decay(p, g)
        self.v[i] = self.accumulate(self.v[i], g)
        s = self.variance(i, self.v[i], g)
        return self.apply(i, p, g, self.denominator(s))

    def __call__(self, grads):
        self.t += 1
        with np.errstate(all="ignore"):
            self.p = [self.update(i, p, np.asarray(g, dtype=self.dtype)) for i, (p, g) in enumerate(zip(self.p, grads))]
        return [np.array(x, dtype=self.dtype, copy=True).reshape(s) for x, s in zip(self.p, self.shapes)]


class PyTorchStyle(RMSProp):
    eps_inside = False
