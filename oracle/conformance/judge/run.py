"""The judge: every test of the conformance suite as a plain function call, and the suite run without pytest.

Each test of the suite (:mod:`.suite`, the pytest skin) asks one function here
for its :class:`.outcome.Outcome`, so a test's verdict is computed by the same
code whether pytest runs it or :func:`judge` does:

* :func:`case_outcome` -- one fixed case or golden replay, graded (:mod:`.grading`);
* :func:`generated_outcome` -- hypothesis-generated cases in one dtype;
* :func:`property_outcome` -- a metamorphic property (:mod:`.metamorphic`);
* :func:`hygiene_outcome` -- a state-hygiene check (:mod:`.hygiene`);
* :func:`fingerprint_outcome` -- the probes (:mod:`.fingerprint`).

:func:`judge` runs the suite (or a selection of it, like pytest's ``-k`` and
``-x``) on one candidate in this process -- the candidate itself runs in its
worker (:mod:`.candidate`) -- and returns a :class:`Judgement`: the outcomes in
pytest's collection order, the verdict, the certificate and its summary lines
(:mod:`.certificate`).  It is what the oracle's own tests call instead of an
inner pytest session, which costs seconds each.

>>> j = judge("oracle.conformance.judge.builtin:seed", convention="seed", dtype="float64", oracle_profile="quick",
...           keyword="test_case and docs-example")
>>> [(o.test, o.status) for o in j.outcomes], j.verdict
([('docs-example-float64', 'passed'), ('docs-example-long-float64', 'passed')], 'incomplete')
"""

from __future__ import annotations

import dataclasses
import re
import traceback
from typing import Any, Callable, Iterator, Optional

from . import domain, hygiene, metamorphic
from .certificate import Ledger
from .fingerprint import first_failure, identify
from .generated import draw_case
from .grading import grade
from ...rounding import COMPLEX_DTYPES
from .options import BY_NAME, validate
from .outcome import Outcome, Stats
from .session import Session, Target
from .status import Status, Verdict

KINDS = ("case", "generated", "permutation", "independence", "scale-invariance", "hygiene", "fingerprint")
"""The suite's tests, in the order pytest collects them (``test_case``, ``test_generated``, ...)."""
HYGIENE_CHECKS = ("inputs_not_mutated", "no_aliasing", "instances_independent", "deterministic")
PROPERTIES: dict = {"permutation": metamorphic.permutation, "independence": metamorphic.independence,
                    "scale-invariance": metamorphic.scale_invariance}
GOLDEN_DATA = "golden-data"
"""The case standing for the golden replays when the golden data is missing or damaged."""
GENERATED_EXAMPLES = {"quick": 4, "default": 12, "thorough": 150}


# -- one test, one outcome ---------------------------------------------------------------------------
def _outcome(target: Target, test: str, dtype: Optional[str], status: Status, detail: str = "", **more: Any) -> Outcome:
    return Outcome(target.name, test, dtype, status, detail, convention=target.spec, **more)


def _real_only(target: Target, test: str, dtype: Optional[str]) -> Optional[Outcome]:
    """Skipped in a complex dtype: generated cases and the properties are real (the no-spec skip otherwise)."""
    if dtype in COMPLEX_DTYPES:
        return _outcome(target, test, dtype, Status.SKIPPED, f"{dtype}: the fixed complex cases and golden streams "
                                                               "only (generated cases and properties are real)")
    return _no_spec(target, test, dtype)


def _no_spec(target: Target, test: str, dtype: Optional[str]) -> Optional[Outcome]:
    if target.spec is not None:
        return None
    return _outcome(target, test, dtype, Status.SKIPPED, "no convention agrees with the candidate on the probes (see "
                                                    "the fingerprint test); certify it with an explicit --convention")


