"""Symbolic derivations behind the source documents' example, done by sympy.

Each function returns a :class:`Derivation`: named sympy results plus the
derivation as plain text (``.text``) and LaTeX (``.latex``).  Nothing here is
typed in by hand: every equation shown is an expression sympy computed, and
the tests check each one (and its numbers against the interval reference).

(a) The gradient of L = (y - w x)^2 is -2x(y - w x); the documents write
    (y - w x)(-x), the gradient of (1/2)(y - w x)^2:

>>> d = gradient()
>>> d["true"], d["docs_antiderivative"]
(2*x*(w*x - y), (w*x - y)**2/2)

(b) The first step from G0 = 0 in closed form, and its eps -> 0 limit:
    |dw| = eta / sqrt(1 - gamma), whatever the first gradient (if nonzero):

>>> first_step()["limit"]
eta/sqrt(1 - gamma)

(c) Scale identity: gradients c*g with eps give the same parameters as g with
    eps/c^2 (eps inside the root; eps/c outside), v0 = 0.  The documents'
    gradient is half the true one (c = 1/2), so the documents' run with eps is
    the true-gradient run with 4 eps, and the true run (c = 2) is the
    documents' gradient with eps/4:

>>> scale_identity()["inside"]
True
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sympy

x, y, w = sympy.symbols("x y w", real=True)
eta, gamma, eps, c = sympy.symbols("eta gamma epsilon c", positive=True)
g1 = sympy.symbols("g_1", real=True, nonzero=True)


@dataclasses.dataclass
class Derivation:
    """Named sympy results and the derivation as lines of text and of LaTeX."""

    title: str
    results: dict
    lines: list  # (plain text, latex) pairs

    def __getitem__(self, key: str) -> Any:
        return self.results[key]

    @property
    def text(self) -> str:
        return "\n".join([self.title, *(f"  {t}" for t, _ in self.lines)])

    @property
    def latex(self) -> str:
        body = " \\\\\n".join(l for _, l in self.lines)
        return f"% {self.title}\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}"


def _eq(lhs: str, rhs: Any, lhs_latex: str) -> tuple[str, str]:
    return f"{lhs} = {sympy.sstr(rhs)}", f"{lhs_latex} &= {sympy.latex(rhs)}"


def gradient() -> Derivation:
    """(a) dL/dw for L = (y - w x)^2, against the documents' (y - w x)(-x)."""
    loss = (y - w * x) ** 2
    true = sympy.factor(sympy.diff(loss, w))
    docs = (y - w * x) * (-x)
    anti = sympy.integrate(docs, w)
    # the antiderivative up to a constant in w: fix it to vanish at w = y/x
    anti = sympy.factor(anti - anti.subs(w, y / x))
    ratio = sympy.simplify(true / docs)
    results = {"loss": loss, "true": true, "docs": docs, "docs_antiderivative": anti, "ratio": ratio}
    lines = [
        _eq("L", loss, "L"),
        _eq("dL/dw", true, r"\frac{\partial L}{\partial w}"),
        _eq("g_docs", docs, r"g_{\mathrm{docs}}"),
        _eq("integral of g_docs dw", anti, r"\int g_{\mathrm{docs}}\,dw"),
        _eq("(dL/dw) / g_docs", ratio, r"\frac{\partial L/\partial w}{g_{\mathrm{docs}}}"),
    ]
    return Derivation("(a) gradient of L = (y - w x)^2", results, lines)


def first_step() -> Derivation:
    """(b) w1 - w0 from G0 = 0 in closed form, and its eps -> 0 limit."""
    k = sympy.Symbol("k", positive=True)  # k = 1 - gamma > 0 while solving
    G1 = (1 - gamma) * g1**2
    dw = -eta * g1 / sympy.sqrt(G1 + eps)
    mag = sympy.Abs(dw.subs(gamma, 1 - k))
    limit = sympy.simplify(sympy.limit(mag, eps, 0, "+")).subs(k, 1 - gamma)
    results = {"G1": G1, "dw": dw, "limit": limit}
    lines = [
        _eq("G_1", G1, "G_1"),
        _eq("w_1 - w_0", dw, "w_1 - w_0"),
        _eq("lim_{eps->0} |w_1 - w_0|", limit, r"\lim_{\epsilon\to 0}|w_1 - w_0|"),
    ]
    return Derivation("(b) the first step from G_0 = 0", results, lines)


def scale_identity() -> Derivation:
    """(c) One step with c*g and eps equals one step with g and eps/c^2 (inside).

    By induction (v scales by c^2 each step, v0 = 0) the whole parameter
    trajectory agrees; in closed loop the gradient map itself scales by c.
    """
    g, v, p = sympy.symbols("g v p", real=True)
    v = sympy.Symbol("v", nonnegative=True)
    rho = sympy.Symbol("rho", positive=True)

    def inside(grad: Any, vprev: Any, e: Any) -> tuple[Any, Any]:
        vn = rho * vprev + (1 - rho) * grad**2
        return vn, p - eta * grad / sympy.sqrt(vn + e)

    def outside(grad: Any, vprev: Any, e: Any) -> tuple[Any, Any]:
        vn = rho * vprev + (1 - rho) * grad**2
        return vn, p - eta * grad / (sympy.sqrt(vn) + e)

    results = {}
    lines = []
    for name, f, scaled_eps in (("inside", inside, eps / c**2), ("outside", outside, eps / c)):
        v_a, p_a = f(c * g, c**2 * v, eps)
        v_b, p_b = f(g, v, scaled_eps)
        same_v = sympy.simplify(v_a - c**2 * v_b) == 0
        same_p = sympy.simplify(p_a - p_b) == 0
        results[name] = bool(same_v and same_p)
        results[f"{name}_eps"] = scaled_eps
        lines.append(
            (
                f"eps {name} the root: step(c g, c^2 v, eps) = step(g, v, {sympy.sstr(scaled_eps)}): {results[name]}",
                rf"\text{{eps {name}}}:\ \mathrm{{step}}(c g, c^2 v, \epsilon) &= "
                rf"\mathrm{{step}}(g, v, {sympy.latex(scaled_eps)})",
            )
        )
    return Derivation("(c) the scale identity", results, lines)


def all_derivations() -> list[Derivation]:
    return [gradient(), first_step(), scale_identity()]
