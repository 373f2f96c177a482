#!/usr/bin/env python3
"""``python benchmarks/bench.py [--json PATH] [--quick]`` (from a clone): what each engine costs, in one run.

Not part of the installed package: the wheel ships the runtime only.

Every engine runs the same open-loop problem (the ``seed`` convention, lr 0.01,
rho 0.9, eps 1e-8 as binary64, N parameters drawn uniformly in [-1, 1],
standard normal gradients, S steps) and is reported in parameter-steps per
second (N * S / seconds, best of a few runs) and as a ratio to the naive
mpmath loop measured in the same run at the same digits (engines without a
digit count: at 50 digits).  Nothing here is a test: no timing is asserted
anywhere.  Kinds:

* ``anchor``: what a user writes by hand, not certified (the naive mpmath loop,
  the documents' equations transcribed, and the same loop over python-flint
  ``arb`` balls);
* ``golden``: certified digits (``certified_run`` per engine, certification
  included: ``arb-jit``, the compiled Arb engine that ``engine="arb"`` runs
  when numba is installed, ``arb-objects``, ``mpmath``), in open loop and in
  closed loop (the gradient g = a (w - c) computed from the parameters, as
  the conformance suite's quadratic; its anchor is the same naive loop with
  that gradient), the object-array fallback of a non-elementwise gradient
  (:mod:`oracle.problems.quadratic`), and the uncertified mpmath interval run;
* ``grading``: exact values with the float error bound the suite grades with
  (the compiled :mod:`oracle.engines.bound.jitbound`, numpy's
  :mod:`oracle.engines.bound.vecbound`, ErrorBoundArith, and the conformance
  reference of the 1,048,583-element case both ways);
* ``limit``: plain float64 (the package's float backend, and a hand-written
  numpy loop).

Slow engines are timed on fewer parameters (their cost per parameter-step does
not depend on N: one Python-level operation per element; the ``size`` column
says what was run).  The scaling tables vary parameters (10^3 .. 10^6), steps
(10 .. 10^4) and digits; the end-to-end figures time whole commands; the
worker figure is the 1 -> 2 process speed-up of the large case's reference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the clone's oracle

LR, RHO, EPS = 0.01, 0.9, 1e-8
DIGITS = (50, 100, 1000)


def problem(n: int, steps: int, seed: int = 0) -> tuple:
    """(params0, grads) of the benchmark problem as float64 arrays."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, n)], [[rng.standard_normal(n)] for _ in range(steps)]


def paired(a: Callable[[], Any], b: Callable[[], Any], repeat: int = 3) -> tuple:
    """Best wall times of ``a`` and ``b``, run alternately (a load that drifts hits both alike)."""
    ta = tb = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        a()
        ta = min(ta, time.perf_counter() - t)
        t = time.perf_counter()
        b()
        tb = min(tb, time.perf_counter() - t)
    return ta, tb


def best(fn: Callable[[], Any], budget: float = 0.3, repeat: int = 3) -> float:
    """Best wall time of ``fn`` over up to ``repeat`` runs (fewer when one run exceeds ``budget``)."""
    out = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
        if out > budget:
            break
    return out


# -- the engines --------------------------------------------------------------
def naive_mpmath(p0: list, grads: list, digits: int) -> None:
    """The documents' update transcribed into mpmath, one element at a time (not certified)."""
    import mpmath

    ctx = mpmath.mp.clone()
    ctx.dps = digits + 10
    lr, rho, eps = ctx.mpf(LR), ctx.mpf(RHO), ctx.mpf(EPS)
    w = [ctx.mpf(x) for x in p0[0].tolist()]
    v = [ctx.mpf(0)] * len(w)
    for g in grads:
        for i, gi in enumerate(g[0].tolist()):
            gi = ctx.mpf(gi)
            v[i] = rho * v[i] + (1 - rho) * gi**2
            w[i] = w[i] - lr * gi / ctx.sqrt(v[i] + eps)


