"""regen / check / diff of the ``golden/`` folder.

``regen`` recomputes cases and writes each file atomically (temporary file in
the same folder, fsync, ``os.replace``): an interrupted run leaves every file
either old or new, never half written.  ``check`` recomputes everything and
reports drift (case, step and field), missing and unexpected files, and stale
pages; ``diff`` lists every changed field.  Cases are computed in parallel
worker processes; a progress bar is drawn on stderr when it is a terminal.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from . import GOLDEN_DIR, fmt

NOT_CASES = {"schema.json"}
"""JSON files in golden/ that are not cases (subfolders such as mxnet/ are never cases)."""


def _build(name: str) -> tuple[str, str]:
    from .cases import build

    try:
        return name, build(name)
    except (ValueError, ArithmeticError) as err:
        raise ValueError(f"case {name}: {err}") from None


def compute(names: Sequence[str], jobs: Optional[int] = None, progress: bool = True) -> dict[str, str]:
    """Canonical texts of the named cases, computed in ``jobs`` processes (default: CPU count, at most 4)."""
    from .cases import all_cases

    cases = all_cases()
    for name in names:
        if name not in cases:
            raise ValueError(f"unknown case {name!r}; `python -m oracle golden list` names them all")
    order = sorted(names, key=lambda n: -cases[n].cost)
    jobs = jobs or min(4, os.cpu_count() or 1)
    out: dict[str, str] = {}
    bar = Progress(len(order), enabled=progress)
    if jobs <= 1 or len(order) <= 1:
        for name in order:
            out[name] = _build(name)[1]
            bar.tick(name)
    else:
        ctx = multiprocessing.get_context("spawn")  # never fork: the parent may hold threads (JAX, BLAS)
        with ctx.Pool(jobs) as pool:
            for name, text in pool.imap_unordered(_build, order):
                out[name] = text
                bar.tick(name)
    bar.done()
    return {n: out[n] for n in names}


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.n = total, 0
        self.enabled = enabled and total > 0 and sys.stderr.isatty()

    def tick(self, label: str) -> None:
        self.n += 1
        if self.enabled:
            width = 30
            fill = width * self.n // self.total
            sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {self.n}/{self.total} {label[:40]:<40}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()


def case_files(golden_dir: Path) -> dict[str, Path]:
    """Case name -> file, for every ``*.json`` directly in ``golden_dir`` except the schema."""
    return {p.stem: p for p in sorted(Path(golden_dir).glob("*.json")) if p.name not in NOT_CASES}


def default_names(long: bool = False) -> list[str]:
    """The cases a plain ``regen``/``check`` recomputes: all but the long ones, unless ``long``."""
    from .cases import all_cases

    return [n for n, c in all_cases().items() if long or not c.long]


def regen(names: Sequence[str] = (), golden_dir: Path = GOLDEN_DIR, jobs: Optional[int] = None,
          progress: bool = True, pages: bool = True, long: bool = False) -> list[str]:
    """Recompute and atomically write the named cases (all but the long ones when none); returns messages."""
    from .cases import all_cases

    all_names = list(all_cases())
    texts = compute(list(names) or default_names(long), jobs, progress)
    msgs = []
    for name, text in texts.items():
        path = Path(golden_dir) / f"{name}.json"
        old = path.read_text(encoding="ascii") if path.exists() else None
        if old != text:
            fmt.atomic_write(path, text)
            msgs.append(f"wrote {path.name}" if old is None else f"updated {path.name}")
    if pages:
        from .pages import write_pages

        msgs += write_pages(golden_dir)
    for extra in sorted(set(case_files(golden_dir)) - set(all_names)):
        msgs.append(f"unexpected file {extra}.json (not a case; remove it or add the case)")
    return msgs


def _check_prefix(name: str, short: Optional[str], golden_dir: Path, texts: dict, limit: int) -> list[str]:
    """A long case, not recomputed: its file loads and its steps agree with the recomputed ``short`` case."""
    path = Path(golden_dir) / f"{name}.json"
    if not path.exists():
        return [f"{name}: missing file {path.name} (run `python -m oracle golden regen {name}`, minutes)"]
    try:
        doc = fmt.load(path)
    except ValueError as err:
        return [f"{name}: {err}"]
    if short is None or short not in texts:
        return []
    ref = {str(r["step"]): r for r in json.loads(texts[short])["steps"]}
    common = [r for r in doc["steps"] if str(r["step"]) in ref]
    if not common:
        return [f"{name}: no step in common with {short}"]
    diffs = [d for r in common for d in differences(ref[str(r["step"])], r, f"step {r['step']}")]
    return [f"{name}: {d} (against the recomputed {short})" for d in diffs[:limit]]


def differences(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Every differing field between two parsed documents, as 'path: disk X, computed Y'."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else key
            if key not in new:
                yield f"{sub}: on disk but not computed"
            elif key not in old:
                yield f"{sub}: computed but missing on disk"
            else:
                yield from differences(old[key], new[key], sub)
    elif isinstance(old, list) and isinstance(new, list):
        if path == "steps":
            old_steps = {str(r.get("step")): r for r in old if isinstance(r, dict)}
            new_steps = {str(r.get("step")): r for r in new if isinstance(r, dict)}
            for step in sorted(set(old_steps) | set(new_steps), key=lambda s: (len(s), s)):
                sub = f"step {step}"
                if step not in new_steps:
                    yield f"{sub}: on disk but not computed"
                elif step not in old_steps:
                    yield f"{sub}: computed but missing on disk"
                else:
                    yield from differences(old_steps[step], new_steps[step], sub)
            return
        if len(old) != len(new):
            yield f"{path}: {len(old)} items on disk, {len(new)} computed"
        for k, (a, b) in enumerate(zip(old, new)):
            yield from differences(a, b, f"{path}[{k}]")
    elif old != new:
        yield f"{path}: disk {json.dumps(old)[:120]}, computed {json.dumps(new)[:120]}"


def check(golden_dir: Path = GOLDEN_DIR, names: Sequence[str] = (), jobs: Optional[int] = None,
          progress: bool = True, limit: int = 5, long: bool = False) -> list[str]:
    """Recompute the cases and compare with disk; returns the problems (empty when all match).

    Without ``long`` (and without names) the long cases are not recomputed:
    their files must load (valid hash) and agree, step for step, with the
    recomputed shorter case they extend (``Case.prefix_of``).
    """
    from .cases import all_cases

    cases = all_cases()
    all_names = list(cases)
    wanted = list(names) or default_names(long)
    on_disk = case_files(golden_dir)
    problems = []
    if not names:
        for extra in sorted(set(on_disk) - set(all_names)):
            problems.append(f"{extra}: unexpected file {on_disk[extra].name} (no such case)")
    texts = compute(wanted, jobs, progress)
    if not names and not long:
        for name in sorted(set(all_names) - set(wanted)):
            problems += _check_prefix(name, cases[name].prefix_of, golden_dir, texts, limit)
    for name in wanted:
        path = Path(golden_dir) / f"{name}.json"
        if not path.exists():
            problems.append(f"{name}: missing file {path.name} (run `python -m oracle golden regen {name}`)")
            continue
        disk_text = path.read_bytes().decode("ascii", errors="replace")
        if disk_text == texts[name]:
            continue
        try:
            disk = fmt.load(path)
        except ValueError as err:
            problems.append(f"{name}: {err}")
            continue
        diffs = list(differences(disk, json.loads(texts[name])))
        diffs = [d for d in diffs if not d.startswith("header.sha256")] or ["bytes differ (formatting)"]
        problems += [f"{name}: {d}" for d in diffs[:limit]]
        if len(diffs) > limit:
            problems.append(f"{name}: ... {len(diffs) - limit} more differences (`python -m oracle golden diff {name}`)")
    if not names:
        from .pages import stale_pages

        problems += stale_pages(golden_dir)
    return problems
