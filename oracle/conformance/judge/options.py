"""The suite's options: one vocabulary for ``pytest --optimizer=...``, ``python -m oracle certify`` and the judge.

Each option is declared once (:data:`OPTIONS`) and added to pytest's parser
(:func:`add_to_pytest`) and to the ``certify`` command's argparse parser
(:func:`add_to_argparse`).  :func:`validate` is the one place the values are
checked: it turns them into a frozen :class:`Settings` (a message that names the
option and echoes the value otherwise), which the session holds and passes down
-- to the reference, where to compute large cases (:class:`Compute`).

>>> validate({"case_timeout": "2", "dtype": "float32"}).case_timeout, validate({"dtype": "float32"}).dtypes
(2.0, ('float32',))
>>> validate({"case_timeout": "inf"})
Traceback (most recent call last):
...
ValueError: --case-timeout must be a finite number of seconds > 0, got 'inf'
>>> validate({"case_timeout": "3e6"})
Traceback (most recent call last):
...
ValueError: --case-timeout must be at most 2.14748e+06 seconds (the longest wait this platform's poll can express), got '3e6'
>>> validate({"convention": "pytorch,vo=1"})
Traceback (most recent call last):
...
ValueError: --convention: convention spec 'pytorch,vo=1': unknown field 'vo' (did you mean 'v0'?)
>>> validate({"workers": "two"})
Traceback (most recent call last):
...
ValueError: --workers must be a positive integer, got 'two'
"""

from __future__ import annotations

import dataclasses
import math
import threading
from typing import Any, Optional

from ...conventions import CASE_VALUES, parse
from ...rounding import ALL_DTYPES, COMPLEX_DTYPES
from .certfile import check_path

