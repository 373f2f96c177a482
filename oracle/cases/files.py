"""Case files: TOML (``[[case]]`` tables) or a Python module (``CASES``), one or more cases each.

TOML is read with :mod:`tomllib` (Python >= 3.11; the ``tomli`` package on 3.10).
A Python case file is for what TOML cannot say (a gradient written as a Python
function of the context, ``grad_fn(ar, params)``): it defines ``CASES``, a list of
:class:`~oracle.cases.case.Case` objects or dicts of the same keys.  It is the
user's own code, run as such (never a candidate's).

A bad file is a :class:`~oracle.cases.case.CaseError` naming the file, the
line, the case, the key and the value:

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "bad.toml").write_text('[[case]]\\nname = "a"\\nlr = "0.1x"\\nparams = {w = "1"}\\nloss = "w**2"\\nsteps = 1\\n')
>>> load(d / "bad.toml")
Traceback (most recent call last):
...
oracle.cases.case.CaseError: ...bad.toml:3: case 'a': lr: '0.1x' is not an exact number
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any, Optional, Union

from .case import Case, CaseError, suggest

SUFFIXES = (".toml", ".py")


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli  # type: ignore[import-not-found]
    except ModuleNotFoundError:
        raise CaseError("reading TOML case files on Python 3.10 needs the tomli package (pip install tomli)") \
            from None
    return tomli


def _line_of(text: str, index: int, key: Optional[str]) -> int:
    """The line of ``key`` inside the ``index``-th ``[[case]]`` table (that table's header if not found)."""
    lines = text.splitlines()
    heads = [k for k, line in enumerate(lines) if re.match(r"^\s*\[\[\s*case\s*\]\]", line)]
    if index >= len(heads):
        return 1
    start, end = heads[index], heads[index + 1] if index + 1 < len(heads) else len(lines)
    if key:
        root = key.split(".")[0].split("[")[0]
        leaf = key.split(".")[-1].split("[")[0]
        for pattern in (rf"^\s*{re.escape(key)}\s*=", rf"^\s*{re.escape(root)}\s*=", rf"^\s*\[case\.{re.escape(root)}\]",
                        rf"^\s*{re.escape(leaf)}\s*=", rf"\b{re.escape(root)}\b"):
            for k in range(start, end):
                if re.search(pattern, lines[k]):
                    return k + 1
    return start + 1


def _key_of(message: str) -> Optional[str]:
    """The key a case error names (``'unknown key 'x''`` or ``'KEY: ...'`` after the case)."""
    m = re.search(r"unknown key '([^']+)'", message) or re.search(r"^case '[^']*': ([A-Za-z_][\w.\[\]]*):",
                                                                      message)
    return m.group(1) if m else None


def load(path: Union[str, Path]) -> list[Case]:
    """Every case of the file ``path`` (``CaseError`` naming the file and the line for a bad one)."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise CaseError(f"{path}: a case file is .toml or .py, got {path.suffix or 'no suffix'!r}")
    if not path.is_file():
        raise CaseError(f"{path}: no such case file")
    if path.suffix == ".py":
        return _load_module(path)
    text = path.read_text(encoding="utf-8")
    try:
        doc = _toml().loads(text)
    except ValueError as err:  # tomllib.TOMLDecodeError names the line and column
        raise CaseError(f"{path}: not valid TOML: {err}") from None
    extra = [k for k in doc if k != "case"]
    if extra:
        line = next((k + 1 for k, s in enumerate(text.splitlines()) if re.match(rf"^\s*\[?{re.escape(extra[0])}\b", s)), 1)
        raise CaseError(f"{path}:{line}: unknown top-level key {extra[0]!r}{suggest(extra[0], ['case'])} "
                        f"(cases are [[case]] tables)")
    tables = doc.get("case")
    if not isinstance(tables, list) or not tables:
        raise CaseError(f"{path}: no [[case]] table")
    cases = []
    for k, table in enumerate(tables):
        try:
            cases.append(Case(**table, _base=path.parent))
        except CaseError as err:
            raise CaseError(f"{path}:{_line_of(text, k, _key_of(str(err)))}: {err}") from None
    _unique(cases, str(path))
    return cases


def _load_module(path: Path) -> list[Case]:
    spec = importlib.util.spec_from_file_location(f"oracle_user_cases.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as err:  # the user's own module: its error, said as such
        raise CaseError(f"{path}: the case module raised {type(err).__name__}: {err}") from None
    raw = getattr(module, "CASES", None)
    if not isinstance(raw, (list, tuple)) or not raw:
        raise CaseError(f"{path}: a Python case file defines CASES, a non-empty list of Case objects or dicts")
    cases = []
    for k, item in enumerate(raw):
        if isinstance(item, Case):
            cases.append(item)
        elif isinstance(item, dict):
            try:
                cases.append(Case(**item, _base=path.parent))
            except CaseError as err:
                raise CaseError(f"{path}: CASES[{k}]: {err}") from None
        else:
            raise CaseError(f"{path}: CASES[{k}] is {type(item).__name__}, not a Case or a dict")
    _unique(cases, str(path))
    return cases


def _unique(cases: list, where: str) -> None:
    seen: set = set()
    for c in cases:
        if c.name in seen:
            raise CaseError(f"{where}: case {c.name!r} is defined twice")
        seen.add(c.name)


def load_all(source: Union[str, Path]) -> list[Case]:
    """The cases of a file, or of every ``*.toml``/``*.py`` case file directly in a folder (sorted)."""
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix in SUFFIXES and not p.name.startswith("_"))
        if not files:
            raise CaseError(f"{source}: no .toml or .py case file in this folder")
        cases = [c for f in files for c in load(f)]
        _unique(cases, str(source))
        return cases
    return load(source)


def find(source: Union[str, Path], name: Optional[str] = None) -> Case:
    """One case of a file or folder: ``name``, or the only one (``CaseError`` with close matches)."""
    cases = load_all(source)
    if name is None:
        if len(cases) != 1:
            raise CaseError(f"{source}: {len(cases)} cases ({', '.join(c.name for c in cases)}); name one")
        return cases[0]
    for c in cases:
        if c.name == name:
            return c
    names = [c.name for c in cases]
    raise CaseError(f"{source}: no case {name!r}{suggest(name, names)} (cases: {', '.join(names)})")
