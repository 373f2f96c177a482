"""The certified ladder: ``certified_run`` runs the fastest certified engine that can, one precision loop.

Three rungs compute the same certified digits by the method of :mod:`.interval` (the definition):

* ``arb-jit`` -- :mod:`.jitarb`: Arb balls from a compiled loop; needs numba and python-flint's
  library (extra ``jit``) and a run it can trace (:mod:`..trace`);
* ``arb-objects`` -- :mod:`.arb`: numpy object arrays of Arb balls; needs python-flint (extra ``flint``);
* ``mpmath`` -- :mod:`.interval`: mpmath intervals, the definition and the fallback; always runs.

``engine`` (or the environment variable ``ORACLE_ENGINE``) names where to start:
``"auto"`` (the default: ``"arb"`` when python-flint is installed, else ``"mpmath"``), ``"arb"``
(compiled when the run can be traced and is large enough to pay for loading the compiled loop,
:func:`.jitarb.worth`, else object arrays), ``"arb-jit"`` (compiled whenever the run can be traced),
``"arb-objects"`` or ``"mpmath"``.  A rung that cannot run the computation declines
(:class:`..rungs.Decline`) and the next one runs it.  Every rung publishes the same certified digits
(the compiled and object Arb rungs the same balls, bit for bit); :attr:`.CertifiedRun.engine` says which ran.

The loop (step 4 of the method), written once for every rung: start at ``prec`` bits (default
:func:`..certified.certified_precision`), run, and double the precision until every published value
has ``digits`` certified digits; an enclosure that stays unbounded at 4 times the starting precision
is an exact 0/0 (:func:`..certified.undefined`); past ``max_prec`` the run fails
(:func:`..certified.exhausted`).

>>> from oracle.conventions import preset
>>> run = certified_run(preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30)
>>> run.records[1]["params"][0][0].sci(30)
'3.16227765769784991288749885395e-1'
>>> certified_run(preset("seed"), [["0"]], grads=[[["-8"]]], steps=1, digits=30, engine="mpmath").engine
'mpmath'
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from typing import Any, Callable, Iterator, Optional, Sequence

from ... import algorithm
from ...conventions import Convention
from .. import trace
from ..certified import Attempt, CertifiedRun, certified_precision, check_digits, exhausted, undefined
from ..rungs import Decline
from . import interval

__all__ = ["ENGINES", "RUNGS", "certified_run", "engines_used", "resolve_engine", "run_rung"]

ENGINES = ("auto", "arb", "arb-jit", "arb-objects", "mpmath")
"""What ``engine=`` (or ``ORACLE_ENGINE``) accepts."""
RUNGS = ("arb-jit", "arb-objects", "mpmath")
"""The rungs, fastest first: the names :attr:`.CertifiedRun.engine` reports."""


def resolve_engine(engine: Optional[str] = None) -> str:
    """The engine to run: ``engine``, else ``$ORACLE_ENGINE``, else ``auto`` (arb when installed)."""
    name = engine or os.environ.get("ORACLE_ENGINE") or "auto"
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")
    if name == "mpmath":
        return name
    try:
        from . import arb  # noqa: F401  (python-flint is an optional extra)
    except ImportError:
        if name != "auto":
            raise ImportError(f"engine={name!r} needs python-flint: pip install 'rmsprop-oracle[flint]'") from None
        return "mpmath"
    if name == "arb-jit" and not _jit_arb():
        raise ImportError("engine='arb-jit' needs numba and python-flint's library: pip install 'rmsprop-oracle[jit]'"
                          + (f" ({_jit_reason()})" if _jit_reason() else ""))
    return name if name in ("arb-jit", "arb-objects") else "arb"


def _jit_arb() -> bool:
    try:
        from . import jitarb
    except ImportError:
        return False
    return jitarb.available()


def _jit_reason() -> str:
    try:
        from . import jitarb
    except ImportError as exc:
        return str(exc)
    return jitarb.unavailable_reason()


_USED: contextvars.ContextVar[Optional[list]] = contextvars.ContextVar("certified_engines_used", default=None)


@contextlib.contextmanager
def engines_used() -> Iterator[list]:
    """Collect, in a list, the rung of every certified run inside the block (``golden regen --verbose``)."""
    used: list = []
    token = _USED.set(used)
    try:
        yield used
    finally:
        _USED.reset(token)


def certified_run(
    conv: Convention,
    params0: Sequence[Any],
    *,
    steps: int,
    grads: Sequence[Sequence[Any]] | None = None,
    grad_fn: algorithm.GradFn | None = None,
    digits: int = 50,
    prec: Optional[int] = None,
    max_prec: int = 1 << 16,
    engine: Optional[str] = None,
    stages: algorithm.Stages = algorithm.RMSPROP,
) -> CertifiedRun:
    """Run RMSProp until every value has ``digits`` certified digits, on the fastest rung that can.

    Starts at ``prec`` bits (default: enough for ``digits`` plus a margin that grows with
    ``steps``) and doubles the precision until every nonzero parameter, state and gradient value
    has at least ``digits`` certified significant digits; raises ``ArithmeticError`` past
    ``max_prec``.  ``engine`` picks where the ladder starts (:func:`resolve_engine`);
    ``stages`` runs a variant of the update (:class:`oracle.algorithm.Stages`; only the object
    rungs run a variant).
    """
    name = resolve_engine(engine)
    check_digits(digits)
    algorithm.check_run(steps=steps, grads=grads, grad_fn=grad_fn)
    args = dict(steps=steps, grads=grads, grad_fn=grad_fn, digits=digits, prec=prec, max_prec=max_prec,
                stages=stages)
    if name in ("arb", "arb-jit") and stages is algorithm.RMSPROP and _jit_arb():
        from . import jitarb

        # compiled where it applies (a stateful gradient function is never called on traced values) and,
        # for "arb", where it pays: the first compiled run of a process loads the compiled loop (~1 s)
        if trace.pure(grad_fn) and (name == "arb-jit" or jitarb.worth(params0, steps)):
            try:
                return _climb("arb-jit", conv, params0, **args)
            except Decline:
                pass  # not elementwise: the object arrays below compute the same balls
    return _climb("mpmath" if name == "mpmath" else "arb-objects", conv, params0, **args)


def run_rung(rung: str, conv: Convention, params0: Sequence[Any], **run: Any) -> CertifiedRun:
    """:func:`certified_run` on exactly the rung named (one of :data:`RUNGS`): no choice, no fallback
    (``arb-jit`` raises :class:`..rungs.Decline` for what it cannot trace).  For comparing rungs."""
    if rung not in RUNGS:
        raise ValueError(f"rung must be one of {RUNGS}, got {rung!r}")
    run.setdefault("digits", 50)
    check_digits(run["digits"])
    algorithm.check_run(steps=run.get("steps"), grads=run.get("grads"), grad_fn=run.get("grad_fn"))
    return _climb(rung, conv, params0, **run)


def _starter(rung: str) -> Callable[..., Callable[[int], Attempt]]:
    if rung == "mpmath":
        return interval.start
    if rung == "arb-objects":
        from . import arb

        return arb.start
    from . import jitarb

    return jitarb.start


def _climb(rung: str, conv: Convention, params0: Sequence[Any], *, steps: int,
           grads: Sequence[Sequence[Any]] | None = None, grad_fn: algorithm.GradFn | None = None, digits: int = 50,
           prec: Optional[int] = None, max_prec: int = 1 << 16,
           stages: algorithm.Stages = algorithm.RMSPROP) -> CertifiedRun:
    """The precision loop (the module docstring), on one rung."""
    attempt = _starter(rung)(conv, params0, steps=steps, grads=grads, grad_fn=grad_fn, digits=digits, stages=stages)
    bits = start = prec or certified_precision(digits, steps)
    while True:
        got = attempt(bits)
        if got.worst >= digits:
            used = _USED.get()
            if used is not None:
                used.append(rung)
            return CertifiedRun(conv, steps, bits, digits, got.records, engine=rung)
        if got.unbounded is not None and bits >= 4 * start:
            raise undefined(got.unbounded)
        if bits >= max_prec:
            raise exhausted(digits, max_prec, got.worst, bits)
        bits = min(2 * bits, max_prec)