def oracle_error(target: Target, test: str, dtype: Optional[str], exc: Optional[BaseException] = None) -> Outcome:
    """An exception inside the oracle (or no verdict at all): never a verdict on the candidate."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) if exc else "no verdict was recorded"
    return _outcome(target, test, dtype, Status.ORACLE_ERROR,
                    f"ORACLE ERROR (a bug in rmsprop-oracle, not a verdict on the candidate) in {test}:\n{text}")


def golden_data_outcome(target: Target, error: str) -> Outcome:
    """The one failing test standing for golden replays that could not be built."""
    return _outcome(target, GOLDEN_DATA, None, Status.ORACLE_ERROR,
                    f"ORACLE ERROR: the golden replays could not be built: {error}")


def case_outcome(target: Target, case: Any, domains: Optional[dict] = None) -> Outcome:
    """The candidate follows the reference of one fixed case within the error bound.

    ``domains`` (a dict) receives ``{status: Domain}`` of what was graded (:mod:`.domain`)."""
    skip = _no_spec(target, case.id, case.dtype)
    if skip:
        return skip
    try:
        conv = target.conv(case)
    except ValueError as exc:
        return _outcome(target, case.id, case.dtype, Status.SKIPPED, f"not in the convention {target.spec}: {exc}")
    g = grade(target.candidate, conv, case, compute=target.compute)
    if domains is not None:
        domains.setdefault(domain.bucket(g.status), domain.Domain()).add(case, g.last_step)
    return _outcome(target, case.id, case.dtype, g.status, g.message, stats=g.stats, compared_steps=g.last_step,
                    steps=case.steps, diagnosis=g.diagnosis)


class OracleBug(Exception):
    """An exception inside the oracle while hypothesis runs an example (re-raised as an oracle error)."""


def generated_outcome(target: Target, dtype: str, profile: str, domains: Optional[dict] = None) -> Outcome:
    """Hypothesis-generated cases (shapes, hyperparameters, options, regimes) stay within the bound.

    ``domains`` receives ``{status: Domain}`` of the cases, when every example ran."""
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    test = f"generated-{dtype}"
    skip = _real_only(target, test, dtype)
    if skip:
        return skip
    seen: dict = {Status.PASSED: 0, Status.SKIPPED: 0, Status.DECLINED: 0, "declines": set(), "stats": Stats(),
                  "domains": {}}

    @settings(max_examples=GENERATED_EXAMPLES[profile], deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: Any) -> None:
        case = draw_case(data, dtype, target)
        try:
            conv = target.conv(case)
        except ValueError:  # not in the convention (as a fixed case: skipped)
            seen[Status.SKIPPED] += 1
            return
        try:
            g = grade(target.candidate, conv, case, compute=target.compute)
        except Exception as exc:
            raise OracleBug("".join(traceback.format_exception(exc))) from None
        if g.status == Status.FAILED:
            raise AssertionError(g.message)
        seen[g.status] += 1
        seen["domains"].setdefault(domain.bucket(g.status), domain.Domain()).add(case, g.last_step)
        if g.status == Status.DECLINED:
            seen["declines"].add(g.message)
        seen["stats"].merge(g.stats)

    try:
        run()
    except OracleBug as exc:
        return _outcome(target, test, dtype, Status.ORACLE_ERROR,
                        f"ORACLE ERROR (a bug in rmsprop-oracle) in a generated case:\n{exc}")
    except AssertionError as exc:
        return _outcome(target, test, dtype, Status.FAILED, f"hypothesis-generated case failed:\n{exc}")
    if domains is not None:
        domains.update(seen["domains"])
    if seen[Status.PASSED]:
        return _outcome(target, test, dtype, Status.PASSED, f"{seen[Status.PASSED]} generated cases graded",
                        stats=seen["stats"])
    if seen[Status.DECLINED]:
        return _outcome(target, test, dtype, Status.DECLINED, "; ".join(sorted(seen["declines"])))
    return _outcome(target, test, dtype, Status.SKIPPED,
                    "no generated case could be graded (all beyond the dtype's reach)")


def property_outcome(target: Target, dtype: str, name: str) -> Outcome:
    """A metamorphic property (``permutation``, ``independence``, ``scale-invariance``) in one dtype."""
    test = f"{name}-{dtype}"
    return _real_only(target, test, dtype) or _outcome(target, test, dtype, *PROPERTIES[name](target, dtype))


def hygiene_outcome(target: Target, dtypes: tuple, check: str) -> Outcome:
    """A state-hygiene check, in the first dtype the candidate does not decline."""
    out = None
    for dtype in dtypes:
        status, detail = getattr(hygiene, check)(target, dtype)
        out = _outcome(target, f"hygiene-{check}", None, status,
                       f"{detail} ({dtype})" if status != Status.FAILED else f"{dtype}: {detail}")
        if status != Status.DECLINED:
            break
    return out if out is not None else oracle_error(target, f"hygiene-{check}", None)


def fingerprint_outcome(target: Target, dtypes: tuple, cases: Optional[Callable] = None) -> Outcome:
    """The probes identify a convention agreeing with the candidate (its own preset for a built-in).

    When they do not (or disagree with a declared ``CONVENTION``), the failure names what the candidate
    behaves as, and the first divergence against the convention the other tests ran against with its
    most likely cause (:func:`.fingerprint.first_failure` over the probes, then ``cases(dtype)``).
    """
    fp = target.fingerprint or identify(target.candidate, dtypes)
    if target.builtin:
        ok = fp.matched and target.builtin in fp.equivalent
        detail = f"built-in {target.builtin}: {fp.header()}"
    else:
        ok = fp.matched
        detail = fp.header()
        if not ok and target.spec:
            found = first_failure(target.candidate, target.spec, dtypes, cases or (lambda dtype: []))
            what = "behaves as no known convention"
            if target.spec != fp.closest:  # the probes determine a spec (a preset with fields changed)
                what = f"behaves as no preset but as {target.spec} (determined by the probes)"
            if fp.declared:
                what = f"declares {fp.declared} but behaves as {fp.behaves or 'no known convention'}"
            if found is None and not fp.declared:
                found = f"no case fails: certify with --convention={target.spec}"
            detail = (f"{what}; against {target.spec}: {found or 'no case fails'}\n  fingerprint: {detail}"
                      f"\n  the other tests ran against {target.spec}")
    return _outcome(target, "fingerprint", None, Status.PASSED if ok else Status.FAILED, detail)


def attach_output(target: Target, outcome: Outcome) -> Outcome:
    """Count what the candidate printed during the test; a failure shows its last lines."""
    try:
        out = target.candidate.output()
    except Exception:  # the output is an extra; never let it hide the verdict
        out = {"bytes": 0, "text": ""}
    outcome.output_bytes = out["bytes"]
    if outcome.status == Status.FAILED and out["bytes"]:
        tail = "\n".join("    " + line for line in out["text"].rstrip().splitlines()[-12:])
        outcome.detail += f"\n  the candidate wrote {out['bytes']:,} bytes to stdout/stderr; the last lines:\n{tail}"
    return outcome


# -- the suite's tests, listed and run ---------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SuiteTest:
    """One test of the suite: its kind (``KINDS``), target, dtype and what it is about (case or check)."""

    kind: str
    target: str
    dtype: Optional[str] = None
    item: str = ""

    @property
    def golden_damage(self) -> bool:
        """The test standing for golden replays that could not be built (never hidden by a selection)."""
        return self.kind == "case" and self.item == GOLDEN_DATA

    @property
    def name(self) -> str:
        """The test's name in the certificate (``long-run-float64``, ``hygiene-no_aliasing``, ``fingerprint``)."""
        if self.kind == "case":
            return f"{self.item}-{self.dtype}" if self.dtype else self.item
        if self.kind == "hygiene":
            return f"hygiene-{self.item}"
        return f"{self.kind}-{self.dtype}" if self.dtype else self.kind

    @property
    def id(self) -> str:
        """pytest's parameter id of the test, e.g. ``T-long-run-float64`` (T: the target's name)."""
        parts = [self.target, self.item if self.kind == "case" else "", self.dtype or "",
                 self.item if self.kind == "hygiene" else ""]
        return "-".join(p for p in parts if p)

    @property
    def node(self) -> str:
        """The name pytest gives the test (what ``-k`` matches), e.g. ``test_case[T-long-run-float64]``."""
        return f"test_{self.kind.replace('-', '_')}[{self.id}]"


