"""The certificate on disk: where it may go, how it is written, what it names, its content hash.

* :func:`check_path` -- ``--certificate`` is checked before the first case: the
  folder must exist and be writable, the path must not be a folder, a device, a
  FIFO, a socket or a symlink, nor lie under ``/proc``, ``/sys`` or ``/dev``
  (``ValueError`` naming the path, a usage error);
* :func:`write` -- atomic: a temporary file in the same folder, ``fsync``,
  ``os.replace``; only ever over a regular file; with the user's umask;
* :func:`candidate_source` -- the candidate's module file and the SHA-256 of its
  source, found *without importing* the candidate (nor its parent packages);
  the installed distribution's name and version when it has one;
* :func:`content_hash` -- SHA-256 of the canonical JSON of a certificate
  without its ``sha256`` field (:func:`verify` recomputes it).

>>> cert = seal({"verdict": "certified", "candidates": []})
>>> verify(cert)
True
>>> verify({**cert, "verdict": "failed"})
False
>>> check_path("/proc/self/status")
Traceback (most recent call last):
...
ValueError: --certificate: '/proc/self/status' lies under /proc, which holds no regular files
"""

from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import json
import os
import stat
import sys
from typing import Any, Optional

SYSTEM = ("/proc", "/sys", "/dev")
"""Folders whose entries are never a place for a certificate."""
SOURCE_LIMIT = 64 << 20
"""The most bytes of a candidate's module file that are hashed (a larger file is named, not hashed)."""


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def check_path(path: Any) -> str:
    """The absolute path ``--certificate`` names, if a certificate can be written there (``ValueError`` if not)."""
    text = "" if path is None else str(path)
    if not text.strip() or "\0" in text:
        raise ValueError(f"--certificate must be a file path, got {path!r}")
    full = os.path.abspath(os.path.expanduser(text))
    folder = os.path.dirname(full)
    for root in SYSTEM:
        if _under(full, root) or _under(os.path.realpath(folder), root):
            raise ValueError(f"--certificate: {text!r} lies under {root}, which holds no regular files")
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise ValueError(f"--certificate: {text!r} cannot be examined: {err.strerror or err}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise ValueError(f"--certificate: {text!r} is a symbolic link; give the path of a regular file "
                             f"(a certificate replaces the file it is written to)")
        if stat.S_ISDIR(st.st_mode):
            raise ValueError(f"--certificate: {text!r} is a folder; give a file path inside it")
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"--certificate: {text!r} is not a regular file (a device, FIFO or socket)")
    if not os.path.isdir(folder):
        raise ValueError(f"--certificate: the folder of {text!r} does not exist ({folder})")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"--certificate: {text!r} cannot be written: no permission to create files in {folder}")
    return full


def write(path: str, cert: dict) -> None:
    """Write ``cert`` (sealed here) to ``path``: temporary file, fsync, rename; only over a regular file."""
    from ...golden.fmt import atomic_write  # the one atomic writer (numpy with it: loaded only to write)

    full = check_path(path)  # again at write time: the path may have changed during the run
    atomic_write(full, json.dumps(seal(cert), indent=2, default=str) + "\n")  # ASCII: ensure_ascii


def canonical(cert: dict) -> bytes:
    """The bytes the content hash is taken of: sorted keys, no spaces, ASCII, without ``sha256``."""
    body = {k: v for k, v in cert.items() if k != "sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode("ascii")


def content_hash(cert: dict) -> str:
    return hashlib.sha256(canonical(cert)).hexdigest()


def seal(cert: dict) -> dict:
    """``cert`` with its ``sha256`` field (the content hash) set; the JSON round trip applied first."""
    plain = json.loads(json.dumps({k: v for k, v in cert.items() if k != "sha256"}, default=str))
    return {**plain, "sha256": content_hash(plain)}


def verify(cert: dict) -> bool:
    """Whether a certificate (as read from its file) hashes to its ``sha256`` field."""
    return isinstance(cert, dict) and cert.get("sha256") == content_hash(cert)


def find_module_file(name: str, path: Optional[list] = None) -> Optional[str]:
    """The file of module ``name`` (dotted), found on ``sys.path`` without executing any package.

    Each dotted component is looked up with :class:`importlib.machinery.PathFinder`
    in the folders of its parent as found on disk (a parent package's
    ``__init__`` is never run, so a package that rewrites its ``__path__`` at
    import time, or a module served by a custom import hook, is not found: None).
    """
    search = list(sys.path if path is None else path)
    spec = None
    parts = name.split(".")
    for k in range(len(parts)):
        try:
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: k + 1]), search)
        except (ImportError, ValueError, OSError):
            return None
        if spec is None:
            return None
        if k + 1 < len(parts):
            search = list(spec.submodule_search_locations or [])
            if not search:
                return None
    origin = getattr(spec, "origin", None)
    return origin if origin and os.path.isfile(origin) else None


@functools.lru_cache(maxsize=1)
def _distributions() -> dict:
    """Top-level import name -> distribution names (read from the installed metadata once)."""
    from importlib.metadata import packages_distributions

    return packages_distributions()


def candidate_source(spec: str) -> dict:
    """What ``MODULE:ATTR`` names on disk: module file, SHA-256 of its bytes, distribution (never imported)."""
    module = str(spec).partition(":")[0].strip()
    out: dict = {"module": module, "file": None, "sha256": None, "distribution": None}
    if not module:
        return out
    found = find_module_file(module)
    if found is None:
        out["note"] = ("the module file was not found on sys.path without importing (a namespace package, a "
                       "custom import hook or a package that extends its __path__): not hashed")
    else:
        out["file"] = os.path.abspath(found)
        try:
            with open(found, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    raise OSError("not a regular file")
                data = fh.read(SOURCE_LIMIT + 1)
            if len(data) > SOURCE_LIMIT:
                out["note"] = f"the module file is larger than {SOURCE_LIMIT} bytes: not hashed"
            else:
                out["sha256"] = hashlib.sha256(data).hexdigest()
        except OSError as err:
            out["note"] = f"the module file could not be read: {err}"
    try:
        from importlib.metadata import PackageNotFoundError, version

        names = _distributions().get(module.split(".")[0], [])
        if names:
            try:
                out["distribution"] = {"name": names[0], "version": version(names[0])}
            except PackageNotFoundError:
                out["distribution"] = {"name": names[0], "version": None}
    except Exception:  # metadata of other packages is an extra: never let it stop the certificate
        pass
    return out