def arb_loop(p0: list, grads: list, digits: int) -> None:
    """The same loop over python-flint ``arb`` balls (rigorous, not certified)."""
    from flint import arb

    from oracle.engines.certify.arb import precision

    with precision(int(digits * 3.33) + 40):
        lr, rho, eps = arb(LR), arb(RHO), arb(EPS)
        w = [arb(x) for x in p0[0].tolist()]
        v = [arb(0)] * len(w)
        for g in grads:
            for i, gi in enumerate(g[0].tolist()):
                gi = arb(gi)
                v[i] = rho * v[i] + (1 - rho) * gi * gi
                w[i] = w[i] - lr * gi / (v[i] + eps).sqrt()


def numpy_loop(p0: list, grads: list, digits: Optional[int] = None) -> None:
    """The update in float64 numpy, written by hand (the limit)."""
    w, v = p0[0].copy(), np.zeros_like(p0[0])
    for g in grads:
        v = RHO * v + (1 - RHO) * g[0] * g[0]
        w = w - LR * g[0] / np.sqrt(v + EPS)


def closed_problem(n: int, seed: int = 1) -> tuple:
    """The closed-loop benchmark problem: g = a (p - c) per element (the conformance suite's quadratic),
    a uniform in [1/2, 2], c uniform in [-1, 1], as float64 arrays."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2, n), rng.uniform(-1, 1, n)


def naive_mpmath_closed(p0: list, grads: list, digits: int) -> None:
    """The closed-loop anchor: the same naive loop with the gradient g = a (w - c) computed from w."""
    import mpmath

    ctx = mpmath.mp.clone()
    ctx.dps = digits + 10
    lr, rho, eps = ctx.mpf(LR), ctx.mpf(RHO), ctx.mpf(EPS)
    a, c = closed_problem(p0[0].size)
    w = [ctx.mpf(x) for x in p0[0].tolist()]
    A, C = [ctx.mpf(x) for x in a.tolist()], [ctx.mpf(x) for x in c.tolist()]
    v = [ctx.mpf(0)] * len(w)
    for _ in grads:
        for i in range(len(w)):
            gi = A[i] * (w[i] - C[i])
            v[i] = rho * v[i] + (1 - rho) * gi**2
            w[i] = w[i] - lr * gi / ctx.sqrt(v[i] + eps)


def _conv():
    from oracle.conventions import preset

    return preset("seed", lr=LR, rho=RHO, eps=EPS)


def _quadratic(n: int) -> Any:
    from oracle.problems.quadratic import Diagonal

    a, c = closed_problem(n)
    return Diagonal([a], [c])


def certified_closed(engine: str) -> Callable:
    """certified_run in closed loop on the benchmark's quadratic (``len(grads)`` steps; grads unused)."""
    def run(p0: list, grads: list, digits: int) -> None:
        from oracle.engines.certify import certified_run

        certified_run(_conv(), p0, steps=len(grads), grad_fn=_quadratic(p0[0].size).grad_fn(), digits=digits,
                      engine=engine)

    return run


def certified_quadratic_2d(p0: list, grads: list, digits: int) -> None:
    """certified_run (engine arb) on oracle.problems.quadratic: its 2 x 2 product is not elementwise, so
    it runs in arb.py's object arrays (the documented fallback); 2 parameters, ``len(grads)`` steps."""
    from oracle.engines.certify import certified_run
    from oracle.problems import quadratic as q

    certified_run(_conv(), [list(q.P0)], steps=len(grads), grad_fn=q.grad_fn(), digits=digits, engine="arb")


def compiled_bound(dtype: str, closed: bool = False) -> Callable:
    """The compiled grading engine (jitbound): values and bounds split as the conformance reference keeps them."""
    def run(p0: list, grads: list, digits: Optional[int] = None) -> None:
        from oracle.engines.bound.jitbound import bound_run

        with np.errstate(all="ignore"):
            if closed:
                bound_run(_conv(), dtype, p0, steps=len(grads), grad_fn=_quadratic(p0[0].size).grad_fn())
            else:
                bound_run(_conv(), dtype, p0, steps=len(grads), grads=grads)

    return run


def certified(engine: str) -> Callable:
    def run(p0: list, grads: list, digits: int) -> None:
        from oracle.engines.certify import certified_run

        certified_run(_conv(), p0, steps=len(grads), grads=grads, digits=digits, engine=engine)

    return run


def simulated(make: Callable[[Optional[int]], Any]) -> Callable:
    def run(p0: list, grads: list, digits: Optional[int]) -> None:
        from oracle.algorithm import simulate

        with np.errstate(all="ignore"):
            simulate(_conv(), make(digits), p0, steps=len(grads), grads=grads)

    return run


