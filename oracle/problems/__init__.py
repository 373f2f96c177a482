"""Problems RMSProp is run on: the source documents' examples, quadratics, gradient streams.

Each closed-loop problem provides a gradient function written with context
operations (``grad_fn(ar, params) -> grads``), so the same function feeds the
certified reference, the float backend and the error bound.  The conformance
suite also evaluates it at a candidate's own parameters, exactly, rounded once
to the candidate's dtype: that is a :class:`Problem`, and :class:`ContextProblem`
makes one of any ``grad_fn`` written with ``ar.const`` alone.

>>> from oracle.problems import docs_example as ex
>>> import numpy as np
>>> ContextProblem(ex.grad_fn("docs"), "docs").exact_grads([np.array([0.5])], "float32")
[array([-6.], dtype=float32)]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from ..algorithm import GradFn
from ..conventions import to_fraction
from ..rounding import DTYPE_FORMAT, numpy_dtype, to_float_exact


class Problem(Protocol):
    """A closed-loop problem, as the conformance suite and its reference use it."""

    def grad_fn(self) -> GradFn: ...  # the gradient with context operations (every engine)

    def exact_grads(self, params: list, dtype: str) -> list: ...  # at a candidate's float params: exact, rounded once

    def key(self) -> list: ...  # arrays that identify the problem (the reference cache)


class ExactArith:
    """Plain rational arithmetic (Fractions in object arrays): enough for a gradient written with ``ar.const``."""

    def const(self, x: Fraction) -> Fraction:
        return Fraction(x)

    def array(self, values: Any) -> np.ndarray:
        """Exact inputs (numbers, decimal strings, float arrays) as an object array of Fractions."""
        return np.vectorize(to_fraction, otypes=[object])(np.asarray(values, dtype=object))


class ContextProblem:
    """A :class:`Problem` given by a context gradient function (``grad_fn(ar, params)``, ``ar.const`` only).

    The candidate's gradient is evaluated exactly (rationals) at its own parameters
    and rounded once to its dtype; ``name`` identifies the problem.
    """

    def __init__(self, grad_fn: GradFn, name: str) -> None:
        self._grad_fn, self.name = grad_fn, name

    def exact_grads(self, params: list, dtype: str) -> list:
        if not all(np.all(np.isfinite(p)) for p in params):  # a broken candidate: feed NaN
            return [np.full(np.shape(p), np.nan, dtype=numpy_dtype(dtype)) for p in params]
        ar = ExactArith()
        grads = self._grad_fn(ar, [np.atleast_1d(ar.array(p)) for p in params])  # type: ignore[arg-type]
        return [round_exact(g, dtype).reshape(np.shape(p)) for g, p in zip(grads, params)]

    def grad_fn(self) -> GradFn:
        return self._grad_fn

    def key(self) -> list:
        return [np.frombuffer(self.name.encode(), dtype=np.uint8)]

    def __repr__(self) -> str:
        return f"ContextProblem({self.name!r})"


def round_exact(values: Any, dtype: str) -> np.ndarray:
    """Exact values (Fractions, object array) rounded once to ``dtype``."""
    fmt = DTYPE_FORMAT[dtype]
    a = np.asarray(values, dtype=object)
    return np.array([to_float_exact(Fraction(x), fmt) for x in a.reshape(-1)], dtype=numpy_dtype(dtype)).reshape(a.shape)
