"""The numbers a picture shows: a candidate's trajectory against the reference, per step.

Plotted quantities (per step t and followed element j, as in :mod:`oracle.conformance.judge.grading`):

* *exact* x*_t: the exact value (``hi + lo`` of the reference, or a golden file's
  certified value), and *got* x_t: the candidate's value, in its dtype;
* *error* |x_t - x*_t| in ULPs of the dtype at the exact value (the spacing of the
  dtype's floats at |x*_t|, subnormal spacing near zero);
* *bound* in ULPs: the forward error bound of any float implementation of the
  convention in that dtype (:mod:`oracle.engines.bound.errorbound`), in the same unit;
* *compared*: the element's bound is at most u^(1/3) |x*_t| (or below the smallest
  normal), and was so at every earlier step;
* *horizon*: the last step at which every followed element is still compared (None
  when all are compared to the end of the run);
* *first exceedance*: the first step at which a compared error exceeds its bound.

Nothing here imports matplotlib.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Optional, Sequence

import numpy as np

from ..accuracy import abs_error, bound_ratio, ulp
from ..conformance.isolation.candidate import Candidate
from ..conformance.judge.cases import Case
from ..conformance.judge.reference import Reference, followed, reference
from ..conventions import Convention
from ..rounding import double_double

PER_ELEMENT_MAX = 6
"""At most this many followed elements are drawn one by one; more are summarised by the worst."""


def obtain(candidate: Candidate, conv: Convention, case: Case) -> tuple[list, Reference]:
    """The candidate's trajectory on ``case`` (index 0 the initial values) and the case's reference.

    The one place that runs a candidate for a picture: ``Candidate.run`` raises
    :class:`oracle.conformance.isolation.candidate.CandidateError` for a broken candidate.
    """
    ref = reference(conv, case)
    traj = candidate.run(case.params0, case.hyper, case.options, case.feed(), case.steps)
    return traj, ref


@dataclasses.dataclass
class ErrorData:
    """Everything :func:`oracle.plot.draw.error_axes` draws, as float64 arrays.

    Rows are steps, columns followed elements (labels in ``labels``).  ``err_ulp``,
    ``bound_ulp`` and ``compared`` cover the reference's steps 0..``last``;
    ``got`` the candidate's steps 0..``steps``; ``exact_steps``/``exact`` the steps
    with an exact value (the reference's, or a golden file's stored steps).
    """

    case: str
    dtype: str
    candidate: str
    convention: str
    loop: str
    steps: int
    labels: list
    got: np.ndarray
    exact_steps: np.ndarray
    exact: np.ndarray
    err_ulp: np.ndarray
    bound_ulp: np.ndarray
    ratio: np.ndarray
    compared: np.ndarray
    horizon: Optional[int]
    first_exceed: Optional[int]
    exact_source: str = "reference"

    @property
    def last(self) -> int:
        """The last step the reference covers."""
        return self.err_ulp.shape[0] - 1

    @property
    def per_element(self) -> bool:
        return len(self.labels) <= PER_ELEMENT_MAX

    @property
    def worst_ratio(self) -> float:
        r = np.where(self.compared, self.ratio, 0.0)
        return float(np.max(r)) if r.size else 0.0

    @property
    def worst_ulp(self) -> float:
        e = np.where(self.compared, self.err_ulp, 0.0)
        return float(np.max(e)) if e.size else 0.0

    def worst_element(self) -> int:
        """The element whose largest compared error/bound ratio is the largest of all."""
        r = np.where(self.compared, self.ratio, -1.0)
        return int(np.argmax(np.max(r, axis=0))) if r.size else 0


def labels_for(case: Case, names: Optional[Sequence[str]] = None) -> list:
    """``name[index]`` for every followed element (``p``/``p0``, ``p1``... when no names are given)."""
    if names is None:
        names = ["p"] if len(case.params0) == 1 else [f"p{i}" for i in range(len(case.params0))]
    out = []
    for i, (name, p) in enumerate(zip(names, case.params0)):
        shape = np.shape(p)
        flat = range(int(np.prod(shape))) if case.sample is None else [int(k) for k in case.sample[i]]
        for k in flat:
            idx = np.unravel_index(k, shape) if shape else ()
            out.append(f"{name}[{','.join(str(int(x)) for x in idx)}]" if idx else name)
    return out


def error_data(case: Case, traj: list, ref: Reference, *, candidate: str, convention: str,
               names: Optional[Sequence[str]] = None, exact: Optional[dict] = None) -> ErrorData:
    """The plotted quantities of a trajectory against a reference (see the module docstring).

    ``exact`` optionally maps a step to the exact values of the followed elements
    (a golden file's certified trajectory, flat, as Fractions); it replaces the
    reference's ``hi + lo`` at those steps.  ``ValueError`` if the exact update is undefined.
    """
    if ref.undefined:
        raise ValueError(f"case {case.id}: {ref.undefined}")
    got = np.array([np.concatenate([g.astype(np.float64) for g in followed(case, arrays)] or [np.zeros(0)])
                    for arrays in traj])
    n = got.shape[1]
    rows = ref.last + 1
    err = np.full((rows, n), np.nan)
    bound = np.full((rows, n), np.nan)
    ratio = np.full((rows, n), np.nan)
    compared = np.zeros((rows, n), dtype=bool)
    ref_exact = np.full((rows, n), np.nan)
    for t in range(rows):
        hi, lo, e = (np.concatenate(parts) if parts else np.zeros(0) for parts in zip(*ref.params[t]))
        if exact is not None and t in exact:
            pairs = [double_double(Fraction(x)) for x in exact[t]]
            hi, lo = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        ref_exact[t] = hi
        compared[t] = np.concatenate(ref.masks[t]) if n else np.zeros(0, dtype=bool)
        unit = ulp(hi, case.dtype)
        d = abs_error(got[t] if t < got.shape[0] else np.full(n, np.nan), hi, lo)
        err[t] = d / unit
        bound[t] = e / unit
        ratio[t] = bound_ratio(d, e)
    bad = np.argwhere(compared[1:] & ~(ratio[1:] <= 1.0))
    first = int(bad[0][0]) + 1 if bad.size else None
    every = compared.all(axis=1) if n else np.ones(rows, dtype=bool)
    horizon = None if every.all() else max(0, int(np.argmin(every)) - 1)
    if exact is not None:
        exact_steps = np.array(sorted(exact), dtype=int)
        exact_values = np.array([[float(x) for x in exact[t]] for t in exact_steps]).reshape(len(exact_steps), n)
        source = "golden"
    else:
        exact_steps, exact_values, source = np.arange(rows), ref_exact, "reference"
    return ErrorData(case.name, case.dtype, candidate, convention, "closed" if case.closed else "open", case.steps,
                     labels_for(case, names), got, exact_steps, exact_values, err, bound, ratio, compared,
                     horizon, first, source)
