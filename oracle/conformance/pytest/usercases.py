"""User cases in pytest: the ``rmsprop_oracle`` fixture, and ``--oracle-cases`` in the conformance suite.

The fixture (registered by :mod:`oracle.conformance.pytest.plugin`; nothing here is
imported by a session that does not ask for it) holds a framework's own
recorded trajectories to the certified one, the tolerance being the forward
error bound of any reasonable implementation in that dtype
(:mod:`oracle.engines.bound.errorbound`), not a hand-picked rtol::

    def test_my_rmsprop(rmsprop_oracle):
        case = "tests/cases.toml:quadratic-2d"              # or an oracle.Case
        values = run_my_optimizer(...)                        # per step: {name: array} (or one array)
        rmsprop_oracle.assert_trajectory(values, case, dtype="float32")

A failure names the first diverging step and element, the value, the certified
value, the error in ULP of the dtype and in bounds.  ``reference(case)`` is the
certified trajectory, read from ``oracle_golden/CASE.json`` beside the test
file when present (verified on read) and computed otherwise; ``pytest
--oracle-regen`` (re)writes those files.

``pytest --optimizer=MODULE:ATTR --oracle-cases=FILE_OR_DIR`` adds the user's
cases to the suite (:func:`source`): closed loop through the loss or gradient
expression (the candidate's own parameters, exactly), open loop through the
stream, graded like the golden replays (exact inputs to the reference, the
candidate's inputs rounded to its dtype, the rounding charged to the bound),
against a candidate certified under the case's convention structure.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from ...accuracy import ulp
from ...algorithm import simulate
from ...cases.case import Case as UserCase
from ...cases.case import CaseError, find, load_all
from ...conventions import preset
from ...engines.bound.errorbound import ErrorBoundArith
from ...golden import usercases
from ...problems import ContextProblem, round_exact
from ..judge.cases import Case

FOLDER = "oracle_golden"
"""The folder beside the test file where the fixture's golden files live."""
OPTIONS = ("momentum", "weight_decay", "centered")


def as_case(case: Union[UserCase, str, Path, dict]) -> UserCase:
    """A user case from a Case, a dict, a case file (``FILE`` or ``FILE:NAME``)."""
    if isinstance(case, UserCase):
        return case
    if isinstance(case, dict):
        return UserCase.from_dict(case)
    text = str(case)
    path, sep, name = text.rpartition(":")
    if sep and path and Path(path).exists():
        return find(path, name)
    return find(text)


class TrajectoryMismatch(AssertionError):
    """A recorded trajectory left the certified one by more than the error bound."""


class Oracle:
    """What the ``rmsprop_oracle`` fixture gives a test."""

    def __init__(self, folder: Path, regen: bool = False) -> None:
        self.folder, self.regen = Path(folder), regen

    def reference(self, case: Any) -> Any:
        """The certified trajectory of ``case`` (``--oracle-regen`` also writes its golden file)."""
        case = as_case(case)
        if self.regen:
            usercases.regen([case], self.folder, progress=False)
        return usercases.certified_trajectory(case)

    def golden(self, case: Any) -> Optional[dict]:
        """The verified golden document of ``case`` in the test's ``oracle_golden/`` folder, if there is one."""
        case = as_case(case)
        if not usercases.is_user_folder(self.folder) or case.name not in usercases.manifest(self.folder):
            return None
        return usercases.load(self.folder, case.name)

    def assert_trajectory(self, values: Any, case: Any, dtype: str = "float64") -> int:
        """Hold the recorded ``values`` (per step t = 1..n, or 0..n: ``{name: array}``, a list of arrays in the
        case's parameter order, or one array for a one-parameter case) to the certified trajectory within the
        forward error bound in ``dtype``; returns the number of values compared.

        Raises :class:`TrajectoryMismatch` at the first step and element outside the bound.
        """
        case = as_case(case)
        if self.regen:
            usercases.regen([case], self.folder, progress=False)
        doc = self.golden(case)
        steps = _steps(values, case)
        records = list(bounded(case, dtype, len(steps) - 1))
        n = 0
        for (t, got), rec in zip(enumerate(steps), records):
            if got is None:
                continue
            for name, a_got, a_exact in zip(case.names, got, rec["params"]):
                hi, lo, err = rec["ar"].split(a_exact)
                a_got = np.asarray(a_got)
                if a_got.shape != hi.shape:
                    raise TrajectoryMismatch(f"{case.name}: step {t} {name}: shape {a_got.shape}, the case's is "
                                             f"{hi.shape}")
                exact = _certified(doc, t, name, hi.size) if doc else None
                for k, (g, h, l_, e) in enumerate(zip(a_got.reshape(-1), hi.reshape(-1), lo.reshape(-1),
                                                      err.reshape(-1))):
                    x = Fraction(exact[k]) if exact else Fraction(float(h)) + Fraction(float(l_))
                    diff = abs(Fraction(float(g)) - x) if np.isfinite(g) else None
                    n += 1
                    if diff is None or diff > Fraction(float(e)):
                        u = float(ulp(float(x), dtype))
                        where = f"[{k}]" if hi.size > 1 else ""
                        shown = "not finite" if diff is None else \
                            f"error {float(diff) / u:.3g} ULP = {float(diff) / max(float(e), 1e-300):.3g} bounds"
                        raise TrajectoryMismatch(
                            f"{case.name} ({dtype}): first divergence at step {t}, {name}{where}: got {float(g)!r}, "
                            f"certified {float(x)!r}; {shown} (bound {float(e) / u:.3g} ULP, the forward error "
                            f"bound of a {dtype} implementation)")
        return n


