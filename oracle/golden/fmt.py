"""The golden file format (version 2): value encoding, canonical bytes, content and provenance, hashing, atomic writes.

A golden file is one JSON object (schema: ``golden/schema.json``, checked by
:mod:`oracle.golden.schema`; prose: ``golden/README.md``).  Its bytes are
canonical: keys sorted, one-space indentation, every ``steps`` record on one
line, ASCII only, no floats (every number that is not a count is a string), one
trailing newline.  The header's ``sha256`` is the SHA-256 of the canonical bytes
of the document with that one field set to the empty string, so any edit of
the file is detected.

``header.provenance`` records what computed the file (package, mpmath and sympy
versions, the interval working precision); it is not *content*: two files with
the same content certify the same values, whatever computed them
(:func:`content`).

A certified value is ``{"dec": D, "f32": H, "f64": H}``: ``D`` the exact value
correctly rounded to the case's ``digits`` significant digits (all certified),
``H`` the correctly rounded binary64/binary32 value in ``float.hex`` form.

>>> from fractions import Fraction
>>> from oracle.engines.certified import CertifiedValue
>>> encode_value(CertifiedValue(Fraction(1, 10), Fraction(1, 10)), 5)
{'dec': '1.0000e-1', 'f32': '0x1.99999ap-4', 'f64': '0x1.999999999999ap-4'}
>>> validate({"format": "rmsprop-oracle-golden", "format_version": 7}, "x.json")
Traceback (most recent call last):
...
oracle.golden.data.GoldenDataError: x.json: format_version must be 2, got 7 (a file of another format version: regenerate it with `python -m oracle golden regen`)
>>> a = {"case": "c", "header": {"certification": "m", "provenance": {"sympy_version": "1.14.0"}, "sha256": "x"}}
>>> b = {"case": "c", "header": {"certification": "m", "provenance": {"sympy_version": "1.15.0"}, "sha256": "y"}}
>>> content(a) == content(b), provenance(b)
(True, {'sympy_version': '1.15.0'})
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
from pathlib import Path
from fractions import Fraction
from typing import Any, Optional

import numpy as np

from ..engines.certified import CertifiedValue
from ..rounding import certified_decimal, round_decimal
from .data import GoldenDataError, no_duplicate_keys, read_text
from .schema import check_structure

FORMAT = "rmsprop-oracle-golden"
FORMAT_VERSION = 2
CERTIFICATION = (
    "mpmath interval arithmetic in a private context with outward rounding; exact rational "
    "inputs enter as the tightest enclosing interval; a decimal digit or a binary64/binary32 "
    "value is published only when both ends of the enclosure round to it (README 'Certification')"
)
REQUIRED = ("format", "format_version", "header", "case", "kind", "description")
HEADER = ("certification", "provenance", "sha256")
PROVENANCE = ("mpmath_version", "package_version", "sympy_version", "working_precision_bits")
"""What computed a file: recorded in ``header.provenance``, not part of its content."""


def f32_hex(x: float) -> str:
    """``float.hex`` of a binary32 value, with the significand cut to binary32's 23 bits."""
    if x == 0:
        return "-0x0.0p+0" if str(x).startswith("-") else "0x0.0p+0"
    h = x.hex()
    mant, exp = h.split("p")
    head, frac = mant.split(".")
    frac = frac[:6]  # 24-bit significand: 1 + 23 bits = 6 hex digits (last one even bit)
    return f"{head}.{frac}p{exp}"


EXTRA_DIGITS = 10
"""How many digits past ``digits`` a value may be published with when its ``digits``-digit
rounding is a tie the enclosure straddles (an exact decimal input can make the exact
value a tie: then only a longer rounding is certified)."""


def encode_value(cv: CertifiedValue, digits: int) -> dict:
    """A certified value as published: ``digits`` decimals and the two correctly rounded floats.

    Certified exactly as in :class:`CertifiedValue`: both ends of the enclosure
    must give the same ``digits``-digit decimal (or, at a rounding tie, the same
    decimal with up to :data:`EXTRA_DIGITS` more digits; ``ValueError`` otherwise)
    and the same float (else the float is published as null).
    """
    if cv.is_zero:
        return {"dec": "0", "f32": "0x0.0p+0", "f64": "0x0.0p+0"}
    if not cv.bounded:
        raise ValueError("value is unbounded (not certified)")
    dec = certified_decimal(cv.lo, cv.hi, digits, EXTRA_DIGITS)
    if dec is None:
        raise ValueError(f"value in [{float(cv.lo)!r}, {float(cv.hi)!r}] has fewer than {digits} certified digits")
    f32, f64 = cv.binary("binary32"), cv.binary("binary64")
    return {"dec": dec, "f32": None if f32 is None else f32_hex(f32), "f64": None if f64 is None else f64.hex()}


