"""Conventions as data (issue 16, deliverable 4): every field round-trips through a spec (numbers exactly
where their N/D fits a spec number's 200 characters: floats from 1e-12 up), the new fields
(fixed_eps, compute, hyper_dtype) certify emulations of real deviations, --hyperparameters=auto probes under
any convention, and the rerun command keeps every option.  Direct calls only."""

import dataclasses
import types
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from oracle.conformance import mistakes
from oracle.conformance.candidate import Candidate
from oracle.conformance.cases import builtin_cases
from oracle.conformance.grading import grade
from oracle.conformance.session import Session
from oracle.conformance.suite import rerun_command
from oracle.conventions import HYPERPARAMETERS, OPTIONS, PRESET_NAMES, Convention, parse, preset

NUMBERS = {
    "lr": st.one_of(st.sampled_from(["0.1", "1e-3", "10"]), st.floats(1e-6, 10), st.fractions(0, 10, max_denominator=10**6)),
    "rho": st.one_of(st.sampled_from(["0.9", "0.99"]), st.floats(1e-12, 0.999),
                     st.fractions(0, Fraction(99, 100), max_denominator=10**6)),
    "eps": st.one_of(st.sampled_from(["1e-8", "0"]), st.floats(1e-12, 1e-2)),
    "v0": st.sampled_from([0, 1, "0.5", 0.1]),
    "momentum": st.one_of(st.just(0), st.floats(1e-12, 0.99)),
    "weight_decay": st.one_of(st.just(0), st.floats(1e-12, 1)),
    "fixed_eps": st.one_of(st.none(), st.sampled_from(["1e-7", "0"]), st.floats(1e-12, 1e-3)),
}
CHOICES = {
    "eps_placement": ["inside", "outside"],
    "eps_placement_with_momentum": ["same", "inside", "outside"],
    "hyperparameters": ["exact", "float32", "float32_lr", "float32:rho+eps", "float32:momentum+weight_decay"],
    "compute": ["", "float32", "float16"],
    "hyper_dtype": ["", "param"],
}


def _field(f: dataclasses.Field):
    if f.name in NUMBERS:
        return NUMBERS[f.name]
    if f.name in CHOICES:
        return st.sampled_from(CHOICES[f.name])
    if f.name == "allows":
        return st.frozensets(st.sampled_from(OPTIONS))
    if isinstance(f.default, bool):
        return st.booleans()
    return st.just(f.default)  # a field this test does not know yet keeps its default (still compared below)


FIELDS = [f for f in dataclasses.fields(Convention) if f.name not in ("name", "source")]


@st.composite
def conventions(draw):
    name = draw(st.sampled_from(PRESET_NAMES))
    changes = {f.name: draw(_field(f)) for f in FIELDS if draw(st.booleans())}
    try:
        return preset(name, **changes)
    except ValueError:
        return preset(name, **{k: v for k, v in changes.items() if k in ("eps_placement", "v0", "hyperparameters")})


def _same(a: Convention, b: Convention, field: str) -> bool:
    x, y = getattr(a, field), getattr(b, field)
    if field in HYPERPARAMETERS or field == "fixed_eps":
        return (x is None) == (y is None) and (x is None or Fraction(str(Fraction(x) if isinstance(x, float) else x))
                                               == Fraction(str(Fraction(y) if isinstance(y, float) else y)))
    return x == y


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(conventions())
def test_every_field_round_trips(conv):
    again = parse(conv.spec(values=True))
    assert all(_same(again, conv, f.name) for f in FIELDS), (conv, conv.spec(values=True), again)
    base = preset(conv.name)
    if not all(o in conv.allows for o, on in (("centered", base.centered), ("momentum", base.has_momentum)) if on):
        return  # the structure alone cannot be read back with the preset's own option values (graves2013)
    structure = parse(conv.spec())
    assert all(_same(structure, conv, f.name) for f in FIELDS if f.name not in ("lr", "rho", "eps", "momentum",
                                                                                 "weight_decay", "centered"))


