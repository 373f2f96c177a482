"""Golden files as pictures' data: the certified trajectory, the horizons, and a replay case.

:func:`load` finds a golden file by case name (or path) and validates it;
:func:`trajectory` reads its certified parameter values per stored step;
:func:`replay` turns it into a conformance :class:`~oracle.conformance.judge.cases.Case`
whose reference starts from the file's exact inputs (so that a float
implementation can be run on it and held to the file's trajectory) and the
file's :class:`~oracle.conventions.Convention`.  Replayable: the documents'
example (``docs-*``, ``docs-docs-decimal-5-eps-outside``), ``stream-*``,
``quadratic-*`` and the intended Gluon run (``gluon-V6-*``, ``gluon-intended-*``).
"""

from __future__ import annotations

import dataclasses
import difflib
from fractions import Fraction
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..conformance.judge.cases import Case, arr
from ..conformance.judge.golden_replay import gluon_problem
from ..conventions import PRESET_NAMES, Convention, preset, to_fraction
from ..golden import data, fmt
from ..problems import ContextProblem
from ..problems import docs_example as ex
from ..problems import quadratic as q
from ..problems import streams
from ..rounding import DTYPES

OPTION_FIELDS = ("momentum", "centered", "weight_decay")


def load(golden: Union[str, Path], golden_dir: Optional[Path] = None) -> dict:
    """The validated golden document named ``golden`` (a case name, or a path to a ``.json`` file)."""
    folder = Path(golden_dir or data.golden_dir())
    text = str(golden)
    path = Path(text) if text.endswith(".json") else folder / f"{text}.json"
    if not path.is_file():
        names = sorted(p.stem for p in folder.glob("*.json") if p.stem != "schema")
        close = difflib.get_close_matches(Path(text).stem, names, n=3, cutoff=0.6)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; `python -m oracle golden list` names them all"
        raise ValueError(f"golden must name a golden file in {folder} (or a .json path), got {text!r}{hint}")
    try:
        doc = fmt.load(path)
    except ValueError as err:
        raise ValueError(f"golden: {err}") from None
    if not doc.get("steps"):
        raise ValueError(f"golden file {text!r} has no certified trajectory (kind {doc.get('kind')!r})")
    return doc


def names_of(doc: dict) -> list:
    """The parameter names in the order a candidate receives them."""
    if doc["problem"].get("name") == "gluon_linear_regression":
        return ["w", "b"]
    return list(doc["initial_params"])


def trajectory(doc: dict) -> dict:
    """``{step: [Fraction, ...]}``: each stored step's certified parameters, flat, in :func:`names_of` order."""
    names = names_of(doc)
    return {int(rec["step"]): [Fraction(v["dec"]) for n in names for v in rec["params"][n]["values"]]
            for rec in doc["steps"]}


def labels(doc: dict) -> list:
    """``name[index]`` for every parameter element, in :func:`names_of` order."""
    rec = doc["steps"][0]["params"]
    out = []
    for n in names_of(doc):
        shape = tuple(rec[n]["shape"])
        for k in range(int(np.prod(shape))):
            idx = np.unravel_index(k, shape) if shape else ()
            out.append(f"{n}[{','.join(str(int(x)) for x in idx)}]" if idx else n)
    return out


def horizons(doc: dict) -> dict:
    """``{dtype: step}`` from the file's ``horizon`` field (dtypes whose horizon lies within the run)."""
    h = doc.get("horizon") or {}
    return {d: int(h[d]) for d in ("float64", "float32", "float16") if isinstance(h.get(d), int)}


def convention(doc: dict) -> Convention:
    """The file's convention (``describe()`` read back: decimals stay exact, binary64 inputs are floats)."""
    if "convention" not in doc:
        raise ValueError(f"golden file {doc['case']!r} has no convention field: it cannot be replayed")
    fields: dict = {}
    for key, value in doc["convention"].items():
        if key == "allows":
            value = frozenset(value)
        elif isinstance(value, dict) and "float" in value:
            value = float.fromhex(value["float"])
        fields[key] = value
    return Convention(**fields)


def _problem(doc: dict) -> tuple[Any, Optional[list], Optional[list]]:
    """(closed-loop problem or None, exact open-loop gradients or None, exact initial params)."""
    problem, name = doc["problem"], doc["problem"].get("name")
    exact0 = [np.array(doc["initial_params"][n], dtype=object) for n in names_of(doc)]
    if name == "docs_example" and "gradient" in problem:
        form = "docs" if problem["gradient"].startswith("g = (y - w x)(-x)") else "true"
        return ContextProblem(ex.grad_fn(form), f"docs-{form}"), None, exact0
    if name == "quadratic":
        return ContextProblem(q.grad_fn(), "quadratic"), None, exact0
    if name == "stream":
        rows = streams.stream(int(problem["seed"]), int(doc["step_count"]), int(problem["size"]))
        return None, [[np.array(row[0], dtype=object)] for row in rows], exact0
    if name == "gluon_linear_regression" and problem.get("gradient_divisor") == "1" \
            and problem.get("label_shape") == "(n,1)" and problem.get("batch_rows") == [1, 2, 3, 4]:
        return gluon_problem(), None, exact0
    raise ValueError(f"golden file {doc['case']!r} (kind {doc['kind']!r}) cannot be replayed: only the documents' "
                     "example, stream-*, quadratic-* and the intended Gluon run can")


