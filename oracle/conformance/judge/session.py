"""The state of one conformance session: settings, candidates and their conventions, cases.

Made from the checked :class:`.options.Settings` by the judge (:func:`.run.judge`) or the
plugin (which keeps it in its one state object on the pytest config).  Without ``--optimizer`` the
targets are the package's own float implementation of every preset, each
certified against its own preset; with it, the one candidate, against
``--convention`` or, for ``auto``, what the fingerprint finds
(:mod:`.fingerprint`: resolved lazily, because it runs the candidate).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional, Sequence

from ...conventions import PRESET_NAMES, Convention, parse
from ..isolation.candidate import Candidate
from .options import LOCAL, Compute, Settings


@dataclasses.dataclass
class Target:
    name: str
    candidate: Candidate
    spec: Optional[str] = None  # the convention spec certified against (None: none could be identified)
    how: str = ""  # how the spec was chosen
    fingerprint: Any = None
    builtin: Optional[str] = None  # the preset a built-in candidate implements
    compute: Compute = LOCAL  # where the reference of a large case is computed (the session's settings)

    @property
    def convention(self) -> Convention:
        return parse(self.spec)

    def conv(self, case) -> Convention:
        """The target's convention with the case's hyperparameters and options (``ValueError`` if not allowed,
        or if the case's dtype cannot hold them under ``hyper_dtype=param``: rho = 0.999 is 1 in bfloat16)."""
        conv = self.convention.replace(**case.hyper, **case.options)
        conv.for_dtype(case.dtype)
        return conv

    def applies(self, case) -> bool:
        """A golden replay applies only to a target whose convention has the file's structure."""
        if case.exact is None:
            return True
        if self.spec is None:
            return False
        return case.replayed().structure() == self.convention.structure()


def with_rounding(spec: str, mode: Optional[str]) -> str:
    """``spec`` with ``--hyperparameters`` applied (None or auto: unchanged)."""
    if mode in (None, "auto"):
        return spec
    return parse(spec).replace(hyperparameters=mode).spec()


class Session:
    """Settings, targets (resolved lazily), cases.

    ``sources`` are case sources added to :data:`.sources.SOURCES` for this session only
    (``--oracle-cases``).
    """

    def __init__(self, settings: Settings, sources: Sequence[Callable] = ()) -> None:
        self.settings = settings
        self.sources = tuple(sources)
        self.dtypes = settings.dtypes
        self.profile = settings.profile
        self._cases: dict = {}
        self.golden_error: Optional[str] = None  # why the golden replays could not be built
        self._resolved = False
        timeout, isolation, compute = settings.case_timeout, settings.isolation, settings.compute
        if settings.optimizer:
            spec = settings.optimizer
            self.targets = [Target(spec, Candidate(spec, timeout, isolation, names=settings.names), compute=compute)]
        else:
            names = PRESET_NAMES if settings.convention_spec is None else (parse(settings.convention).name,)
            self.targets = [Target(f"builtin:{n}", Candidate(f"oracle.conformance.judge.builtin:{n}", timeout,
                                                             isolation),
                                   spec=n, how="its own preset", builtin=n, compute=compute) for n in names]

    def target(self, name: str) -> Target:
        self.resolve()
        return next(t for t in self.targets if t.name == name)

    def fingerprinted(self) -> list:
        """The targets with a fingerprint test: auto-identified candidates, and the built-in ones (a self-check)."""
        return [t for t in self.targets if t.builtin or self.settings.convention_spec is None]

    def resolve(self) -> None:
        """Fix each target's convention: given, or identified by the fingerprint."""
        if self._resolved:
            return
        self._resolved = True
        from .fingerprint import identify

        mode = self.settings.hyperparameters
        for t in self.targets:
            if t.builtin:
                continue
            given = self.settings.convention_spec
            if given is not None and mode == "auto":  # the rounding probes run under any convention
                t.fingerprint = identify(t.candidate, self.dtypes, "auto")
                rounding = t.fingerprint.rounding
                t.spec = parse(given).replace(hyperparameters=rounding).spec() if rounding else given
                t.how = (f"given by --convention; hyperparameter rounding {rounding} identified by probes" if rounding
                         else "given by --convention; the probes identify no hyperparameter rounding")
                continue
            if given is not None:
                t.spec, t.how = with_rounding(given, mode), "given by --convention"
                continue
            t.fingerprint = identify(t.candidate, self.dtypes, "auto" if mode == "auto" else "convention")
            fp = t.fingerprint
            if t.candidate.native:
                t.how = f"{t.candidate.native['framework']} optimizer {t.candidate.native['native']} (bridge); "
            if fp.spec is not None:
                t.spec = with_rounding(fp.spec, mode)
                if fp.declared:
                    t.how += "declared by the candidate (binding); the probes disagree"
                elif fp.matched:
                    t.how += "identified by probes"
                elif fp.spec == fp.closest:
                    t.how += "the closest preset; no convention agrees with the probes"
                else:
                    t.how += "determined by probes; no preset agrees"
            else:
                t.how += "nothing agrees with the probes"

    def describe(self, resolve: bool = True) -> dict:
        """Per target: the convention certified against, how it was chosen, the fingerprint.

        ``resolve=False`` (an interrupted run) never runs the candidate: an unresolved
        convention is described as not determined.
        """
        if resolve:
            self.resolve()
        out = {}
        for t in self.targets:
            settled = self._resolved or t.builtin or t.spec is not None
            info = {"convention": t.spec or ("(none)" if settled else "(not determined)"), "how": t.how}
            if getattr(t.candidate, "native", None):  # a framework optimizer behind a bridge: what was found
                info["native"] = t.candidate.native
            if t.fingerprint is not None and (self.settings.convention_spec is None or t.builtin):
                info["fingerprint"] = t.fingerprint.header()
            out[t.name] = info
        return out

    def cases(self, dtype: str) -> list:
        """The cases in ``dtype``; with damaged or missing golden data, the others (see ``golden_error``)."""
        if dtype not in self._cases:
            from ...golden import GoldenDataError
            from .cases import builtin_cases
            from .sources import all_cases

            try:
                self._cases[dtype] = all_cases(dtype, self.profile, self.sources)
            except GoldenDataError as err:
                self.golden_error = str(err)
                self._cases[dtype] = builtin_cases(dtype, self.profile)
        return self._cases[dtype]

    def case(self, dtype: str, name: str):
        return next(c for c in self.cases(dtype) if c.name == name)

    def close(self) -> None:
        for t in self.targets:
            t.candidate.close()