def test_allows_survives():
    assert parse("tf1,allows=weight_decay").spec() == "tf1,allows=weight_decay"
    assert parse("pytorch,fixed_eps=1e-7,compute=float32,hyper_dtype=param").spec() == \
        "pytorch,fixed_eps=1e-7,compute=float32,hyper_dtype=param"
    with pytest.raises(ValueError, match="compute must be one of"):
        parse("pytorch,compute=float8")


@pytest.mark.parametrize("spec, name, dtype, named", [
    ("pytorch,compute=float32", "float32_compute", "float64", "compute-float32"),
    ("pytorch,fixed_eps=1e-7", "fixed_eps", "float64", "fixed-eps-1e-07"),
    ("pytorch,hyper_dtype=param", "hyper_in_dtype", "float16", None),
])
def test_deviation_certified_under_its_field(spec, name, dtype, named):
    c = Candidate(f"mutants.deviations:{name}", isolation="inline")
    cases = builtin_cases(dtype, "quick")[:9]
    held = [grade(c, parse(spec).replace(**k.hyper, **k.options), k) for k in cases]
    assert {g.status for g in held} <= {"passed", "skipped"} and "passed" in {g.status for g in held}, \
        [g.message for g in held if g.status == "failed"]
    if named is None:  # within float16's bound under the plain convention too (measured; no false rejection)
        return
    plain = [grade(c, parse(spec.split(",")[0]).replace(**k.hyper, **k.options), k) for k in cases[:3]]
    cause = next(m.cause for m in mistakes.catalogue(parse("pytorch")) if m.name == named)
    assert all(g.status == "failed" and g.cause.startswith(f"most likely cause: {cause}") for g in plain), \
        [g.cause for g in plain]


def test_declared_fixed_eps_is_identified_under_auto():
    """A framework whose eps is a constant declares it, and the probes then use it: auto agrees."""
    from oracle.conformance.fingerprint import identify

    c = Candidate("mutants.deviations:fixed_eps", isolation="inline")
    fp = identify(c, ("float64", "float32"))
    assert fp.matched and fp.spec == "pytorch,fixed_eps=1e-7", fp.header()


def test_hyperparameters_auto_under_an_explicit_convention():
    s = Session({"optimizer": "mutants.wrong:float32_hyperparameters", "convention": "seed,v0=0",
                 "hyperparameters": "auto", "dtype": "float64", "isolation": "inline"})
    try:
        (t,) = s.targets
        s.resolve()
        assert t.spec == "seed,float32=all" and "rounding float32 identified by probes" in t.how
    finally:
        s.close()


def test_rerun_keeps_every_option():
    opts = {"optimizer": "mutants.right:torch_style", "convention": "pytorch", "hyperparameters": "float32_lr",
            "dtype": "float32", "isolation": "inline", "case_timeout": 5, "oracle_profile": "quick",
            "hyperparameter_names": "alpha=rho", "certificate": "c.json"}
    session = Session.__new__(Session)  # no candidate is loaded: only the options are read
    session.opts = opts
    config = types.SimpleNamespace(stash={})
    from oracle.conformance.session import _stash_key

    config.stash[_stash_key()] = session
    node = types.SimpleNamespace(originalname="test_case", path="suite.py", name="test_case[x]")
    target = types.SimpleNamespace(spec="pytorch,float32=lr", builtin=None)
    cmd = rerun_command(types.SimpleNamespace(config=config, node=node), target, "float32")
    for flag in ("--optimizer=mutants.right:torch_style", "--hyperparameters=float32_lr", "--isolation=inline",
                 "--case-timeout=5", "--oracle-profile=quick", "--hyperparameter-names=alpha=rho",
                 "--dtype=float32", "--convention=pytorch,float32=lr"):
        assert flag in cmd, cmd
    assert "certificate" not in cmd
