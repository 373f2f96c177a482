"""A user case: one RMSProp problem described as data (a TOML table, a dict or keyword arguments).

Fields (``[[case]]`` tables in a TOML file; keyword arguments of :class:`Case`):

=================  =============================================================================
``name``           the case name: letters, digits, ``.``, ``_``, ``-`` (it names the golden file)
``convention``     a spec ``PRESET[,FIELD=VALUE...]`` (:func:`oracle.conventions.parse`), default ``seed``
``numbers``        how the hyperparameter strings are read: ``"decimal"`` (``"0.1"`` is 1/10, default),
                   ``"binary64"`` (``"0.1"`` is the double nearest 0.1, what a float64 program receives)
                   or ``"rational"`` (``"1/10"``)
``lr`` ...         ``lr``, ``rho``, ``eps``, ``momentum``, ``weight_decay`` (strings, read per ``numbers``;
                   integers are exact), ``centered`` (bool); unset ones are the convention's
``params``         initial parameters: name -> a number or nested lists (any shape), exact decimals
``data``           constants of the loss or gradient: name -> a number or nested lists, exact
``loss``           a loss expression in the parameters and data (:mod:`oracle.cases.expr`), or
``gradient``       name -> one expression per element (a string, or nested lists), or
``stream``         name -> the gradient at every step: nested lists (steps first), or a ``.npy``/``.csv``
                   file (relative to the case file; one row per step, row-major elements); exact as given
``steps``          number of updates; ``digits`` (default 30) certified significant digits
``dtypes``         the dtypes whose horizons are reported (default ``["float64", "float32"]``)
``description``    one sentence; ``reproduces``: the framework program the case reproduces (free text)
``golden``         labels of the golden file (``kind``, ``description``, ``problem``), to reproduce one
``golden_fields``  (Python case files) ``f(trajectory) -> dict`` of more top-level golden fields, and
``step_fields``    ``f(t) -> dict`` of more fields of step ``t``'s record
=================  =============================================================================

A bad value is a :class:`CaseError` naming the key and echoing the value, with
close matches for a misspelt key (a file adds its name and the line).

>>> c = Case(name="one-step", lr="0.01", params={"w": "1"}, loss="w**2", steps=1)
>>> c.convention.spec(values=True), c.gradient_text()
('seed,lr=0.01', {'w': '2*w'})
>>> Case(name="x", params={"w": "1"}, loss="w**2", step=1)
Traceback (most recent call last):
...
oracle.cases.case.CaseError: case 'x': unknown key 'step' (did you mean 'steps' or 'stream'?)
"""

from __future__ import annotations

import difflib
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..conventions import Convention, parse
from ..rounding import DTYPE_FORMAT
from . import files
from .expr import Expression

HYPER = ("lr", "rho", "eps", "momentum", "weight_decay")
KEYS = ("name", "description", "reproduces", "convention", "numbers", *HYPER, "centered", "params", "data",
        "loss", "gradient", "stream", "grad_fn", "steps", "digits", "dtypes", "golden", "golden_fields", "step_fields")
NUMBERS = ("decimal", "binary64", "rational")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_ELEMENTS, MAX_STEPS = 100_000, 1_000_000
MAX_EXPONENT = 400
SIZED = re.compile(r"^[+-]?(\d{1,1000}(\.\d{0,1000})?|\.\d{1,1000})([eE][+-]?\d{1,3})?(/\d{1,1000})?$")
"""An exact number of bounded size (digits, exponent within +-999 checked below): no input builds a huge integer."""


class CaseError(ValueError):
    """A bad case: one line naming the file and line (when from a file), the case, the key and the value."""


def suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _exact(value: Any, key: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, str, Fraction, float)):
        raise ValueError(f"{key}: expected a number (an exact decimal string such as \"0.1\"), got {value!r}")
    if isinstance(value, float):
        raise ValueError(f"{key}: got the TOML float {value!r}; write it as a string (\"{value!r}\") so it is "
                         f"read exactly")
    m = SIZED.match(value.strip()) if isinstance(value, str) else None
    if isinstance(value, str) and m is not None and m.group(3) and abs(int(m.group(3)[1:])) > MAX_EXPONENT:
        m = None
    if isinstance(value, str) and m is None:
        raise ValueError(f"{key}: {value!r} is not an exact number (a decimal such as \"0.1\" or \"1e-8\", or "
                         f"a ratio \"1/3\"; exponents within +-{MAX_EXPONENT})")
    try:
        return Fraction(value.strip() if isinstance(value, str) else value)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{key}: {value!r} is not an exact number") from None


