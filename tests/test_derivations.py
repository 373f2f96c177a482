"""Derivations (a)-(c): sympy's results, and their numeric consequences on the example."""

import sympy

from oracle import derivations as d
from oracle.problems import docs_example as ex


def test_true_gradient_is_twice_the_documents_gradient():
    """d/dw (y - wx)^2 = -2x(y - wx), twice the documents' (y - wx)(-x)."""
    r = d.gradient()
    assert sympy.simplify(r["true"] - (-2 * d.x * (d.y - d.w * d.x))) == 0
    assert r["ratio"] == 2
    assert sympy.simplify(sympy.diff(r["docs_antiderivative"], d.w) - r["docs"]) == 0


def test_first_step_limit_is_eta_over_sqrt_one_minus_gamma():
    """As eps -> 0 the first step has size eta / sqrt(1 - gamma), independent of g_1."""
    r = d.first_step()
    assert sympy.simplify(r["limit"] - d.eta / sympy.sqrt(1 - d.gamma)) == 0
    assert d.g1 not in r["limit"].free_symbols


def test_first_step_closed_form_matches_certified_value():
    """The closed form at the example's numbers equals the certified w_1 to 50 digits."""
    r = d.first_step()
    dw = r["dw"].subs({d.eta: sympy.Rational(1, 10), d.gamma: sympy.Rational(9, 10),
                       d.eps: sympy.Rational(1, 10**8), d.g1: -8})
    w1 = ex.certified("docs", "decimal", steps=1).records[1]["params"][0].item()
    assert str(sympy.N(dw, 50)) == "0.31622776576978499128874988539527757325429725338424"
    assert w1.sci(50) == "3.1622776576978499128874988539527757325429725338424e-1"


def test_scale_identity_both_placements():
    """c*g with eps equals g with eps/c^2 (inside the root) and eps/c (outside)."""
    r = d.scale_identity()
    assert r["inside"] and r["outside"]
    assert r["inside_eps"] == d.eps / d.c**2 and r["outside_eps"] == d.eps / d.c


def test_missing_factor_two_is_the_same_as_four_eps():
    """The documents' gradient with eps gives the same certified w as the true gradient with 4 eps."""
    docs = ex.certified("docs", "decimal", steps=20)
    true4 = ex.certified("true", "decimal", steps=20, eps="4e-8")
    true1 = ex.certified("true", "decimal", steps=20)
    for a, b, c in zip(docs.records[1:], true4.records[1:], true1.records[1:]):
        wa, wb, wc = (r["params"][0].item() for r in (a, b, c))
        assert wa.sci(50) == wb.sci(50)
        assert wa.sci(50) != wc.sci(50)  # and eps does matter: not the same as the true gradient with eps


def test_derivations_render_as_text_and_latex():
    """Each derivation renders to plain text and to a LaTeX aligned block."""
    for der in d.all_derivations():
        assert der.text.startswith("(") and "\\begin{aligned}" in der.latex


def test_factor_two_consequence_is_certified_and_small():
    """The documents' run trails the true-gradient run by about 1.9e-10 to 3.2e-10 in w over 5 steps."""
    rows = ex.factor_two_consequence(digits=30)
    assert [t for t, *_ in rows] == [1, 2, 3, 4, 5]
    for t, wa, wb, diff in rows:
        assert diff.digits >= 30 and diff.hi < 0
        assert wa.mid() - wb.mid() - diff.mid() < diff.radius() + wa.radius() + wb.radius()
    assert rows[0][3].sci(5) == "-1.8529e-10"
