"""Loading a candidate factory and calling it safely.

``load("mypkg.opt:make_rmsprop")`` imports the module and returns the
attribute; a bad spec raises :class:`UsageError` with close-match suggestions
(never a traceback).  :class:`Candidate` wraps a factory: it knows which
options the factory accepts and runs a whole trajectory in a worker thread with
a time limit, checking every returned list of arrays (number, shape, dtype).

>>> load("oracle.conformance.builtin:seedd")
Traceback (most recent call last):
...
oracle.conformance.candidate.UsageError: module 'oracle.conformance.builtin' has no attribute 'seedd'; did you mean: seed?
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import sys
import threading
from typing import Any, Callable, Optional, Sequence

OPTIONS = ("momentum", "centered", "weight_decay")


class UsageError(ValueError):
    """A bad ``MODULE:ATTR`` specification (reported as a usage error)."""


class CandidateError(Exception):
    """The candidate raised, hung, or broke the protocol; the message says how."""


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    return f"; did you mean: {', '.join(close)}?" if close else ""


def load(spec: str) -> Callable:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) and return the callable it names."""
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise UsageError(f"optimizer must look like MODULE:ATTR (e.g. mypkg.opt:make_rmsprop), got {spec!r}")
    modname, attr = spec.split(":")
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
    except Exception as err:  # the candidate's module itself is broken
        raise UsageError(f"importing {modname!r} failed: {type(err).__name__}: {err}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise UsageError(
                f"module {modname!r} has no attribute {attr!r}{_suggest(part, names)}"
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{spec!r} is not callable: it is a {type(obj).__name__}")
    return obj


def accepted_options(factory: Callable) -> frozenset:
    """The protocol options the factory's signature accepts (all of them for ``**kwargs``)."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return frozenset(OPTIONS)
    params = sig.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return frozenset(OPTIONS)
    return frozenset(p.name for p in params if p.name in OPTIONS)


class Candidate:
    """A protocol factory with a name, its accepted options and a per-case time limit."""

    def __init__(self, factory: Callable, name: str, timeout: float = 60.0) -> None:
        if not callable(factory):
            raise UsageError(f"candidate must be callable, got {factory!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0, got {timeout!r}")
        self.factory, self.name, self.timeout = factory, name, float(timeout)
        self.options = accepted_options(factory)
        self.convention = getattr(factory, "CONVENTION", None) or getattr(
            sys.modules.get(getattr(factory, "__module__", ""), None), "CONVENTION", None
        )

    def supports(self, options: dict) -> Optional[str]:
        """None if every non-default option is accepted, else the name of one that is not."""
        for key, value in options.items():
            if value and key not in self.options:
                return key
        return None

    def make(self, params: list, hyper: dict, options: dict) -> Callable:
        kwargs = {k: v for k, v in options.items() if k in self.options}
        return self.factory(params, lr=hyper["lr"], rho=hyper["rho"], eps=hyper["eps"], **kwargs)

    def run(self, params0: list, hyper: dict, options: dict, feed: Callable, steps: int) -> list:
        """Build one instance and call it ``steps`` times; ``feed(t, params)`` gives the grads.

        Returns the list of parameter lists, index 0 the initial values.  Every
        failure (exception, hang, wrong output) becomes :class:`CandidateError`.
        """
        return call_with_timeout(lambda: self._trajectory(params0, hyper, options, feed, steps), self.timeout)

    def _trajectory(self, params0, hyper, options, feed, steps) -> list:
        import numpy as np

        try:
            step = self.make([p.copy() for p in params0], hyper, options)
        except Exception as exc:
            raise CandidateError(f"the factory raised {type(exc).__name__}: {exc}") from exc
        if not callable(step):
            raise CandidateError(f"the factory returned {type(step).__name__}, not a step function")
        out = [[p.copy() for p in params0]]
        for t in range(1, steps + 1):
            grads = feed(t, out[-1])
            try:
                got = step([g.copy() for g in grads])
            except Exception as exc:
                raise CandidateError(f"step {t} raised {type(exc).__name__}: {exc}") from exc
            out.append(check_output(got, params0, t, np))
        return out


def check_output(got: Any, params0: list, t: int, np: Any) -> list:
    """The returned arrays, copied, after checking their number, shapes and dtypes."""
    if not isinstance(got, (list, tuple)):
        raise CandidateError(f"step {t} returned {type(got).__name__}, expected a list of {len(params0)} arrays")
    if len(got) != len(params0):
        raise CandidateError(f"step {t} returned {len(got)} arrays for {len(params0)} parameters")
    out = []
    for i, (a, p) in enumerate(zip(got, params0)):
        if not isinstance(a, np.ndarray):
            raise CandidateError(f"step {t} returned {type(a).__name__} for parameter {i}, expected a numpy array")
        if a.shape != p.shape:
            raise CandidateError(f"step {t} returned shape {a.shape} for parameter {i}, expected {p.shape}")
        if a.dtype != p.dtype:
            raise CandidateError(f"step {t} returned dtype {a.dtype} for parameter {i}, expected {p.dtype}")
        out.append(np.array(a, copy=True))
    return out


def call_with_timeout(fn: Callable[[], Any], timeout: float) -> Any:
    """``fn()`` in a daemon thread; :class:`CandidateError` if it takes longer than ``timeout`` s."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="rmsprop-candidate")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise CandidateError(f"the candidate did not finish within the per-case timeout of {timeout:g} s (hanging?)")
    if "error" in box:
        raise box["error"]
    return box["value"]
