"""A user case's certified trajectory: every value, any shape, as certified decimals, floats or bounds.

:func:`certified_trajectory` runs the case in the certified engine
(:func:`oracle.engines.certify.certified_run`, README "Certification") until
every published value has the case's ``digits`` correctly rounded significant
digits.  With a loss expression the loss is certified too: ``loss(t)`` is the
loss step ``t`` was computed from (at the parameters before the update, as a
training loop prints it), ``loss_after(t)`` the loss at the parameters after it
(the run takes one more gradient evaluation for the last one).

>>> from oracle.cases.case import Case
>>> case = Case(name="docs", lr="0.1", rho="0.9", eps="1e-8", params={"w": "0"}, data={"x": 2, "y": 4},
...             gradient={"w": "(y - w*x)*(-x)"}, steps=5, digits=20)
>>> t = certified_trajectory(case)
>>> t.params(5)["w"].sci(20)
'9.5107269803292540908e-1'
>>> t.params(5)["w"].binary("float32")
array(0.9510727, dtype=float32)
>>> q = certified_trajectory(Case(name="q", lr="0.1", params={"p": ["1", "-2"]}, loss="p[0]**2 + 3*p[1]**2",
...                                steps=2, digits=12))
>>> q.params(2)["p"].sci(6), q.loss(1).sci(6)
(['4.98871e-1', '-1.47388e0'], '1.30000e1')
>>> print(q.table(fields=["params"], steps=[2], digits=6))
| step | params.p[0] | params.p[1] |
|---|---|---|
| 2 | 4.98871e-1 | -1.47388e0 |
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from ..engines.certified import CertifiedRun, CertifiedValue
from ..engines.certify import certified_run
from .case import Case

FIELDS = ("params", "state.v", "state.m", "state.b", "grads", "loss")


class Values:
    """A certified array (any shape, 0-d for a scalar): each element a :class:`CertifiedValue`."""

    def __init__(self, cells: Any) -> None:
        self.cells = np.asarray(cells, dtype=object)

    @property
    def shape(self) -> tuple:
        return self.cells.shape

    def __getitem__(self, index: Any) -> Any:
        out = self.cells[index]
        return Values(out) if isinstance(out, np.ndarray) else out

    def __iter__(self):
        return (self[k] for k in range(len(self.cells)))

    def __len__(self) -> int:
        return len(self.cells)

    def flat(self) -> list:
        return list(self.cells.reshape(-1))

    def _map(self, f: Any) -> Any:
        return np.array([f(v) for v in self.flat()] + [None], dtype=object)[:-1].reshape(self.shape).tolist()

    def sci(self, digits: Optional[int] = None) -> Any:
        """Correctly rounded decimals (nested lists of the array's shape; a str for a scalar)."""
        return self._map(lambda v: v.sci(digits))

    def binary(self, dtype: str = "float64") -> np.ndarray:
        """The correctly rounded floats of ``dtype`` (``ValueError`` where one is not certified)."""
        out = [v.binary(dtype) for v in self.flat()]
        if any(x is None for x in out):
            k = out.index(None)
            raise ValueError(f"element {k}: its {dtype} rounding is not certified (raise digits)")
        return np.array(out, dtype=dtype).reshape(self.shape)

    def bounds(self) -> tuple:
        """(lo, hi): the exact enclosure, as nested lists of Fractions of the array's shape."""
        return self._map(lambda v: v.lo), self._map(lambda v: v.hi)

    def __repr__(self) -> str:
        return f"Values({self.sci()!r})"


class Trajectory:
    """The certified run of a case: ``params(t)``, ``state(t, slot)``, ``grads(t)``, ``loss(t)``, tables."""

    def __init__(self, case: Case, run: CertifiedRun, losses: Optional[list] = None) -> None:
        self.case, self.run, self.losses = case, run, losses
        self.steps = run.steps
        self.prec = run.prec
        self.digits = case.digits

    def _group(self, arrays: Optional[list]) -> Optional[dict]:
        if arrays is None:
            return None
        return {n: Values(a) for n, a in zip(self.case.names, arrays)}

    def _rec(self, t: int) -> dict:
        if not isinstance(t, int) or not 0 <= t <= self.steps:
            raise ValueError(f"step must be an integer from 0 to {self.steps}, got {t!r}")
        return self.run.records[t]

    def params(self, t: int) -> dict:
        """Parameter name -> :class:`Values` after step ``t`` (0: the initial values)."""
        return self._group(self._rec(t)["params"])  # type: ignore[return-value]

    def state(self, t: int, slot: str = "v") -> dict:
        """The state slot ``v`` (and ``m`` centered, ``b`` with momentum) after step ``t``."""
        state = self._rec(t)["state"]
        if slot not in state:
            raise ValueError(f"state slot must be one of {', '.join(state)}, got {slot!r}")
        return self._group(state[slot])  # type: ignore[return-value]

    def grads(self, t: int) -> Optional[dict]:
        """The gradient used by step ``t`` (None at step 0)."""
        return self._group(self._rec(t)["grads"])

    def loss(self, t: int) -> Optional[CertifiedValue]:
        """The loss step ``t`` was computed from: at the parameters before the update, as a training loop
        prints it (None at step 0 or without a loss)."""
        self._rec(t)
        return None if not self.losses or t == 0 else self.losses[t - 1]

    def loss_after(self, t: int) -> Optional[CertifiedValue]:
        """The loss at the parameters after step ``t`` (0: the initial loss; None without a loss)."""
        self._rec(t)
        return None if not self.losses else self.losses[t]

    def entries(self, t: int, fields: Optional[Iterable[str]] = None) -> list:
        """(label, CertifiedValue) of step ``t``: labels ``params.w[0]``, ``state.v.w[1]``, ``grads.w[0]``, ``loss``."""
        fields = list(FIELDS if fields is None else fields)
        out = []
        rec = self._rec(t)
        for f in fields:
            if f not in FIELDS:
                raise ValueError(f"field must be one of {', '.join(FIELDS)}, got {f!r}")
            if f == "loss":
                if self.loss(t) is not None:
                    out.append(("loss", self.loss(t)))
                continue
            group = self._group(rec["params"] if f == "params" else rec["grads"] if f == "grads"
                                else rec["state"].get(f.split(".")[1]))
            for name, values in sorted((group or {}).items()):
                out += [(f"{f}.{name}[{k}]", v) for k, v in enumerate(values.flat())]
        return out

    def table(self, fields: Optional[Sequence[str]] = None, steps: Optional[Sequence[int]] = None,
              digits: Optional[int] = None, style: str = "md") -> str:
        """A table of certified values (``md``, ``csv``): one row per step, one column per element."""
        steps = list(range(self.steps + 1)) if steps is None else list(steps)
        columns: list = []
        rows = []
        for t in steps:
            cells = {label: v.sci(digits or self.digits) for label, v in self.entries(t, fields)}
            columns += [c for c in cells if c not in columns]
            rows.append((t, cells))
        head = ["step", *columns]
        body = [[str(t), *(c.get(col, "") for col in columns)] for t, c in rows]
        if style == "csv":
            return "\n".join(",".join(r) for r in [head, *body])
        if style != "md":
            raise ValueError(f"style must be md or csv, got {style!r} (cite formats the golden file: latex, rst, json)")
        return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
                          *("| " + " | ".join(r) + " |" for r in body)])


