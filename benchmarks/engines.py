"""Benchmark the number contexts of oracle.algorithm.step against each other.

Purpose: show what certification costs.  Every engine runs the same open-loop
RMSProp problem (pytorch preset, centered + momentum, one parameter array);
times are printed as ratios to the float64 backend measured in the same run,
never as absolute claims.  Run time: about 20 s on 2 cores.  (``python benchmarks/bench.py``
is the full benchmark, against the naive mpmath loop; the compiled engines need the extra ``jit``.)

    python benchmarks/engines.py [--size N] [--steps S]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def bench(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None) -> None:
    from oracle.algorithm import simulate
    from oracle.conventions import preset
    from oracle.engines.bound.errorbound import ErrorBoundArith
    from oracle.engines.floating import FloatArith
    from oracle.engines.certify import certified_run
    from oracle.engines.certify.interval import IntervalArith
    from oracle.engines.symbolic import SymbolicArith
    from oracle.engines.bound.vecbound import BoundArith

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=16, help="elements in the parameter array (default 16)")
    p.add_argument("--steps", type=int, default=50, help="steps (default 50)")
    args = p.parse_args(argv)
    conv = preset("pytorch", centered=True, momentum=0.9)
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(args.size)]
    grads = [[rng.standard_normal(args.size)] for _ in range(args.steps)]

    def run(ar, steps=args.steps):
        return lambda: simulate(conv, ar, params, steps=steps, grads=grads)

    with np.errstate(all="ignore"):
        base = bench(run(FloatArith("float64")))
    rows = [("float64 backend (baseline)", base, args.steps)]
    rows.append(("float32 backend", bench(run(FloatArith("float32"))), args.steps))
    rows.append(("error bound (256-bit mpmath)", bench(run(ErrorBoundArith("float64")), 1), args.steps))
    rows.append(("interval, 200 bits", bench(run(IntervalArith(200)), 1), args.steps))
    rows.append(("interval, 2000 bits", bench(run(IntervalArith(2000)), 1), args.steps))
    t = bench(lambda: certified_run(conv, params, grads=grads, steps=args.steps, digits=50, engine="mpmath"), 1)
    rows.append(("certified_run, 50 digits (incl. certification)", t, args.steps))
    for engine in ("arb-objects", "arb-jit"):
        try:
            certified_run(conv, params, grads=grads, steps=1, digits=50, engine=engine)  # load the compiled loop
            t = bench(lambda: certified_run(conv, params, grads=grads, steps=args.steps, digits=50, engine=engine), 1)
            rows.append((f"certified_run engine={engine}, 50 digits", t, args.steps))
        except ImportError:  # python-flint and numba are optional extras
            pass
    rows.append(("vectorized error bound (BoundArith)", bench(run(BoundArith("float64")), 1), args.steps))
    from oracle.engines.bound import jitbound

    if jitbound.available():  # the same numbers, compiled (extra "jit")
        jitbound.bound_run(conv, "float64", params, steps=args.steps, grads=grads)  # load the compiled loop
        t = bench(lambda: jitbound.bound_run(conv, "float64", params, steps=args.steps, grads=grads))
        rows.append(("compiled error bound (jitbound)", t, args.steps))
    sym_steps = min(args.steps, 3)
    t = bench(run(SymbolicArith(), sym_steps), 1)
    rows.append((f"sympy exact ({sym_steps} steps)", t * args.steps / sym_steps, sym_steps))
    print(f"pytorch preset, centered + momentum, {args.size} elements, {args.steps} steps")
    print(f"{'engine':<50} {'time / baseline':>16}")
    for name, seconds, _ in rows:
        print(f"{name:<50} {seconds / base:>16.1f}")


if __name__ == "__main__":
    main()
