"""Candidate adapter for ``optax.rmsprop`` under jax (convention ``"optax"``).

``rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False, lr_schedule=(), jit=False,
device="cpu")`` builds ``optax.rmsprop(learning_rate=lr, decay=rho, eps=eps,
momentum=momentum or None, centered=centered)`` (defaults kept: ``initial_scale=0``,
``eps_in_sqrt=True``, ``nesterov=False``, ``bias_correction=False``), initialises it on
copies of ``params`` and returns ``step(grads)``: ``updates, state =
opt.update(grads, state, params)``, ``params = optax.apply_updates(params,
updates)``, fresh numpy copies out.  jax and optax are imported inside the factory;
without them it raises ``ImportError`` naming the extra ``rmsprop-oracle[optax]``.
optax has no weight decay in this alias, so the factory does not accept one.

``lr_schedule`` (the protocol's per-step learning rates) goes through optax's own mechanism, a
schedule callable: ``optax.rmsprop(learning_rate=schedule, ...)``, where ``schedule(count)``
returns ``lr_schedule[count]`` (``count`` is the optimizer's step counter, 0 at the first update;
optax's ``scale_by_schedule`` turns the value into an array of the update's dtype, one rounding,
as a constant lr gets).  Eagerly the callable returns the Python float; under ``jit=True`` it
indexes an array of the values in the parameters' dtype.  optax keeps lr inside the momentum
trace (``t = -lr s g + mu t``): convention ``optax`` (``lr_in_momentum=True``), confirmed by the
suite's schedule cases and its ``lr-in-momentum`` probe (``tests/test_adapters_jax.py``).

``rmsprop_inject`` is the other way optax code changes lr between steps:
``opt = optax.inject_hyperparams(optax.rmsprop)(learning_rate=lr, decay=rho, eps=eps, ...)`` and,
before each update, ``opt_state.hyperparams["learning_rate"] = lr_schedule[t]`` (eager).
``inject_hyperparams`` turns *every* numeric hyperparameter into an array of the parameters' dtype
(``hyperparam_dtype=None``: ``optax.tree.dtype(params, "highest")``), so ``1 - decay`` and ``-lr`` are
formed from rho and lr already rounded to that dtype: convention ``optax,hyper_dtype=param``
(``INJECT_CONVENTION``; float64 is unchanged).  A real run (optax 0.2.8, jax 0.10.2, CPU) confirms it:
under plain ``optax`` the case ``rho-near-one`` (rho = 0.9997) fails at 6.6 x bound in float32 and
12 x bound in float16 ("hyperparameters rounded to the parameters' dtype"); under
``optax,hyper_dtype=param`` every case passes in float16 and, in float64/float32/bfloat16, every case
but the two subnormal ones (jax's CPU flushes subnormals); the schedule cases and the
``lr-in-momentum`` probe keep lr inside the trace (``tests/test_adapters_jax.py``).

bfloat16 (``ml_dtypes.bfloat16``, jax's own): every op rounds to bfloat16 (state in bfloat16,
``state=params``); certified under ``optax`` except the subnormal cases (flushed).

float64: jax silently computes in float32 unless x64 is enabled.  For float64
params the factory calls ``jax.config.update("jax_enable_x64", True)`` (a
process-wide switch; set ``JAX_ENABLE_X64=1`` in the environment to have it from
the start).  It then checks that the state really is float64.

Confirmed with jax/jaxlib 0.10.2 and optax 0.2.8 (read ``optax/_src/alias.py``,
``_src/transform.py``, ``transforms/_accumulation.py``, ``tree_utils/_tree_math.py``
and ``_src/update.py``; a numpy emulation with per-op rounding in the parameter dtype
and jax's own ``rsqrt`` reproduces the eager optimizer bit for bit for
float64/float32/float16, plain/centered/momentum).  Update, in this order::

    nu = (1 - decay) * (g * g) + decay * nu          # nu0 = initial_scale = 0
    centered: mu = (1 - decay) * g + decay * mu      # mu0 = 0
              s  = rsqrt((nu - mu * mu) + eps)       # eps INSIDE the root
    else:     s  = rsqrt(nu + eps)
    u  = (-lr) * (s * g)                             # multiply by rsqrt, then by -lr
    momentum: t = u + momentum * t ; u = t           # t0 = 0: lr INSIDE the buffer
    p  = p + u                                       # apply_updates, cast to p.dtype

Hyperparameter rounding: ``1 - decay`` and ``-lr`` are formed from the Python
floats in binary64; every Python scalar is weakly typed and converted once to the
parameter dtype (float64 stays binary64 with x64 on; float32 and float16 round to
that dtype: lr 0.1 -> 0.0999755859375 in float16).  There is no float32 detour.
On CPU, float16 ops are evaluated in float32 and rounded after every op (eager), so
each op is correctly rounded in float16 (g*g overflows to inf once |g| reaches about 256).
``jax.lax.rsqrt`` is not correctly rounded for float64/float32 on CPU (up to
1 ulp / 1.5 ulp; float16 rsqrt is correctly rounded).

Evaluation mode: eager by default (one XLA computation per primitive, so the
rounding is exactly the per-op model above).  ``jit=True`` jits ``opt.update``:
XLA's CPU fusion then contracts ``a*b + c`` into fused multiply-adds, which changes
the last bit of some float32/float64 results (float16 results were unchanged in
the runs made).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._common import check_params

CONVENTION = "optax,subnormals=flush:float64+float32+bfloat16"

def rmsprop(
    params: Sequence[np.ndarray],
    *,
    lr: float,
    rho: float,
    eps: float,
    momentum: float = 0.0,
    centered: bool = False,
    lr_schedule: Sequence[float] = (),
    jit: bool = False,
    device: str = "cpu",
) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """A protocol factory running ``optax.rmsprop(lr, decay=rho, eps, momentum, centered)``."""
    return _build(params, lr, rho, eps, momentum, centered, lr_schedule, jit, device, inject=False)


def rmsprop_inject(
    params: Sequence[np.ndarray],
    *,
    lr: float,
    rho: float,
    eps: float,
    momentum: float = 0.0,
    centered: bool = False,
    lr_schedule: Sequence[float] = (),
) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``optax.inject_hyperparams(optax.rmsprop)(learning_rate=lr, decay=rho, eps=eps, momentum=..., centered=...)``
    (eager); with ``lr_schedule``, ``opt_state.hyperparams["learning_rate"] = lr_schedule[t]`` before each update.

    inject_hyperparams turns every numeric hyperparameter into an array of the parameters' dtype, so
    ``1 - decay`` and ``-learning_rate`` are formed in that dtype (``optax,hyper_dtype=param``)."""
    return _build(params, lr, rho, eps, momentum, centered, lr_schedule, False, "cpu", inject=True)


