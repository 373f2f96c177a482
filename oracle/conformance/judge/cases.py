"""The reference cases: inputs of one run, in one dtype, open or closed loop; the built-in cases.

A :class:`Case` holds everything a candidate receives (initial parameters and
gradients already in its dtype, hyperparameters as Python floats, options)
plus, for a closed-loop case, the problem (:class:`oracle.problems.Problem`)
whose gradient is computed from the candidate's own parameters.  The reference
(:mod:`.reference`) runs on exactly these values.  :func:`builtin_cases` are
the fixed cases; their closed-loop problems are separable quadratics
(:class:`oracle.problems.quadratic.Diagonal`).  :mod:`.sources` lists every
source of cases (these and the golden replays, :mod:`.golden_replay`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import numpy as np

from ...problems import Problem
from ...problems.quadratic import Diagonal
from ...rounding import ALL_DTYPES, COMPLEX_DTYPES, component_dtype, limits, numpy_dtype
from ..isolation.candidate import OpenFeed
from .options import PROFILES


@dataclasses.dataclass
class Case:
    """One run: inputs (in ``dtype``), hyperparameters, options, length, loop kind."""

    name: str
    dtype: str
    params0: list
    hyper: dict
    steps: int
    options: dict = dataclasses.field(default_factory=dict)
    grads: Optional[list] = None
    problem: Optional[Problem] = None
    sample: Optional[list] = None  # per array: flat indices the reference follows
    tags: tuple = ()
    exact: Optional[dict] = None
    """For a golden replay: the exact inputs the golden file was certified from
    (``hyper``: decimal strings, ``params0``/``grads``: exact values) and its
    ``preset``; the candidate gets them rounded to its dtype (``params0``,
    ``grads``, float ``hyper``), the reference takes them exactly, and the bound
    charges the rounding."""

    def replayed(self) -> Any:
        """A golden replay's convention structure: its preset, with the file's ``complex_reading``."""
        from ...conventions import preset

        return preset(self.exact["preset"]).replace(**self.exact.get("structure", {}))

    @property
    def id(self) -> str:
        return f"{self.name}-{self.dtype}"

    @property
    def closed(self) -> bool:
        return self.problem is not None

    def feed(self) -> Callable:
        """``feed(t, params) -> grads`` for the candidate (copies; closed loop from params)."""
        if self.closed:
            return lambda t, params: self.problem.exact_grads(params, self.dtype)
        return OpenFeed(self.grads)


def arr(values: Any, dtype: str) -> np.ndarray:
    """Values rounded to ``dtype`` (the candidate's inputs; the reference takes them exactly)."""
    with np.errstate(all="ignore"):
        return np.asarray(values, dtype=np.float64).astype(numpy_dtype(dtype))


def scale(dtype: str) -> dict:
    """Magnitudes of the regimes in a dtype: tiny gradients, huge gradients, eps."""
    return {
        "float64": {"tiny": 2.0**-60, "huge": 2.0**400, "eps": 1e-8},
        "float32": {"tiny": 2.0**-40, "huge": 2.0**50, "eps": 1e-8},
        "float16": {"tiny": 2.0**-16, "huge": 2.0**5, "eps": 2.0**-8},
        "bfloat16": {"tiny": 2.0**-40, "huge": 2.0**50, "eps": 2.0**-8},
    }[dtype]


def schedules(n: int, lr: float = 0.01) -> dict:
    """Learning-rate schedules of ``n`` steps (Python floats, step 1 first): ``step`` decay (x0.1 at
    half-way), ``cosine`` decay, linear ``warmup`` over 5 steps, and linear decay ``to-zero``.

    >>> {k: v[:3] for k, v in schedules(4).items()}["warmup"]
    (0.002, 0.004, 0.006)
    """
    import math

    return {
        "step": tuple(lr if t <= n // 2 else lr * 0.1 for t in range(1, n + 1)),
        "cosine": tuple(lr * 0.5 * (1 + math.cos(math.pi * (t - 1) / n)) for t in range(1, n + 1)),
        "warmup": tuple(lr * min(1.0, t / 5) for t in range(1, n + 1)),
        "to-zero": tuple(lr * (n - t) / max(n - 1, 1) if n > 1 else lr for t in range(1, n + 1)),
    }


def _stream(rng: np.random.Generator, shapes: list, steps: int, dtype: str, mag: float = 1.0) -> list:
    out = []
    for t in range(steps):
        out.append([arr(mag * rng.standard_normal(s) * (1 + np.sin(t)), dtype) for s in shapes])
    return out


def builtin_cases(dtype: str, profile: str = "default") -> list:
    """The fixed cases: docs example, open-loop streams, regimes, a quadratic, long and large runs."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    if dtype in COMPLEX_DTYPES:
        return complex_cases(dtype)
    if dtype not in ALL_DTYPES:
        raise ValueError(f"dtype must be one of {ALL_DTYPES}, got {dtype!r}")
    rng = np.random.default_rng(20240613)
    sc = scale(dtype)
    cases = []
    docs = dict(lr=0.1, rho=0.9, eps=1e-8)
    four, two = [arr(4.0, dtype)], [arr(2.0, dtype)]
    cases.append(Case("docs-example", dtype, [arr(0.0, dtype)], docs, 5, problem=Diagonal(four, two),
                      tags=("golden", "closed", "scalar")))
    cases.append(Case("docs-example-long", dtype, [arr(0.0, dtype)], docs, 80, problem=Diagonal(four, two),
                      tags=("golden", "closed", "scalar")))
    shapes = [(3,), (2, 2), ()]
    hyper = dict(lr=0.01, rho=0.9, eps=sc["eps"])
    p0 = [arr(rng.uniform(-2, 2, s), dtype) for s in shapes]
    n = {"quick": 20, "default": 40, "thorough": 200}[profile]
    stream = _stream(rng, shapes, n, dtype)
    for suffix, opts in [("", {}), ("-momentum", {"momentum": 0.9}), ("-centered", {"centered": True}),
                         ("-centered-momentum", {"centered": True, "momentum": 0.5}),
                         ("-weight-decay", {"weight_decay": 0.1}), ("-maximize", {"maximize": True}),
                         ("-maximize-weight-decay", {"maximize": True, "weight_decay": 0.1})]:
        cases.append(Case("stream" + suffix, dtype, p0, hyper, n, opts, grads=stream, tags=("open",)))
    for kind, schedule in schedules(n).items():  # lr per step; lr_in_momentum shows only here
        cases.append(Case(f"schedule-{kind}", dtype, p0, dict(hyper, lr=schedule[0]), n,
                          {"momentum": 0.9, "lr_schedule": schedule}, grads=stream, tags=("open", "schedule")))
    small = [arr([0.0, 0.0, 2.0**-3, -(2.0**-3)], dtype)]
    tiny = [[arr(sc["tiny"] * np.array([1.0, -3.0, 0.5, 2.0]) * (1 + (t % 3)), dtype)] for t in range(12)]
    cases.append(Case("tiny-gradients", dtype, small, dict(lr=0.01, rho=0.9, eps=sc["eps"]), 12,
                      grads=tiny, tags=("open", "tiny")))
    cases.append(Case("tiny-gradients-momentum", dtype, small, dict(lr=0.01, rho=0.9, eps=sc["eps"]), 12,
                      {"momentum": 0.9}, grads=tiny, tags=("open", "tiny")))
    huge = [[arr(sc["huge"] * np.array([1.0, -0.5, 0.25]) * (-1) ** t, dtype)] for t in range(10)]
    cases.append(Case("huge-gradients", dtype, [arr([1.0, -1.0, 0.5], dtype)], dict(lr=0.01, rho=0.9, eps=1e-8
                      if dtype != "float16" else sc["eps"]), 10, grads=huge, tags=("open", "huge")))
    # rho close to 1, where float16's spacing below 1 (2^-11) is coarse next to 1 - rho: rho = 0.9997 held in
    # float16 is 1 - 2^-11, so 1 - rho formed from it is 63% too large (1 - 0.999 would be off by 2.3%, inside
    # float16's bound). A framework casting rho to the parameters' dtype fails here under plain conventions
    # (hyper_dtype=param declares it). bfloat16 (spacing 2^-8) would round 0.9997 to 1: rho = 0.997 there.
    near = [[arr([1.0, -2.0, 4.0, -1.0], dtype)] for _ in range(4)]
    cases.append(Case("rho-near-one", dtype, [arr([1.0, -1.0, 0.5, 2.0], dtype)],
                      dict(lr=0.01, rho=0.997 if dtype == "bfloat16" else 0.9997, eps=2.0**-8), 4, grads=near,
                      tags=("open", "rho")))
    zeros = [[arr([0.0, 0.0, 1.0, -1.0] if t % 3 else [0.0, 0.0, 0.0, 0.0], dtype), arr(np.zeros(2), dtype)]
             for t in range(10)]
    cases.append(Case("exact-zeros", dtype, [arr([0.0, 1.5, -2.0, 0.25], dtype), arr([0.0, -1.0], dtype)],
                      hyper, 10, grads=zeros, tags=("open", "zeros")))
    flips = [[arr(np.array([1.0, -2.0, 0.5]) * (-1) ** t, dtype)] for t in range(30)]
    cases.append(Case("sign-flips", dtype, [arr([-1.0, -0.5, 3.0], dtype)], hyper, 30, grads=flips,
                      tags=("open", "flips")))
    a = [arr([1.0, 4.0, 0.5, 2.0], dtype)]
    c = [arr([1.0, -2.0, 0.5, 3.0], dtype)]
    q0 = [arr([0.0, 1.0, -1.0, 2.5], dtype)]
    qh = dict(lr=0.01, rho=0.99, eps=sc["eps"])
    cases.append(Case("quadratic", dtype, q0, qh, 30, problem=Diagonal(a, c), tags=("closed",)))
    cases.append(Case("quadratic-momentum", dtype, q0, qh, 30, {"momentum": 0.9}, problem=Diagonal(a, c),
                      tags=("closed",)))
    long_n = LONG_RUN[profile] if dtype not in ("float16", "bfloat16") else 1000  # their horizons end early
    width = 1 if profile == "quick" else 2
    lg = [[arr([np.sin(0.1 * t) + 0.1, -0.5 * (-1) ** t][:width], dtype)] for t in range(long_n)]
    cases.append(Case("long-run", dtype, [arr([0.5, -0.25][:width], dtype)], dict(lr=1e-3, rho=0.99, eps=sc["eps"]),
                      long_n, grads=lg, tags=("open", "long")))
    size = LARGE_SIZES[profile]
    cases.append(large_case(dtype, size, {"quick": 2, "default": 3, "thorough": 5}[profile], rng))
    cases.append(Case("empty-and-scalar", dtype, [arr(np.zeros(0), dtype), arr(0.5, dtype), arr(np.zeros((2, 0)), dtype)],
                      hyper, 3, grads=[[arr(np.zeros(0), dtype), arr(0.25 * (t + 1), dtype),
                                        arr(np.zeros((2, 0)), dtype)] for t in range(3)], tags=("open", "empty")))
    cases += wide_cases(dtype)
    return cases


COMPLEX_OPTIONS = {"": {}, "-momentum": {"momentum": 0.9}, "-centered": {"centered": True},
                   "-weight-decay": {"weight_decay": 0.1}}
"""The complex cases' options: plain, momentum, centered, weight decay."""


def complex_cases(dtype: str) -> list:
    """The fixed cases of a complex dtype (``complex64``, ``complex128``): open-loop streams on two
    complex arrays (one with a pure-real, a pure-imaginary and a zero element), graded per real and
    imaginary part in the component dtype (:mod:`.reference`, :mod:`.grading`)."""
    rng = np.random.default_rng(2417)
    real = component_dtype(dtype)
    shapes = [(5,), (2, 2)]

    def cplx(re: Any, im: Any) -> np.ndarray:
        return (arr(re, real).astype(np.float64) + 1j * arr(im, real).astype(np.float64)).astype(dtype)

    def draw(shape: tuple, t: float = 0.0) -> np.ndarray:
        return cplx(rng.standard_normal(shape) * (1 + np.sin(t)), rng.standard_normal(shape) * (1 + np.cos(t)))

    p0 = [draw(s) for s in shapes]
    p0[0][:3] = np.array([1.5, 0.75j, 0.0], dtype=dtype)
    stream = []
    for t in range(20):
        g = [draw(s, t) for s in shapes]
        g[0][:3] = np.array([g[0][0].real, 1j * g[0][1].imag, 0.0 if t % 2 else g[0][2]], dtype=dtype)
        stream.append(g)
    hyper = dict(lr=0.01, rho=0.9, eps=1e-8 if real == "float64" else 1e-6)
    return [Case("complex" + suffix, dtype, p0, hyper, 20, dict(opts), grads=stream, tags=("open", "complex"))
            for suffix, opts in COMPLEX_OPTIONS.items()]


LONG_RUN = {"quick": 1000, "default": 10_000, "thorough": 20_000}
"""Steps of the long run in float64 and float32: 10,000 in the default profile (a state reset at step 1000 or
5000 shows); float16 runs 1000 (its horizon ends the comparison near step 30 anyway)."""

WIDE = {
    # arbitrary binary64 values (drawn once; no short decimal: a candidate that rounds them to a few
    # digits shows); lr spans 1e-6 to 10 over the three cases
    "": dict(lr=float.fromhex("0x1.3598b016d1499p+3"), rho=float.fromhex("0x1.c9446398d8658p-1"),
             eps=float.fromhex("0x1.e08136dbf9f7fp-27")),
    "-momentum": dict(lr=float.fromhex("0x1.1d7a6700e5dcep-20"), rho=float.fromhex("0x1.e824efb45cb1dp-1"),
                      eps=float.fromhex("0x1.80319441897a0p-13")),
    "-weight-decay": dict(lr=float.fromhex("0x1.65d2c79aa6104p-2"), rho=float.fromhex("0x1.70a120a3c05fcp-1"),
                          eps=float.fromhex("0x1.1c7b3da9261a3p-20")),
}
"""The hyperparameters of the wide cases: lr 9.6749, 1.0635e-6, 0.34944; rho 0.89310, 0.95341, 0.71998."""
WIDE_OPTIONS = {"": {}, "-momentum": {"momentum": float.fromhex("0x1.df98e3622088cp-1")},
                "-weight-decay": {"weight_decay": float.fromhex("0x1.457df1b34d58bp-5")}}
MANY_SHAPES = [(), (1,), (3,), (2, 2), (5,), (2, 3), (4, 1), (7,), (3, 3)]
"""Nine parameter arrays: a candidate that goes wrong from the k-th array on (k <= 9) shows."""


def wide_cases(dtype: str) -> list:
    """Arbitrary binary64 hyperparameters, lr from 1e-6 to 10, nine arrays; subnormal inputs in ``dtype``."""
    rng = np.random.default_rng(1406)
    out = []
    p0 = [arr(rng.uniform(-2, 2, s), dtype) for s in MANY_SHAPES]
    stream = _stream(rng, MANY_SHAPES, 24, dtype)
    for suffix, hyper in WIDE.items():
        h = dict(hyper)
        if dtype == "float16":  # eps below float16's reach would make every step the sign of g
            h["eps"] = max(h["eps"], 2.0**-8 + 2.0**-20)
        out.append(Case("wide-hyperparameters" + suffix, dtype, p0, h, 24, WIDE_OPTIONS[suffix], grads=stream,
                        tags=("open", "wide")))
    tiny = limits(dtype)[0]  # the smallest normal number: everything below is subnormal
    sub = tiny * np.array([0.5, -0.25, 0.75, -(2.0**-6), 0.0, 0.375])
    p_sub = [arr(tiny * np.array([0.0, 0.625, -0.5, 0.125, -0.875, 0.25]), dtype)]
    g_sub = [[arr(sub * (-1) ** t * (1 + (t % 3)), dtype)] for t in range(12)]
    sub_hyper = dict(lr=float.fromhex("0x1.bccd854d8f340p-2"), rho=float.fromhex("0x1.a96be920c1003p-1"), eps=1.0)
    out.append(Case("subnormal", dtype, p_sub, sub_hyper, 12, grads=g_sub, tags=("open", "subnormal")))
    out.append(Case("subnormal-momentum", dtype, p_sub, sub_hyper, 12, {"momentum": 0.5}, grads=g_sub,
                    tags=("open", "subnormal")))
    return out


LARGE_SIZES = {"quick": (1 << 16) + 7, "default": (1 << 20) + 7, "thorough": (1 << 24) + 7}
"""Elements of the large case per profile, every one graded (quick keeps the self-test fast)."""


def large_case(dtype: str, size: int, steps: int, rng: np.random.Generator) -> Case:
    """A ``size``-element array; the reference follows every element."""
    p0 = [arr(rng.uniform(-1, 1, size), dtype)]
    grads = [[arr(rng.standard_normal(size), dtype)] for _ in range(steps)]
    return Case(f"large-{size}", dtype, p0, dict(lr=0.01, rho=0.9, eps=scale(dtype)["eps"]), steps,
                grads=grads, tags=("open", "large"))
