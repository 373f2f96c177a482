"""Hypothesis properties of the certified reference itself."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st
from option_support import draw_options

from oracle.conventions import PRESET_NAMES, preset
from oracle.engines.certify import certified_run

DIGITS = 25
floats = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def conventions(draw, eps=None):
    name = draw(st.sampled_from(PRESET_NAMES))
    opts = {"lr": draw(st.sampled_from(["0.01", "0.1", 0.3]))}
    opts.update(draw_options(draw, preset(name), centered=st.booleans(), momentum=st.sampled_from([0, "0.5", 0.9])))
    if eps is not None:
        opts["eps"] = eps
    if name == "graves2013" and eps == 0:
        opts["centered"] = False  # v - m^2 can be 0 exactly; keep the update defined
    return preset(name, **opts)


def stream(n_params, steps):
    return st.lists(st.lists(floats.filter(lambda g: abs(g) > 1e-3), min_size=n_params, max_size=n_params),
                    min_size=steps, max_size=steps)


def params_of(run, k, i):
    return run.records[k]["params"][i].item()


def same(a, b):
    if a.is_zero or b.is_zero:
        return a.is_zero and b.is_zero
    return a.sci(DIGITS) == b.sci(DIGITS)


@given(conventions(eps=0), stream(1, 4), st.sampled_from([Fraction(1, 8), Fraction(3), Fraction(1000, 7)]))
def test_gradient_scale_invariance_when_eps_is_zero(conv, grads, c):
    """With eps = 0 and v0 = 0, feeding c*g gives the same parameters as g."""
    if conv.exact("v0") != 0 or conv.centered:
        conv = conv.replace(v0=0, centered=False, momentum=conv.momentum if "momentum" in conv.option_sets() else 0)
    a = certified_run(conv, ["0.25"], grads=[[Fraction(g[0])] for g in grads], steps=len(grads), digits=DIGITS)
    b = certified_run(conv, ["0.25"], grads=[[c * Fraction(g[0])] for g in grads], steps=len(grads), digits=DIGITS)
    for k in range(1, len(grads) + 1):
        assert same(params_of(a, k, 0), params_of(b, k, 0))


@given(conventions(), stream(2, 3), floats, floats)
def test_parameters_evolve_independently(conv, grads, p1, p2):
    """Running two parameters together equals running each alone."""
    both = certified_run(conv, [p1, p2], grads=grads, steps=3, digits=DIGITS)
    one = certified_run(conv, [p1], grads=[[g[0]] for g in grads], steps=3, digits=DIGITS)
    two = certified_run(conv, [p2], grads=[[g[1]] for g in grads], steps=3, digits=DIGITS)
    for k in range(1, 4):
        assert same(params_of(both, k, 0), params_of(one, k, 0))
        assert same(params_of(both, k, 1), params_of(two, k, 0))


@given(conventions(), stream(3, 3), st.permutations([0, 1, 2]))
def test_permuting_parameters_permutes_results(conv, grads, perm):
    """Permuting the parameter list (and its gradients) permutes the results the same way."""
    p0 = ["1", "-0.5", "2.25"]
    a = certified_run(conv, p0, grads=grads, steps=3, digits=DIGITS)
    b = certified_run(conv, [p0[i] for i in perm], grads=[[g[i] for i in perm] for g in grads], steps=3,
                      digits=DIGITS)
    for k in range(1, 4):
        for j, i in enumerate(perm):
            assert same(params_of(a, k, i), params_of(b, k, j))


@given(conventions(), stream(1, 4))
def test_two_precisions_agree_on_all_certified_digits(conv, grads):
    """A 20-digit and a 60-digit run agree on every digit both certify."""
    lo = certified_run(conv, ["0.5"], grads=grads, steps=4, digits=20)
    hi = certified_run(conv, ["0.5"], grads=grads, steps=4, digits=60)
    assert hi.prec > lo.prec
    for k in range(1, 5):
        a, b = params_of(lo, k, 0), params_of(hi, k, 0)
        d = min(a.digits or 0, b.digits or 0)
        assert d >= 20 and a.sci(d) == b.sci(d)