def _interval(digits: int) -> Any:
    from oracle.engines.certified import certified_precision
    from oracle.engines.certify.interval import IntervalArith

    return IntervalArith(certified_precision(digits, 20))


def _bound(dtype: str) -> Callable:
    def make(_: Optional[int]) -> Any:
        from oracle.engines.bound.vecbound import BoundArith

        return BoundArith(dtype)

    return make


def _errorbound(_: Optional[int]) -> Any:
    from oracle.engines.bound.errorbound import ErrorBoundArith

    return ErrorBoundArith("float64")


def _float(_: Optional[int]) -> Any:
    from oracle.engines.floating import FloatArith

    return FloatArith("float64")


def reference_chunked(p0: list, grads: list, digits: Optional[int] = None, compiled: bool = True) -> None:
    """The conformance reference of an open-loop case over cache-sized chunks: compiled (jitbound) when
    numba is installed, else (or with ``compiled=False``) BoundArith's numpy arrays."""
    from oracle.conformance.judge import reference as R

    n = p0[0].size
    job = R.Job(_conv(), "float64", len(grads), p0, grads, engine="vector" if compiled else "vecbound")
    R.run_chunks(job, [(lo, min(lo + R.CHUNK, n)) for lo in range(0, n, R.CHUNK)], workers=1)


def reference_chunked_numpy(p0: list, grads: list, digits: Optional[int] = None) -> None:
    reference_chunked(p0, grads, digits, compiled=False)


def engines() -> list:
    """(name, kind, digit-dependent, function, N, slow, anchor) for every engine available; a slow engine
    (one Python operation per element) may be timed on fewer than N parameters; ``anchor`` is the naive
    loop it is compared with (open or closed loop)."""
    jit, jit_arb = _has_jit(), _has_jit_arb()
    out = [("naive mpmath loop (dps = digits + 10)", "anchor", True, naive_mpmath, 1000, True, naive_mpmath)]
    out.append(("naive mpmath loop, closed loop (g = a (w - c))", "anchor", True, naive_mpmath_closed, 1000, True,
                naive_mpmath_closed))
    if _has_flint():
        out.append(("python-flint arb loop", "anchor", True, arb_loop, 1000, True, naive_mpmath))
    out.append(("certified_run engine=mpmath (the definition)", "golden", True, certified("mpmath"), 1000, True,
                naive_mpmath))
    if jit_arb:
        out.append(("certified_run engine=arb-jit (compiled Arb, the default)", "golden", True, certified("arb-jit"),
                    1000, False, naive_mpmath))
    if _has_flint():
        out.append(("certified_run engine=arb-objects (python-flint object arrays)", "golden", True,
                    certified("arb-objects"), 1000, True, naive_mpmath))
    if jit_arb:
        out.append(("certified_run engine=arb-jit, closed loop (g = a (w - c))", "golden", True,
                    certified_closed("arb-jit"), 1000, False, naive_mpmath_closed))
    if _has_flint():
        out.append(("certified_run engine=arb-objects, closed loop (g = a (w - c))", "golden", True,
                    certified_closed("arb-objects"), 1000, True, naive_mpmath_closed))
        out.append(("certified_run, problems.quadratic (2 x 2 product: object-array fallback, 2 params)",
                    "golden", True, certified_quadratic_2d, 2, True, naive_mpmath_closed))
    out.append(("simulate over IntervalArith, not certified", "golden", True, simulated(_interval), 1000, True,
                naive_mpmath))
    out.append(("ErrorBoundArith float64 (mpmath, 256 bits)", "grading", False, simulated(_errorbound), 1000, True,
                naive_mpmath))
    if jit:
        out.append(("jitbound float64 (compiled double-double, 1,000 x S)", "grading", False,
                    compiled_bound("float64"), 1000, False, naive_mpmath))
        out.append(("jitbound float32 (compiled)", "grading", False, compiled_bound("float32"), 1000, False,
                    naive_mpmath))
        out.append(("jitbound float64, closed loop (g = a (w - c))", "grading", False,
                    compiled_bound("float64", closed=True), 1000, False, naive_mpmath_closed))
    out.append(("BoundArith float64 (numpy double-double)", "grading", False, simulated(_bound("float64")),
                1000, False, naive_mpmath))
    out.append(("BoundArith float32 (numpy)", "grading", False, simulated(_bound("float32")), 1000, False,
                naive_mpmath))
    if jit:
        out.append(("conformance reference float64 (1,048,583 x 3, chunked, compiled)", "grading", False,
                    reference_chunked, LARGE, False, naive_mpmath))
    out.append(("conformance reference float64 (1,048,583 x 3, chunked, BoundArith numpy)", "grading", False,
                reference_chunked_numpy, LARGE, False, naive_mpmath))
    out.append(("FloatArith float64 (simulate)", "limit", False, simulated(_float), 1000, False, naive_mpmath))
    out.append(("float64 numpy loop", "limit", False, numpy_loop, 1000, False, naive_mpmath))
    return out


