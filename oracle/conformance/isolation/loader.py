"""Loading a candidate factory from ``MODULE:ATTR`` and reading its signature.

This runs where the candidate runs (the worker process, :mod:`.worker`): the
oracle's own process never imports the candidate's module.  A bad spec raises
:class:`UsageError` with close-match suggestions (never a traceback).

>>> load("oracle.conformance.judge.builtin:seedd")
Traceback (most recent call last):
...
oracle.conformance.isolation.loader.UsageError: module 'oracle.conformance.judge.builtin' has no attribute 'seedd'; did you mean: seed?
>>> sorted(accepted_options(load("oracle.conformance.judge.builtin:pytorch")))
['centered', 'lr_schedule', 'maximize', 'momentum', 'weight_decay']
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import sys
from typing import Any, Callable, Optional, Sequence

OPTIONS = ("momentum", "centered", "weight_decay")
NAMED_OPTIONS = ("maximize", "lr_schedule")
"""Options passed only to a factory whose signature names them (``**kwargs`` takes the three above only,
so a candidate written before an option existed never receives it)."""
"""The protocol options a factory may accept."""


class UsageError(ValueError):
    """A bad ``MODULE:ATTR`` specification (reported as a usage error)."""


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    return f"; did you mean: {', '.join(close)}?" if close else ""


def check_spec(spec: object) -> tuple[str, str]:
    """``(module, attr)`` of a well-formed ``MODULE:ATTR`` string, else :class:`UsageError`."""
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise UsageError(f"optimizer must look like MODULE:ATTR (e.g. mypkg.opt:make_rmsprop), got {spec!r}")
    module, attr = spec.split(":")
    return module, attr


def load(spec: str) -> Callable:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) and return the callable it names."""
    modname, attr = check_spec(spec)
    try:
        module = importlib.import_module(modname)
    except ModuleNotFoundError as err:
        if err.name and not (modname == err.name or modname.startswith(err.name + ".")):
            raise UsageError(f"importing {modname!r} failed: {err}") from None
        missing = err.name or modname
        parent = missing.rpartition(".")[0]
        if parent and parent in sys.modules and hasattr(sys.modules[parent], "__path__"):
            names = [f"{parent}.{m.name}" for m in pkgutil.iter_modules(sys.modules[parent].__path__)]
        else:
            names = [m.name for m in pkgutil.iter_modules()]
        raise UsageError(f"no module named {missing!r} (from {spec!r}){_suggest(missing, names)}") from None
    except BaseException as err:  # the candidate's module itself is broken (SystemExit included)
        raise UsageError(f"importing {modname!r} failed: {type(err).__name__}: {err}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise UsageError(f"module {modname!r} has no attribute {attr!r}{_suggest(part, names)}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{spec!r} is not callable: it is a {type(obj).__name__}")
    return obj


def accepted_options(factory: Callable) -> frozenset:
    """The protocol options the factory's signature accepts (all of them for ``**kwargs``).

    A signature that cannot take ``params`` and the keywords ``lr``, ``rho``,
    ``eps`` is a :class:`UsageError`.
    """
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return frozenset(OPTIONS)
    params = list(sig.parameters.values())
    kinds = {p.kind for p in params}
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        missing = [k for k in ("lr", "rho", "eps") if k not in sig.parameters
                   or sig.parameters[k].kind is inspect.Parameter.POSITIONAL_ONLY]
        if missing:
            raise UsageError(f"the factory's signature {sig} does not take the keyword(s) {', '.join(missing)}: "
                             "expected factory(params, *, lr, rho, eps, **options)")
    try:
        sig.bind([], lr=0.1, rho=0.9, eps=1e-8)
    except TypeError as err:
        raise UsageError(f"the factory's signature {sig} cannot be called as factory(params, lr=, rho=, eps=): "
                         f"{err}") from None
    named = frozenset(p.name for p in params if p.name in NAMED_OPTIONS)
    if inspect.Parameter.VAR_KEYWORD in kinds:
        return frozenset(OPTIONS) | named
    return frozenset(p.name for p in params if p.name in OPTIONS) | named


def declared_convention(factory: Callable) -> Optional[str]:
    """The convention spec a factory declares (``CONVENTION`` on it or on its module), if any.

    Only a plain ``str`` counts (``type(x) is str``): a subclass could run the candidate's
    code wherever it is compared or printed, so it is ignored, as is anything else.
    """
    module = sys.modules.get(getattr(factory, "__module__", "") or "", None)
    for owner in (factory, module):
        try:
            found = getattr(owner, "CONVENTION", None)
        except Exception:  # a property that raises
            continue
        if type(found) is str and found:
            return str.__str__(found)
    return None