def exact_array(value: Any, key: str) -> np.ndarray:
    """Nested lists of exact numbers as an object array of Fractions (rectangular; at most MAX_ELEMENTS)."""
    try:
        a = np.array(value, dtype=object)
    except ValueError:
        raise ValueError(f"{key}: nested lists must be rectangular, got {str(value)[:80]}") from None
    if a.dtype == object and any(isinstance(x, (list, tuple)) for x in a.reshape(-1)):
        raise ValueError(f"{key}: nested lists must be rectangular, got {str(value)[:80]}")
    if a.size > MAX_ELEMENTS:
        raise ValueError(f"{key}: {a.size} elements; at most {MAX_ELEMENTS} are accepted")
    flat = [_exact(x, f"{key}[{k}]") for k, x in enumerate(a.reshape(-1))]
    return np.array(flat + [None], dtype=object)[:-1].reshape(a.shape)


def _hyper(value: Any, numbers: str, key: str) -> Any:
    """A hyperparameter as the convention keeps it: a decimal string, a binary64 float or a Fraction."""
    if isinstance(value, bool) or not isinstance(value, (int, str, float, Fraction)):
        raise ValueError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, (int, Fraction)):
        return value
    if isinstance(value, float):
        if numbers != "binary64":
            raise ValueError(f"{key}: got the TOML float {value!r}; write it as a string (\"{value!r}\") to say "
                             f"it is an exact decimal, or set numbers = \"binary64\"")
        return value
    exact = _exact(value, key)
    if numbers == "binary64":
        return float(exact)
    if numbers == "rational":
        return exact
    if "/" in value:
        raise ValueError(f"{key}: {value!r} is a ratio; set numbers = \"rational\" to read ratios")
    return value.strip()


