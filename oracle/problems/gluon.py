"""The Gluon linear regression of seed 001, as the program really computes it.

``../shared/seeds/001_388190c84a98f8cb.txt`` trains w (2,1), b (1,) on
X = [[1,2],[3,4],[5,6],[7,8]], y = [0,-1,-2,-3] with a hand-written RMSProp
(lr 0.03, alpha 0.9, eps 1e-6 inside the root, ``g = param.grad / batch_size``).
Run with real MXNet 1.9.1 (``golden/mxnet/FINDINGS.md``) it fails, and each
cumulative repair R1..R6 changes what it computes.  A :class:`Variant` says,
per repair level, which rows a batch holds, whether the loss broadcasts the
(n,1) prediction against the (n,) targets to an (n,n) residual, the divisor of
the gradient, and whether every epoch makes an update.

Losses and gradients are hand-derived and written with context operations
(so the certified engine, the floats and the error bound all run them):

* column residual r_i = p_i - y_i:  L = (1/n) sum r_i^2,
  dL/dw = (2/n) sum_i r_i x_i,  dL/db = (2/n) sum_i r_i;
* broadcast residual r_ij = p_i - y_j:  L = (1/n^2) sum_ij r_ij^2,
  dL/dw = (2/n^2) sum_i x_i (n p_i - S),  dL/db = (2/n^2) sum_i (n p_i - S),  S = sum_j y_j.

The optimizer is the ``seed`` convention (eps inside the root) with the
program's hyperparameters as exact decimals (0.03 is 3/100); the initial
weights are the exact decimals w0 = [[0.5], [-0.3]], b0 = [0].  MXNet holds
all of these as float32 (e.g. -0.3 as -0.300000011920928955078125), which
moves a float32 run by about one float32 ulp: inside the float32 comparison.

>>> v = VARIANTS["V6"]
>>> loss, grads = evaluate(v, [[["0.5"], ["-0.3"]], ["0"]])
>>> loss, [g.reshape(-1).tolist() for g in grads]
(Fraction(129, 20), [[Fraction(23, 1), Fraction(27, 1)], [Fraction(4, 1)]])
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ..algorithm import Arith, Arrays
from ..conventions import Convention, preset
from . import ExactArith

X_ROWS: tuple[tuple[int, int], ...] = ((1, 2), (3, 4), (5, 6), (7, 8))
Y: tuple[int, ...] = (0, -1, -2, -3)
W0: tuple[tuple[str], ...] = (("0.5",), ("-0.3",))
B0: tuple[str, ...] = ("0",)
LR, ALPHA, EPS = "0.03", "0.9", "1e-6"
EPOCHS = 5
PADDED = (0, 1, 2, 3, 0, 1, 2, 3, 0, 1)
"""The 10-row batch of NDArrayIter(X, y, 10): padding wraps around to the start."""
FULL = (0, 1, 2, 3)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One repair level of the program: what a single update computes."""

    id: str
    edits: tuple[str, ...]
    rows: tuple[int, ...] = PADDED
    column: bool = False
    divisor: int = 10
    every_epoch: bool = False
    error: str = ""
    """Non-empty when the program cannot run: the probe JSON key of its failure."""


VARIANTS: dict[str, Variant] = {
    v.id: v
    for v in (
        Variant("V0", (), error="V0"),
        Variant("V1", ("R1",), error="V1"),
        Variant("V2", ("R1", "R2")),
        Variant("V3", ("R1", "R2", "R3"), every_epoch=True),
        Variant("V4", ("R1", "R2", "R3", "R4"), column=True, every_epoch=True),
        Variant("V5", ("R1", "R2", "R3", "R4", "R5"), rows=FULL, column=True, every_epoch=True),
        Variant("V6", ("R1", "R2", "R3", "R4", "R5", "R6"), rows=FULL, column=True, divisor=1,
                every_epoch=True),
    )
}
INTENDED = "V6"


def convention() -> Convention:
    """The program's optimizer: the ``seed`` convention, lr 0.03, alpha 0.9, eps 1e-6 inside."""
    return preset("seed", lr=LR, rho=ALPHA, eps=EPS)


def params0() -> list:
    """The fixed initial parameters w0 = [[0.5], [-0.3]], b0 = [0] as exact decimals."""
    return [[list(r) for r in W0], list(B0)]


def _c(ar: Arith, q: object) -> Any:
    x = ar.const(Fraction(q))
    return x[()] if isinstance(x, np.ndarray) else x


