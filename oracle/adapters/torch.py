"""Candidate adapter for ``torch.optim.RMSprop`` (convention ``"pytorch"``).

``rmsprop(params, *, lr, rho, eps, momentum=0.0, centered=False, weight_decay=0.0,
foreach=None, device="cpu")`` builds one ``torch.optim.RMSprop`` over copies of
``params`` (``alpha=rho``, ``maximize`` passed through, ``capturable=False``,
``differentiable=False``) and returns ``step(grads)``, which stores the gradients in
``.grad``, calls ``optimizer.step()`` once and returns fresh numpy copies of the
parameters. torch is imported inside the factory; without it the factory raises
``ImportError`` naming the extra ``rmsprop-oracle[torch]``.

Confirmed with torch 2.13.0+cpu (read ``torch/optim/rmsprop.py`` as installed, and
reproduced the optimizer bit for bit, every element of 20,000 over 4 steps, for
float64/float32/float16, single-tensor and foreach, plain/centered/momentum/weight
decay, by a numpy emulation of the rounding model below). Update, in this order::

    g  = g + wd * p                                  # coupled L2, grad.add(p, alpha=wd)
    v  = v * alpha                                   # v0 = 0 (square_avg = zeros)
    v  = fma((1 - alpha) * g, g, v)                  # addcmul_(g, g, value=1 - alpha)
    centered:  m = fma(1 - alpha, g - m, m)          # lerp_(g, 1 - alpha); m0 = 0
               d = sqrt(fma(-m, m, v)) + eps         # addcmul(m, m, value=-1).sqrt_()
    else:      d = sqrt(v) + eps                     # eps OUTSIDE the root
    momentum:  b = b * mu + g / d                    # b0 = 0; mul_ then addcdiv_
               p = fma(-lr, b, p)                    # add_(b, alpha=-lr): lr OUTSIDE b
    else:      p = p + ((-lr) * g) / d               # addcdiv_(g, d, value=-lr)

``rmsprop_foreach`` and ``rmsprop_single`` are the same factory with ``foreach=True`` /
``foreach=False`` fixed, so that each path can be named as ``MODULE:ATTR``.
``rmsprop_cuda_single``, ``rmsprop_cuda_foreach``, ``rmsprop_cuda_capturable`` (foreach) and
``rmsprop_cuda_fused`` run on :func:`gpu_device` (``$ORACLE_GPU_DEVICE``, default ``cuda``:
``scripts/gpu_check.sh``); without CUDA, and for a ``fused``/``capturable`` this torch does not
offer on the device (torch 2.13: no fused RMSprop; capturable is CUDA-only), they decline.

``lr_schedule`` (the protocol's per-step learning rates): before step t the adapter sets
every ``param_groups[i]["lr"]`` to the schedule's value, as ``torch.optim.lr_scheduler`` does;
torch keeps lr outside the momentum buffer (``p -= lr b``), so a schedule shows it.
``maximize`` is passed to torch (g <- -g before the coupled weight decay).

Complex parameters (complex64/complex128 arrays; ``--dtype=complex64,complex128``): torch
updates ``view_as_real(p)`` with ``view_as_real(g)``, each real and imaginary part an independent
real parameter (weight decay and maximize applied to the complex gradient first, which is the same
componentwise): the convention's ``complex_reading="split"`` (``tests/test_training.py`` checks a
real run against the split and the modulus readings' bounds).

bfloat16 (``ml_dtypes.bfloat16`` arrays, passed to torch as their 16 bits and viewed as
``torch.bfloat16``): the CPU kernels compute in float32 and round each result to bfloat16,
as for float16; the state is bfloat16 (``zeros_like(p)``), the convention ``pytorch`` with
``state=params``.  Certified by ``tests/test_adapters_torch.py`` (single-tensor path).

No bias correction, no Nesterov; ``step`` is counted but unused.  The foreach
path has the same sequence with ``_foreach_*`` ops (``foreach=None`` on CPU tensors
picks the single-tensor path).  ``fma`` is a fused multiply-add with one rounding:
the CPU kernels of ``addcmul``, ``lerp`` (weight < 0.5) and ``add(alpha=)`` are
contracted (an unfused ``v + ((1-alpha)*g)*g`` disagrees with torch's ``addcmul`` in
the last bit for about 11% of float64 elements); ``addcdiv`` is
``self + (value * t1) / t2`` without fusion.  ``torch.sqrt`` on this CPU build
(AVX512 kernels) is *not* correctly rounded: it differs from the correctly rounded
root by one ulp in about 1% (float64) to 17% (float32) of elements.

Hyperparameter rounding (the Python floats become C++ ``Scalar`` doubles):

* float64: every scalar stays binary64 (lr = 0.1 is the double nearest 0.1).
* float32: every scalar is rounded to float32 first and the kernel runs in float32
  (observed bit for bit; this is ATen's ``value.to<scalar_t>()``): alpha 0.99 ->
  0.9900000095..., lr 0.1 -> 0.100000001490...; ``1 - alpha`` is formed in
  double and then rounded.
* float16 (CPU): kernels compute in float32 and round the result to float16, but
  the scalars are rounded differently per op:  float32 for ``mul_`` (alpha,
  momentum), ``addcmul`` (1 - alpha), ``lerp`` (1 - alpha) and ``addcdiv``
  (-lr without momentum); float16 for ``add(scalar)`` (eps), ``add(tensor,
  alpha=)`` (weight_decay, and -lr *with* momentum) and, on the foreach path, also
  for the in-place ``_foreach_mul_`` (alpha, momentum).  State tensors are float16,
  so every kernel's result is rounded to float16.  Consequence: eps <= 2**-25
  (about 3e-8, e.g. the default 1e-8) rounds to 0, so ``sqrt(v) + eps`` is 0 when
  v = 0 and a zero gradient gives 0/0 = NaN.  Because ``addcmul`` keeps
  ``(1 - alpha) * g * g`` in float32, |g| >= 256 does not overflow (it does in
  optax, Keras and numpy, which round ``g * g`` to float16).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from oracle.conformance.isolation.native import to_numpy as _to_numpy, to_torch

from ._common import check_grads, check_params, decline

CONVENTION = "pytorch"


def _to_torch(a: np.ndarray, device: str):
    """A tensor copy of ``a`` on ``device``; bfloat16 (``ml_dtypes``) travels as its 16 bits (the native
    bridge's :func:`~oracle.conformance.isolation.native.to_torch`)."""
    return to_torch(np.array(a, copy=True)).to(device)


def rmsprop(
    params: Sequence[np.ndarray],
    *,
    lr: float,
    rho: float,
    eps: float,
    momentum: float = 0.0,
    centered: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
    lr_schedule: Sequence[float] = (),
    foreach: bool | None = None,
    device: str = "cpu",
    capturable: bool = False,
    fused: bool | None = None,
) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """A protocol factory running ``torch.optim.RMSprop(alpha=rho, ...)`` on copies of ``params``.

    ``device`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``), ``foreach``, ``capturable`` and ``fused`` are
    passed to torch; a device torch cannot reach and a ``fused=True`` or ``capturable=True`` this
    torch does not offer there are declined (``NotImplementedError``).  bfloat16 parameters
    (``ml_dtypes.bfloat16``) run as ``torch.bfloat16``.
    """
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(
            "oracle.adapters.torch needs PyTorch: pip install 'rmsprop-oracle[torch]' "
            "(a CPU build is enough)"
        ) from exc
    import inspect

    dtype = check_params(params, "torch", bfloat16=True, complex_=True)
    if device != "cpu":
        kind = torch.device(device).type
        if kind == "cuda" and not torch.cuda.is_available():
            raise decline("torch", f"device {device}", "no CUDA device is available to this torch")
    options: dict = {}
    if capturable:
        from torch.optim.optimizer import _get_capturable_supported_devices

        if torch.device(device).type not in _get_capturable_supported_devices():
            raise decline("torch", "capturable=True", f"not supported on {device}")
        options["capturable"] = True
    if fused is not None:
        if "fused" not in inspect.signature(torch.optim.RMSprop.__init__).parameters:
            raise decline("torch", "fused", f"torch {torch.__version__} has no fused RMSprop")
        options["fused"] = bool(fused)
    shapes = [np.shape(p) for p in params]
    tensors = [_to_torch(p, device) for p in params]
    optimizer = torch.optim.RMSprop(
        tensors,
        lr=float(lr),
        alpha=float(rho),
        eps=float(eps),
        weight_decay=float(weight_decay),
        momentum=float(momentum),
        centered=bool(centered),
        maximize=bool(maximize),
        foreach=foreach,
        **options,
    )

    schedule, count = [float(x) for x in lr_schedule], [0]

    def step(grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        for t, g in zip(tensors, check_grads(grads, shapes, dtype)):
            t.grad = _to_torch(g, device)
        if schedule:  # what torch.optim.lr_scheduler does: the group's lr before the step
            for group in optimizer.param_groups:
                group["lr"] = schedule[count[0]]
        count[0] += 1
        with torch.no_grad():
            optimizer.step()
        return [_to_numpy(t, dtype) for t in tensors]

    return step


def rmsprop_foreach(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
                    centered: bool = False, weight_decay: float = 0.0,
                    maximize: bool = False,
                    lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``torch.optim.RMSprop(..., foreach=True)``: the multi-tensor (``_foreach_*``) path."""
    return rmsprop(params, lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered,
                   weight_decay=weight_decay, maximize=maximize, lr_schedule=lr_schedule, foreach=True)


def rmsprop_single(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
                   centered: bool = False, weight_decay: float = 0.0,
                   maximize: bool = False,
                   lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """``torch.optim.RMSprop(..., foreach=False)``: the single-tensor path (the CPU default)."""
    return rmsprop(params, lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered,
                   weight_decay=weight_decay, maximize=maximize, lr_schedule=lr_schedule, foreach=False)


def gpu_device() -> str:
    """The device of the ``*_cuda_*`` factories: ``$ORACLE_GPU_DEVICE``, else ``"cuda"``
    (``ORACLE_GPU_DEVICE=cpu`` runs their code path on the CPU, as a smoke test)."""
    import os

    return os.environ.get("ORACLE_GPU_DEVICE", "") or "cuda"


def _on_gpu(**fixed: object) -> Callable[..., Callable[[Sequence[np.ndarray]], list[np.ndarray]]]:
    def factory(params: Sequence[np.ndarray], *, lr: float, rho: float, eps: float, momentum: float = 0.0,
                centered: bool = False, weight_decay: float = 0.0,
                maximize: bool = False,
                lr_schedule: Sequence[float] = ()) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
        return rmsprop(params, lr=lr, rho=rho, eps=eps, momentum=momentum, centered=centered,
                       weight_decay=weight_decay, maximize=maximize, lr_schedule=lr_schedule, device=gpu_device(),
                       **fixed)  # type: ignore[arg-type]

    factory.__doc__ = ("``torch.optim.RMSprop(..., " + ", ".join(f"{k}={v}" for k, v in fixed.items())
                       + ")`` on ``gpu_device()``; declined without CUDA.")
    return factory


rmsprop_cuda_single = _on_gpu(foreach=False)
rmsprop_cuda_foreach = _on_gpu(foreach=True)
rmsprop_cuda_capturable = _on_gpu(foreach=True, capturable=True)
rmsprop_cuda_fused = _on_gpu(fused=True)
