"""Reading case files: TOML (``[[case]]`` tables) or a Python module (``CASES``), one or more cases each.

TOML is read with :mod:`tomllib` (Python >= 3.11; the ``tomli`` package on 3.10).
A Python case file is for what TOML cannot say (a gradient written as a Python
function of the context, ``grad_fn(ar, params)``): it defines ``CASES``, a list of
:class:`~oracle.cases.case.Case` objects or dicts of the same keys.  It is the
user's own code, run as such (never a candidate's).  This module only reads;
:func:`oracle.cases.case.load` builds and validates the cases, naming the file
and the line of a bad value (:func:`line_of`).

>>> line_of('[[case]]\\nname = "a"\\n\\n[[case]]\\nname = "b"\\nsteps = 0\\n', 1, "steps")
6
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any, Optional

SUFFIXES = (".toml", ".py")


class FileError(ValueError):
    """A case file that cannot be read (one line naming the file)."""


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli  # type: ignore[import-not-found]
    except ModuleNotFoundError:
        raise FileError("reading TOML case files on Python 3.10 needs the tomli package (pip install tomli)") \
            from None
    return tomli


def line_of(text: str, index: int, key: Optional[str]) -> int:
    """The line of ``key`` inside the ``index``-th ``[[case]]`` table (that table's header if not found)."""
    lines = text.splitlines()
    heads = [k for k, line in enumerate(lines) if re.match(r"^\s*\[\[\s*case\s*\]\]", line)]
    if index >= len(heads):
        return 1
    start, end = heads[index], heads[index + 1] if index + 1 < len(heads) else len(lines)
    if key:
        root = key.split(".")[0].split("[")[0]
        leaf = key.split(".")[-1].split("[")[0]
        for pattern in (rf"^\s*{re.escape(key)}\s*=", rf"^\s*{re.escape(root)}\s*=",
                        rf"^\s*\[case\.{re.escape(root)}\]", rf"^\s*{re.escape(leaf)}\s*=", rf"\b{re.escape(root)}\b"):
            for k in range(start, end):
                if re.search(pattern, lines[k]):
                    return k + 1
    return start + 1


def key_of(message: str) -> Optional[str]:
    """The key a case error names (``unknown key 'x'``, or ``KEY: ...`` after the case)."""
    m = re.search(r"unknown key '([^']+)'", message) or re.search(r"^case '[^']*': ([A-Za-z_][\w.\[\]]*):", message)
    return m.group(1) if m else None


def read(path: Path) -> tuple[list, str]:
    """(the case entries, the file's text): TOML tables (dicts), or a Python file's ``CASES`` items."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise FileError(f"{path}: a case file is .toml or .py, got {path.suffix or 'no suffix'!r}")
    if not path.is_file():
        raise FileError(f"{path}: no such case file")
    if path.suffix == ".py":
        return _module(path), ""
    text = path.read_text(encoding="utf-8")
    try:
        doc = _toml().loads(text)
    except ValueError as err:  # tomllib.TOMLDecodeError names the line and column
        raise FileError(f"{path}: not valid TOML: {err}") from None
    extra = [k for k in doc if k != "case"]
    if extra:
        line = next((k + 1 for k, s in enumerate(text.splitlines())
                     if re.match(rf"^\s*\[?{re.escape(extra[0])}\b", s)), 1)
        hint = " (did you mean 'case'?)" if extra[0].lower().startswith("case") else ""
        raise FileError(f"{path}:{line}: unknown top-level key {extra[0]!r}{hint} (cases are [[case]] tables)")
    tables = doc.get("case")
    if not isinstance(tables, list) or not tables:
        raise FileError(f"{path}: no [[case]] table")
    return tables, text


def _module(path: Path) -> list:
    spec = importlib.util.spec_from_file_location(f"oracle_user_cases.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as err:  # the user's own module: its error, said as such
        raise FileError(f"{path}: the case module raised {type(err).__name__}: {err}") from None
    raw = getattr(module, "CASES", None)
    if not isinstance(raw, (list, tuple)) or not raw:
        raise FileError(f"{path}: a Python case file defines CASES, a non-empty list of Case objects or dicts")
    return list(raw)


def case_files(folder: Path) -> list[Path]:
    """The case files directly in ``folder`` (sorted; names starting with '_' are skipped)."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix in SUFFIXES and not p.name.startswith("_"))
    if not files:
        raise FileError(f"{folder}: no .toml or .py case file in this folder")
    return files