def _array(values: list, like: np.ndarray, shape: tuple) -> np.ndarray:
    out = np.empty(len(values), dtype=like.dtype)
    for k, x in enumerate(values):
        out[k] = x
    return out.reshape(shape)


def loss_and_grads(v: Variant, ar: Arith, params: Arrays, rows: Sequence[int] | None = None,
                   column: bool | None = None, divisor: int | None = None,
                   const: Any = None) -> tuple[Any, Arrays]:
    """The loss on ``rows`` and the gradient the edited ``rmsprop`` uses (grad / divisor).

    ``const(q)`` turns an exact number into a context scalar (default: ``ar.const``).
    """
    c = const or (lambda q: _c(ar, q))
    rows = v.rows if rows is None else rows
    column = v.column if column is None else column
    divisor = v.divisor if divisor is None else divisor
    w, b = params
    w0, w1, b0 = w.reshape(-1)[0], w.reshape(-1)[1], b.reshape(-1)[0]
    n = len(rows)
    preds = [w0 * c(X_ROWS[i][0]) + w1 * c(X_ROWS[i][1]) + b0 for i in rows]
    if column:
        res = [p - c(Y[i]) for p, i in zip(preds, rows)]
        loss = _sum([r * r for r in res]) * c(Fraction(1, n))
        coef = [r for r in res]
        scale = Fraction(2, n * divisor)
    else:
        s = c(sum(Y[i] for i in rows))
        loss = _sum([(p - c(Y[j])) * (p - c(Y[j])) for p in preds for j in rows])
        loss = loss * c(Fraction(1, n * n))
        coef = [p * c(n) - s for p in preds]
        scale = Fraction(2, n * n * divisor)
    k = c(scale)
    gw0 = _sum([r * c(X_ROWS[i][0]) for r, i in zip(coef, rows)]) * k
    gw1 = _sum([r * c(X_ROWS[i][1]) for r, i in zip(coef, rows)]) * k
    gb = _sum(coef) * k
    return loss, [_array([gw0, gw1], w, w.shape), _array([gb], b, b.shape)]


def grad_fn(v: Variant) -> Any:
    """The gradient the edited ``rmsprop`` of variant ``v`` uses, as a closed-loop ``grad_fn(ar, params)``."""
    return lambda ar, params: loss_and_grads(v, ar, params)[1]


def eval_loss(v: Variant, ar: Arith, params: Arrays, const: Any = None) -> Any:
    """The epoch-end ``loss_fn(X, y)`` the program prints (broadcast unless R4 is applied)."""
    return loss_and_grads(v, ar, params, rows=FULL, const=const)[0]


def _sum(xs: list) -> Any:
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


class Tracker:
    """A closed-loop ``grad_fn`` that also records the loss and the epoch-end loss per call.

    ``certified_run`` may repeat a run at higher precision; a new context resets the record.
    """

    def __init__(self, v: Variant, eval_loss: bool = True) -> None:
        self.v = v
        self.with_eval = eval_loss
        self.ar: Any = None
        self.losses: list = []
        self.eval_losses: list = []

    def __call__(self, ar: Arith, params: Arrays) -> Arrays:
        if ar is not self.ar:
            self.ar, self.losses, self.eval_losses, self.consts = ar, [], [], {}
        loss, grads = loss_and_grads(self.v, ar, params, const=self.const)
        self.losses.append(loss)
        if self.with_eval:
            self.eval_losses.append(eval_loss(self.v, ar, params, const=self.const))
        return grads

    def certify(self, x: Any, cap: int) -> Any:
        """A recorded loss as a certified value of the context that computed it (``ar.certify``)."""
        return self.ar.certify(x, cap)

    def const(self, q: object) -> Any:
        """``ar.const(q)`` as a scalar, converted once per context."""
        key = Fraction(q)
        if key not in self.consts:
            self.consts[key] = _c(self.ar, key)
        return self.consts[key]


def evaluate(v: Variant, params: Sequence[Any]) -> tuple[Fraction, list]:
    """Exact loss and gradient at exact ``params`` (numbers or decimal strings)."""
    ar = ExactArith()
    return loss_and_grads(v, ar, [ar.array(p) for p in params])  # type: ignore[arg-type]


def updates_in_epoch(v: Variant, epoch: int) -> int:
    """How many updates the program makes in ``epoch`` (0 or 1: there is one batch)."""
    return 1 if (v.every_epoch or epoch == 0) else 0