INJECT_CONVENTION = "optax,hyper_dtype=param,subnormals=flush:float64+float32+bfloat16"
"""``rmsprop_inject``'s: ``optax``'s, with the hyperparameters rounded to the parameters' dtype."""
rmsprop_inject.CONVENTION = INJECT_CONVENTION  # type: ignore[attr-defined]


def _build(params: Sequence[np.ndarray], lr: float, rho: float, eps: float, momentum: float, centered: bool,
           lr_schedule: Sequence[float], jit: bool, device: str,
           inject: bool) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    try:
        import jax
        import optax
    except ImportError as exc:  # pragma: no cover - exercised only without jax/optax
        raise ImportError(
            "oracle.adapters.optax needs jax and optax: pip install 'rmsprop-oracle[optax]'"
        ) from exc

    dtype = check_params(params, "optax", bfloat16=True)  # jax's bfloat16 is ml_dtypes.bfloat16
    if dtype == np.float64 and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    dev = jax.devices(device)[0]
    shapes = [np.shape(p) for p in params]

    def put(arrays: Sequence[np.ndarray]) -> list:
        return [jax.device_put(np.array(a, dtype=dtype, copy=True), dev) for a in arrays]

    values = tuple(float(x) for x in lr_schedule)
    learning_rate: object = float(lr)
    if values and not inject:
        if jit:
            table = jax.device_put(np.array(values, dtype=dtype), dev)
            learning_rate = lambda count: table[count]  # noqa: E731
        else:
            learning_rate = lambda count: values[int(count)]  # noqa: E731
    make = optax.inject_hyperparams(optax.rmsprop) if inject else optax.rmsprop
    opt = make(
        learning_rate=learning_rate,
        decay=float(rho),
        eps=float(eps),
        momentum=float(momentum) if momentum else None,
        centered=bool(centered),
    )
    current = put(params)
    state = opt.init(current)
    for leaf in jax.tree_util.tree_leaves(state):
        if leaf.ndim and leaf.dtype != dtype:
            raise RuntimeError(f"optax state has dtype {leaf.dtype}, expected {dtype} (x64 off?)")
    update = jax.jit(opt.update) if jit else opt.update
    count = [0]

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        nonlocal current, state
        if len(grads) != len(current):
            raise ValueError(f"expected {len(current)} gradients, got {len(grads)}")
        for g, shape in zip(grads, shapes):
            if np.shape(g) != shape:
                raise ValueError(f"gradient shape {np.shape(g)} does not match parameter shape {shape}")
        if values and inject:  # the documented way to change an injected hyperparameter between steps
            state.hyperparams["learning_rate"] = values[count[0]]
        count[0] += 1
        updates, state = update(put(grads), state, current)
        current = optax.apply_updates(current, updates)
        return [np.array(p, dtype=dtype, copy=True) for p in current]

    return step


def _gpu(jit: bool) -> Callable[..., Callable[[Sequence[np.ndarray]], list[np.ndarray]]]:
    def factory(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
                centered: bool = False, lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        import os

        device = "cpu" if os.environ.get("ORACLE_GPU_DEVICE", "") == "cpu" else "gpu"
        try:
            import jax

            jax.devices(device)
        except ImportError:
            raise
        except RuntimeError as exc:  # no GPU backend in this jax
            raise NotImplementedError(f"optax device {device}: jax has no such backend here ({exc})") from None
        return rmsprop(params, lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered,
                       lr_schedule=lr_schedule, jit=jit, device=device)

    factory.__doc__ = (f"``optax.rmsprop`` on jax's GPU (``jit={jit}``; ``ORACLE_GPU_DEVICE=cpu``: on the CPU); "
                       "declined where jax has no GPU backend.")
    return factory


rmsprop_gpu = _gpu(jit=False)
rmsprop_gpu_jit = _gpu(jit=True)
rmsprop_gpu.CONVENTION = rmsprop_gpu_jit.CONVENTION = "optax"  # type: ignore[attr-defined]
"""On the CPU, XLA flushes float64, float32 and bfloat16 subnormals to zero (``subnormals``); on the
GPU that is not measured here: the GPU factories declare gradual underflow."""