def suite_tests(session: Session) -> list:
    """Every test of the suite for ``session``, in pytest's collection order."""
    session.resolve()
    out: list = []
    for t in session.targets:
        out += [SuiteTest("case", t.name, d, c.name) for d in session.dtypes for c in session.cases(d) if t.applies(c)]
    if session.golden_error:
        out += [SuiteTest("case", t.name, None, GOLDEN_DATA) for t in session.targets]
    for kind in ("generated", "permutation", "independence", "scale-invariance"):
        out += [SuiteTest(kind, t.name, d) for t in session.targets for d in session.dtypes]
    out += [SuiteTest("hygiene", t.name, None, c) for c in HYGIENE_CHECKS for t in session.targets]
    out += [SuiteTest("fingerprint", t.name) for t in session.fingerprinted()]
    return out


def run_test(session: Session, test: SuiteTest, domains: Optional[dict] = None) -> Outcome:
    """The outcome of one test (an exception inside the oracle is an ``oracle-error`` outcome); ``domains``
    receives what its cases covered, as the suite records it."""
    target = session.target(test.target)
    try:
        if test.kind == "case":
            if test.item == GOLDEN_DATA:
                return golden_data_outcome(target, str(session.golden_error))
            out = case_outcome(target, session.case(test.dtype, test.item), domains)
        elif test.kind == "generated":
            out = generated_outcome(target, test.dtype, session.profile, domains)
        elif test.kind in PROPERTIES:
            out = property_outcome(target, test.dtype, test.kind)
        elif test.kind == "hygiene":
            out = hygiene_outcome(target, session.dtypes, test.item)
        else:
            out = fingerprint_outcome(target, session.dtypes, session.cases)
    except Exception as exc:
        out = oracle_error(target, test.name, test.dtype, exc)
    return attach_output(target, out)


