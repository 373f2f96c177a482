"""A golden folder against the case registry: the set of files, each file's identity, stale temporaries.

Every reader of golden files goes through here (the conformance plugin's
replay, ``cite``, ``golden diff``/``list``; ``golden check`` reports the same
problems instead of raising): a missing or an unexpected case file, a file
whose ``case`` is not its name, or one whose description differs from what the
registry defines (``Case.spec``: convention, problem, initial parameters, step
count, stored steps, inputs) is a :class:`~oracle.golden.data.GoldenDataError`.

>>> list(differences({"a": 1, "steps": [{"step": 0}, {"step": 2}]}, {"a": 1, "steps": [{"step": 0}, {"step": 1}]}))
['steps[1]: disk holds step 2, computed step 1 (a step is missing, extra or out of order)', 'step 1: computed but missing on disk', 'step 2: on disk but not computed']
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator, Optional

from . import data, fmt
from .cases import all_cases

NOT_CASES = {"schema.json"}
"""JSON files in a golden folder that are not cases (subfolders such as mxnet/ are never cases)."""
TEMPORARY = ".*.tmp"
"""What :func:`oracle.golden.fmt.atomic_write` leaves behind when killed between writing and renaming."""
STALE_AFTER = 60.0
"""Seconds after which a temporary file is stale: a regen writes and renames each file within a second."""


def case_files(golden_dir: Path) -> dict[str, Path]:
    """Case name -> file, for every ``*.json`` directly in ``golden_dir`` except the schema."""
    return {p.stem: p for p in sorted(Path(golden_dir).glob("*.json")) if p.name not in NOT_CASES}


def file_set_problems(golden_dir: Path) -> list[str]:
    """A line per registered case without a file and per case file without a case."""
    cases, on_disk = all_cases(), case_files(golden_dir)
    out = [f"{name}: missing file {name}.json in {golden_dir} (run `python -m oracle golden regen {name}`"
           f"{', minutes' if case.long else ''}, or reinstall rmsprop-oracle)"
           for name, case in cases.items() if name not in on_disk]
    out += [f"{name}: unexpected file {path.name} in {golden_dir} (no such case: remove it, or register the case "
            f"in oracle/golden/cases.py)" for name, path in on_disk.items() if name not in cases]
    return out


def require_file_set(golden_dir: Optional[Path] = None) -> Path:
    """The golden folder, if it holds exactly the registry's cases (``GoldenDataError`` otherwise)."""
    folder = data.resolve(golden_dir)
    problems = file_set_problems(folder)
    if problems:
        more = f"; and {len(problems) - 2} more" if len(problems) > 2 else ""
        raise data.GoldenDataError(f"golden data does not match the case registry: {'; '.join(problems[:2])}{more}")
    return folder


def load_case(name: str, golden_dir: Optional[Path] = None) -> dict:
    """The validated document of case ``name``: format, structure, hash, its ``case`` and the registry's spec."""
    folder = data.resolve(golden_dir)
    path = folder / f"{name}.json"
    doc = fmt.load(path)
    if doc["case"] != name:
        raise data.GoldenDataError(f"{path}: case is {doc['case']!r}, but the file is named for {name!r}")
    case = all_cases().get(name)
    if case is not None and case.spec is not None:
        check_spec(doc, case.spec(), str(path))
    return doc


def check_spec(doc: dict, spec: dict, where: str) -> None:
    """``GoldenDataError`` at the first field where ``doc`` is not the case the registry defines."""
    for key, want in spec.items():
        if key == "step_grads":
            _check_inputs(doc, want, where)
            continue
        got = [r["step"] for r in doc["steps"]] if key == "steps" else doc.get(key)
        if key == "steps":
            got, want = {"steps": [{"step": s} for s in got]}, {"steps": [{"step": s} for s in want]}
        first = next(differences(got, want, "" if key == "steps" else key, labels=("file", "registry")), None)
        if first is not None:
            raise data.GoldenDataError(f"{where}: {first} (the file is not the case the registry defines)")