PROFILES = ("quick", "default", "thorough")
HYPERPARAMETER_MODES = ("exact", "float32", "float32_lr", "auto")
ISOLATIONS = ("process", "inline")
CASE_TIMEOUT_MAX = float(min(threading.TIMEOUT_MAX, (2**31 - 1) // 1000))
"""The longest ``--case-timeout``: poll() takes a C int of milliseconds (about 24.8 days)."""


@dataclasses.dataclass(frozen=True)
class Option:
    name: str  # the attribute name; the flag is --name with - for _
    default: Any
    metavar: str
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


OPTIONS = (
    Option("optimizer", None, "MODULE:ATTR",
           "certify this RMSProp factory: step = factory(params, *, lr, rho, eps, **options)"),
    Option("convention", "auto", "auto|PRESET[,FIELD=VALUE...]",
           "the convention to certify against (a preset with field overrides, e.g. pytorch,v0=1 or "
           "paddle,float32=rho+eps), or auto: identify it by probes (default: auto)"),
    Option("hyperparameters", None, "exact|float32|float32_lr|auto",
           "shorthand for the convention's float32= field: hold the candidate to its exact hyperparameters, "
           "to all of them or lr alone rounded to float32, or take the rounding the probes identify "
           "(default: as the convention says)"),
    Option("dtype", "float64,float32,float16", "LIST",
           "comma-separated dtypes to feed (default: all three; also bfloat16, complex64, complex128)"),
    Option("oracle_profile", None, "quick|default|thorough",
           "scale of hypothesis examples and run lengths (default: default with --optimizer, quick for the "
           "package's own built-in candidates)"),
    Option("certificate", None, "PATH", "write the JSON certificate here"),
    Option("case_timeout", 60.0, "SECONDS", "time limit for one case of the candidate (default: 60)"),
    Option("workers", 1, "N",
           "compute the reference of large cases in element chunks on N local processes (default: 1)"),
    Option("scheduler", None, "ADDRESS",
           "compute those chunks on the Dask distributed scheduler at ADDRESS (extra 'dask')"),
    Option("hyperparameter_names", None, "NATIVE=PROTOCOL,...",
           "for a native optimizer class or factory (torch, keras, tf1, optax): native hyperparameter names "
           "the signature aliases do not cover, e.g. beta=rho,tiny=eps (see docs/frameworks.md)"),
    Option("isolation", "process", "process|inline",
           "run the candidate in a worker process (default; killed on timeout, crashes contained) or inline "
           "in this process (for debugging with pdb: no protection)"),
)
BY_NAME = {o.name: o for o in OPTIONS}


def add_to_pytest(group: Any) -> None:
    for o in OPTIONS:
        group.addoption(o.flag, default=o.default, metavar=o.metavar, help=o.help)


def add_to_argparse(parser: Any, skip: tuple = ("optimizer",)) -> None:
    for o in OPTIONS:
        if o.name not in skip:
            parser.add_argument(o.flag, default=o.default, metavar=o.metavar, help=o.help)


def argv(opts: dict) -> list:
    """Command-line flags for the options that differ from their defaults."""
    return [f"{BY_NAME[k].flag}={v}" for k, v in opts.items() if k in BY_NAME and v != BY_NAME[k].default
            and v is not None]


def parse_dtypes(text: str) -> tuple:
    out = tuple(d.strip() for d in str(text).split(",") if d.strip())
    known = ALL_DTYPES + tuple(COMPLEX_DTYPES)
    if not out or any(d not in known for d in out) or len(set(out)) != len(out):
        raise ValueError(f"--dtype must be a comma-separated subset of {','.join(known)}, got {text!r}")
    return out


def check_convention(spec: str) -> Optional[str]:
    """A validated ``--convention`` (None for auto)."""
    if spec in (None, "auto"):
        return None

    try:
        conv = parse(spec)
    except ValueError as err:
        raise ValueError(f"--convention: {err}") from None
    fixed = [item.partition("=")[0].strip() for item in spec.split(",")[1:]
             if item.partition("=")[0].strip() in CASE_VALUES]
    if fixed:
        raise ValueError(f"--convention: {fixed[0]} is set by each case of the suite and cannot be fixed "
                         f"by the convention, got {spec!r}")
    return conv.spec()


@dataclasses.dataclass(frozen=True)
class Compute:
    """Where the reference of a large case is computed: on ``workers`` local processes, or on the Dask
    cluster at ``scheduler`` (:func:`.reference.run_chunks`)."""

    workers: int = 1
    scheduler: Optional[str] = None


LOCAL = Compute()
"""In this process."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """The suite's options, checked and normalized once (:func:`validate`)."""

    optimizer: Optional[str] = None  # MODULE:ATTR; None: the package's own float implementations
    convention: str = "auto"  # as given
    convention_spec: Optional[str] = None  # the normalized --convention (None: auto)
    hyperparameters: Optional[str] = None
    dtype: str = "float64,float32,float16"  # as given
    dtypes: tuple = ("float64", "float32", "float16")
    profile: str = "quick"
    certificate: Optional[str] = None
    case_timeout: float = 60.0
    compute: Compute = LOCAL
    hyperparameter_names: Optional[str] = None  # as given
    names: Any = dataclasses.field(default_factory=dict)  # parsed: native name -> protocol name
    isolation: str = "process"

    def options(self) -> dict:
        """Each option of :data:`OPTIONS` with its (normalized) value."""
        return {"optimizer": self.optimizer, "convention": self.convention, "hyperparameters": self.hyperparameters,
                "dtype": self.dtype, "oracle_profile": self.profile, "certificate": self.certificate,
                "case_timeout": self.case_timeout, "workers": self.compute.workers,
                "scheduler": self.compute.scheduler, "hyperparameter_names": self.hyperparameter_names,
                "isolation": self.isolation}

    def record(self) -> dict:
        """The options as the certificate records them (with the normalized convention and names)."""
        return {**self.options(), "convention_spec": self.convention_spec, "names": dict(self.names)}


def check_compute(workers: Any, scheduler: Any) -> Compute:
    """A validated ``--workers`` / ``--scheduler`` pair."""
    try:
        n = 1 if workers is None else int(workers)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ValueError(f"--workers must be a positive integer, got {workers!r}")
    if scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ValueError("--scheduler needs Dask: pip install 'rmsprop-oracle[dask]'") from None
    return Compute(n, scheduler or None)


def validate(opts: dict) -> Settings:
    """The checked and normalized :class:`Settings` of option values (defaults filled in); ``ValueError`` naming
    the option."""
    unknown = sorted(set(opts) - set(BY_NAME))
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} (the options are {', '.join(BY_NAME)})")
    out = {o.name: o.default for o in OPTIONS}
    out.update(opts)
    dtypes = parse_dtypes(out["dtype"])
    spec = check_convention(out["convention"])
    profile = out["oracle_profile"]
    if profile is None:  # the built-in self-certification runs quick by default
        profile = "default" if out["optimizer"] else "quick"
    if profile not in PROFILES:
        raise ValueError(f"--oracle-profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    if out["hyperparameters"] not in (None, *HYPERPARAMETER_MODES):
        raise ValueError(f"--hyperparameters must be one of {', '.join(HYPERPARAMETER_MODES)}, "
                         f"got {out['hyperparameters']!r}")
    if out["isolation"] not in ISOLATIONS:
        raise ValueError(f"--isolation must be one of {', '.join(ISOLATIONS)}, got {out['isolation']!r}")
    try:
        timeout = float(out["case_timeout"])
    except (TypeError, ValueError):
        timeout = math.nan
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"--case-timeout must be a finite number of seconds > 0, got {out['case_timeout']!r}")
    if timeout > CASE_TIMEOUT_MAX:
        raise ValueError(f"--case-timeout must be at most {CASE_TIMEOUT_MAX:g} seconds (the longest wait this "
                         f"platform's poll can express), got {out['case_timeout']!r}")
    compute = check_compute(out["workers"], out["scheduler"])
    from ..isolation.native import parse_names

    names = parse_names(out["hyperparameter_names"])
    if out["certificate"] is not None:
        check_path(out["certificate"])
    return Settings(optimizer=out["optimizer"], convention=out["convention"], convention_spec=spec,
                    hyperparameters=out["hyperparameters"], dtype=out["dtype"], dtypes=dtypes, profile=profile,
                    certificate=out["certificate"], case_timeout=timeout, compute=compute,
                    hyperparameter_names=out["hyperparameter_names"], names=names, isolation=out["isolation"])