def keyword_matcher(expression: str) -> Callable[[str], bool]:
    """pytest's ``-k`` grammar (``and``, ``or``, ``not``, parentheses; names matched as substrings,
    ignoring case) as a predicate on a test's name.

    >>> keyword_matcher("test_case and (long-run or stream-float64)")("test_case[x-long-run-float64-float64]")
    True
    """
    tokens = re.findall(r"\(|\)|[^\s()]+", expression)
    pos = 0

    def peek() -> Optional[str]:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError(f"-k expression {expression!r}: unexpected end")
        pos += 1
        return tokens[pos - 1]

    def disjunction() -> Callable[[str], bool]:
        parts = [conjunction()]
        while peek() == "or":
            take()
            parts.append(conjunction())
        return lambda name: any(p(name) for p in parts)

    def conjunction() -> Callable[[str], bool]:
        parts = [negation()]
        while peek() == "and":
            take()
            parts.append(negation())
        return lambda name: all(p(name) for p in parts)

    def negation() -> Callable[[str], bool]:
        token = take()
        if token == "not":
            inner = negation()
            return lambda name: not inner(name)
        if token == "(":
            inner = disjunction()
            if take() != ")":
                raise ValueError(f"-k expression {expression!r}: ')' expected")
            return inner
        if token in ("and", "or", ")"):
            raise ValueError(f"-k expression {expression!r}: unexpected {token!r}")
        return lambda name: token.lower() in name.lower()

    predicate = disjunction()
    if peek() is not None:
        raise ValueError(f"-k expression {expression!r}: unexpected {peek()!r}")
    return predicate