def _check_inputs(doc: dict, grads: list, where: str) -> None:
    """The gradients stored at steps 1.. are exactly the registry's inputs (``{name: [decimal, ...]}`` per step)."""
    by_step = {r["step"]: r for r in doc["steps"]}
    for t, want in enumerate(grads, 1):
        rec = by_step.get(t)
        if rec is None or not rec.get("grads"):
            raise data.GoldenDataError(f"{where}: step {t} has no gradients, but the registry feeds {want}")
        for name, values in want.items():
            got = [v["dec"] for v in rec["grads"].get(name, {}).get("values", [])]
            if len(got) != len(values) or any(Fraction(a) != Fraction(b) for a, b in zip(got, values)):
                raise data.GoldenDataError(f"{where}: step {t}.grads.{name} is {got}, but the registry's input is "
                                           f"{values} (the file is not the case the registry defines)")


def stale_temporaries(golden_dir: Path, remove: bool = True, now: Optional[float] = None) -> list[str]:
    """A line per temporary file an interrupted write left in ``golden_dir``; stale ones are removed."""
    now = time.time() if now is None else now
    out = []
    for path in sorted(Path(golden_dir).glob(TEMPORARY)):
        age = now - path.stat().st_mtime
        if age < STALE_AFTER:
            out.append(f"{path.name}: temporary file {age:.0f} s old in {golden_dir} (a regen may be writing it; "
                       f"not removed)")
        elif remove:
            path.unlink()
            out.append(f"{path.name}: stale temporary file left by an interrupted regen in {golden_dir}; removed")
        else:
            out.append(f"{path.name}: stale temporary file left by an interrupted regen in {golden_dir}")
    return out


def differences(old: Any, new: Any, path: str = "", labels: tuple = ("disk", "computed")) -> Iterator[str]:
    """Every differing field between two parsed documents, as 'path: disk X, computed Y'.

    ``steps`` lists are compared in order first (the first position holding another
    step number is named), then step by step by number.
    """
    a, b = labels
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        yield from _keyed(old, new, [(key, f"{path}.{key}" if path else key) for key in keys], labels)
    elif isinstance(old, list) and isinstance(new, list):
        if path == "steps":
            yield from _step_differences(old, new, labels)
            return
        if len(old) != len(new):
            yield f"{path}: {len(old)} items on {a}, {len(new)} {b}"
        for k, (x, y) in enumerate(zip(old, new)):
            yield from differences(x, y, f"{path}[{k}]", labels)
    elif old != new:
        yield f"{path}: {a} {json.dumps(old)[:120]}, {b} {json.dumps(new)[:120]}"


def _step_differences(old: list, new: list, labels: tuple) -> Iterator[str]:
    a, b = labels
    numbers = lambda recs: [r.get("step") if isinstance(r, dict) else r for r in recs]  # noqa: E731
    n_old, n_new = numbers(old), numbers(new)
    for k, (x, y) in enumerate(zip(n_old + [None] * len(n_new), n_new + [None] * len(n_old))):
        if x != y:
            yield (f"steps[{k}]: {a} holds {'no step' if x is None else f'step {x}'}, {b} "
                   f"{'no step' if y is None else f'step {y}'} (a step is missing, extra or out of order)")
            break
    old_steps = {str(r.get("step")): r for r in old if isinstance(r, dict)}
    new_steps = {str(r.get("step")): r for r in new if isinstance(r, dict)}
    steps = sorted(set(old_steps) | set(new_steps), key=lambda s: (len(s), s))
    yield from _keyed(old_steps, new_steps, [(step, f"step {step}") for step in steps], labels)


def _keyed(old: dict, new: dict, keys: list, labels: tuple) -> Iterator[str]:
    """The differences of two mappings over ``keys`` ((key, path label) pairs): missing on one side, or within."""
    a, b = labels
    for key, sub in keys:
        if key not in new:
            yield f"{sub}: on {a} but not {b}" if a == "disk" else f"{sub}: in the {a} but not the {b}"
        elif key not in old:
            yield f"{sub}: {b} but missing on {a}" if a == "disk" else f"{sub}: in the {b} but not the {a}"
        else:
            yield from differences(old[key], new[key], sub, labels)