class Case:
    """One user case, validated (keyword arguments as the module docstring lists)."""

    def __init__(self, **fields: Any) -> None:
        where = f"case {fields.get('name')!r}"
        for key in fields:
            if key not in KEYS and key != "_base":
                raise CaseError(f"{where}: unknown key {key!r}{suggest(key, KEYS)}")
        try:
            self._build(fields)
        except CaseError:
            raise
        except (ValueError, ZeroDivisionError) as err:
            raise CaseError(f"{where}: {err}") from None
        self.fields = fields

    def _build(self, f: dict) -> None:
        name = f.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(f"name: expected letters, digits, '.', '_', '-' (it names a file), got {name!r}")
        self.name = name
        self.description = str(f.get("description", ""))
        self.reproduces = str(f.get("reproduces", ""))
        self.numbers = f.get("numbers", "decimal")
        if self.numbers not in NUMBERS:
            raise ValueError(f"numbers: expected one of {', '.join(NUMBERS)}, got {self.numbers!r}"
                             f"{suggest(str(self.numbers), NUMBERS)}")
        spec = f.get("convention", "seed")
        try:
            conv = spec if isinstance(spec, Convention) else parse(spec) if isinstance(spec, str) else None
        except ValueError as err:
            raise ValueError(f"convention: {err}") from None
        if conv is None:
            raise ValueError(f"convention: expected a spec such as \"pytorch,v0=1\", got {spec!r}")
        self.hyper_given = {k: f[k] for k in HYPER if k in f}
        changes: dict = {k: _hyper(v, self.numbers, k) for k, v in self.hyper_given.items()}
        if "centered" in f:
            if not isinstance(f["centered"], bool):
                raise ValueError(f"centered: expected true or false, got {f['centered']!r}")
            changes["centered"] = f["centered"]
        self.convention = conv.replace(**changes) if changes else conv
        params = f.get("params")
        if not isinstance(params, dict) or not params:
            raise ValueError(f"params: expected a table of initial parameters (name = value), got {params!r}")
        self.params = {str(k): exact_array(v, f"params.{k}") for k, v in params.items()}
        self.params_given = dict(params)
        data = f.get("data", {}) or {}
        if not isinstance(data, dict):
            raise ValueError(f"data: expected a table of constants, got {data!r}")
        clash = [k for k in data if k in params]
        if clash:
            raise ValueError(f"data.{clash[0]}: the name is a parameter too")
        self.data = {str(k): exact_array(v, f"data.{k}") for k, v in data.items()}
        self.steps = _count(f.get("steps"), "steps", MAX_STEPS, 0)
        self.digits = _count(f.get("digits", 30), "digits", 1000, 1)
        dtypes = f.get("dtypes", ["float64", "float32"])
        if not isinstance(dtypes, list) or any(d not in DTYPE_FORMAT for d in dtypes):
            bad = next((d for d in dtypes if d not in DTYPE_FORMAT), dtypes) if isinstance(dtypes, list) else dtypes
            raise ValueError(f"dtypes: expected a list from {', '.join(DTYPE_FORMAT)}, got {bad!r}"
                             f"{suggest(str(bad), DTYPE_FORMAT)}")
        self.dtypes = list(dtypes)
        self.golden = dict(f.get("golden", {}) or {})
        self.golden_fields = f.get("golden_fields")
        self.step_fields = f.get("step_fields")
        for key in ("golden_fields", "step_fields"):
            if f.get(key) is not None and not callable(f[key]):
                raise ValueError(f"{key}: expected a function (a Python case file), got {f[key]!r}")
        bad = [k for k in self.golden if k not in ("kind", "description", "problem")]
        if bad:
            raise ValueError(f"golden.{bad[0]}: unknown key{suggest(bad[0], ('kind', 'description', 'problem'))}")
        given = [k for k in ("loss", "gradient", "stream", "grad_fn") if f.get(k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of loss, gradient, stream (or grad_fn in a Python case file); "
                             f"got {', '.join(given) or 'none'}")
        self.kind = given[0]
        shapes = {k: v.shape for k, v in self.params.items()}
        plain = {k: v if v.shape else v[()] for k, v in self.data.items()}
        self.expression: Optional[Expression] = None
        self.stream: Optional[list] = None
        self.custom: Optional[Callable] = None
        if self.kind == "loss":
            self.expression = _expr(lambda: Expression.parse(f["loss"], shapes, plain), "loss", f["loss"])
        elif self.kind == "gradient":
            if not isinstance(f["gradient"], dict):
                raise ValueError(f"gradient: expected a table (parameter = expression), got {f['gradient']!r}")
            self.expression = _expr(lambda: Expression.parse_gradient(f["gradient"], shapes, plain), "gradient",
                                    f["gradient"])
        elif self.kind == "stream":
            self.stream = _stream(f["stream"], shapes, self.steps, f.get("_base"))
        else:
            if not callable(f["grad_fn"]):
                raise ValueError(f"grad_fn: expected a function grad_fn(ar, params) -> grads, got {f['grad_fn']!r}")
            self.custom = f["grad_fn"]

    # -- what the engines need -----------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.params)

    @property
    def python_only(self) -> bool:
        """Whether the case holds Python functions (it cannot be recorded as data in a manifest)."""
        return any(x is not None for x in (self.custom, self.golden_fields, self.step_fields))

    @property
    def closed_loop(self) -> bool:
        return self.stream is None

    def params0(self) -> list:
        """The initial parameters as exact values (object arrays of Fractions)."""
        return [self.params[n] for n in self.names]

    def grad_fn(self) -> Optional[Callable]:
        """The closed-loop gradient with context operations (None for a stream)."""
        if self.expression is not None:
            return self.expression.grad_fn()
        return self.custom

    def loss_fn(self) -> Optional[Callable]:
        return None if self.expression is None else self.expression.loss_fn()

    def grads(self) -> Optional[list]:
        """The open-loop gradients: per step, one exact array per parameter."""
        return self.stream

    def gradient_text(self) -> Any:
        """How the gradient is given, as text: the derivatives of a loss, the expressions, or 'stream'."""
        if self.expression is not None:
            return self.expression.gradient()
        if self.stream is not None:
            return f"a stream of {len(self.stream)} gradients, exact as given"
        return f"grad_fn {getattr(self.custom, '__qualname__', repr(self.custom))} (Python)"

    @classmethod
    def from_dict(cls, fields: dict) -> "Case":
        """A case from a dict of the keys above (a TOML table read by hand, JSON)."""
        if not isinstance(fields, dict):
            raise CaseError(f"a case is a dict of keys, got {type(fields).__name__}")
        return cls(**fields)

    @classmethod
    def from_file(cls, path: Any, name: Optional[str] = None) -> "Case":
        """The case ``name`` of a case file or folder (or its only case)."""
        return find(path, name)

    def __repr__(self) -> str:
        return f"Case({self.name!r}, {self.convention.spec(values=True)!r}, {self.kind}, steps={self.steps})"


def _count(value: Any, key: str, most: int, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise ValueError(f"{key}: expected an integer from {least} to {most}, got {value!r}")
    return value


def _expr(make: Callable, key: str, value: Any) -> Expression:
    try:
        return make()
    except ValueError as err:
        raise ValueError(f"{key}: {str(value)[:120]!r}: {err}") from None


def _stream(spec: Any, shapes: dict, steps: int, base: Optional[Path]) -> list:
    if not isinstance(spec, dict):
        raise ValueError(f"stream: expected a table (parameter = gradients or a .npy/.csv file), got {spec!r}")
    extra = [k for k in spec if k not in shapes]
    if extra or len(spec) != len(shapes):
        bad = extra[0] if extra else next(k for k in shapes if k not in spec)
        raise ValueError(f"stream.{bad}: {'no such parameter' + suggest(bad, shapes) if extra else 'missing'}")
    per: dict = {}
    for name, shape in shapes.items():
        src = spec[name]
        key = f"stream.{name}"
        if isinstance(src, str):
            path = Path(src) if base is None or Path(src).is_absolute() else Path(base) / src
            rows = _read_rows(path, key)
        else:
            rows = [exact_array(r, f"{key}[{t}]").reshape(-1) for t, r in enumerate(src)]
        size = int(np.prod(shape)) if shape else 1
        if len(rows) != steps:
            raise ValueError(f"{key}: {len(rows)} gradients for {steps} steps")
        for t, r in enumerate(rows):
            if r.size != size:
                raise ValueError(f"{key}[{t}]: {r.size} values for a parameter of shape {shape}")
        per[name] = [r.reshape(shape) for r in rows]
    return [[per[n][t] for n in shapes] for t in range(steps)]


def _read_rows(path: Path, key: str) -> list:
    if not path.is_file():
        raise ValueError(f"{key}: no file {str(path)!r}")
    if path.suffix == ".npy":
        a = np.load(path, allow_pickle=False)
        if a.dtype.kind not in "fiu" or not np.all(np.isfinite(a)):
            raise ValueError(f"{key}: {path} must hold finite numbers, got dtype {a.dtype}")
        rows = a.reshape(a.shape[0], -1) if a.ndim else a.reshape(1, 1)
        return [np.array([Fraction(float(x)) if a.dtype.kind == "f" else Fraction(int(x)) for x in r],
                         dtype=object) for r in rows]
    if path.suffix == ".csv":
        import csv

        with open(path, newline="", encoding="utf-8") as fh:
            lines = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
        return [exact_array([c.strip() for c in r], f"{key} ({path.name} row {t + 1})").reshape(-1)
                for t, r in enumerate(lines)]
    raise ValueError(f"{key}: {path.name}: a stream file is .npy or .csv")


def load(path: Any) -> list[Case]:
    """Every case of the case file ``path`` (``CaseError`` naming the file and the line of a bad value).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "bad.toml").write_text('[[case]]\\nname = "a"\\nlr = "0.1x"\\nparams = {w = "1"}\\nloss = "w**2"\\nsteps = 1\\n')
    >>> load(d / "bad.toml")
    Traceback (most recent call last):
    ...
    oracle.cases.case.CaseError: ...bad.toml:3: case 'a': lr: '0.1x' is not an exact number (a decimal such as "0.1" or "1e-8", or a ratio "1/3"; exponents within +-400)
    """
    path = Path(path)
    try:
        entries, text = files.read(path)
    except files.FileError as err:
        raise CaseError(str(err)) from None
    cases = []
    for k, item in enumerate(entries):
        if isinstance(item, Case):
            cases.append(item)
            continue
        if not isinstance(item, dict):
            raise CaseError(f"{path}: CASES[{k}] is {type(item).__name__}, not a Case or a dict")
        try:
            cases.append(Case(**item, _base=path.parent))
        except CaseError as err:
            where = f"{path}:{files.line_of(text, k, files.key_of(str(err)))}" if text else f"{path}: CASES[{k}]"
            raise CaseError(f"{where}: {err}") from None
    _unique(cases, str(path))
    return cases


def _unique(cases: list, where: str) -> None:
    seen: set = set()
    for c in cases:
        if c.name in seen:
            raise CaseError(f"{where}: case {c.name!r} is defined twice")
        seen.add(c.name)


def load_all(source: Any) -> list[Case]:
    """The cases of a case file, or of every ``*.toml``/``*.py`` case file directly in a folder."""
    source = Path(source)
    if not source.is_dir():
        return load(source)
    try:
        paths = files.case_files(source)
    except files.FileError as err:
        raise CaseError(str(err)) from None
    cases = [c for p in paths for c in load(p)]
    _unique(cases, str(source))
    return cases


def find(source: Any, name: Optional[str] = None) -> Case:
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
