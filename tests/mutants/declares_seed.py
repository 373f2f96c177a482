"""Declares the seed documents' convention (eps inside the root) but adds eps after the root (PyTorch's)."""

from .base import PyTorchStyle

CONVENTION = "seed"


class rmsprop(PyTorchStyle):
    pass


class declares_nonsense(PyTorchStyle):
    """Declares a convention that does not exist."""

    CONVENTION = "pytorch,eps_placment=outside"
