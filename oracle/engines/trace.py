"""Recording :func:`oracle.algorithm.step` once as a tape, for the compiled engines.

The compiled engines (:mod:`.bound.jitbound`, :mod:`.certify.jitarb`) do not re-implement the
RMSProp update: they run a *tape* of the operations that
:func:`oracle.algorithm.step` (and, in closed loop, the gradient function)
performs, recorded by calling them once over this module's :class:`TraceArith`.
A traced value (:class:`Node`) stands for a whole array: every element
("lane") of an array goes through the same operations in the same order, with
the same constants, as in the object engines, so each compiled engine can run
the tape one element at a time over all steps and reproduce its object
engine's arithmetic operation for operation.

What a tape holds: instructions ``(op, dst, a, b)`` over numbered values;
inputs (the parameters, state and, open loop, gradients of the previous
step), constants (``ar.const``) and auxiliary per-element arrays
(``ar.array`` called by a gradient function, e.g. the data of
:class:`oracle.problems.quadratic.Diagonal`), and which values are the new
parameters, state and gradients.  ``x * x`` with the same operand is recorded
as a square (:class:`~.bound.vecbound.BoundArith` uses an exact square there).

Anything the tracer cannot follow raises :class:`~.rungs.Decline`, and the ladder runs
the object engine instead: an element access (``a[0]``: the elements are no
longer independent), an operand that is not traced (a Python number, a numpy
array), arrays of different shapes combined, operations mixing two parameter
arrays, a comparison or conversion to a number (a branch on a value).  The
update and every gradient function the package ships (but
:mod:`oracle.problems.quadratic`'s 2-D matrix product) are elementwise.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .. import algorithm
from ..conventions import Convention
from .rungs import Decline

__all__ = ["ADD", "AUX", "CONST", "DIV", "Decline", "INPUT_G", "INPUT_P", "INPUT_S", "MUL", "NEG", "NONNEG", "OP",
           "OPNAMES", "Program", "SQR", "SQRT", "SUB", "Tape", "TraceArith", "pure", "trace"]

# the opcodes of a tape: the kernels of both compiled engines (:mod:`.bound.jitkernel`,
# :mod:`.certify.arbkernel`) dispatch on these names, never on their numbers
ADD, SUB, MUL, SQR, DIV, NEG, SQRT, NONNEG = range(8)
OPNAMES = ("add", "sub", "mul", "sqr", "div", "neg", "sqrt", "nonneg")

# kinds of tape values
INPUT_P, INPUT_S, INPUT_G, AUX, CONST, OP = range(6)


class Node:
    """A traced array: value ``id`` of ``tape``, of numpy shape ``shape``."""

    __slots__ = ("tape", "id", "shape")
    __array_ufunc__ = None  # numpy never treats a Node as a number
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, tape: "Tape", vid: int, shape: tuple) -> None:
        self.tape, self.id, self.shape = tape, vid, tuple(shape)

    # -- shape ----------------------------------------------------------------
    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def reshape(self, *shape: Any) -> "Node":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        new = np.empty(self.shape, dtype=np.int8).reshape(*shape).shape  # numpy's rules, -1 included
        return Node(self.tape, self.id, new)

    def __getitem__(self, idx: Any) -> Any:
        raise Decline("an element is accessed: the elements are not independent")

    def __setitem__(self, idx: Any, value: Any) -> None:
        raise Decline("an element is assigned")

    def __iter__(self) -> Any:
        raise Decline("the array is iterated element by element")

    def __len__(self) -> int:
        raise Decline("len() of a traced array")

    def __bool__(self) -> bool:
        raise Decline("a traced value is used as a condition")

    def __float__(self) -> float:
        raise Decline("a traced value is converted to a number")

    def _cmp(self, other: Any) -> Any:
        raise Decline("a traced value is compared")

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _cmp  # type: ignore[assignment]

    # -- arithmetic -----------------------------------------------------------
    def __add__(self, o: Any) -> "Node":
        return self.tape.binary(ADD, self, o)

    def __sub__(self, o: Any) -> "Node":
        return self.tape.binary(SUB, self, o)

    def __mul__(self, o: Any) -> "Node":
        return self.tape.binary(SQR if o is self else MUL, self, o)

    def __truediv__(self, o: Any) -> "Node":
        return self.tape.binary(DIV, self, o)

    def __neg__(self) -> "Node":
        return self.tape.unary(NEG, self)

    def _refuse(self, o: Any) -> Any:
        raise Decline(f"an operand that is not traced: {type(o).__name__}")

    __radd__ = __rsub__ = __rmul__ = __rtruediv__ = __pow__ = __rpow__ = _refuse  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Node({self.id}, shape={self.shape})"


@dataclasses.dataclass
class Value:
    kind: int
    index: int  # input: array number (and state slot); const/aux: their number
    shape: tuple
    origin: Optional[int]  # the parameter array it derives from (None: constants only)
    slot: int = 0  # INPUT_S: the state slot number


class Tape:
    """The recorded computation of one step (see the module docstring)."""

    def __init__(self) -> None:
        self.values: list[Value] = []
        self.code: list[tuple] = []  # (op, dst, a, b); b = -1 for unary ops
        self.consts: list[Fraction] = []
        self.aux: list[Any] = []  # the arrays given to ar.array inside the gradient function
        self._const_ids: dict = {}

    def new(self, kind: int, index: int, shape: tuple, origin: Optional[int], slot: int = 0) -> Node:
        self.values.append(Value(kind, index, tuple(shape), origin, slot))
        return Node(self, len(self.values) - 1, shape)

    def _node(self, x: Any) -> Node:
        if isinstance(x, Node) and x.tape is self:
            return x
        if isinstance(x, np.ndarray) and x.dtype == object and x.shape == () and isinstance(x[()], Node):
            return x[()]
        raise Decline(f"an operand that is not traced: {type(x).__name__}")

    def _origin(self, *nodes: Node) -> Optional[int]:
        origins = {self.values[n.id].origin for n in nodes} - {None}
        if len(origins) > 1:
            raise Decline("an operation combines two parameter arrays")
        return origins.pop() if origins else None

    def binary(self, op: int, x: Any, y: Any) -> Node:
        a, b = self._node(x), self._node(y)
        if a.shape and b.shape and a.size != b.size:
            raise Decline(f"arrays of shapes {a.shape} and {b.shape} are combined")
        shape = a.shape if len(a.shape) >= len(b.shape) else b.shape
        if a.shape and b.shape and a.shape != b.shape:
            raise Decline(f"arrays of shapes {a.shape} and {b.shape} are combined")
        out = self.new(OP, len(self.code), shape, self._origin(a, b))
        self.code.append((op, out.id, a.id, b.id))
        return out

    def unary(self, op: int, x: Any) -> Node:
        a = self._node(x)
        out = self.new(OP, len(self.code), a.shape, self._origin(a))
        self.code.append((op, out.id, a.id, -1))
        return out


class TraceArith:
    """The number context that records a tape (the ``Arith`` protocol of :mod:`oracle.algorithm`)."""

    def __init__(self, tape: Tape) -> None:
        self.tape = tape

    def const(self, x: Fraction) -> Node:
        x = Fraction(x)
        tape = self.tape
        if x not in tape._const_ids:
            tape.consts.append(x)
            tape._const_ids[x] = tape.new(CONST, len(tape.consts) - 1, (), None)
        return tape._const_ids[x]

    def array(self, values: Any) -> Node:
        """An exact array given by a gradient function (per-element data, converted by the engine)."""
        if isinstance(values, Node):
            raise Decline("ar.array of a traced value")
        a = np.asarray(values)
        self.tape.aux.append(values)
        return self.tape.new(AUX, len(self.tape.aux) - 1, a.shape, None)

    def sqrt(self, a: Any) -> Node:
        return self.tape.unary(SQRT, a)

    def nonneg(self, a: Any) -> Node:
        return self.tape.unary(NONNEG, a)


@dataclasses.dataclass
class Program:
    """A traced step: the tape, and per parameter array i the value ids of its new
    parameters ``p[i]``, state ``s[name][i]`` and (closed loop) gradient ``g[i]``."""

    tape: Tape
    names: tuple
    shapes: list
    p: list
    s: dict
    g: Optional[list]

    def outputs(self, i: int) -> list[int]:
        """Value ids written at each step for array i: params, each state slot, then the gradient."""
        out = [self.p[i]] + [self.s[k][i] for k in self.names]
        if self.g is not None:
            out.append(self.g[i])
        return out

    def used(self, i: int) -> list[int]:
        """The instructions array i needs, in tape order (its outputs' dependencies)."""
        need, vals = set(), self.tape.values
        stack = list(self.outputs(i))
        while stack:
            v = stack.pop()
            if v in need:
                continue
            need.add(v)
            if vals[v].kind == OP:
                _, _, a, b = self.tape.code[vals[v].index]
                stack.append(a)
                if b >= 0:
                    stack.append(b)
        return [k for k, ins in enumerate(self.tape.code) if ins[1] in need]


def trace(conv: Convention, shapes: Sequence[tuple], grad_fn: Optional[Callable] = None) -> Program:
    """Record one step of ``conv`` for parameter arrays of ``shapes`` (0-d arrays are run as shape (1,),
    as :func:`oracle.algorithm.simulate` runs them).

    Open loop (``grad_fn`` None) the gradients are inputs; closed loop they are
    computed by ``grad_fn`` from the parameters (it is called once, on traced
    values: it must be a pure function of them).  Raises :class:`Decline`.
    """
    if conv.lr_schedule:
        raise Decline("a learning-rate schedule: the constants change from step to step")
    tape = Tape()
    ar = TraceArith(tape)
    names = conv.state_names()
    params = [tape.new(INPUT_P, i, np.atleast_1d(np.empty(tuple(s), dtype=np.int8)).shape, i)
              for i, s in enumerate(shapes)]
    state = {k: [tape.new(INPUT_S, i, params[i].shape, i, j) for i in range(len(shapes))]
             for j, k in enumerate(names)}
    if grad_fn is None:
        grads = [tape.new(INPUT_G, i, params[i].shape, i) for i in range(len(shapes))]
    else:
        try:
            grads = list(grad_fn(ar, list(params)))
        except Decline:
            raise
        except (TypeError, ValueError, AttributeError, IndexError) as exc:
            raise Decline(f"the gradient function cannot be traced: {exc}") from None
        grads = [tape._node(g) for g in grads]
        if len(grads) != len(params) or any(g.size != p.size for g, p in zip(grads, params)):
            raise Decline("the gradient does not have the parameters' shapes")
    try:
        new_p, new_s = algorithm.step(conv, ar, list(params), state, list(grads))
    except Decline:
        raise
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise Decline(f"the update cannot be traced: {exc}") from None
    if set(new_s) != set(names):
        raise Decline("the update returned other state slots than the convention names")
    p_ids = [tape._node(x).id for x in new_p]
    s_ids = {k: [tape._node(x).id for x in new_s[k]] for k in names}
    for i in range(len(shapes)):
        for v in [p_ids[i]] + [s_ids[k][i] for k in names] + ([grads[i].id] if grad_fn else []):
            if tape.values[v].origin not in (None, i):
                raise Decline("an output of one array depends on another array")
    return Program(tape, tuple(names), [tuple(s) for s in shapes], p_ids, s_ids,
                   [g.id for g in grads] if grad_fn is not None else None)


PURE_GRAD_MODULES = ("oracle.problems.docs_example", "oracle.problems.quadratic")
"""Modules whose closed-loop gradient functions are pure functions of the parameters: the
compiled engines may call them once on traced values (``auto``).  Any other gradient function
(a stateful one such as :class:`oracle.problems.gluon.Tracker`) runs in the object engine."""


def pure(grad_fn: Optional[Callable]) -> bool:
    """Whether ``grad_fn`` may be traced without asking (open loop, or one of the package's pure ones)."""
    import types

    if grad_fn is None:
        return True
    return isinstance(grad_fn, types.FunctionType) and grad_fn.__module__ in PURE_GRAD_MODULES
