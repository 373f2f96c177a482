"""The reference of a case: exact values and error bounds, step by step.

The reference is the forward error bound of :mod:`oracle.engines.bound.errorbound`
run on the case's exact inputs (open loop) or on its closed-loop problem (the
gradient computed in bounded arithmetic from bounded parameters, so the bound
is carried through the dynamics).  It is computed by the bound ladder
(:func:`oracle.engines.bound.ladder.bounded_run`: compiled or vectorized double-double values,
bounds never below ErrorBoundArith's, for open-loop cases and closed-loop quadratics; ErrorBoundArith
itself for other problems or whenever those decline); :attr:`Reference.engine` says which ran.  Each value is
returned as a float64 pair ``hi + lo`` and a bound ``err`` rounded up; ``got -
hi - lo`` is the error to about 2^-100 of the value, and ``err`` covers that.

Every parameter's recurrence is independent of every other's, so a large
one-array case is computed in element chunks (cache-sized; on ``workers``
local processes, or on a Dask cluster with ``scheduler``: the session's
:class:`~.options.Compute`, passed down): chunk results are concatenated, and are
identical whatever the chunking.  Results are cached
per (convention, case), across sessions of one process.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any, Optional

import numpy as np

from ...accuracy import compared
from ...algorithm import to_pairs
from ...conventions import Convention
from ...engines.bound.ladder import bounded_run
from ...rounding import COMPLEX_DTYPES, component_dtype, double_double
from ...problems.quadratic import Diagonal
from .cases import Case
from .options import LOCAL, Compute

_CACHE: dict = {}
CHUNK = 1 << 14
"""Elements per chunk: the working set of a step stays in cache."""


@dataclasses.dataclass
class Reference:
    """``params[t][i]`` and ``state[t][name][i]``: (hi, lo, err) float64 arrays over the followed elements.

    ``masks[t][i]`` says which elements are still compared at step t (:func:`oracle.accuracy.compared`); the run
    stops at the first step where none is, so ``len(params) - 1`` may be less than the case's steps.
    """

    params: list
    state: list
    masks: list = dataclasses.field(default_factory=list)
    undefined: Optional[str] = None
    engine: str = ""  # the rung(s) of the bound ladder that computed it

    @property
    def last(self) -> int:
        return len(self.params) - 1


def followed(case: Case, arrays: list) -> list:
    """The elements the reference follows (every one; a ``sample`` restricts them), flattened."""
    if case.sample is None:
        return [np.asarray(a).reshape(-1) for a in arrays]
    return [np.asarray(a).reshape(-1)[idx] for a, idx in zip(arrays, case.sample)]


def reference(conv: Convention, case: Case, compute: Compute = LOCAL) -> Reference:
    """The bounded reference run of ``case`` under ``conv`` (cached, except for large cases: each is
    graded once, and its reference holds gigabytes in the thorough profile; ``compute`` says where
    their chunks run)."""
    if "nocache" in case.tags or "large" in case.tags:
        return _compute(conv, case, compute)
    key = (conv, case_key(case))
    if key not in _CACHE:
        _CACHE[key] = _compute(conv, case)
    return _CACHE[key]


def as_real(a: Any) -> np.ndarray:
    """An array as float64; a complex one as its parts re, im, re, im, ... (flattened; exact)."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return to_pairs(a.astype(np.complex128)).reshape(-1)
    return a.astype(np.float64)


