"""regen / check / diff of a golden folder (default: the one in use, :func:`oracle.golden.data.golden_dir`).

``regen`` recomputes cases and writes each file atomically (temporary file in
the same folder, fsync, ``os.replace``): an interrupted run leaves every file
either old or new, never half written, and the next ``regen`` or ``check``
removes the temporary file it left.  A file whose content is unchanged is left
untouched, even if the tools that computed it now have other versions
(provenance, ``header.provenance``); ``strict`` rewrites it.  ``check``
recomputes everything and reports drift (case, first differing step and
field), damaged, missing and unexpected files, stale temporary files and stale
pages; ``diff`` lists every changed field.  Cases are computed in parallel
worker processes; a progress bar is drawn on stderr when it is a terminal
(:mod:`oracle.progress`).

The pages (``exact-values.md``, ``errata.md``) are rendered from the golden
files by :mod:`oracle.golden.pages`: ``regen`` rewrites them and ``check``
reports stale ones.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path
from typing import Optional, Sequence

from ..engines.certify import engines_used, resolve_engine
from ..progress import bar
from . import data, fmt, pages as page_renderer
from .cases import all_cases, build, unknown_case
from .verify import case_files, differences, file_set_problems, stale_temporaries

__all__ = ["case_files", "check", "compute", "default_names", "differences", "provenance_lines", "regen"]


def _build(name: str) -> tuple[str, str, str]:
    """(name, canonical text, the certified engines that computed it, "" when none ran)."""
    try:
        with engines_used() as used:
            text = build(name)
        return name, text, ", ".join(dict.fromkeys(used))
    except (ValueError, ArithmeticError) as err:
        raise ValueError(f"case {name}: {err}") from None


def compute(names: Sequence[str], jobs: Optional[int] = None, progress: bool = True,
            engines: Optional[dict] = None) -> dict[str, str]:
    """Canonical texts of the named cases, computed in ``jobs`` processes (default: CPU count, at most 4);
    ``engines`` (a dict) receives, per case, the rungs of the certified ladder that computed it."""
    cases = all_cases()
    for name in names:
        if name not in cases:
            raise unknown_case(name, list(cases))
    order = sorted(names, key=lambda n: -cases[n].cost)
    jobs = jobs or min(4, os.cpu_count() or 1)
    out: dict[str, str] = {}
    with bar(len(order), "computing golden cases", enabled=None if progress else False) as b:
        if jobs <= 1 or len(order) <= 1:
            for name in order:
                _, out[name], ran = _build(name)
                if engines is not None:
                    engines[name] = ran
                b.advance(name)
        else:
            ctx = multiprocessing.get_context("spawn")  # never fork: the parent may hold threads (JAX, BLAS)
            with ctx.Pool(jobs) as pool:
                for name, text, ran in pool.imap_unordered(_build, order):
                    out[name] = text
                    if engines is not None:
                        engines[name] = ran
                    b.advance(name)
    return {n: out[n] for n in names}


def default_names(long: bool = False) -> list[str]:
    """The cases a plain ``regen``/``check`` recomputes: all but the long ones, unless ``long``."""
    return [n for n, c in all_cases().items() if long or not c.long]


def unchanged(old: str, new: str) -> bool:
    """Whether the file text ``old`` is intact (valid, canonical) and certifies exactly what ``new`` does."""
    try:
        doc = fmt.validate(json.loads(old), "disk")
    except ValueError:
        return False
    return fmt.canonical(doc) == old and fmt.same_content(old, new)


def regen(names: Sequence[str] = (), golden_dir: Optional[Path] = None, jobs: Optional[int] = None,
          progress: bool = True, pages: bool = True, long: bool = False, strict: bool = False,
          engines: Optional[dict] = None) -> list[str]:
    """Recompute and atomically write the named cases (all but the long ones when none); returns messages.

    A file that is intact and has the computed content is kept byte for byte, whatever
    its provenance, unless ``strict``.  ``engines``: as :func:`compute`.
    """
    folder = data.resolve(golden_dir)
    msgs = stale_temporaries(folder)
    texts = compute(list(names) or default_names(long), jobs, progress, engines)
    kept = 0
    for name, text in texts.items():
        path = folder / f"{name}.json"
        try:  # a regular file under the size limit only (a FIFO or a link to /dev/zero is replaced)
            old = data.read_text(path) if os.path.lexists(path) else None
        except (OSError, UnicodeDecodeError):
            old = ""
        if old == text:
            continue
        if old is not None and not strict and unchanged(old, text):
            kept += 1
            continue
        fmt.atomic_write(path, text)
        msgs.append(f"wrote {path.name}" if old is None else f"updated {path.name}")
    if kept:
        msgs.append(f"kept {kept} file(s) whose content is unchanged; only their provenance differs from this run "
                    f"(--strict rewrites them)")
    if pages:
        msgs += page_renderer.write_pages(folder)
    msgs += [p for p in file_set_problems(folder) if ": unexpected file " in p]
    return msgs


def check_values(name: str, golden_dir: Path) -> list[str]:
    """The problems of one case's file against its recomputation (a long case: against the shorter case it
    extends, recomputed), as ``check`` reports them; seconds, one process (what ``cite`` runs first)."""
    case = all_cases()[name]
    if case.long and case.prefix_of:
        return _check_prefix(name, case.prefix_of, Path(golden_dir),
                             compute([case.prefix_of], jobs=1, progress=False), limit=3)
    return compare(name, Path(golden_dir) / f"{name}.json", compute([name], jobs=1, progress=False)[name], limit=3)


def _check_prefix(name: str, short: Optional[str], golden_dir: Path, texts: dict, limit: int) -> list[str]:
    """A long case, not recomputed: its steps are the registry's, and agree with the recomputed ``short`` case.

    Differences are named (step and field) before any damage (a hash mismatch).
    """
    path = Path(golden_dir) / f"{name}.json"
    if not path.exists():
        return [f"{name}: missing file {path.name} (run `python -m oracle golden regen {name}`, minutes)"]
    try:
        doc = fmt.parse(path)[1]
    except ValueError as err:
        return [f"{name}: {err}"]
    try:
        fmt.validate(doc, str(path))
        damage = []
    except ValueError as err:
        damage = [f"{name}: {err}"]
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list) or \
            not all(isinstance(r, dict) for r in doc["steps"]):
        return damage
    diffs = []
    spec = all_cases()[name].spec
    if spec is not None:
        stored = {"steps": [{"step": r.get("step")} for r in doc["steps"]]}
        diffs += list(differences(stored, {"steps": [{"step": t} for t in spec()["steps"]]}))[:1]
    if short is not None and short in texts:
        ref = {str(r["step"]): r for r in json.loads(texts[short])["steps"]}
        common = [r for r in doc["steps"] if str(r.get("step")) in ref]
        if not common:
            diffs.append(f"no step in common with {short}")
        diffs += [f"{d} (against the recomputed {short})" for r in common
                  for d in differences(ref[str(r["step"])], r, f"step {r['step']}")]
    return [f"{name}: {d}" for d in diffs[:limit]] + damage


def compare(name: str, path: Path, text: str, strict: bool = False, limit: int = 5) -> list[str]:
    """The problems of the file ``path`` against the computed ``text``: differing fields first, then damage.

    The fields name the first differing step and field (``steps[k]`` when a step is
    missing, extra or out of order); provenance is compared only if ``strict``.
    """
    if not path.exists():
        return [f"{name}: missing file {path.name} (run `python -m oracle golden regen {name}`)"]
    try:
        disk_text, disk = fmt.parse(path)
    except ValueError as err:
        return [f"{name}: {err}"]
    if disk_text == text:
        return []
    damage = []
    try:
        fmt.validate(disk, path.name)
        if fmt.canonical(disk) != disk_text:
            damage.append(f"{name}: bytes differ from the canonical form (formatting; the content is intact)")
    except ValueError as err:
        damage.append(f"{name}: {err}")
    if not isinstance(disk, dict):
        return damage
    new = json.loads(text)
    old_c, new_c = (disk, new) if strict else (fmt.content(disk), fmt.content(new))
    diffs = [f"{name}: {d}" for d in differences(old_c, new_c) if not d.startswith("header.sha256")]
    if len(diffs) > limit:
        diffs = diffs[:limit] + [f"{name}: ... {len(diffs) - limit} more differences "
                                 f"(`python -m oracle golden diff {name}`)"]
    return diffs + damage


def check(golden_dir: Optional[Path] = None, names: Sequence[str] = (), jobs: Optional[int] = None,
          progress: bool = True, limit: int = 5, long: bool = False, strict: bool = False,
          clean: bool = True, engines: Optional[dict] = None) -> list[str]:
    """Recompute the cases and compare with disk; returns the problems (empty when all match).

    Without ``long`` (and without names) the long cases are not recomputed:
    their files must load (valid hash) and agree, step for step, with the
    recomputed shorter case they extend (``GoldenCase.prefix_of``).  Temporary files
    an interrupted regen left are reported (and removed if ``clean``); without
    names, missing and unexpected files and (from a clone) stale pages are reported too.
    ``engines``: as :func:`compute`.
    """
    folder = data.resolve(golden_dir)
    cases = all_cases()
    wanted = list(names) or default_names(long)
    problems = stale_temporaries(folder, remove=clean)
    if not names:
        problems += file_set_problems(folder)
    texts = compute(wanted, jobs, progress, engines)
    if not names and not long:
        for name in sorted(set(cases) - set(wanted)):
            if (folder / f"{name}.json").exists():
                problems += _check_prefix(name, cases[name].prefix_of, folder, texts, limit)
    for name in wanted:
        path = folder / f"{name}.json"
        if names or path.exists():
            problems += compare(name, path, texts[name], strict, limit)
    if not names:
        problems += page_renderer.stale_pages(folder)
    return problems


def provenance_lines(golden_dir: Optional[Path] = None) -> list[str]:
    """What computed the files (grouped), and what this run computes with."""
    import mpmath
    import sympy

    from .. import __version__

    folder = data.resolve(golden_dir)
    groups: dict[str, int] = {}
    for path in case_files(folder).values():
        try:
            prov = fmt.provenance(fmt.parse(path)[1])
        except ValueError:
            continue
        key = _describe(prov)
        groups[key] = groups.get(key, 0) + 1
    files = "; ".join(f"{n} file(s) by {k}" for k, n in sorted(groups.items(), key=lambda kv: -kv[1]))
    now = _describe({"package_version": __version__, "mpmath_version": mpmath.__version__,
                     "sympy_version": sympy.__version__})
    return [f"provenance in {folder}: {files or 'no files'}",
            f"provenance of this run: {now}; certified ladder from {resolve_engine()} (--verbose: the rung per case)"]


def _describe(prov: dict) -> str:
    return (f"rmsprop-oracle {prov.get('package_version', '?')}, mpmath {prov.get('mpmath_version', '?')}, "
            f"sympy {prov.get('sympy_version', '?')}")
