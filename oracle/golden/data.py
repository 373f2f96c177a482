"""Where the golden data lives, and the error raised when it is missing or damaged.

The repository keeps its golden files in the top-level ``golden/`` folder; the
wheel and the sdist carry that folder as the package data ``oracle.golden_data``
(a ``package-dir`` mapping in ``pyproject.toml``), so the code finds it through
:mod:`importlib.resources` wherever the package is installed.  An editable
install (``pip install -e .``) maps ``oracle.golden_data`` to the repository's
``golden/``, so ``regen`` writes there.  When the ``oracle`` package being run
lies in a source checkout (``pyproject.toml`` and ``golden/`` beside it), that
checkout's ``golden/`` is used even if ``oracle.golden_data`` would resolve
elsewhere (another checkout's editable install): code and data always come
from the same tree.

>>> golden_dir().joinpath("schema.json").is_file()
True
>>> require_folder(Path("/nonexistent/golden"))
Traceback (most recent call last):
...
oracle.golden.data.GoldenDataError: golden data not found: /nonexistent/golden is not a folder (give --dir an existing golden folder, or reinstall rmsprop-oracle)
"""

from __future__ import annotations

import importlib.resources
import json
import os
import stat
from pathlib import Path
from typing import Any, Optional

PACKAGE = "oracle.golden_data"
"""The package whose data is the golden folder (``golden/`` in the repository)."""

SOURCE_TREE = Path(__file__).resolve().parents[2] / "golden"
"""The golden folder of the source checkout this package lies in, if it lies in one."""

MARKER = "schema.json"
"""A file the golden folder in use must hold (checked for the package data, not for a --dir folder)."""


class GoldenDataError(ValueError):
    """Golden data missing, unreadable, damaged, or not what the case registry says (one-line message)."""


def golden_dir() -> Path:
    """The folder of the golden files in use (``GoldenDataError`` when there is none)."""
    if (SOURCE_TREE.parent / "pyproject.toml").is_file() and SOURCE_TREE.is_dir():
        return require_folder(SOURCE_TREE, marker=True)
    try:
        root = importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:
        raise GoldenDataError(f"golden data not found: the package data {PACKAGE} is not installed "
                              f"(reinstall rmsprop-oracle; in a clone: pip install -e .)") from None
    if not isinstance(root, Path):
        raise GoldenDataError(f"golden data at {root} is inside an archive; install rmsprop-oracle unzipped")
    return require_folder(root, marker=True)


def require_folder(path: Path, marker: bool = False) -> Path:
    """``path`` if it is a readable folder (holding :data:`MARKER` if ``marker``), else ``GoldenDataError``."""
    path = Path(path)
    if not path.is_dir():
        raise GoldenDataError(f"golden data not found: {path} is not a folder (give --dir an existing golden "
                              f"folder, or reinstall rmsprop-oracle)")
    if not os.access(path, os.R_OK | os.X_OK):
        raise GoldenDataError(f"golden data unreadable: no permission to list {path} (fix its permissions)")
    if marker and not (path / MARKER).is_file():
        raise GoldenDataError(f"golden data incomplete: {path} holds no {MARKER} (reinstall rmsprop-oracle; "
                              f"in a clone: git checkout golden/)")
    return path


def resolve(folder: Optional[Path] = None) -> Path:
    """``folder`` checked with :func:`require_folder`, or the golden folder in use when None."""
    return golden_dir() if folder is None else require_folder(folder)


MAX_BYTES = 16 << 20
"""The largest golden file or record read (the largest shipped file is under 400 kB)."""


def read_text(path: Path, limit: int = MAX_BYTES, encoding: str = "ascii") -> str:
    """The text of ``path`` if it is a regular file of at most ``limit`` bytes (``OSError`` naming why not).

    Opened without blocking (a FIFO does not hang the reader) and checked with
    ``fstat`` on the open file (a symlink to ``/dev/zero`` is refused, not read to
    exhaustion); a ``UnicodeDecodeError`` if it is not ``encoding``.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file (a device, FIFO, socket or folder)")
        if st.st_size > limit:
            raise OSError(f"{st.st_size} bytes, more than the {limit} a golden file may have")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"more than the {limit} bytes a golden file may have")
    return data.decode(encoding)


def no_duplicate_keys(pairs: list) -> dict:
    """``object_pairs_hook`` for :func:`json.loads`: a key given twice is a ``ValueError`` naming it."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r:.80} in a JSON object")
        out[key] = value
    return out


def read_json(path: Path) -> Any:
    """A JSON file read as :func:`read_text` reads (a regular file under the size limit, UTF-8), a key
    given twice refused (:func:`no_duplicate_keys`): ``OSError`` or ``ValueError`` otherwise."""
    return json.loads(read_text(path, encoding="utf-8"), object_pairs_hook=no_duplicate_keys)


def read_record(relative: str, what: str, clone_fix: str) -> dict:
    """A JSON record beside the golden files (``relative`` to the golden folder in use): evidence a
    probe or a generator wrote.  ``GoldenDataError`` naming ``what`` and the fix if it is unreadable."""
    path = golden_dir() / relative
    try:
        return read_json(path)
    except (OSError, ValueError) as err:
        raise GoldenDataError(f"{path}: cannot read {what}: {err} (reinstall rmsprop-oracle, or in a clone: "
                              f"{clone_fix})") from None
