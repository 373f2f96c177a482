"""Candidates that misbehave: the suite must fail (or decline) each with a clear cause and never crash.

``CATALOGUE`` maps a name to ``(exit status, text the output must contain,
extra pytest arguments)``; ``tests/test_misbehaving.py`` runs each through the
plugin.  Entries are factories in this module unless the spec names another one.
"""

import os
import sys

import numpy as np

from .base import RMSProp

USAGE, FAILED, OK = 4, 1, 0
ONE_CASE = ("-k", "test_case and docs-example-float64")
LONG = ("-k", "test_case and long-run-float64")
HYGIENE = ("-k", "hygiene")

CATALOGUE = {
    # the spec itself is wrong: usage errors, exit 4
    "mutants.import_error:rmsprop": (USAGE, "importing 'mutants.import_error' failed: No module named "
                                            "'a_dependency_that_is_not_installed'", ()),
    "mutants.misbehaving:no_such_factory": (USAGE, "has no attribute 'no_such_factory'", ()),
    "mutants.misbehaving:not_callable": (USAGE, "is not callable: it is a int", ()),
    "mutants.misbehaving:wrong_signature": (USAGE, "does not take the keyword(s) rho, eps", ()),
    "mutants.exits_on_import:rmsprop": (USAGE, "importing 'mutants.exits_on_import' failed: SystemExit: 3", ()),
    # exceptions, with the candidate's own traceback
    "mutants.misbehaving:raises_at_step_1": (FAILED, "step 1 raised RuntimeError: boom at step 1", ONE_CASE),
    "mutants.misbehaving:raises_at_step_50": (FAILED, "step 50 raised RuntimeError: boom at step 50", LONG),
    "mutants.misbehaving:factory_raises": (FAILED, "the factory raised ValueError: no thanks", ONE_CASE),
    "mutants.misbehaving:huge_allocation": (FAILED, "step 1 raised MemoryError: Unable to allocate", ONE_CASE),
    # the process itself
    "mutants.misbehaving:calls_sys_exit": (FAILED, "step 1 called sys.exit(0)", ONE_CASE),
    "mutants.misbehaving:raises_system_exit": (FAILED, "step 1 called sys.exit(7)", ONE_CASE),
    "mutants.misbehaving:raises_keyboard_interrupt": (FAILED, "step 1 raised KeyboardInterrupt", ONE_CASE),
    "mutants.misbehaving:calls_os_exit": (FAILED, "ended the worker process with exit status 3", ONE_CASE),
    "mutants.misbehaving:segfaults": (FAILED, "crashed the worker process (SIGSEGV)", ONE_CASE),
    "mutants.misbehaving:busy_loop": (FAILED, "did not finish within the per-case timeout of 1 s",
                                      ("--case-timeout=1", "-k", "test_case and docs-example")),
    # what it returns
    "mutants.misbehaving:too_few_arrays": (FAILED, "step 1 returned 0 arrays for 1 parameters", ONE_CASE),
    "mutants.misbehaving:too_many_arrays": (FAILED, "step 1 returned 2 arrays for 1 parameters", ONE_CASE),
    "mutants.misbehaving:wrong_shape": (FAILED, "step 1 returned shape (1, 1) for parameter 0, expected ()",
                                        ONE_CASE),
    "mutants.misbehaving:wrong_dtype": (FAILED, "step 1 returned dtype float32 for parameter 0, expected float64",
                                        ONE_CASE),
    # a numpy scalar of the parameter's dtype is accepted for a 0-d parameter (issue 16)
    "mutants.misbehaving:numpy_scalars": (OK, "suite tests: 1 passed, 0 failed",
                                          ("-k", "test_case and empty-and-scalar-float64")),
    "mutants.misbehaving:python_lists": (FAILED, "step 1 returned list for parameter 0, expected a numpy array",
                                         ("-k", "test_case and stream-float64")),
    "mutants.misbehaving:python_tuples": (FAILED, "step 1 returned tuple for parameter 0, expected a numpy array",
                                          ("-k", "test_case and stream-float64")),
    "mutants.misbehaving:generator": (FAILED, "step 1 returned generator, expected a list of 1 arrays", ONE_CASE),
    "mutants.misbehaving:returns_none": (FAILED, "step 1 returned NoneType, expected a list of 1 arrays", ONE_CASE),
    "mutants.misbehaving:factory_returns_none": (FAILED, "the factory returned NoneType, not a step function",
                                                 ONE_CASE),
    "mutants.misbehaving:nan_at_step_20": (FAILED, "non-finite output where the exact value is finite", LONG),
    "mutants.misbehaving:inf_at_step_20": (FAILED, "non-finite output where the exact value is finite", LONG),
    # state hygiene
    "mutants.misbehaving:mutates_params": (FAILED, "the factory's params were mutated by the steps", HYGIENE),
    "mutants.wrong:mutates_grads": (FAILED, "step 1 mutated the gradient arrays it was given", HYGIENE),
    "mutants.misbehaving:returns_views": (FAILED, "the arrays returned by step 1 were changed by later steps",
                                          HYGIENE),
    "mutants.misbehaving:rarely_noisy": (FAILED, "not deterministic: two fresh runs on the same inputs differ",
                                         HYGIENE),
    # correct candidates in unfriendly ways: certified
    "mutants.misbehaving:chatty": (OK, "output_bytes", ("-k", "test_case and (docs-example or stream)")),
    "mutants.misbehaving:vandal": (OK, "CERTIFIED against seed", ()),
    # a tuple of arrays is a sequence of arrays too (one case selected: the verdict is INCOMPLETE)
    "mutants.misbehaving:tuple_of_arrays": (OK, "suite tests: 1 passed, 0 failed", ONE_CASE),
    # declining
    "mutants.misbehaving:no_float16": (OK, "declined by the candidate: no float16 here",
                                       ("--dtype=float64,float16", "-k", "test_case and docs-example")),
    "mutants.misbehaving:declines_everything": (FAILED, "nothing was certified", ONE_CASE),
}
"""Every entry runs with ``--convention=seed --dtype=float64 --oracle-profile=quick`` unless its
extra arguments say otherwise."""