def case_key(case: Case) -> str:
    """A digest of everything the reference depends on (inputs, hyperparameters, options, length)."""
    import hashlib

    h = hashlib.sha256(repr((case.dtype, case.steps, sorted(case.hyper.items()), sorted(case.options.items()),
                             case.closed, case.exact and case.exact["key"])).encode())
    arrays = list(case.params0) + [g for step in (case.grads or [])[: case.steps] for g in step]
    if case.closed:
        arrays += case.problem.key()
    if case.sample is not None:
        arrays += list(case.sample)
    for a in arrays:
        h.update(repr(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


@dataclasses.dataclass
class Job:
    """The inputs of one reference run (a whole case or one element chunk of it), picklable."""

    conv: Convention
    dtype: str
    steps: int
    params0: list
    grads: Optional[list] = None  # grads[t][i], flattened like params0
    problem: Any = None
    engine: str = "vector"  # vector | mpmath, or a rung of the bound ladder to start from
    modulus: bool = False  # complex parameters as pairs (n, 2) under the modulus reading

    def chunk(self, lo: int, hi: int) -> "Job":
        cut = lambda arrays: [np.asarray(a)[lo:hi] for a in arrays]  # noqa: E731
        problem = None if self.problem is None else Diagonal(cut(self.problem.a), cut(self.problem.c))
        grads = None if self.grads is None else [cut(g) for g in self.grads]
        return Job(self.conv, self.dtype, self.steps, cut(self.params0), grads, problem, self.engine, self.modulus)


def _job(conv: Convention, case: Case) -> Job:
    exact = case.exact
    if exact is not None:  # a golden replay: the reference takes the golden file's exact inputs
        conv = conv.replace(**exact["hyper"])
    params0 = followed(case, exact["params0"] if exact else case.params0)
    grads = None
    if not case.closed:
        source = exact["grads"] if exact else case.grads
        grads = [followed(case, source[t]) for t in range(case.steps)]
    problem = None
    if case.closed:
        problem = case.problem
        if type(problem) is Diagonal:  # elementwise: flattened like the params
            problem = Diagonal([np.asarray(a).reshape(-1) for a in problem.a],
                                [np.asarray(c).reshape(-1) for c in problem.c])
    vector_ok = problem is None or type(problem) is Diagonal
    real = component_dtype(case.dtype)
    conv = conv.for_dtype(real)  # hyper_dtype=param: the hyperparameters rounded to the case's dtype
    dtype = arithmetic_dtype(conv, real)
    modulus = False
    if case.dtype in COMPLEX_DTYPES:  # complex: each element as its (real, imaginary) pair
        if problem is not None:
            raise ValueError("complex cases are open loop")
        modulus = conv.complex_reading == "modulus"
        # a golden replay's exact inputs are pairs already (re, im interleaved once followed)
        as_pairs = (lambda a: np.asarray(a).reshape(-1, 2)) if exact else to_pairs  # noqa: E731
        pairs = as_pairs if modulus else (lambda a: as_pairs(a).reshape(-1))  # noqa: E731
        params0 = [pairs(p) for p in params0]
        grads = [[pairs(g) for g in step] for step in grads]
    return Job(conv, dtype, case.steps, params0, grads, problem, "vector" if vector_ok else "mpmath", modulus)


def arithmetic_dtype(conv: Convention, dtype: str) -> str:
    """The dtype the update's operations round to: ``conv.compute`` where it is narrower than ``dtype``.

    The error bound is then the bound of that arithmetic, its inputs (stored in ``dtype``) rounded to it
    on entry: a float32 computation on float64 storage is held to float32's bound.
    """
    if conv.compute and np.dtype(conv.compute).itemsize < np.dtype(dtype).itemsize:
        return conv.compute
    return dtype


def run_job(job: Job, until: Optional[int] = None) -> dict:
    """Run one job on the bound ladder: per step (hi, lo, err) of params and state, masks, how it ended.

    Stops at the first step where no element is compared any more (like the whole case), or
    runs to step ``until`` when given.  Returns ``{"params", "state", "masks", "undefined", "engine"}``.
    """
    grad_fn = job.problem.grad_fn() if job.problem is not None else None
    return bounded_run(job.conv, job.dtype, job.params0, steps=job.steps, grads=job.grads, grad_fn=grad_fn,
                       modulus=job.modulus, until=until, alive=_masker(job),
                       engine={"vector": "auto", "mpmath": "errorbound"}.get(job.engine, job.engine))


def _masks(params: list, before: Optional[list], dtype: str, flush: bool = False) -> list:
    """Per array, the elements still compared after this step (:func:`oracle.accuracy.compared`)."""
    before = before or [None] * len(params)
    return [compared(hi, err, dtype, b, flush=flush) for (hi, _, err), b in zip(params, before)]


def _masker(job: Job) -> Any:
    """``_masks`` for this job: with the flush-to-zero horizon where its arithmetic may flush."""
    flush = job.conv.run_flushes(job.dtype)
    return lambda params, before, dtype: _masks(params, before, dtype, flush)


def _compute(conv: Convention, case: Case, compute: Compute = LOCAL) -> Reference:
    job = _job(conv, case)
    n = job.params0[0].size if len(job.params0) == 1 else 0
    if job.engine != "vector" or n <= CHUNK:
        res = run_job(job)
    else:
        res = run_chunks(job, [(lo, min(lo + CHUNK, n)) for lo in range(0, n, CHUNK)], compute.workers,
                         compute.scheduler)
    if res["undefined"]:
        return Reference([], [], undefined=res["undefined"], engine=res["engine"])
    if case.exact is not None and case.exact.get("certified"):
        _take_certified(res, case.exact["certified"])
    return Reference(res["params"], res["state"], res["masks"], engine=res["engine"])


def _take_certified(res: dict, certified: list) -> None:
    """A golden replay's exact values are the file's certified ones (the engine supplies only the bounds).

    :mod:`oracle.golden.trajectory` has checked that both agree to the file's 50 digits.
    """
    def pair(values: Any, err: np.ndarray) -> tuple:
        split = [double_double(Fraction(x)) for x in np.asarray(values, dtype=object).reshape(-1)]
        return (np.array([s[0] for s in split], dtype=np.float64).reshape(np.shape(err)),
                np.array([s[1] for s in split], dtype=np.float64).reshape(np.shape(err)), err)

    for t, step_values in enumerate(certified[: len(res["params"])]):
        if set(step_values["state"]) != set(res["state"][t]):
            raise ValueError(f"the golden file's state {sorted(step_values['state'])} is not the replayed "
                             f"convention's {sorted(res['state'][t])}: the replay does not apply")
        res["params"][t] = [pair(v, r[2]) for v, r in zip(step_values["params"], res["params"][t])]
        res["state"][t] = {k: [pair(v, r[2]) for v, r in zip(step_values["state"][k], res["state"][t][k])]
                           for k in res["state"][t]}


def run_chunks(job: Job, bounds: list, workers: int = 1, scheduler: Optional[str] = None) -> dict:
    """:func:`run_job` of a one-array job, computed chunk by chunk into one table per step.

    Each chunk stops where it would alone; a chunk that stops before the whole run would
    (the last chunk to stop) is recomputed to that step, so values, masks and errors are those
    of the unchunked run.  Local workers write their chunk straight into shared-memory tables
    (one per step, copied out and released one at a time); Dask workers return theirs.
    """
    names = list(job.conv.state_names())
    shape = (3 * (1 + len(names)) + 1, bounds[-1][1])
    shared = workers > 1 and not scheduler and len(bounds) > 1
    with _Tables(job.steps + 1, shape, shared) as store:
        tables, shm_names = store.arrays, store.names
        done = _map(job, bounds, None, workers, scheduler, tables, shm_names)
        engine = ", ".join(dict.fromkeys(d["engine"] for d in done))  # the rungs that ran, in order
        bad = next((d for d in done if d["undefined"]), None)
        if bad:
            return {"params": [], "state": [], "masks": [], "undefined": bad["undefined"], "engine": engine}
        last = max(d["steps"] for d in done)
        short = [b for b, d in zip(bounds, done) if d["steps"] < last]
        if short:
            redo = _map(job, short, last, workers, scheduler, tables, shm_names)
            engine = ", ".join(dict.fromkeys([*engine.split(", "), *(d["engine"] for d in redo)]))
            bad = next((d for d in redo if d["undefined"]), None)
            if bad:
                return {"params": [], "state": [], "masks": [], "undefined": bad["undefined"], "engine": engine}
        out: dict = {"params": [], "state": [], "masks": [], "undefined": None, "engine": engine}
        for t in range(last + 1):
            row = store.take(t)
            out["params"].append([tuple(row[0:3])])
            out["state"].append({k: [tuple(row[3 + 3 * j:6 + 3 * j])] for j, k in enumerate(names)})
            out["masks"].append([row[-1] != 0])
    return out


def _store(tables: list, res: dict, lo: int, hi: int) -> dict:
    for t, (params, state, masks) in enumerate(zip(res["params"], res["state"], res["masks"])):
        table = tables[t]
        table[0:3, lo:hi] = params[0]
        for j, k in enumerate(state):
            table[3 + 3 * j:6 + 3 * j, lo:hi] = state[k][0]
        table[-1, lo:hi] = masks[0]
    return {"steps": len(res["params"]) - 1, "undefined": res["undefined"], "engine": res["engine"]}


def _chunk_task(chunk: Job, lo: int, hi: int, until: Optional[int], shm_names: Optional[list], shape: tuple) -> dict:
    """Run one chunk (elements lo:hi); write it into the shared tables (a worker) or return it (Dask)."""
    res = run_job(chunk, until)
    if shm_names is None:
        return res
    from multiprocessing import shared_memory

    shms = [shared_memory.SharedMemory(name=n) for n in shm_names[: len(res["params"])]]
    try:
        return _store([np.ndarray(shape, dtype=np.float64, buffer=m.buf) for m in shms], res, lo, hi)
    finally:
        for m in shms:
            m.close()


class _Tables:
    """One (fields x elements) float64 table per step: plain arrays, or shared memory for local workers."""

    def __init__(self, count: int, shape: tuple, shared: bool) -> None:
        self.shms: list = []
        if shared:
            from multiprocessing import shared_memory

            size = max(8, int(np.prod(shape)) * 8)
            self.shms = [shared_memory.SharedMemory(create=True, size=size) for _ in range(count)]
            self.arrays = [np.ndarray(shape, dtype=np.float64, buffer=m.buf) for m in self.shms]
            self.names: Optional[list] = [m.name for m in self.shms]
        else:
            self.arrays, self.names = [np.empty(shape) for _ in range(count)], None

    def take(self, t: int) -> np.ndarray:
        """Table t as a plain array; a shared one is copied and released at once."""
        if not self.shms:
            return self.arrays[t]
        row, self.arrays[t] = self.arrays[t].copy(), None
        self._release(t)
        return row

    def _release(self, t: int) -> None:
        m, self.shms[t] = self.shms[t], None
        if m is not None:
            self.arrays[t] = None
            m.close()
            m.unlink()

    def __enter__(self) -> "_Tables":
        return self

    def __exit__(self, *exc: Any) -> None:
        for t in range(len(self.shms)):
            self._release(t)


def _map(job: Job, bounds: list, until: Optional[int], workers: int, scheduler: Optional[str],
         tables: list, shm_names: Optional[list]) -> list:
    shape = tables[0].shape
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futures = client.map(_chunk_task, [job.chunk(lo, hi) for lo, hi in bounds], [b[0] for b in bounds],
                                 [b[1] for b in bounds], until=until, shm_names=None, shape=shape, pure=False)
            return [_store(tables, res, lo, hi) for (lo, hi), res in zip(bounds, client.gather(futures))]
    if shm_names is not None:
        ex = pool(workers)
        futures = [ex.submit(_chunk_task, job.chunk(lo, hi), lo, hi, until, shm_names, shape) for lo, hi in bounds]
        return [f.result() for f in futures]
    return [_store(tables, run_job(job.chunk(lo, hi), until), lo, hi) for lo, hi in bounds]


_POOLS: dict = {}


def pool(workers: int):
    """A process pool of ``workers`` spawned processes, started once and kept for the session."""
    if workers not in _POOLS:
        import atexit
        import concurrent.futures
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # never fork: the parent may hold threads
        _POOLS[workers] = concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx)
        atexit.register(_POOLS[workers].shutdown)
    return _POOLS[workers]
