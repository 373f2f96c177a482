"""Emulations of real frameworks' deviations, each certified under the convention field that declares it.

* ``float32_compute``: parameters and state stored in float64, every operation in float32 (one
  framework's centered path; another's ``scalar * array`` promotion) -> ``pytorch,compute=float32``.
* ``hyper_in_dtype``: lr, rho, eps, momentum and weight decay cast to the parameters' dtype, 1 - rho
  formed in it (one framework does this for float16 parameters) -> ``pytorch,hyper_dtype=param``.
* ``fixed_eps``: a framework whose eps is a constant, not a parameter -> ``pytorch,fixed_eps=1e-7``.
* ``flush_to_zero``: float64 and float32 subnormals flushed to zero (TensorFlow, XLA on the CPU), the
  package's own float implementation -> ``pytorch,subnormals=flush:float64+float32``.
"""

import numpy as np

from .base import PyTorchStyle


def float32_compute(params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0):
    dtype = params[0].dtype
    inner = PyTorchStyle([np.asarray(p).astype(np.float32) for p in params], lr=lr, rho=rho, eps=eps,
                         momentum=momentum, centered=centered, weight_decay=weight_decay)

    def step(grads):
        return [p.astype(dtype) for p in inner([np.asarray(g).astype(np.float32) for g in grads])]

    return step


class hyper_in_dtype(PyTorchStyle):
    """``c(x)`` casts every hyperparameter to the dtype; 1 - rho is then formed in it too."""

    def accumulate(self, v, g):
        rho = self.c(self.rho)
        return rho * v + (self.c(1) - rho) * (g * g)


class fixed_eps(PyTorchStyle):
    """Takes eps but ignores it: the framework's eps is 1e-7 (and it says so)."""

    CONVENTION = "pytorch,fixed_eps=1e-7"

    def __init__(self, params, *, lr, rho, eps, **options):
        super().__init__(params, lr=lr, rho=rho, eps=1e-7, **options)


def _builtin_flushing():
    from oracle.conformance.judge.builtin import factory

    make = factory("pytorch,subnormals=flush:float64+float32")
    del make.CONVENTION  # undeclared: the probes must find the flush
    return make


flush_to_zero = _builtin_flushing()
"""The package's own float implementation flushing float64 and float32 subnormals to zero (FTZ/DAZ), as
TensorFlow and XLA on the CPU (their float16 keeps subnormals) -> ``pytorch,subnormals=flush:float64+float32``."""