def encode_arrays(arrays: list, names: list[str], digits: int) -> dict:
    """Named arrays of certified values as nested lists of encoded values."""
    out = {}
    for name, a in zip(names, arrays):
        flat = [encode_value(cv, digits) for cv in np.asarray(a, dtype=object).reshape(-1)]
        out[name] = {"shape": list(np.shape(a)), "values": flat}
    return out


def canonical(doc: dict) -> str:
    """The canonical text of a golden document (the exact bytes written to disk)."""
    parts = []
    for key in sorted(doc):
        value = doc[key]
        if key == "steps" and isinstance(value, list):
            body = ",\n".join("  " + _compact(rec) for rec in value)
            text = "[\n" + body + "\n ]" if value else "[]"
        else:
            text = json.dumps(value, sort_keys=True, indent=1, ensure_ascii=True).replace("\n", "\n ")
        parts.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def content_hash(doc: dict) -> str:
    """SHA-256 of the canonical text with ``header.sha256`` emptied."""
    header = dict(doc.get("header", {}))
    header["sha256"] = ""
    return hashlib.sha256(canonical({**doc, "header": header}).encode("ascii")).hexdigest()


def seal(doc: dict) -> str:
    """Fill in ``header.sha256`` and return the canonical text."""
    doc["header"]["sha256"] = content_hash(doc)
    return canonical(doc)


def content(doc: dict) -> dict:
    """The document without what does not certify anything: ``header.provenance`` and ``header.sha256``."""
    header = doc.get("header")
    if not isinstance(header, dict):
        return dict(doc)
    return {**doc, "header": {k: v for k, v in header.items() if k not in ("provenance", "sha256")}}


def provenance(doc: dict) -> dict:
    """``header.provenance`` of a document (empty if absent)."""
    header = doc.get("header")
    prov = header.get("provenance") if isinstance(header, dict) else None
    return dict(prov) if isinstance(prov, dict) else {}


LIST_HEADER = "case\tkind\tdescription\tcomputed by"
"""The header row of ``golden list`` (shipped and user folders alike)."""


def list_row(name: str, kind: str, doc: dict) -> str:
    r"""One ``golden list`` row: name, kind, description and what computed the file (its provenance).

    >>> list_row("a", "user", {"description": "A case", "header": {"provenance": {"package_version": "0.1.0",
    ...     "mpmath_version": "1.3.0", "sympy_version": "1.14.0", "working_precision_bits": 192}}}).split("\t")
    ['a', 'user', 'A case', 'rmsprop-oracle 0.1.0, mpmath 1.3.0, sympy 1.14.0, 192 bits']
    """
    prov = provenance(doc)
    bits = prov.get("working_precision_bits")
    return (f"{name}\t{kind}\t{doc.get('description', '')}\trmsprop-oracle {prov.get('package_version')}, "
            f"mpmath {prov.get('mpmath_version')}, sympy {prov.get('sympy_version')}"
            f"{'' if bits is None else f', {bits} bits'}")


def same_content(a: str, b: str) -> bool:
    """Whether two canonical texts differ at most in provenance (and hence hash)."""
    if a == b:
        return True
    try:
        return canonical(content(json.loads(a))) == canonical(content(json.loads(b)))
    except (ValueError, AttributeError, TypeError):
        return False