def _has_jit() -> bool:
    from oracle.engines.bound import jitbound

    return jitbound.available()


def _has_jit_arb() -> bool:
    try:
        from oracle.engines.certify import jitarb
    except ImportError:
        return False
    return jitarb.available()


LARGE = (1 << 20) + 7
"""The default profile's large case: the reference row is timed on it (3 steps)."""


def _has_flint() -> bool:
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True


def rate(fn: Callable, n: int, steps: int, digits: Optional[int], budget: float, slow: bool = True) -> tuple:
    """(param-steps/s, parameters used): n parameters, or for a slow engine fewer, so that one run
    takes about ``budget`` s."""
    m = min(n, 50) if slow else n
    p0, grads = problem(m, steps)
    t = best(lambda: fn(p0, grads, digits), budget, 1)
    if slow and t * n / m > 2 * budget:  # too slow for n: fewer parameters (the cost per element is flat)
        m = max(m, int(m * budget / max(t, 1e-9)))
    else:
        m = n
    p0, grads = problem(m, steps)
    t = best(lambda: fn(p0, grads, digits), budget)
    return m * steps / t, m


def table(steps: int, budget: float, digit_levels: tuple) -> list:
    """One record per engine (and digit count): name, kind, digits, size, param_steps_per_s, ratio_to_naive.

    The ratio divides by the naive loop at the same digits (50 for engines without digits) timed
    right beside the engine (alternating runs), so that a drifting machine load cancels out.
    """
    records = []
    for name, kind, per_digits, fn, n, slow, anchor in engines():
        if n == LARGE:
            n, run_steps = (n if budget >= 0.5 else 1 << 14), 3
        else:
            run_steps = steps
        for digits in (digit_levels if per_digits else (None,)):
            _, m = rate(fn, n, run_steps, digits or 50, budget, slow)
            p0, grads = problem(m, run_steps)
            q0, qgrads = problem(max(10, min(max(m, 100), 100)), steps)
            t, tn = paired(lambda: fn(p0, grads, digits or 50), lambda: anchor(q0, qgrads, digits or 50))
            r, rn = m * run_steps / t, q0[0].size * steps / tn
            records.append({"name": name, "kind": kind, "digits": digits, "size": f"{m} x {run_steps}",
                            "param_steps_per_s": r, "ratio_to_naive": 1.0 if name.startswith("naive") else r / rn,
                            "naive_param_steps_per_s": rn, "anchor": anchor.__name__})
    return records


def certification_share(n: int = 200, steps: int = 20, digits: int = 50) -> dict:
    """Per engine, the fraction of ``certified_run`` spent beyond the arithmetic (certifying the digits)."""
    from oracle.algorithm import simulate
    from oracle.engines.certified import certified_precision
    from oracle.engines.certify import certified_run
    from oracle.engines.certify.interval import IntervalArith

    p0, grads = problem(n, steps)
    bits = certified_precision(digits, steps)
    makers = {"mpmath": lambda: IntervalArith(bits)}
    if _has_flint():
        from oracle.engines.certify.arb import ArbArith, precision

        makers["arb-objects"] = lambda: ArbArith(bits)
    if _has_jit_arb():
        makers["arb-jit"] = None
    out = {}
    for engine, make in makers.items():
        def arithmetic() -> None:
            if engine == "arb-jit":  # the same compiled run without the accuracy of every ball
                from oracle.engines import trace
                from oracle.engines.certify import jitarb

                jitarb.run_once(_conv(), trace.trace(_conv(), [(n,)]), p0, grads, steps, bits, False, False)
            elif engine == "arb-objects":
                with precision(bits):
                    simulate(_conv(), make(), p0, steps=steps, grads=grads)
            else:
                simulate(_conv(), make(), p0, steps=steps, grads=grads)

        whole, arith = paired(lambda: certified_run(_conv(), p0, steps=steps, grads=grads, digits=digits,
                                                    engine=engine), arithmetic)
        out[engine] = max(0.0, 1 - arith / whole)
    return out


