"""Golden files of user cases (:mod:`oracle.cases`): written, regenerated, checked and read like the shipped ones.

A user golden folder holds one file per case, in the package's golden format
(:mod:`oracle.golden.fmt`: canonical bytes, SHA-256, atomic writes), and a
manifest ``user-cases.json`` recording each case's definition as given, so
``golden check --dir OUT``, ``golden diff``, ``golden list`` and ``cite`` work
on the folder alone.  Every read verifies: the file's format, structure and
hash, its name, and that it is the case the manifest defines (convention,
initial parameters, step count, stored steps).  ``regen`` writes a file only
when its content changed, so regenerating is byte-identical.

>>> import tempfile, pathlib
>>> from oracle.cases.case import Case
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> case = Case(name="tiny", lr="0.1", params={"w": "1"}, loss="w**2", steps=2, digits=10)
>>> regen([case], out, progress=False)
['wrote tiny.json', 'wrote user-cases.json']
>>> regen([case], out, progress=False), check(out)
([], [])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ..accuracy import horizon
from ..cases.case import Case, CaseError
from ..cases.trajectory import Trajectory
from ..cases.trajectory import certified_trajectory as _run_case
from . import data, fmt
from .document import HORIZON_CRITERION, document, json_exact
from ..progress import bar as progress_bar
from .store import compare, unchanged
from .verify import check_spec, differences, stale_temporaries

MANIFEST = "user-cases.json"
MANIFEST_FORMAT = "rmsprop-oracle-user-cases"


class GoldenTrajectory(Trajectory):
    """A certified trajectory that can write its golden file (:meth:`to_golden`)."""

    def to_golden(self, path: Any) -> Path:
        """Write the case's golden file: ``path`` a ``.json`` file, or a folder (``CASE.json`` and the manifest)."""
        return to_golden(self, Path(path))


def certified_trajectory(case: Case, engine: Optional[str] = None) -> GoldenTrajectory:
    """The certified trajectory of ``case`` (:func:`oracle.cases.trajectory.certified_trajectory`), writable as
    a golden file.

    >>> import oracle, tempfile
    >>> t = oracle.certified_trajectory(oracle.Case(name="q", lr="0.1", params={"p": [["1", "2"]]},
    ...                                             loss="p[0, 0]**2 + p[0, 1]**2", steps=3, digits=15))
    >>> t.params(3)["p"].sci(8), t.params(3)["p"].bounds()[0][0][0] < t.params(3)["p"].bounds()[1][0][0]
    ([['3.6918056e-1', '1.3087179e0']], True)
    >>> t.to_golden(tempfile.mkdtemp()).name
    'q.json'
    """
    t = _run_case(case, engine)
    return GoldenTrajectory(t.case, t.run, t.losses)


def is_user_folder(folder: Optional[Path]) -> bool:
    """Whether ``folder`` is a user golden folder (it holds a manifest)."""
    return folder is not None and (Path(folder) / MANIFEST).is_file()


def definition(case: Case) -> dict:
    """The case as given, JSON-ready (a stream read from a file is recorded inline, exactly)."""
    if case.python_only:
        raise CaseError(f"case {case.name!r}: a case with Python functions has no data definition; keep its case "
                        f"file and pass --cases")
    out = {k: v for k, v in case.fields.items() if k not in ("_base", "stream")}
    if "convention" in out and not isinstance(out["convention"], str):
        out["convention"] = case.convention.spec(values=True)
    if case.stream is not None:
        out["stream"] = {n: [json_exact(_strings(step[k])) for step in case.stream] for k, n in enumerate(case.names)}
    return json.loads(json.dumps(out, default=str))


def _strings(a: np.ndarray) -> Any:
    from ..cases.trajectory import exact_inputs

    return exact_inputs(a)


def _scalar_list(given: Any) -> Any:
    return json_exact(given if isinstance(given, list) else [given])


def problem(case: Case) -> dict:
    """The ``problem`` field: the case's labels if given, else what defines it."""
    if "problem" in case.golden:
        return case.golden["problem"]
    out: dict = {"name": "user", "closed_loop": case.closed_loop, "numbers": case.numbers}
    if case.kind == "loss":
        out["loss"] = case.fields["loss"]
    if case.kind != "stream":
        out["gradient"] = case.gradient_text()
    if case.data:
        out["data"] = {k: json_exact(case.fields["data"][k]) for k in case.data}
    if case.reproduces:
        out["reproduces"] = case.reproduces
    return out


