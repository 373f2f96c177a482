"""Pictures: a candidate's error against the forward error bound, and golden trajectories.

Needs the optional ``plot`` extra (matplotlib, imported only when a figure is
drawn; without it the figure functions raise :class:`PlotUnavailable`, whose
message says ``pip install 'rmsprop-oracle[plot]'``).  What is plotted (see
:mod:`.data` for the definitions):

* :func:`error_figure` -- a conformance case and a candidate: top panel, per step,
  the error |got - exact| in ULPs of the dtype at the exact value and the forward
  error bound in the same unit (log scale; per element for up to six followed
  elements, else the element with the largest error/bound ratio at each step),
  the horizon (last step every element is compared: bound <= u^(1/3) |exact|)
  and the first step where an error exceeds its bound; bottom panel, the exact
  trajectory and the candidate's values.
* :func:`golden_figure` -- a golden file: with a dtype, the same two panels for a
  float implementation (by default the package's own) replayed on the file's exact
  inputs, the exact values being the file's certified ones; without a dtype, the
  certified trajectory and the file's per-dtype horizons (for ``gluon-intended-*``,
  :func:`gluon_cycle_figure`).
* :func:`gluon_cycle_figure` -- the intended Gluon run settling on its period-2 cycle.

:func:`save` writes PNG, SVG or PDF reproducibly; :func:`render_golden_figures`
regenerates the figures kept in ``golden/figures/``.
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from ..conformance.isolation.candidate import Candidate, UsageError
from ..conformance.judge.cases import Case, builtin_cases
from ..conformance.judge.options import PROFILES, check_convention
from ..conformance.judge.sources import all_cases
from ..conventions import PRESET_NAMES, Convention, parse, preset
from ..golden.data import golden_dir
from ..rounding import DTYPES
from . import draw, golden as G
from .data import ErrorData, error_data, obtain
from .draw import EXTRA, PlotUnavailable, require, save

__all__ = ["EXTRA", "ErrorData", "PlotUnavailable", "error_figure", "error_data", "gluon_cycle_figure",
           "golden_data", "golden_figure", "case_data", "obtain", "render_golden_figures", "require", "save"]

Optimizer = Union[str, Callable, Any]
FIGURES = {"gluon-cycle.png": ("gluon_cycle_figure", ("gluon-intended-long",), {}),
           "docs-example-float64.png": ("golden_figure", ("docs-docs-binary64-200", "float64"), {})}
"""The figures kept in ``golden/figures/``: file name -> (function, args, kwargs)."""


def _candidate(optimizer: Optimizer) -> Any:
    """A :class:`~oracle.conformance.isolation.candidate.Candidate` (run in a worker process) from a spec, an importable
    factory or a Candidate."""
    if isinstance(optimizer, Candidate):
        return optimizer
    if callable(optimizer) and not isinstance(optimizer, str):
        qualname = getattr(optimizer, "__qualname__", "")
        if "<" in qualname or not getattr(optimizer, "__module__", None):
            raise ValueError(f"optimizer: {optimizer!r} cannot be imported by name; give it as MODULE:ATTR")
        optimizer = f"{optimizer.__module__}:{qualname}"
    if isinstance(optimizer, str):
        try:
            return Candidate(optimizer)
        except UsageError as err:
            raise ValueError(f"optimizer: {err}") from None
    raise ValueError(f"optimizer must be MODULE:ATTR, a factory or a Candidate, got {optimizer!r}")


def _find_case(name: str, dtype: str, profile: str) -> Any:
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    for source in (builtin_cases, all_cases):
        cases = {c.name: c for c in source(dtype, profile)}
        if name in cases:
            return cases[name]
    close = difflib.get_close_matches(name, list(cases), n=3, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else "; `python -m oracle plot --list` names them all"
    raise ValueError(f"case: unknown case {name!r}{hint}")


def case_data(case: Any, optimizer: Optional[Optimizer] = None, *,
              convention: Any = None, dtype: str = "float64", profile: str = "default") -> ErrorData:
    """The plotted quantities of ``optimizer`` on a conformance case (a name or a ``Case``).

    ``optimizer``: ``MODULE:ATTR``, a protocol factory or a ``Candidate`` (default: the
    package's float implementation of the convention's preset, ``seed`` if none is given).
    ``convention``: a preset name, a ``PRESET,FIELD=VALUE`` spec or a ``Convention``
    (default: the candidate's declared ``CONVENTION``).
    """
    if optimizer is None:
        head = convention.name if isinstance(convention, Convention) else str(convention or "seed").split(",")[0]
        optimizer = f"oracle.conformance.judge.builtin:{head.strip()}"
    cand = _candidate(optimizer)
    case = case if isinstance(case, Case) else _find_case(str(case), dtype, profile)
    spec = convention if convention is not None else cand.convention
    if spec is None:
        raise ValueError(f"convention: required, {cand.name!r} declares no CONVENTION (give a preset or a "
                         "PRESET,FIELD=VALUE spec)")
    try:
        if not isinstance(spec, Convention):  # the suite's rule: each case sets lr, rho, eps and the options
            spec = check_convention(str(spec)) or "auto"
        base = spec if isinstance(spec, Convention) else parse(spec)
        conv = base.replace(**case.hyper, **case.options)
    except ValueError as err:
        raise ValueError(f"convention: {str(err).removeprefix('--convention: ')}") from None
    if case.exact is not None and case.replayed().structure() != base.structure():
        raise ValueError(f"case: {case.name!r} replays the {case.exact['preset']!r} convention, not {base.spec()!r}")
    missing = cand.supports(case.options)
    if missing:
        raise ValueError(f"case: {case.name!r} needs the option {missing!r}, which {cand.name!r} lacks")
    traj, ref = obtain(cand, conv, case)
    return error_data(case, traj, ref, candidate=cand.name, convention=conv.spec())


def error_figure(case: Any, optimizer: Optional[Optimizer] = None, *,
                 convention: Any = None, dtype: str = "float64", profile: str = "default") -> Any:
    """The error-vs-bound and trajectory figure of ``optimizer`` on a conformance case (see :func:`case_data`).

    For example ``save(error_figure("docs-example", "oracle.adapters.torch:rmsprop", dtype="float32"),
    "torch.png")`` (the adapter declares ``CONVENTION = "pytorch"``).
    """
    require()
    return draw.error_figure(case_data(case, optimizer, convention=convention, dtype=dtype, profile=profile))


def golden_data(golden: Union[str, Path], dtype: str, *, optimizer: Optional[Optimizer] = None,
                steps: Optional[int] = None) -> ErrorData:
    """A float implementation replayed on a golden file, against the file's certified trajectory.

    ``optimizer`` defaults to the package's own float implementation of the file's
    preset (``oracle.conformance.judge.builtin:<preset>``); ``steps`` to the file's length.
    """
    doc = G.load(golden)
    case, conv = G.replay(doc, dtype, steps)
    if optimizer is None:
        same = conv.name in PRESET_NAMES and preset(conv.name).replace(
            **{k: getattr(conv, k) for k in ("lr", "rho", "eps", "momentum", "centered", "weight_decay")}
        ).structure() == conv.structure()
        if not same:
            raise ValueError(f"golden: {doc['case']!r} follows {conv.spec()!r}, which is no preset: "
                             "give an optimizer that implements it")
        optimizer = f"oracle.conformance.judge.builtin:{conv.name}"
    cand = _candidate(optimizer)
    traj, ref = obtain(cand, conv, case)
    exact = {t: v for t, v in G.trajectory(doc).items() if t <= case.steps}
    data = error_data(case, traj, ref, candidate=cand.name, convention=conv.spec(), names=G.names_of(doc),
                      exact=exact)
    return dataclasses.replace(data, case=f"golden/{doc['case']}.json replayed")


def golden_figure(golden: Union[str, Path], dtype: Optional[str] = None, *, optimizer: Optional[Optimizer] = None,
                  steps: Optional[int] = None) -> Any:
    """A golden file's figure: error vs bound of a replay in ``dtype``, or (no dtype) its trajectory and horizons."""
    require()
    if dtype is not None:
        return draw.error_figure(golden_data(golden, dtype, optimizer=optimizer, steps=steps))
    doc = G.load(golden)
    if (doc.get("analysis") or {}).get("cycle"):
        return draw.gluon_cycle_figure(G.cycle(doc))
    traj = G.trajectory(doc)
    steps_ = sorted(t for t in traj if steps is None or t <= steps)
    values = np.array([[float(x) for x in traj[t]] for t in steps_])
    return draw.golden_trajectory_figure(doc, steps_, values, G.labels(doc), G.horizons(doc))


def gluon_cycle_figure(golden: Union[str, Path] = "gluon-intended-long") -> Any:
    """The intended Gluon run (``golden/gluon-intended-long.json``) settling on its period-2 cycle.

    Top: each certified parameter over the epochs, even and odd epochs drawn
    separately (they converge to c + delta and c - delta), the cycle centre c,
    and the float64/float32 horizons; bottom: max_i |p_i(t) - p_i(t-2)| / 2 (log
    scale), the distance from exact period 2.
    """
    require()
    return draw.gluon_cycle_figure(G.cycle(G.load(golden)))


def render_golden_figures(folder: Optional[Union[str, Path]] = None) -> list:
    """Regenerate the figures of ``golden/figures/`` (:data:`FIGURES`); returns the paths written."""
    out = Path(folder) if folder is not None else golden_dir() / "figures"
    written = []
    for name, (fn, args, kwargs) in FIGURES.items():
        written.append(save(globals()[fn](*args, **kwargs), out / name))
    return written