# -- scaling, workers, end to end --------------------------------------------
def scaling(quick: bool) -> dict:
    """param-steps/s of the golden and grading engines as parameters, steps and digits grow."""
    golden = certified("arb-jit" if _has_jit_arb() else "arb" if _has_flint() else "mpmath")
    grading = compiled_bound("float64") if _has_jit() else simulated(_bound("float64"))
    sizes = (1000, 10000) if quick else (1000, 10000, 100000, 1000000)
    out: dict = {"parameters": [], "steps": [], "digits": []}
    for n in sizes:
        p0, grads = problem(n, 10)
        g = best(lambda: grading(p0, grads, None), 1.0)
        p0s, grads2 = problem(n, 2)
        c = best(lambda: golden(p0s, grads2, 50), 1.0)
        out["parameters"].append({"parameters": n, "grading_float64_steps": 10, "grading_param_steps_per_s": n * 10 / g,
                                  "golden_parameters": p0s[0].size, "golden_steps": 2,
                                  "golden_param_steps_per_s": p0s[0].size * 2 / c})
    for s in ((10, 100) if quick else (10, 100, 1000, 10000)):
        p0, grads = problem(10, s)
        c = best(lambda: golden(p0, grads, 50), 1.0, 1)
        p0b, gradsb = problem(1000, s)
        g = best(lambda: grading(p0b, gradsb, None), 1.0, 1)
        out["steps"].append({"steps": s, "golden_parameters": 10, "golden_param_steps_per_s": 10 * s / c,
                             "grading_parameters": 1000, "grading_param_steps_per_s": 1000 * s / g})
    for d in ((50, 100) if quick else (50, 100, 1000, 10000)):
        p0, grads = problem(100, 10)
        c = best(lambda: golden(p0, grads, d), 1.0, 1)
        out["digits"].append({"digits": d, "golden_parameters": 100, "golden_steps": 10,
                              "golden_param_steps_per_s": 1000 / c})
    return out


def workers_speedup(size: int) -> dict:
    """Seconds for the reference of a ``size``-element open-loop case on 1 and 2 worker processes."""
    from oracle.conformance.judge import reference as R
    from oracle.conventions import preset

    p0, grads = problem(size, 3)
    job = R.Job(preset("pytorch", lr=LR, rho=RHO, eps=EPS), "float64", 3, p0, grads)
    bounds = [(lo, min(lo + R.CHUNK, size)) for lo in range(0, size, R.CHUNK)]
    out = {"elements": size, "steps": 3}
    t = time.perf_counter()
    R.run_chunks(job, bounds[:2], workers=2)  # start the pool (spawned interpreters)
    out["pool_start_seconds"] = time.perf_counter() - t
    one, two = paired(lambda: R.run_chunks(job, bounds, workers=1), lambda: R.run_chunks(job, bounds, workers=2), 2)
    out["seconds_1_worker"], out["seconds_2_workers"] = one, two
    out["speedup_1_to_2"] = out["seconds_1_worker"] / out["seconds_2_workers"]
    return out


def end_to_end() -> dict:
    """Wall time of whole commands (each in a fresh interpreter)."""
    import tempfile

    py = sys.executable
    cmds = {
        "certify torch.optim.RMSprop, default profile": [py, "-m", "oracle", "certify", "oracle.adapters.torch:rmsprop",
                                                          "--oracle-profile", "default", "-q"],
        "golden check": [py, "-m", "oracle", "golden", "check"],
        "golden check, ORACLE_ENGINE=mpmath (the definition)": [py, "-m", "oracle", "golden", "check"],
        "golden check --long": [py, "-m", "oracle", "golden", "check", "--long"],
    }
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, cmd in cmds.items():
            env = dict(os.environ, ORACLE_ENGINE="mpmath" if "mpmath" in label else os.environ.get("ORACLE_ENGINE", "auto"))
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=env)
            out[label] = {"seconds": time.perf_counter() - t, "exit_status": proc.returncode}
    return out


