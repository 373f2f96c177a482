"""Candidate adapters for ``jax.example_libraries.optimizers.rmsprop`` and ``rmsprop_momentum``.

``rmsprop(params, *, lr, rho, eps)`` builds ``opt_init, opt_update, get_params =
optimizers.rmsprop(step_size=lr, gamma=rho, eps=eps)``; ``rmsprop_momentum(params, *,
lr, rho, eps, momentum=0.0)`` builds ``optimizers.rmsprop_momentum(step_size=lr,
gamma=rho, eps=eps, momentum=momentum)`` (the library's default momentum is 0.9; the
protocol's plain cases pass none, so the adapter's default is 0).  Each ``step(grads)``
calls ``state = opt_update(i, grads, state)`` (``i`` = 0, 1, ...; a constant
step_size ignores it) and returns fresh numpy copies of ``get_params(state)``.
Eager (the library does not jit); float64 params switch ``jax_enable_x64`` on
(process-wide) and the state dtype is checked.  Without jax the factories raise
``ImportError`` naming the extra ``rmsprop-oracle[jax]``.

Conventions: ``rmsprop`` is ``"seed"`` (eps inside, v0 = 0, no options);
``rmsprop_momentum`` is ``"optax,allows=momentum"`` (lr inside the buffer, no centered).

Update (``jax/example_libraries/optimizers.py``), in this order::

    avg = avg * gamma + square(g) * (1. - gamma)        # avg0 = 0 (zeros_like)
    rmsprop:          x = x - step_size * g / sqrt(avg + eps)        # (step*g)/sqrt: eps INSIDE
    rmsprop_momentum: mom = momentum * mom + step_size * g / sqrt(avg + eps)   # mom0 = 0
                      x = x - mom                                    # lr INSIDE the buffer

Hyperparameter rounding: the Python floats are weakly typed and converted once to the
parameter dtype (``1. - gamma`` formed in binary64 first); float64 keeps them exact.
float16 on CPU: each op is evaluated in float32 and rounded to float16 (``square(g)``
overflows to inf once |g| reaches about 256).  Confirmed with jax 0.10.2: numpy in the
order above reproduces both optimizers bit for bit for float64 and float32
(``tests/test_adapters_jax.py``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ._common import check_grads, check_params, missing


def _jax():
    try:
        import jax
        from jax.example_libraries import optimizers
    except ImportError as exc:
        raise missing("jax_example", "jax", "jax", exc) from exc
    return jax, optimizers


def _run(make: Callable, params: Sequence[np.ndarray]) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    jax, optimizers = _jax()
    dtype = check_params(params)
    if dtype == np.float64 and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    opt_init, opt_update, get_params = make(optimizers)
    shapes = [np.shape(p) for p in params]
    state = opt_init([jnp.asarray(np.array(p, dtype=dtype, copy=True)) for p in params])
    for leaf in jax.tree_util.tree_leaves(state):
        if getattr(leaf, "dtype", dtype) != dtype:
            raise RuntimeError(f"jax made {leaf.dtype} state for {dtype.name} params (x64 off?)")
    count = 0

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        nonlocal state, count
        g = [jnp.asarray(x) for x in check_grads(grads, shapes, dtype)]
        state = opt_update(count, g, state)
        count += 1
        return [np.array(p, dtype=dtype, copy=True) for p in get_params(state)]

    return step


def rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float,
            eps: float) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``jax.example_libraries.optimizers.rmsprop(step_size=lr, gamma=rho, eps=eps)`` on copies of ``params``."""
    return _run(lambda o: o.rmsprop(float(lr), gamma=float(rho), eps=float(eps)), params)


def rmsprop_momentum(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float,
                     momentum: float = 0.0) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``optimizers.rmsprop_momentum(step_size=lr, gamma=rho, eps=eps, momentum=momentum)`` on copies."""
    return _run(lambda o: o.rmsprop_momentum(float(lr), gamma=float(rho), eps=float(eps),
                                             momentum=float(momentum)), params)


rmsprop.CONVENTION = "seed,subnormals=flush:float64+float32+bfloat16"  # type: ignore[attr-defined]
rmsprop_momentum.CONVENTION = (  # type: ignore[attr-defined]
    "optax,allows=momentum,subnormals=flush:float64+float32+bfloat16")
CONVENTION = rmsprop.CONVENTION
"""The module's main factory's convention (each factory carries its own ``CONVENTION``)."""