def validate(doc: Any, where: str) -> dict:
    """Check a parsed golden file: format, header, structure (:mod:`.schema`) and hash.

    ``GoldenDataError`` (a ``ValueError``) names the file, the field and the value.
    """
    if not isinstance(doc, dict):
        raise GoldenDataError(f"{where}: a golden file must be a JSON object, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise GoldenDataError(f"{where}: format must be {FORMAT!r}, got {doc.get('format')!r}")
    if doc.get("format_version") != FORMAT_VERSION:
        raise GoldenDataError(f"{where}: format_version must be {FORMAT_VERSION}, got {doc.get('format_version')!r}"
                              f" (a file of another format version: regenerate it with `python -m oracle golden regen`)")
    for field in REQUIRED:
        if field not in doc:
            raise GoldenDataError(f"{where}: missing field {field!r}")
    header = doc["header"]
    if not isinstance(header, dict) or sorted(header) != sorted(HEADER):
        got = sorted(header) if isinstance(header, dict) else header
        raise GoldenDataError(f"{where}: header must have exactly the fields {', '.join(HEADER)}; got {got!r:.120}")
    if not isinstance(header["sha256"], str):
        raise GoldenDataError(f"{where}: header.sha256 must be a string, got {header['sha256']!r:.80}")
    prov = header["provenance"]
    if not isinstance(prov, dict) or sorted(prov) != sorted(PROVENANCE):
        got = sorted(prov) if isinstance(prov, dict) else prov
        raise GoldenDataError(f"{where}: header.provenance must have exactly the fields {', '.join(PROVENANCE)}; "
                              f"got {got!r:.120}")
    want = content_hash(doc)
    if header["sha256"] != want:
        raise GoldenDataError(f"{where}: header.sha256 is {header['sha256']!r} but the content hashes to {want!r}")
    check_structure(doc, where)
    return doc


def parse(path: Path) -> tuple[str, Any]:
    """The text of a golden file and its parsed JSON, unvalidated (``GoldenDataError`` if unreadable)."""
    path = Path(path)
    try:
        text = read_text(path)  # a regular file under the size limit only
    except UnicodeDecodeError as err:
        raise GoldenDataError(f"{path}: not ASCII text ({err.reason} at byte {err.start})") from None
    except FileNotFoundError:
        raise GoldenDataError(f"{path}: missing file (run `python -m oracle golden regen {path.stem}`, "
                              f"or reinstall rmsprop-oracle)") from None
    except OSError as err:
        raise GoldenDataError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        return text, json.loads(text, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as err:
        raise GoldenDataError(f"{path}: not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except ValueError as err:  # a duplicate key: the file is not what any writer of golden files writes
        raise GoldenDataError(f"{path}: damaged: {err}") from None


def load(path: Path) -> dict:
    """Read and validate one golden file; its bytes must be canonical (``GoldenDataError`` naming the defect)."""
    text, doc = parse(path)
    validate(doc, str(path))
    good = canonical(doc)
    if text != good:
        pairs = itertools.zip_longest(text.split("\n"), good.split("\n"))
        line = next(k for k, (a, b) in enumerate(pairs, 1) if a != b)
        raise GoldenDataError(f"{path}: not in canonical form from line {line} on (the content is intact; "
                              f"`python -m oracle golden regen {path.stem}` rewrites it)")
    return doc


def enclosure(dec: str) -> tuple[Fraction, Fraction]:
    """The exact value lies within half a unit of the last published digit of ``dec``.

    >>> enclosure("1.25e0")
    (Fraction(249, 200), Fraction(251, 200))
    """
    if dec == "0":
        return Fraction(0), Fraction(0)
    digits = len(dec.split("e")[0].replace("-", "").replace(".", ""))
    _, _, e = round_decimal(Fraction(dec), digits)
    half = Fraction(10) ** (e - digits + 1) / 2
    return Fraction(dec) - half, Fraction(dec) + half


def current_umask() -> int:
    """The process's umask, read from ``/proc`` where it can be (setting it to read it, the fallback,
    would briefly change it for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` (ASCII) to ``path`` via a temporary file in the same folder with the umask's
    permissions, fsync, os.replace, fsync of the folder: a reader sees the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dirfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def header(prec: Optional[int]) -> dict:
    """The header of a new document: the method, its provenance (``prec``: the working precision) and the hash.

    The hash is filled in by :func:`seal`.
    """
    import mpmath  # the versions in use when called (sympy is slow to import)
    import sympy

    from .. import __version__

    return {
        "certification": CERTIFICATION,
        "provenance": {
            "mpmath_version": mpmath.__version__,
            "package_version": __version__,
            "sympy_version": sympy.__version__,
            "working_precision_bits": prec,
        },
        "sha256": "",
    }