# -- report ---------------------------------------------------------------------
def render(report: dict) -> str:
    load = report.get("load_average_at_start")
    lines = [f"open loop, seed convention, {report['steps']} steps; param-steps/s and ratio to the naive "
             "mpmath loop of the same run at the same digits"
             + (f" ({report['cpu_count']} CPUs, load average {load[0]:.1f} at start)" if load else ""), ""]
    lines.append("| engine | kind | digits | size | param-steps/s | x naive |")
    lines.append("|---|---|---|---|---|---|")
    for r in report["engines"]:
        lines.append(f"| {r['name']} | {r['kind']} | {r['digits'] or '-'} | {r['size']} | "
                     f"{r['param_steps_per_s']:,.0f} | {r['ratio_to_naive']:.3g} |")
    share = report.get("certification_share")
    if share:
        lines += ["", "certifying the digits, as a share of certified_run: " +
                  ", ".join(f"{k} {v:.0%}" for k, v in share.items())]
    sc = report.get("scaling")
    if sc:
        lines += ["", "| parameters | grading float64 (10 steps) | golden 50 digits (2 steps) |", "|---|---|---|"]
        lines += [f"| {r['parameters']:,} | {r['grading_param_steps_per_s']:,.0f} | "
                  f"{r['golden_param_steps_per_s']:,.0f} ({r['golden_parameters']:,} params) |" for r in sc["parameters"]]
        lines += ["", "| steps | golden 50 digits (10 params) | grading float64 (1,000 params) |", "|---|---|---|"]
        lines += [f"| {r['steps']:,} | {r['golden_param_steps_per_s']:,.0f} | {r['grading_param_steps_per_s']:,.0f} |"
                  for r in sc["steps"]]
        lines += ["", "| digits | golden (100 params x 10 steps) |", "|---|---|"]
        lines += [f"| {r['digits']:,} | {r['golden_param_steps_per_s']:,.0f} |" for r in sc["digits"]]
    w = report.get("workers")
    if w:
        lines += ["", f"reference of a {w['elements']:,}-element case, {w['steps']} steps: "
                  f"{w['seconds_1_worker']:.2f} s on 1 worker, {w['seconds_2_workers']:.2f} s on 2 "
                  f"(speed-up {w['speedup_1_to_2']:.2f}; starting the pool once: {w['pool_start_seconds']:.2f} s)"]
    e = report.get("end_to_end")
    if e:
        lines += ["", "| command | seconds | exit status |", "|---|---|---|"]
        lines += [f"| {k} | {v['seconds']:.1f} | {v['exit_status']} |" for k, v in e.items()]
    return "\n".join(lines)


def run(quick: bool = False, end_to_end_too: Optional[bool] = None) -> dict:
    """The whole benchmark as a JSON-able dict (``quick``: seconds, small sizes, no end-to-end runs)."""
    steps = 5 if quick else 20
    levels = (50, 100) if quick else DIGITS
    report: dict = {"format": "rmsprop-oracle-bench", "quick": quick, "steps": steps,
                    "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                    "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}
    report["engines"] = table(steps, 0.05 if quick else 0.5, levels)
    report["certification_share"] = certification_share(50 if quick else 200, steps)
    report["scaling"] = scaling(quick)
    report["workers"] = workers_speedup(1 << 14 if quick else (1 << 20) + 7)
    if end_to_end_too if end_to_end_too is not None else not quick:
        report["end_to_end"] = end_to_end()
    return report


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/bench.py",
                                description="benchmark every engine against the naive mpmath loop",
                                epilog="examples:\n  python benchmarks/bench.py --quick\n"
                                       "  python benchmarks/bench.py --json bench.json   # about 10 minutes on 2 cores",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", metavar="PATH", default=None, help="also write the results as JSON here")
    p.add_argument("--quick", action="store_true", help="seconds: small sizes, no end-to-end commands")
    p.add_argument("--no-end-to-end", action="store_true", help="skip the end-to-end commands (minutes)")
    args = p.parse_args(argv)
    report = run(args.quick, False if args.no_end_to_end else None)
    print(render(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