def build(case: Case, traj: Optional[Trajectory] = None) -> dict:
    """The golden document of ``case`` (unsealed), from its certified trajectory."""
    traj = traj or _run_case(case)
    more: dict = {}
    if case.closed_loop and case.dtypes:
        more["horizon"] = {"criterion": HORIZON_CRITERION,
                           **{d: horizon(case.convention, d, case.params0(), steps=case.steps, grad_fn=case.grad_fn())
                              for d in case.dtypes}}
    step_fields = case.step_fields or (lambda t: {})
    if traj.losses:
        more["extra"] = lambda t: {"loss": None if t == 0 else fmt.encode_value(traj.losses[t - 1], case.digits),
                                   **step_fields(t)}
    elif case.step_fields is not None:
        more["extra"] = step_fields
    if case.golden_fields is not None:
        more.update(case.golden_fields(traj))
    description = case.golden.get("description") or case.description or f"User case {case.name}"
    params0 = [_scalar_list(case.params_given[n]) for n in case.names]
    return document(case.name, case.golden.get("kind", "user"), description, case.convention, problem(case),
                    params0, case.names, traj.run, digits=case.digits, **more)


def text(case: Case, traj: Optional[Trajectory] = None) -> str:
    """The canonical text of the case's golden file."""
    try:
        return fmt.seal(build(case, traj))
    except (ValueError, ArithmeticError) as err:
        raise ValueError(f"case {case.name}: {err}") from None


def to_golden(traj: Trajectory, path: Path) -> Path:
    """Write the trajectory's golden file: ``path`` is the file, or a folder (then ``CASE.json`` in it).

    In a folder, the manifest gains the case's definition, so the folder checks on its own.
    """
    path = Path(path)
    if path.suffix != ".json":
        _write(traj.case, path, text(traj.case, traj))
        return path / f"{traj.case.name}.json"
    fmt.atomic_write(path, text(traj.case, traj))
    return path


def _write(case: Case, folder: Path, new: str) -> list[str]:
    path = folder / f"{case.name}.json"
    msgs = []
    try:  # a regular file under the size limit only (a FIFO or a link to /dev/zero is replaced, not read)
        old = data.read_text(path) if path.is_symlink() or path.exists() else None
    except (OSError, UnicodeDecodeError):
        old = ""
    if old != new and not (old is not None and unchanged(old, new)):
        fmt.atomic_write(path, new)
        msgs.append(f"{'wrote' if old is None else 'updated'} {path.name}")
    if not case.python_only:
        msgs += _record(folder, {case.name: definition(case)})
    return msgs


def manifest(folder: Path) -> dict:
    """The manifest's cases (name -> definition); ``GoldenDataError`` if damaged."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    try:
        doc = data.read_json(path)
    except (OSError, ValueError) as err:
        raise data.GoldenDataError(f"{path}: cannot read the user-case manifest: {err}") from None
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT or not isinstance(doc.get("cases"), dict):
        raise data.GoldenDataError(f"{path}: not a user-case manifest (format {MANIFEST_FORMAT!r})")
    return doc["cases"]


def _record(folder: Path, defs: dict) -> list[str]:
    cases = {**manifest(folder), **defs}
    new = json.dumps({"format": MANIFEST_FORMAT, "cases": cases}, sort_keys=True, indent=1) + "\n"
    path = Path(folder) / MANIFEST
    if path.is_file() and path.read_text(encoding="utf-8") == new:
        return []
    existed = path.is_file()
    fmt.atomic_write(path, new)
    return [f"{'updated' if existed else 'wrote'} {MANIFEST}"]


def manifest_cases(folder: Path, names: Sequence[str] = ()) -> list[Case]:
    """The manifest's cases as :class:`Case` objects (``names``: only those; ``ValueError`` for an unknown)."""
    defs = manifest(folder)
    unknown = [n for n in names if n not in defs]
    if unknown:
        from ..cases.case import suggest

        raise ValueError(f"unknown case {unknown[0]!r} in {folder}{suggest(unknown[0], defs)} "
                         f"(`python -m oracle golden list --dir {folder}` names them)")
    try:
        return [Case(**d) for n, d in defs.items() if not names or n in names]
    except CaseError as err:
        raise data.GoldenDataError(f"{Path(folder) / MANIFEST}: {err}") from None