class _LossTracker:
    """A closed-loop gradient that also records the loss at each call (reset by a new context)."""

    def __init__(self, grad_fn: Any, loss_fn: Any) -> None:
        self.grad_fn, self.loss_fn, self.ar, self.values = grad_fn, loss_fn, None, []

    def __call__(self, ar: Any, params: list) -> list:
        if ar is not self.ar:
            self.ar, self.values = ar, []
        self.values.append(self.loss_fn(ar, params))
        return self.grad_fn(ar, params)


def certified_trajectory(case: Case, engine: Optional[str] = None) -> Trajectory:
    """The certified trajectory of ``case`` (``digits`` correctly rounded significant digits everywhere).

    ``ArithmeticError`` when a value cannot be certified (an exact 0/0, precision exhausted).
    """
    kwargs: dict = {"steps": case.steps, "digits": case.digits, "engine": engine}
    params0 = case.params0()
    if not case.closed_loop:
        return Trajectory(case, certified_run(case.convention, params0, grads=case.grads(), **kwargs))
    loss_fn = case.loss_fn()
    if loss_fn is None:
        return Trajectory(case, certified_run(case.convention, params0, grad_fn=case.grad_fn(), **kwargs))
    prec = None
    kwargs["steps"] = case.steps + 1  # one more gradient evaluation: the loss after the last step
    while True:
        tracker = _LossTracker(case.grad_fn(), loss_fn)
        run = certified_run(case.convention, params0, grad_fn=tracker, prec=prec, **kwargs)
        losses = [tracker.ar.certify(x, case.digits + 10) for x in tracker.values[: case.steps + 1]]
        if all(v.is_zero or (v.digits or 0) >= case.digits for v in losses) or run.prec > 1 << 15:
            run.records, run.steps = run.records[: case.steps + 1], case.steps
            return Trajectory(case, run, losses)
        prec = 2 * run.prec


def exact_inputs(values: Any) -> list:
    """Exact values (Fractions) as decimal strings where finite, else ``p/q`` (what a golden file records)."""
    return np.vectorize(fraction_text, otypes=[object])(np.asarray(values, dtype=object)).tolist()


def fraction_text(q: Fraction) -> str:
    """An exact rational as text: its exact decimal when it terminates (scientific notation when long), else ``p/q``.

    >>> fraction_text(Fraction(1, 10)), fraction_text(Fraction(1, 3)), fraction_text(Fraction(1e-8))
    ('0.1', '1/3', '1.0000000000000000209225608301284726753266340892878361046314239501953125e-8')
    """
    q = Fraction(q)
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1 or max(twos, fives) > 1100:
        return f"{q.numerator}/{q.denominator}"
    n = max(twos, fives)
    digits = str(abs(q.numerator) * 10**n // q.denominator).rjust(n + 1, "0")
    text = digits if n == 0 else f"{digits[:-n]}.{digits[-n:]}".rstrip("0").rstrip(".")
    if len(text) > 40 and q != 0:  # long: d.ddd...e-k, every digit kept
        sig = text.replace(".", "").lstrip("0").rstrip("0") or "0"
        exp = len(text.split(".")[0]) - 1 if abs(q) >= 1 else -(len(text.split(".")[1]) - len(sig) + 1)
        text = f"{sig[0]}.{sig[1:]}e{exp}" if len(sig) > 1 else f"{sig}e{exp}"
    return ("-" if q < 0 else "") + text
