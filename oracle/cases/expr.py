"""Loss and gradient expressions of a user case: parsed safely, differentiated exactly, run in every engine.

An expression is arithmetic in the case's parameter and data names: ``+ - * /``,
parentheses, numbers (exact: ``0.1`` is 1/10) and integer powers ``**n`` with
|n| <= :data:`MAX_POWER` written as a literal.  An element of an array is
``p[0]`` or ``X[1, 0]``.  Nothing else is accepted -- no function, attribute,
string or other name -- and the text is checked token by token *before* sympy
reads it (``sympy.parsing.sympy_parser.parse_expr`` with a local dictionary of
symbols only and no builtins), so reading a case file evaluates no code.

A loss is differentiated exactly by sympy (data substituted as exact rationals
first); each partial derivative is then evaluated, operation by operation in
sympy's canonical order, with the context operations of
:mod:`oracle.algorithm` (``ar.const``, ``+``, ``-``, ``*``, ``/``), so the same
gradient feeds the certified engines, the floats and the error bound.

>>> e = Expression.parse("(y - w*x)**2", {"w": ()}, {"x": 2, "y": 4})
>>> e.gradient()
{'w': '8*w - 16'}
>>> from oracle.engines.floating import FloatArith
>>> import numpy as np
>>> e.grad_fn()(FloatArith("float64"), [np.array(0.5)])[0].tolist()
-12.0
>>> Expression.parse("__import__('os')", {"w": ()}, {})
Traceback (most recent call last):
...
ValueError: '__import__' is not a parameter or data name (names: w)
"""

from __future__ import annotations

import difflib
import io
import itertools
import tokenize
from fractions import Fraction
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

MAX_CHARS = 20000
"""The longest expression accepted."""
MAX_POWER = 64
"""The largest integer exponent accepted."""
OPS = {"+", "-", "*", "/", "**", "(", ")", "[", "]", ","}


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=2)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _element_name(name: str, index: tuple) -> str:
    return f"{name}[{', '.join(str(i) for i in index)}]" if index else name


def _tokens(text: str) -> list:
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                                  tokenize.DEDENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError) as err:
        raise ValueError(f"cannot read the expression: {err}") from None
    return toks


