"""Candidate adapter for ``autograd.misc.optimizers.rmsprop`` (convention ``"autograd"``).

autograd's optimizer is a whole loop, ``rmsprop(grad, x0, callback=None, num_iters=100,
step_size=0.1, gamma=0.9, eps=1e-8)``, that calls ``grad(x, i)`` once per iteration.
``rmsprop(params, *, lr, rho, eps)`` runs that very loop, unchanged, in a worker thread
(``num_iters`` practically unbounded) and feeds it one gradient per ``step(grads)``:
the loop's call ``grad(x, i)`` hands over the parameters after iteration ``i - 1`` and
waits for the next gradient.  ``step`` returns fresh copies of those parameters cast to
the parameters' dtype.  When the step function is garbage collected, the waiting loop
is told to stop (its ``grad`` raises) and the thread ends.  Without autograd the
factory raises ``ImportError`` naming the extra ``rmsprop-oracle[autograd]``.

Update (``autograd/misc/optimizers.py``; ``@unflatten_optimizer`` flattens the list of
arrays into one vector with ``autograd.misc.flatten``), in this order::

    avg_sq_grad = np.ones(len(x))                        # v0 = 1, float64 whatever x is
    g   = grad(x, i)
    avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
    x   = x - step_size * g / (np.sqrt(avg_sq_grad) + eps)   # eps OUTSIDE the root

No options.  Hyperparameter rounding: none for float64 (Python floats, numpy scalars).
Dtypes: because ``avg_sq_grad`` is float64, the parameters come back float64 after the
first iteration for float32/float16 input (and stay float64 inside the loop); only
``g**2 * (1 - gamma)`` and ``step_size * g`` are evaluated in the gradient's dtype.  The
adapter rounds what it returns to the parameters' dtype; the loop keeps its float64 x.
Confirmed with autograd 1.9.1 / numpy 2.4.6: the numpy transcription above reproduces every
step bit for bit for float64, float32 and float16 input (``tests/test_adapters_autograd.py``).
"""

from __future__ import annotations

import queue
import threading
import weakref
from typing import Callable, Sequence

import numpy as np

from ._common import check_grads, check_params, missing

CONVENTION = "autograd"
_STOP = object()


class _Stopped(Exception):
    """Raised inside autograd's loop to end it when the adapter is discarded."""


def rmsprop(params: Sequence[np.ndarray], *, lr: float, rho: float,
            eps: float) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """autograd's ``rmsprop(grad, x0, step_size=lr, gamma=rho, eps=eps)`` fed one gradient per call."""
    try:
        from autograd.misc import optimizers
    except ImportError as exc:
        raise missing("autograd", "autograd", "autograd", exc) from exc
    dtype = check_params(params)
    shapes = [np.shape(p) for p in params]
    x0 = [np.array(p, dtype=dtype, copy=True) for p in params]
    grads_in: queue.Queue = queue.Queue()
    params_out: queue.Queue = queue.Queue()

    def grad(x, i):  # called by autograd's loop: hand x over, wait for the next gradient
        params_out.put(("params", [np.array(a, copy=True) for a in x]))
        g = grads_in.get()
        if g is _STOP:
            raise _Stopped
        return g

    def loop() -> None:
        try:
            optimizers.rmsprop(grad, x0, num_iters=2**62, step_size=float(lr), gamma=float(rho), eps=float(eps))
        except _Stopped:
            return
        except BaseException as exc:  # report the framework's own error to the waiting step
            params_out.put(("error", exc))

    worker = threading.Thread(target=loop, daemon=True, name="autograd-rmsprop")
    worker.start()

    def receive() -> list:
        kind, value = params_out.get()
        if kind == "error":
            raise value
        return value

    receive()  # the loop asks for its first gradient at x0

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        grads_in.put(check_grads(grads, shapes, dtype))
        x = receive()
        return [np.array(a, copy=True).astype(dtype).reshape(s) for a, s in zip(x, shapes)]

    weakref.finalize(step, grads_in.put, _STOP)
    return step
