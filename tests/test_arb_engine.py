"""The fast certified engine (python-flint Arb balls): the same certified digits as the mpmath
definition, every golden file regenerated identically, precision kept local."""

import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from option_support import fullest

flint = pytest.importorskip("flint")

from oracle.conventions import PRESET_NAMES, preset  # noqa: E402
from oracle.engines.certify import arb as A  # noqa: E402
from oracle.engines.certify import CertifiedValue, certified_run, resolve_engine  # noqa: E402
from oracle.golden import GOLDEN_DIR, cases  # noqa: E402
from oracle.problems import docs_example as ex  # noqa: E402
from oracle.problems import quadratic as q  # noqa: E402
from oracle.rounding import agreeing_digits  # noqa: E402

PROVENANCE = ("working_precision_bits", "sha256", "mpmath_version", "sympy_version", "package_version")
"""Header fields allowed to differ between engines: the working precision, the tool versions, and the
hash (which covers them).  Every other byte of the canonical text must be identical."""
QUICK = ["docs-docs-decimal-200", "stream-pytorch-centered", "stream-graves2013-centered-momentum",
         "quadratic-tf1-momentum", "quadratic-mxnet-weight-decay", "gluon-V3-R3", "gluon-V6-R6-intended"]


def comparable(text: str) -> str:
    doc = json.loads(text)
    for key in PROVENANCE:
        doc["header"].pop(key, None)
    return json.dumps(doc, sort_keys=True)


def build_with(engine: str, name: str, monkeypatch) -> str:
    monkeypatch.setenv("ORACLE_ENGINE", engine)
    return cases.build(name)


@pytest.mark.parametrize("name", QUICK)
def test_golden_cases_regenerate_identically_through_arb(name, monkeypatch):
    """Representative golden files (open and closed loop, every option, Gluon) rebuilt by Arb."""
    disk = (GOLDEN_DIR / f"{name}.json").read_text(encoding="ascii")
    assert comparable(build_with("arb", name, monkeypatch)) == comparable(disk)


@pytest.mark.slow
def test_every_golden_case_regenerates_identically_through_arb(monkeypatch):
    """Every non-long golden case (--run-slow; the long one: --run-slow takes it too, 1 minute)."""
    names = [n for n, c in cases.all_cases().items()]
    for name in names:
        disk = (GOLDEN_DIR / f"{name}.json").read_text(encoding="ascii")
        assert comparable(build_with("arb", name, monkeypatch)) == comparable(disk), name


def _values(run):
    for rec in run.records:
        arrays = list(rec["params"]) + [a for v in rec["state"].values() for a in v]
        arrays += list(rec["grads"] or [])
        for a in arrays:
            yield from np.asarray(a, dtype=object).reshape(-1)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_same_certified_values_as_the_definition(name):
    """Open and closed loop, every preset with all its options: identical digits and floats."""
    conv = preset(name, lr="0.01", rho="0.9", eps="1e-8", **fullest(preset(name), momentum="0.5", weight_decay="0.01"))
    rng = np.random.default_rng(4)
    grads = [[rng.standard_normal(3)] for _ in range(15)]
    for kw in (dict(grads=grads, steps=15), dict(grad_fn=q.grad_fn(), steps=15)):
        p0 = [rng.uniform(-1, 1, 3)] if "grads" in kw else [list(q.P0)]
        a = certified_run(conv, p0, digits=40, engine="mpmath", **kw)
        b = certified_run(conv, p0, digits=40, engine="arb", **kw)
        assert a.prec == b.prec
        for x, y in zip(_values(a), _values(b)):
            assert (x.is_zero, x.sci(40) if not x.is_zero else "0") == (y.is_zero, y.sci(40) if not y.is_zero else "0")
            assert x.binary("float64") == y.binary("float64") and x.binary("float32") == y.binary("float32")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(1, 60), st.integers(-300, 300), st.integers(1, 2**200), st.integers(0, 2**40),
       st.integers(0, 400))
def test_accuracy_threshold_implies_the_certified_digits(digits, exp, man, rad, shift):
    """Arb's relative accuracy >= threshold_bits(D) implies agreeing_digits >= D (method, step 3)."""
    with A.precision(900):
        x = flint.arb(man) * flint.arb(2) ** exp
        ball = flint.arb(x.mid(), flint.arb(rad) * flint.arb(2) ** (exp - shift))
        cv = A.BallValue(ball, digits + 10)
        if ball.rel_accuracy_bits() >= A.threshold_bits(digits):
            assert cv.digits >= digits
        assert cv.lo <= Fraction(man) * Fraction(2) ** exp <= cv.hi


def test_precision_is_restored_and_mpmath_untouched():
    """The run sets flint's precision only for its duration; mpmath's global state never changes."""
    before = (flint.ctx.prec, mpmath.mp.prec, mpmath.iv.prec)
    certified_run(preset("seed"), [0], grads=[[1]], steps=1, digits=200, engine="arb")
    assert (flint.ctx.prec, mpmath.mp.prec, mpmath.iv.prec) == before


def test_docs_example_through_arb():
    """The documents' example (closed loop) at 50 digits equals the README's value."""
    run = certified_run(ex.convention("decimal"), [ex.W0], grad_fn=ex.grad_fn("docs"), steps=5, engine="arb")
    assert run.records[5]["params"][0].item().sci(50) == "9.5107269803292540908356040117627183514623562385978e-1"
    assert isinstance(run.records[5]["params"][0].item(), CertifiedValue)


def test_undefined_update_and_shapes_as_the_definition():
    """0/0 is reported as in the mpmath engine; 0-d, empty and 2-D arrays keep their shapes."""
    with pytest.raises(ArithmeticError, match="the update is undefined at step 1"):
        certified_run(preset("seed", eps=0), [0], grads=[[0]], steps=1, digits=20, engine="arb")
    params = [np.zeros((2, 3)), np.float64(1.5), np.zeros((0,))]
    grads = [[np.ones((2, 3)), np.float64(-1), np.zeros((0,))]]
    run = certified_run(preset("keras"), params, grads=grads, steps=1, digits=20, engine="arb")
    assert [p.shape for p in run.records[1]["params"]] == [(2, 3), (), (0,)]
    w1 = certified_run(preset("seed", lr="0.5", rho="0.75", eps=0), [0], grads=[[4]], steps=1, digits=20,
                       engine="arb").records[1]["params"][0].item()
    assert w1.exact == -1 and w1.digits == 30


def test_engine_selection(monkeypatch):
    """engine= and ORACLE_ENGINE pick the engine; a wrong name is refused."""
    assert resolve_engine("mpmath") == "mpmath" and resolve_engine("arb") == "arb"
    monkeypatch.setenv("ORACLE_ENGINE", "mpmath")
    assert resolve_engine() == "mpmath"
    monkeypatch.setenv("ORACLE_ENGINE", "auto")
    assert resolve_engine() == "arb"
    with pytest.raises(ValueError, match="engine must be one of"):
        resolve_engine("gpu")


def test_a_ball_converts_to_the_exact_enclosure():
    """BallValue's endpoints are mid -/+ rad exactly, and agree with agreeing_digits."""
    with A.precision(100):
        b = flint.arb(1) / 3
    cv = A.BallValue(b, 40)
    assert cv.lo < Fraction(1, 3) < cv.hi
    assert cv.digits == agreeing_digits(cv.lo, cv.hi, 40) >= 29