def candidate_options(conv: Convention) -> dict:
    """The options a candidate is given: those that are on, or differ from the preset's default."""
    default = preset(conv.name) if conv.name in PRESET_NAMES else None
    out: dict = {}
    for key in OPTION_FIELDS:
        value = getattr(conv, key)
        if key == "centered":
            if value or (default is not None and default.centered != value):
                out[key] = bool(value)
        elif conv.exact(key) != 0 or (default is not None and default.exact(key) != conv.exact(key)):
            out[key] = float(to_fraction(value, key))
    return out


def replay(doc: dict, dtype: str, steps: Optional[int] = None) -> tuple[Case, Convention]:
    """The golden file as a conformance case in ``dtype`` (inputs rounded; the reference takes them exactly)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if (doc.get("problem") or {}).get("complex"):
        raise ValueError(f"{doc['case']!r} is on complex parameters: the conformance suite replays it "
                         "(--dtype=complex64,complex128); plot a real golden file")
    conv = convention(doc)
    problem, grads, exact0 = _problem(doc)
    n = int(doc["step_count"]) if steps is None else int(steps)
    if not 1 <= n <= int(doc["step_count"]):
        raise ValueError(f"steps must lie in 1..{doc['step_count']} for {doc['case']!r}, got {steps!r}")
    hyper = {k: float(to_fraction(getattr(conv, k), k)) for k in ("lr", "rho", "eps")}
    to_float = np.vectorize(lambda x: float(Fraction(x)), otypes=[float])
    exact_hyper = {k: getattr(conv, k) for k in ("lr", "rho", "eps", *OPTION_FIELDS)}
    case = Case(f"golden-{doc['case']}", dtype, [arr(to_float(p), dtype) for p in exact0], hyper, n,
                candidate_options(conv), problem=problem, tags=("golden", "closed" if problem else "open"),
                grads=None if grads is None else [[arr(to_float(g), dtype) for g in row] for row in grads],
                exact={"preset": conv.name, "hyper": exact_hyper, "params0": exact0,
                       "grads": grads, "key": f"{doc['case']}:{doc['header']['sha256']}"})
    return case, conv


@dataclasses.dataclass
class Cycle:
    """The intended Gluon run as drawn by :func:`oracle.plot.draw.gluon_cycle_figure`.

    ``values[k, j]``: parameter j at stored epoch ``steps[k]`` (certified, as floats);
    ``change``: max_j |p_j(t) - p_j(t-2)| / 2 at the epochs ``change_steps`` whose
    epoch t-2 is stored too (computed from the 50-digit certified values);
    ``centre``, ``delta``, ``loss``: the file's analysis of the final cycle.
    """

    case: str
    epochs: int
    labels: list
    steps: np.ndarray
    values: np.ndarray
    change_steps: np.ndarray
    change: np.ndarray
    centre: list
    delta: list
    loss: float
    horizons: dict


def cycle(doc: dict) -> Cycle:
    """The cycle data of a ``gluon-intended-*`` golden file (``ValueError`` for any other)."""
    found = (doc.get("analysis") or {}).get("cycle")
    if not found:
        raise ValueError(f"golden must be a gluon-intended-* file with a cycle analysis, got {doc['case']!r}")
    traj = trajectory(doc)
    steps = np.array(sorted(traj), dtype=int)
    change_steps = np.array([t for t in steps if t - 2 in traj], dtype=int)
    change = np.array([float(max(abs(a - b) for a, b in zip(traj[t], traj[t - 2])) / 2) for t in change_steps])
    names = labels(doc)
    if names == ["w[0,0]", "w[1,0]", "b[0]"]:
        names = ["w1", "w2", "b"]  # the program's w = [[w1], [w2]] and b, as in the file's analysis
    return Cycle(doc["case"], int(doc["step_count"]), names, steps,
                 np.array([[float(x) for x in traj[t]] for t in steps]), change_steps, change,
                 [float(Fraction(v["dec"])) for v in found["center_(p_N+p_N-1)/2"]],
                 [float(Fraction(v["dec"])) for v in found["half_amplitude_(p_N-p_N-1)/2"]],
                 float(Fraction(found["loss_at_N-1_and_N"][-1]["dec"])), horizons(doc))
