"""The state of one conformance session: options, candidates, cases and results.

Read from the pytest options the plugin registers (with their defaults when
the plugin is not loaded, e.g. when the suite is collected from this
repository's ``tests/``).  Without ``--optimizer`` the targets are the
package's own float implementation of every preset, each certified against its
own preset; with it, the one candidate, against ``--convention`` or, for
``auto``, the preset its fingerprint identifies.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from ..conventions import PRESET_NAMES, preset
from .candidate import Candidate
from .certificate import Ledger

OPTION_DEFAULTS = {
    "optimizer": None, "convention": "auto", "dtype": "float64,float32,float16",
    "oracle_profile": None, "certificate": None, "hyperparameters": "exact", "case_timeout": 60.0,
    "workers": None, "scheduler": None,
}
HYPER_MODES = ("exact", "float32", "float32_lr", "auto")
ROUNDING_MODES = ("exact", "float32_lr", "float32")
"""How the reference takes the hyperparameters: exactly; lr alone rounded to float32 (Keras keeps
lr in a floatx Variable); all of them rounded to float32 (TF1, MXNet)."""


def convention_for(name: str, mode: str, hyper: dict, options: dict):
    """The preset with a case's hyperparameters and options, under a rounding mode."""
    return preset(name, **hyper, **options, hyperparameters=mode)


@dataclasses.dataclass
class Target:
    name: str
    candidate: Candidate
    convention: Optional[str] = None  # None until resolved
    hyperparameters: str = "exact"
    fingerprint: object = None
    builtin: Optional[str] = None  # the preset a built-in candidate implements

    def conv(self, case):
        return convention_for(self.convention, self.hyperparameters, case.hyper, case.options)


def parse_dtypes(text: str) -> tuple:
    from .cases import DTYPES

    out = tuple(d.strip() for d in str(text).split(",") if d.strip())
    bad = [d for d in out if d not in DTYPES]
    if bad or not out:
        raise ValueError(f"--dtype must be a comma-separated subset of {','.join(DTYPES)}, got {text!r}")
    return out


def validate(opts: dict) -> None:
    """Raise ``ValueError`` (echoing the value) for a bad option."""
    from .cases import PROFILES

    parse_dtypes(opts["dtype"])
    if opts["convention"] != "auto" and opts["convention"] not in PRESET_NAMES:
        raise ValueError(f"--convention must be auto or one of {', '.join(PRESET_NAMES)}, got {opts['convention']!r}")
    if opts["oracle_profile"] not in PROFILES:
        raise ValueError(f"--oracle-profile must be one of {', '.join(PROFILES)}, got {opts['oracle_profile']!r}")
    if opts["hyperparameters"] not in HYPER_MODES:
        raise ValueError(f"--hyperparameters must be one of {', '.join(HYPER_MODES)}, got {opts['hyperparameters']!r}")
    try:
        ok = float(opts["case_timeout"]) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"--case-timeout must be a positive number of seconds, got {opts['case_timeout']!r}")


class Session:
    """Options, targets (resolved lazily: fingerprinting runs the candidate), cases and the ledger."""

    def __init__(self, opts: dict) -> None:
        opts = dict(opts)
        if opts.get("oracle_profile") is None:  # the built-in self-certification runs quick by default
            opts["oracle_profile"] = "default" if opts.get("optimizer") else "quick"
        validate(opts)
        from .reference import configure

        configure(opts.get("workers"), opts.get("scheduler"))
        self.opts = opts
        self.dtypes = parse_dtypes(opts["dtype"])
        self.profile = opts["oracle_profile"]
        self.ledger = Ledger()
        self.ledger.options = {k: v for k, v in opts.items()}
        self._cases: dict = {}
        self._resolved = False
        timeout = float(opts["case_timeout"])
        if opts["optimizer"]:
            from .candidate import load

            spec = opts["optimizer"]
            self.targets = [Target(spec, Candidate(load(spec), spec, timeout))]
        else:
            from . import builtin

            names = PRESET_NAMES if opts["convention"] == "auto" else (opts["convention"],)
            self.targets = [Target(f"builtin:{n}", Candidate(builtin.factory(n), f"builtin:{n}", timeout),
                                   convention=n, builtin=n) for n in names]

    @classmethod
    def of(cls, config) -> "Session":
        """The session stored on a pytest config (created on first use)."""
        found = getattr(config, "_rmsprop_conformance", None)
        if found is None:
            opts = {k: config.getoption("--" + k.replace("_", "-"), v) for k, v in OPTION_DEFAULTS.items()}
            found = cls(opts)
            config._rmsprop_conformance = found
        return found

    def target(self, name: str) -> Target:
        self.resolve()
        return next(t for t in self.targets if t.name == name)

    def resolve(self) -> None:
        """Fix each target's convention and hyperparameter mode (fingerprinting where asked)."""
        if self._resolved:
            return
        self._resolved = True
        mode = self.opts["hyperparameters"]
        for t in self.targets:
            if t.builtin:
                t.hyperparameters = "exact"
            else:
                want = self.opts["convention"]
                if want == "auto" or mode == "auto":
                    from .fingerprint import identify

                    t.fingerprint = identify(t.candidate)
                t.convention = t.fingerprint.preset if want == "auto" else want
                if mode == "auto":
                    s = t.fingerprint.scores
                    fits = [m for m in ROUNDING_MODES if s[(t.convention, m)] <= 1]
                    t.hyperparameters = fits[0] if fits else "exact"
                else:
                    t.hyperparameters = mode
            info = {"convention": t.convention, "hyperparameters": t.hyperparameters}
            if t.fingerprint is not None:
                info["fingerprint"] = t.fingerprint.header()
                if t.fingerprint.rounding not in ("exact", t.hyperparameters):
                    info["fingerprint"] += (f" (held to hyperparameters {t.hyperparameters}; "
                                            f"--hyperparameters={t.fingerprint.rounding} or auto to accept)")
            self.ledger.targets[t.name] = info

    def cases(self, dtype: str) -> list:
        if dtype not in self._cases:
            from .cases import all_cases

            self._cases[dtype] = all_cases(dtype, self.profile)
        return self._cases[dtype]

    def case(self, dtype: str, name: str):
        return next(c for c in self.cases(dtype) if c.name == name)