def rewrite(text: str, shapes: Mapping[str, tuple]) -> tuple[str, dict, list]:
    """The expression with each number and array element replaced by a placeholder name.

    Returns (code, numbers: placeholder -> Fraction, elements: [(placeholder, name, index)]).
    ``ValueError`` names the first token that is not allowed.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"an expression must be a non-empty string, got {text!r}")
    if len(text) > MAX_CHARS:
        raise ValueError(f"the expression has {len(text)} characters; at most {MAX_CHARS} are accepted")
    toks = _tokens(text)
    out: list[str] = []
    numbers: dict[str, Fraction] = {}
    elements: list = []
    k = 0
    after_power = False
    while k < len(toks):
        tok = toks[k]
        if tok.type == tokenize.NUMBER:
            mant, _, exp = tok.string.lower().partition("e")
            if len(tok.string) > 1000 or (exp and abs(int(exp.lstrip("+") or 0)) > 400) or "j" in tok.string \
                    or tok.string.lower().startswith(("0x", "0o", "0b")):
                raise ValueError(f"{tok.string[:40]!r}: numbers are decimals with exponents within +-400")
            try:
                value = Fraction(tok.string.replace("_", ""))
            except ValueError:
                raise ValueError(f"{tok.string!r} is not a real number") from None
            key = f"_n{len(numbers)}"
            numbers[key] = value
            out.append(key)
        elif tok.type == tokenize.NAME:
            if tok.string not in shapes:
                raise ValueError(f"{tok.string!r} is not a parameter or data name (names: "
                                 f"{', '.join(sorted(shapes)) or 'none'}){_suggest(tok.string, sorted(shapes))}")
            shape = tuple(shapes[tok.string])
            index: tuple = ()
            if k + 1 < len(toks) and toks[k + 1].string == "[":
                end = next((j for j in range(k + 2, len(toks)) if toks[j].string == "]"), None)
                inner = toks[k + 2:end] if end is not None else []
                if end is None or not inner or any(t.string != "," and t.type != tokenize.NUMBER for t in inner):
                    raise ValueError(f"{tok.string}[...]: an index is integers separated by commas, as p[0] or X[1, 0]")
                try:
                    index = tuple(int(t.string) for t in inner if t.string != ",")
                except ValueError:
                    raise ValueError(f"{tok.string}[...]: indices are integers") from None
                k = end
            if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
                what = "a scalar" if not shape else f"an array of shape {shape}"
                hint = "" if not shape else f"; write an element, e.g. {_element_name(tok.string, (0,) * len(shape))}"
                raise ValueError(f"{_element_name(tok.string, index)}: {tok.string} is {what}{hint}")
            key = f"_e{len(elements)}"
            elements.append((key, tok.string, index))
            out.append(key)
        elif tok.type == tokenize.OP and tok.string in OPS:
            if tok.string == "**":
                nxt = toks[k + 1: k + 3]
                lit = nxt[1] if nxt and nxt[0].string == "-" and len(nxt) > 1 else (nxt[0] if nxt else None)
                if lit is None or lit.type != tokenize.NUMBER or not lit.string.isdigit() \
                        or int(lit.string) > MAX_POWER:
                    raise ValueError(f"'**' must be followed by an integer literal of at most {MAX_POWER} "
                                     f"(optionally negative), got {lit.string if lit else 'nothing'!r}")
                if after_power:
                    raise ValueError("chained powers (a**b**c) are not accepted; use parentheses")
                after_power = True
                out.append("**")
                k += 1
                continue
            out.append(tok.string)
        else:
            raise ValueError(f"{tok.string!r} is not allowed in an expression (only numbers, names, "
                             f"+ - * / **, parentheses and p[i] elements)")
        if tok.type != tokenize.NUMBER:
            after_power = False
        k += 1
    return " ".join(out), numbers, elements


def parse(text: str, shapes: Mapping[str, tuple], values: Mapping[str, Any]) -> Any:
    """The sympy expression of ``text``; data names (in ``values``) substituted exactly.

    Parameter elements become sympy symbols named ``p`` or ``p[i, j]``.
    """
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    code, numbers, elements = rewrite(text, shapes)
    local: dict[str, Any] = {k: sympy.Rational(v.numerator, v.denominator) for k, v in numbers.items()}
    for key, name, index in elements:
        if name in values:
            value = np.asarray(values[name], dtype=object)[index] if index else values[name]
            q = Fraction(value)
            local[key] = sympy.Rational(q.numerator, q.denominator)
        else:
            local[key] = sympy.Symbol(_element_name(name, index), real=True)
    try:
        expr = parse_expr(code, local_dict=local, global_dict={"__builtins__": {}}, transformations=(),
                          evaluate=True)
    except (SyntaxError, TypeError, ZeroDivisionError) as err:
        raise ValueError(f"cannot read the expression: {err}") from None
    if expr.has(sympy.zoo, sympy.nan, sympy.oo):
        raise ValueError("the expression divides by an exact zero")
    return expr


class Expression:
    """A loss (or one gradient expression per parameter array element) over named parameters."""

    def __init__(self, shapes: Mapping[str, tuple], loss: Any = None, grads: Optional[dict] = None,
                 source: Any = None) -> None:
        self.shapes, self.loss, self.source = dict(shapes), loss, source
        self.grads = grads if grads is not None else self._differentiate()

    @classmethod
    def parse(cls, loss: str, params: Mapping[str, tuple], data: Mapping[str, Any]) -> "Expression":
        """A loss expression in the parameters ``params`` (name -> shape) and ``data`` (name -> exact values)."""
        shapes = {**{k: np.shape(np.asarray(v, dtype=object)) for k, v in data.items()}, **params}
        return cls(params, parse(loss, shapes, data), source=loss)

    @classmethod
    def parse_gradient(cls, grads: Mapping[str, Any], params: Mapping[str, tuple],
                       data: Mapping[str, Any]) -> "Expression":
        """One expression per parameter (a string, or nested lists of strings of the parameter's shape).

        A gradient expression is evaluated as written (its operations in the order written, constant
        subexpressions folded exactly), as the program it transcribes computes it.
        """
        shapes = {**{k: np.shape(np.asarray(v, dtype=object)) for k, v in data.items()}, **params}
        missing = [p for p in params if p not in grads]
        extra = [g for g in grads if g not in params]
        if missing or extra:
            bad = extra[0] if extra else missing[0]
            raise ValueError(f"gradient: {'no parameter named ' + repr(bad) if extra else 'no expression for ' + repr(bad)}"
                             f"{_suggest(bad, list(params)) if extra else ''} (parameters: {', '.join(params)})")
        out = {}
        for name, shape in params.items():
            texts = np.asarray(grads[name], dtype=object)
            if texts.shape != tuple(shape):
                raise ValueError(f"gradient.{name}: shape {texts.shape} is not the parameter's {tuple(shape)}")
            out[name] = np.array([Written(str(t), shapes, data) for t in texts.reshape(-1)], dtype=object)
        return cls(params, None, out, source=dict(grads))

    def symbols(self, name: str) -> list:
        import sympy

        shape = self.shapes[name]
        idx = list(itertools.product(*(range(n) for n in shape))) if shape else [()]
        return [sympy.Symbol(_element_name(name, i), real=True) for i in idx]

    def _differentiate(self) -> dict:
        import sympy

        return {name: np.array([sympy.diff(self.loss, s) for s in self.symbols(name)], dtype=object)
                for name in self.shapes}

    def gradient(self) -> dict:
        """Each parameter's gradient as text (a string for a scalar, a flat list for an array)."""
        return {n: str(g[0]) if not self.shapes[n] else [str(x) for x in g] for n, g in self.grads.items()}

    def exact_grads(self, params: list) -> list:
        """The gradient at exact parameters (Fractions), exactly."""
        from fractions import Fraction as F

        class _Exact:
            def const(self, q: F) -> F:
                return F(q)

        return self.grad_fn()(_Exact(), [np.asarray(p, dtype=object) for p in params])

    def grad_fn(self) -> Callable:
        """``grad_fn(ar, params) -> grads`` with context operations (every engine)."""
        names = list(self.shapes)
        symbols = {n: self.symbols(n) for n in names}
        grads = self.grads

        def g(ar: Any, params: list) -> list:
            env = _env(names, symbols, params)
            const = _consts(ar)
            out = []
            for name, p in zip(names, params):
                flat = np.empty(len(grads[name]), dtype=p.dtype)
                for k, e in enumerate(grads[name]):
                    flat[k] = evaluate(e, env, const)
                out.append(flat.reshape(np.shape(p)))
            return out

        return g

    def loss_fn(self) -> Optional[Callable]:
        """``loss_fn(ar, params) -> scalar`` with context operations, or None without a loss."""
        if self.loss is None:
            return None
        names = list(self.shapes)
        symbols = {n: self.symbols(n) for n in names}
        loss = self.loss
        return lambda ar, params: evaluate(loss, _env(names, symbols, params), _consts(ar))


def _env(names: list, symbols: dict, params: list) -> dict:
    env = {}
    for name, p in zip(names, params):
        flat = np.asarray(p).reshape(-1)
        for s, x in zip(symbols[name], flat):
            env[s] = x
    return env


def _consts(ar: Any) -> Callable:
    cache: dict = {}

    def const(q: Fraction) -> Any:
        if q not in cache:
            x = ar.const(q)
            cache[q] = x[()] if isinstance(x, np.ndarray) else x
        return cache[q]

    return const


def evaluate(e: Any, env: dict, const: Callable) -> Any:
    """The sympy expression ``e`` (or a :class:`Written` one) evaluated with context numbers (``env``: symbol -> value)."""
    import sympy

    if isinstance(e, Written):
        return e.evaluate(env, const)
    if e.is_Symbol:
        return env[e]
    if e.is_Rational:
        return const(Fraction(int(e.p), int(e.q)))
    if e.is_Add or e.is_Mul:
        num, den = [], []
        for a in e.args:
            if e.is_Mul and a.is_Pow and a.exp.is_Integer and a.exp < 0:
                den.append(evaluate(sympy.Pow(a.base, -a.exp), env, const))
            else:
                num.append(evaluate(a, env, const))
        acc = num[0] if num else const(Fraction(1))
        for x in num[1:]:
            acc = acc + x if e.is_Add else acc * x
        for x in den:
            acc = acc / x
        return acc
    if e.is_Pow and e.exp.is_Integer:
        n = int(e.exp)
        base = evaluate(e.base, env, const)
        acc = base
        for _ in range(abs(n) - 1):
            acc = acc * base
        return const(Fraction(1)) / acc if n < 0 else acc
    raise ValueError(f"cannot evaluate {e} in an arithmetic context (only + - * / and integer powers)")


class Written:
    """A gradient expression evaluated as written: operations in the written order, constants folded exactly.

    Read from the checked token stream (:func:`rewrite`) with :mod:`ast`; nothing is evaluated but
    ``+ - * /``, unary minus and integer powers over context numbers and Fractions.
    """

    def __init__(self, text: str, shapes: Mapping[str, tuple], values: Mapping[str, Any]) -> None:
        import ast
        import sympy

        code, numbers, elements = rewrite(text, shapes)
        try:
            self.tree = ast.parse(code, mode="eval").body
        except SyntaxError as err:
            raise ValueError(f"cannot read the expression: {err.msg}") from None
        self.text = text
        self.leaves: dict[str, Any] = dict(numbers)
        for key, name, index in elements:
            if name in values:
                value = np.asarray(values[name], dtype=object)[index] if index else values[name]
                self.leaves[key] = Fraction(value)
            else:
                self.leaves[key] = sympy.Symbol(_element_name(name, index), real=True)
        self._check(self.tree)
        self._fold(self.tree)

    def _check(self, node: Any) -> None:
        import ast

        ok = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
              ast.Load)
        for sub in ast.walk(node):
            if not isinstance(sub, ok):
                raise ValueError(f"{type(sub).__name__} is not allowed in a gradient expression")

    def _fold(self, node: Any) -> Optional[Fraction]:
        """The exact value of a constant subexpression (None if it holds a parameter); ``ValueError`` for a
        division by an exact zero."""
        import ast

        if isinstance(node, ast.Name):
            leaf = self.leaves[node.id]
            return leaf if isinstance(leaf, Fraction) else None
        if isinstance(node, ast.UnaryOp):
            x = self._fold(node.operand)
            return None if x is None else (-x if isinstance(node.op, ast.USub) else x)
        a, b = self._fold(node.left), self._fold(node.right)
        if isinstance(node.op, ast.Div) and b == 0:
            raise ValueError("the expression divides by an exact zero")
        if isinstance(node.op, ast.Pow):
            if a == 0 and b is not None and b < 0:
                raise ValueError("the expression divides by an exact zero")
            return None if a is None else a ** int(b)  # type: ignore[arg-type]
        if a is None or b is None:
            return None
        return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else \
            a * b if isinstance(node.op, ast.Mult) else a / b

    def __str__(self) -> str:
        return self.text

    def evaluate(self, env: dict, const: Callable) -> Any:
        out = self._eval(self.tree, env, const)
        return const(out) if isinstance(out, Fraction) else out

    def _eval(self, node: Any, env: dict, const: Callable) -> Any:
        import ast

        if isinstance(node, ast.Name):
            leaf = self.leaves[node.id]
            return leaf if isinstance(leaf, Fraction) else env[leaf]
        if isinstance(node, ast.UnaryOp):
            x = self._eval(node.operand, env, const)
            return -x if isinstance(node.op, ast.USub) else x
        a, b = self._eval(node.left, env, const), self._eval(node.right, env, const)
        if isinstance(node.op, ast.Pow):
            n = int(b)
            if isinstance(a, Fraction):
                return a ** n
            acc = a
            for _ in range(abs(n) - 1):
                acc = acc * a
            return const(Fraction(1)) / acc if n < 0 else acc
        if isinstance(a, Fraction) and isinstance(b, Fraction):
            if isinstance(node.op, ast.Div) and b == 0:
                raise ZeroDivisionError("the expression divides by an exact zero")
            return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else \
                a * b if isinstance(node.op, ast.Mult) else a / b
        a = const(a) if isinstance(a, Fraction) else a
        b = const(b) if isinstance(b, Fraction) else b
        return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else \
            a * b if isinstance(node.op, ast.Mult) else a / b