def regen(cases: Sequence[Case], folder: Path, names: Sequence[str] = (), progress: bool = True) -> list[str]:
    """Compute and atomically write the cases' golden files (only the ``names`` if given); returns messages."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = _choose(cases, names)
    msgs = stale_temporaries(folder)
    bar = progress_bar(len(chosen), "computing cases", enabled=None if progress else False)
    for case in chosen:
        msgs += _write(case, folder, text(case))
        bar.advance(case.name)
    bar.close()
    return msgs


def _choose(cases: Sequence[Case], names: Sequence[str]) -> list[Case]:
    by = {c.name: c for c in cases}
    for n in names:
        if n not in by:
            from ..cases.case import suggest

            raise ValueError(f"unknown case {n!r}{suggest(n, by)} (cases: {', '.join(by)})")
    return [c for c in cases if not names or c.name in names]


def check(folder: Path, names: Sequence[str] = (), cases: Optional[Sequence[Case]] = None,
          limit: int = 5, clean: bool = True, progress: bool = True) -> list[str]:
    """Recompute the folder's cases (from the manifest, or ``cases``) and compare with disk; returns problems."""
    folder = data.require_folder(Path(folder))
    problems = stale_temporaries(folder, remove=clean)
    chosen = _choose(cases if cases is not None else manifest_cases(folder), names)
    if not names:
        problems += file_set_problems(folder, [c.name for c in chosen])
    bar = progress_bar(len(chosen), "computing cases", enabled=None if progress else False)
    for case in chosen:
        problems += compare(case.name, folder / f"{case.name}.json", text(case), limit=limit)
        bar.advance(case.name)
    bar.close()
    return problems


def file_set_problems(folder: Path, names: Sequence[str]) -> list[str]:
    """Missing files of the named cases and case files of no case."""
    on_disk = {p.stem for p in Path(folder).glob("*.json") if p.name != MANIFEST}
    out = [f"{n}: missing file {n}.json in {folder} (run `python -m oracle golden regen --cases FILE --dir "
           f"{folder}`)" for n in names if n not in on_disk]
    out += [f"{n}: unexpected file {n}.json in {folder} (no such case in {MANIFEST}; a case of a Python case "
            f"file is checked with --cases FILE)"
            for n in sorted(on_disk - set(names))]
    return out


def load(folder: Path, name: str) -> dict:
    """The verified document of user case ``name``: format, structure, hash, name, and the manifest's case."""
    folder = data.require_folder(Path(folder))
    defs = manifest(folder)
    if name not in defs:
        from ..cases.case import suggest

        raise ValueError(f"unknown case {name!r} in {folder}{suggest(name, defs)} (cases: {', '.join(defs)})")
    problems = file_set_problems(folder, list(defs))
    if problems:
        raise data.GoldenDataError(f"golden data does not match {MANIFEST}: {'; '.join(problems[:2])}")
    path = folder / f"{name}.json"
    doc = fmt.load(path)
    if doc["case"] != name:
        raise data.GoldenDataError(f"{path}: case is {doc['case']!r}, but the file is named for {name!r}")
    case = Case(**defs[name])
    spec = {"convention": case.convention.describe(), "initial_params":
            {n: _scalar_list(case.params_given[n]) for n in case.names}, "digits": case.digits,
            "step_count": case.steps, "steps": list(range(case.steps + 1))}
    check_spec(doc, spec, str(path))
    return doc


def list_rows(folder: Path) -> list[str]:
    """One ``golden list`` row per case of a user folder (:func:`.fmt.list_row`; every file verified)."""
    return [fmt.list_row(name, "user", load(folder, name)) for name in manifest(folder)]


def diff(folder: Path, names: Sequence[str] = (), cases: Optional[Sequence[Case]] = None) -> list[str]:
    """Every field that changed between the folder's files and a recomputation."""
    return check(folder, names, cases, limit=10**9, clean=False, progress=False)


__all__ = ["MANIFEST", "GoldenTrajectory", "build", "certified_trajectory", "check", "definition", "diff", "differences", "is_user_folder", "list_rows", "load",
           "manifest", "manifest_cases", "problem", "regen", "text", "to_golden"]
