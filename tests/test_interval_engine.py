"""The certified reference: digits are right, precision is local, failures are clear."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from oracle.conventions import preset
from oracle.engines.certify import CertifiedValue, certified_run
from oracle.engines.certify.interval import IntervalArith, mpf_to_fraction
from oracle.rounding import format_sci


def independent_seed_run(lr, rho, eps, w0, grads, dps=300):
    """A separate transcription of v = rho v + (1-rho) g^2; w -= lr g / sqrt(v + eps) in mpmath."""
    ctx = mpmath.mp.clone()
    ctx.dps = dps
    q = lambda f: ctx.mpf(f.numerator) / f.denominator
    w, v, out = q(w0), ctx.mpf(0), []
    for g in grads:
        g = q(g)
        v = q(rho) * v + (1 - q(rho)) * g * g
        w = w - q(lr) * g / ctx.sqrt(v + q(eps))
        out.append(w)
    return out


def test_certified_digits_match_an_independent_high_precision_run():
    """Every certified decimal equals a 300-digit independent computation rounded the same way."""
    rng = np.random.default_rng(1)
    grads = [Fraction(float(x)) for x in rng.standard_normal(60)]
    run = certified_run(preset("seed"), [0.5], grads=[[g] for g in grads], steps=60, digits=50)
    ref = independent_seed_run(Fraction(1, 10), Fraction(9, 10), Fraction(1, 10**8), Fraction(1, 2), grads)
    for rec, exact in zip(run.records[1:], ref):
        cv = rec["params"][0].item()
        assert cv.digits >= 50
        assert cv.sci(50) == format_sci(mpf_to_fraction(exact), 50)


def test_two_precisions_agree_on_every_certified_digit():
    """A run at 30 digits and one at 80 digits publish the same leading digits."""
    grads = [[Fraction(k % 7 - 3, 4)] for k in range(40)]
    low = certified_run(preset("pytorch", centered=True, momentum=0.5), [1], grads=grads, steps=40, digits=30)
    high = certified_run(preset("pytorch", centered=True, momentum=0.5), [1], grads=grads, steps=40, digits=80)
    for a, b in zip(low.records[1:], high.records[1:]):
        for name in ("v", "m", "b"):
            x, y = a["state"][name][0].item(), b["state"][name][0].item()
            d = min(x.digits, y.digits)
            assert x.sci(d) == y.sci(d)


def test_precision_never_leaks_into_global_mpmath_state():
    """Running the engine leaves mpmath.mp and mpmath.iv precision untouched."""
    before = (mpmath.mp.prec, mpmath.iv.prec)
    certified_run(preset("seed"), [0], grads=[[1]], steps=1, digits=200)
    IntervalArith(5000)
    assert (mpmath.mp.prec, mpmath.iv.prec) == before


def test_exact_values_are_points_and_zero_is_exact():
    """w0 = 0 is published as '0'; an exactly representable result has all digits certified."""
    run = certified_run(preset("seed", lr="0.5", rho="0.75", eps=0), [0], grads=[[4]], steps=1, digits=20)
    assert run.records[0]["params"][0].item().sci() == "0"
    w1 = run.records[1]["params"][0].item()
    assert w1.exact == -1 and w1.digits == 30 and w1.sci(20) == "-1.0000000000000000000e0"


def test_zero_over_zero_is_reported_not_looped():
    """eps = 0 with a zero gradient and zero accumulator is an undefined update, reported at once."""
    with pytest.raises(ArithmeticError, match="the update is undefined at step 1"):
        certified_run(preset("seed", eps=0), [0], grads=[[0]], steps=1, digits=20)


def test_more_digits_than_certified_are_refused():
    """sci(d) refuses d above the certified count and says how many are certified."""
    cv = CertifiedValue(Fraction(12341, 10000), Fraction(12346, 10000))
    assert cv.digits == 3
    with pytest.raises(ValueError, match="digits=5 asked for, but only 3 are certified"):
        cv.sci(5)
    assert cv.fixed(2) == "1.23"
    with pytest.raises(ValueError, match=r"3 decimals are not certified: the value lies in \[1.234, 1.235\]"):
        cv.fixed(3)


def test_binary_value_is_published_only_when_certified():
    """binary() returns the correctly rounded float, or None if the enclosure spans two floats."""
    x = Fraction(1, 10)
    assert CertifiedValue(x - Fraction(1, 10**30), x + Fraction(1, 10**30)).binary("float64") == 0.1
    assert CertifiedValue(Fraction(1), Fraction(1) + Fraction(2) ** -40).binary("float64") is None
    assert CertifiedValue(x, x).binary("float32") == float(np.float32(0.1))


def test_shapes_and_several_arrays():
    """Any number of parameter arrays of any shape, including 0-d and empty, keep their shapes."""
    params = [np.zeros((2, 3)), np.float64(1.5), np.zeros((0,))]
    grads = [[np.ones((2, 3)), np.float64(-1), np.zeros((0,))]]
    run = certified_run(preset("keras"), params, grads=grads, steps=1, digits=20)
    assert [p.shape for p in run.records[1]["params"]] == [(2, 3), (), (0,)]


def test_bad_inputs_name_the_problem():
    """Mismatched gradient shapes and bad digit counts are ValueErrors with the values."""
    with pytest.raises(ValueError, match=r"grads\[0\] shapes"):
        certified_run(preset("seed"), [np.zeros(2)], grads=[[np.zeros(3)]], steps=1)
    with pytest.raises(ValueError, match="digits must be a positive int, got 0"):
        certified_run(preset("seed"), [0], grads=[[1]], steps=1, digits=0)
    with pytest.raises(ValueError, match="must be a finite number, got nan"):
        certified_run(preset("seed"), [float("nan")], grads=[[1]], steps=1)


def test_a_shorter_length_is_checked_at_that_length():
    """Endpoints agreeing at 7 digits but straddling a 2-digit tie refuse sci(2)."""
    cv = CertifiedValue(Fraction(12499999, 10**7), Fraction(12500001, 10**7))
    assert cv.digits == 7 and cv.sci(6) == "1.25000e0"
    with pytest.raises(ValueError, match="digits=2 is not certified: the enclosure straddles a 2-digit rounding tie"):
        cv.sci(2)


def test_the_rung_that_ran_is_reported(monkeypatch):
    """A run names the rung of the certified ladder that computed it; golden regen --verbose collects them."""
    from oracle.engines.certify import RUNGS, engines_used, run_rung
    from oracle.golden import store

    with engines_used() as used:
        run = certified_run(preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30, engine="mpmath")
        forced = run_rung("mpmath", preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30)
    assert run.engine == forced.engine == "mpmath" and used == ["mpmath", "mpmath"] and "mpmath" in RUNGS
    assert [r["params"][0][0].sci(30) for r in run.records] == [r["params"][0][0].sci(30) for r in forced.records]
    with pytest.raises(ValueError, match="rung must be one of"):
        run_rung("gpu", preset("seed"), [0], grads=[[1]], steps=1)
    monkeypatch.setenv("ORACLE_ENGINE", "mpmath")
    engines: dict = {}
    store.compute(["docs-docs-decimal-5"], jobs=1, progress=False, engines=engines)
    assert engines == {"docs-docs-decimal-5": "mpmath"}


def test_one_argument_check_for_every_rung():
    """The ladder checks the arguments once, with the same messages, whatever the engine."""
    for engine in ("mpmath", "auto"):
        with pytest.raises(ValueError, match="digits must be a positive int"):
            certified_run(preset("seed"), [0], grads=[[1]], steps=1, digits=0, engine=engine)
        with pytest.raises(ValueError, match="exactly one of grads"):
            certified_run(preset("seed"), [0], steps=1, engine=engine)
        with pytest.raises(ValueError, match="fewer than steps=2"):
            certified_run(preset("seed"), [0], grads=[[1]], steps=2, engine=engine)