def options_from_argv(argv: Any) -> dict:
    """The plugin's command-line arguments (``--dtype=float64``, ``-k EXPR``, ``-x``) as :func:`judge` keywords.

    >>> options_from_argv(["--dtype=float64", "--case-timeout=1", "-k", "hygiene", "-x"])
    {'dtype': 'float64', 'case_timeout': '1', 'keyword': 'hygiene', 'stop_at_failure': True}
    """
    out: dict = {}
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "-k" and args:
            out["keyword"] = args.pop(0)
        elif arg in ("-x", "--exitfirst"):
            out["stop_at_failure"] = True
        elif arg.startswith("--") and "=" in arg and arg[2:].split("=")[0].replace("-", "_") in BY_NAME:
            name, _, value = arg[2:].partition("=")
            out[name.replace("-", "_")] = value
        else:
            raise ValueError(f"argument {arg!r}: the judge takes --OPTION=VALUE of the suite, -k EXPR and -x")
    return out


@dataclasses.dataclass
class Judgement:
    """What :func:`judge` found: the outcomes, and the ledger the certificate is written from."""

    session: Session
    outcomes: list
    ledger: Ledger

    @property
    def verdict(self) -> Verdict:
        """``certified``, ``failed``, ``error``, ``incomplete`` or ``nothing certified`` (as the certificate)."""
        return self.ledger.overall()

    @property
    def failures(self) -> list:
        """The failed tests and the oracle errors, in the order they ran."""
        return [o for o in self.outcomes if o.status.failure]

    def summary(self) -> str:
        """The certificate's summary, as the plugin prints it at the end of a pytest run."""
        return "\n".join(self.ledger.summary_lines(details=True))

    def certificate(self) -> dict:
        """The JSON certificate (:meth:`.certificate.Ledger.certificate`)."""
        return self.ledger.certificate()


def judge(optimizer: Optional[str] = None, *, keyword: Optional[str] = None, stop_at_failure: bool = False,
          progress: Optional[Callable[[SuiteTest, Outcome], None]] = None, **options: Any) -> Judgement:
    """Run the suite on ``optimizer`` (``MODULE:ATTR``; None: the built-in candidates) without pytest.

    ``options`` are the suite's (:data:`.options.OPTIONS`: ``convention``, ``dtype``,
    ``oracle_profile``, ``case_timeout``, ``isolation``, ...; ``certificate`` writes the
    JSON certificate).  ``keyword`` selects tests like pytest's ``-k`` (matched against
    :attr:`SuiteTest.node`); ``stop_at_failure`` stops after the first failure like ``-x``.
    Unselected tests make the verdict ``incomplete``, as they do under pytest.
    ``progress(test, outcome)`` is called after each test.  The candidate's worker is
    stopped at the end.
    """
    session = Session(validate({**options, "optimizer": optimizer}))
    ledger = Ledger()
    outcomes: list = []
    try:
        listed = suite_tests(session)
        chosen = listed if keyword is None else [t for t in listed if keyword_matcher(keyword)(t.node)]
        ledger.deselected = len(listed) - len(chosen)
        outcomes += _until_failure(chosen, session, stop_at_failure, ledger, progress)
    finally:
        session.close()
    ledger.targets = session.describe()
    ledger.options = session.settings.record()
    if ledger.overall() == Verdict.NOTHING_CERTIFIED:
        ledger.notes.append("exit status 1: nothing was certified (every case declined, skipped or deselected)")
    if session.settings.certificate:
        ledger.write(session.settings.certificate)
    return Judgement(session, outcomes, ledger)


def _until_failure(chosen: list, session: Session, stop: bool, ledger: Ledger,
                   progress: Optional[Callable[[SuiteTest, Outcome], None]]) -> Iterator[Outcome]:
    for k, test in enumerate(chosen):
        covered: dict = {}
        outcome = run_test(session, test, covered)
        if covered:
            per = ledger.domains.setdefault(test.target, {}).setdefault(test.dtype or "(checks)", {})
            domain.merge_into(per, {k: d.to_json() for k, d in covered.items() if d.cases})
        outcome.nodeid = test.node
        ledger.outcomes[test.node] = outcome
        ledger.pytest_counts[outcome.status.pytest] += 1
        if progress is not None:
            progress(test, outcome)
        yield outcome
        if stop and outcome.status.failure:
            ledger.interrupted = k + 1 < len(chosen)
            return