class _Plain(RMSProp):
    pass


def _plain(params, lr, rho, eps):
    return _Plain(params, lr=lr, rho=rho, eps=eps)


not_callable = 42


def wrong_signature(params, lr, beta, epsilon):
    return _plain(params, lr, beta, epsilon)


def raises_at_step_1(params, *, lr, rho, eps):
    def step(grads):
        raise RuntimeError("boom at step 1")

    return step


def raises_at_step_50(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)

    def step(grads):
        if inner.t == 49:
            raise RuntimeError("boom at step 50")
        return inner(grads)

    return step


def factory_raises(params, *, lr, rho, eps):
    raise ValueError("no thanks")


def huge_allocation(params, *, lr, rho, eps):
    def step(grads):
        return [np.empty(2**46) for _ in grads]

    return step


def calls_sys_exit(params, *, lr, rho, eps):
    def step(grads):
        sys.exit(0)

    return step


def raises_system_exit(params, *, lr, rho, eps):
    def step(grads):
        raise SystemExit(7)

    return step


def raises_keyboard_interrupt(params, *, lr, rho, eps):
    def step(grads):
        raise KeyboardInterrupt

    return step


def calls_os_exit(params, *, lr, rho, eps):
    def step(grads):
        os._exit(3)

    return step


def segfaults(params, *, lr, rho, eps):
    def step(grads):
        import ctypes

        ctypes.string_at(0)

    return step


def busy_loop(params, *, lr, rho, eps):
    def step(grads):
        while True:
            pass

    return step


def too_few_arrays(params, *, lr, rho, eps):
    return lambda grads: []


def too_many_arrays(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: inner(grads) + [np.zeros(1)]


def wrong_shape(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: [np.atleast_1d(x).reshape(-1, 1) for x in inner(grads)]


def wrong_dtype(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: [x.astype(np.float32) for x in inner(grads)]


def numpy_scalars(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: [x[()] if x.ndim == 0 else x for x in inner(grads)]


def python_lists(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: [x.tolist() for x in inner(grads)]


def python_tuples(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: [tuple(x.ravel().tolist()) for x in inner(grads)]


def tuple_of_arrays(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: tuple(inner(grads))


def generator(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    return lambda grads: (x for x in inner(grads))


def returns_none(params, *, lr, rho, eps):
    return lambda grads: None


def factory_returns_none(params, *, lr, rho, eps):
    return None


def _late(value):
    def factory(params, *, lr, rho, eps):
        inner = _plain(params, lr, rho, eps)

        def step(grads):
            out = inner(grads)
            return [np.full_like(x, value) for x in out] if inner.t == 20 else out

        return step

    return factory


nan_at_step_20 = _late(np.nan)
inf_at_step_20 = _late(np.inf)


def mutates_params(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)

    def step(grads):
        out = inner(grads)
        for p, q in zip(params, out):
            p[...] = q  # writes into the caller's arrays
        return out

    return step


def returns_views(params, *, lr, rho, eps):
    inner = _plain(params, lr, rho, eps)
    buffers = [np.array(p, copy=True) for p in params]

    def step(grads):
        for b, x in zip(buffers, inner(grads)):
            b[...] = x
        return [b[...] for b in buffers]  # views of buffers the next step overwrites

    return step


_calls = [0]


def rarely_noisy(params, *, lr, rho, eps):
    """Correct, except that one call in 97 (counted process-wide) adds one ulp to its result."""
    inner = _plain(params, lr, rho, eps)

    def step(grads):
        _calls[0] += 1
        out = inner(grads)
        if _calls[0] % 97 == 37:
            out = [np.nextafter(x, np.inf) for x in out]
        return out

    return step


def chatty(params, *, lr, rho, eps):
    """Correct, and prints a megabyte on every call."""
    inner = _plain(params, lr, rho, eps)
    line = "x" * 1023 + "\n"

    def step(grads):
        sys.stdout.write(line * 1024)
        return inner(grads)

    return step


_sqrt = np.sqrt


class _Careful(RMSProp):
    def denominator(self, s):
        return _sqrt(s + self.c(self.eps))


def vandal(params, *, lr, rho, eps):
    """Correct, but vandalizes its process: numpy errors raise, sqrt and array_equal replaced, mpmath at 10 bits."""
    import mpmath

    np.seterr(all="raise")
    np.set_printoptions(precision=1)
    np.sqrt = lambda x: x * 0
    np.array_equal = lambda *a, **k: True
    mpmath.mp.prec = 10
    return _Careful(params, lr=lr, rho=rho, eps=eps)


def no_float16(params, *, lr, rho, eps):
    if params[0].dtype == np.float16:
        raise NotImplementedError("no float16 here")
    return _plain(params, lr, rho, eps)


def declines_everything(params, *, lr, rho, eps):
    raise NotImplementedError("this candidate implements nothing")