def _certified(doc: dict, t: int, name: str, size: int) -> Optional[list]:
    rec = next((r for r in doc["steps"] if r["step"] == t), None)
    if rec is None:
        return None
    values = [v["dec"] for v in rec["params"][name]["values"]]
    return values if len(values) == size else None


def _steps(values: Any, case: UserCase) -> list:
    """The recorded values as [None or [array per parameter]] for t = 0..n."""
    seq = list(values)
    if not seq or len(seq) > case.steps + 1:
        raise TrajectoryMismatch(f"{case.name}: {len(seq)} recorded steps; the case has {case.steps} (give steps "
                                 f"1..n, or 0..n with the initial values)")

    def one(v: Any) -> list:
        if isinstance(v, dict):
            missing = [n for n in case.names if n not in v]
            if missing:
                raise TrajectoryMismatch(f"{case.name}: recorded values lack {missing[0]!r}")
            return [v[n] for n in case.names]
        if len(case.names) == 1 and not isinstance(v, (list, tuple)):
            return [v]
        return list(v)

    out = [one(v) for v in seq]
    return out if len(seq) == case.steps + 1 else [None] + out  # steps 1..len(seq)


def bounded(case: UserCase, dtype: str, steps: int) -> Any:
    """The case run in :class:`ErrorBoundArith` (exact values with the ``dtype`` bound), ``steps`` steps."""
    ar = ErrorBoundArith(dtype, subnormals=case.convention.subnormals)
    for rec in simulate(case.convention, ar, case.params0(), steps=steps, grads=case.grads(), grad_fn=case.grad_fn()):
        yield {**rec, "ar": ar}


# -- --oracle-cases ------------------------------------------------------------------------------------------
def conformance_case(case: UserCase, dtype: str) -> Case:
    """The user case as a conformance case in ``dtype`` (exact inputs to the reference, rounded for the candidate)."""
    conv = case.convention
    if preset(conv.name).structure() != conv.replace(**{f: getattr(preset(conv.name), f) for f in
                                                        ("lr", "rho", "eps", *OPTIONS)}).structure():
        raise CaseError(f"case {case.name!r}: --oracle-cases takes a preset's structure with its own "
                        f"hyperparameters; {conv.spec()} changes the structure")
    hyper = {k: getattr(conv, k) for k in ("lr", "rho", "eps")}
    options = {"momentum": float(conv.exact("momentum")), "weight_decay": float(conv.exact("weight_decay")),
               "centered": conv.centered}
    exact: dict = {"preset": conv.name, "hyper": {**hyper, **{k: getattr(conv, k) for k in OPTIONS}},
                   "params0": [np.asarray(p, dtype=object) for p in case.params0()],
                   "key": f"user:{case.name}:{usercases.definition(case) if case.custom is None else id(case)}"}
    params0 = [round_exact(p, dtype) for p in case.params0()]
    floats = {k: float(conv.exact(k)) for k in ("lr", "rho", "eps")}
    tag = "closed" if case.closed_loop else "open"
    if case.closed_loop:
        problem: Optional[Any] = ContextProblem(case.grad_fn(), f"user-{case.name}")
        return Case(f"user-{case.name}", dtype, params0, floats, case.steps, options, problem=problem,
                    tags=(tag, "user"), exact=exact)
    exact["grads"] = [[np.asarray(g, dtype=object) for g in step] for step in case.grads()]
    grads = [[round_exact(g, dtype) for g in step] for step in case.grads()]
    return Case(f"user-{case.name}", dtype, params0, floats, case.steps, options, grads=grads,
                tags=(tag, "user"), exact=exact)


def source(path: Union[str, Path]) -> Callable[[str, str], list]:
    """A case source (``source(dtype, profile) -> cases``) of the user case file(s) at ``path``."""
    cases = load_all(path)

    def user_cases(dtype: str, profile: str = "default") -> list:
        return [conformance_case(c, dtype) for c in cases]

    return user_cases


