"""Native candidates: a framework's own optimizer class or factory, certified without an adapter.

``--optimizer=MODULE:ATTR`` may name, besides a protocol factory
(``step = factory(params, *, lr, rho, eps, **options)``):

==========================  ==================================  =====================================
framework                   what ATTR is                        recognised by (no framework imported)
==========================  ==================================  =====================================
``torch``                   a ``torch.optim.Optimizer``         a class whose MRO holds ``Optimizer``
                            subclass (``torch.optim:RMSprop``)  from a ``torch.optim`` module
``keras``                   a Keras 3 / tf_keras ``Optimizer``  ``Optimizer`` from a ``keras`` or
                            subclass                            ``tf_keras`` module in its MRO
``tf1``                     a ``tf.compat.v1`` optimizer class  ``Optimizer`` from
                                                                ``tensorflow.python.training``
``optax``                   a ``GradientTransformation``        a function of an ``optax`` module, or
                            factory (``optax:rmsprop``)         one annotated to return a
                                                                ``GradientTransformation``
==========================  ==================================  =====================================

Recognition runs here, in the worker process, which imports the candidate (and
so its framework) anyway; the oracle's process receives only plain data (the
framework's name, the class, the hyperparameter names used).  Each framework
has one generic bridge: it maps the protocol's hyperparameters to the native
names **by signature** (the first of :data:`ALIASES` the native signature has:
``rho`` -> ``alpha``/``rho``/``decay``, ``eps`` -> ``eps``/``epsilon``, ``lr`` ->
``lr``/``learning_rate``), passes the options the signature takes (momentum,
centered, weight_decay, maximize) and leaves every operation to the framework.
Every bridge takes ``lr_schedule`` and drives it the framework's own way
(:func:`bridge`).  bfloat16 arrays (``ml_dtypes``) reach jax and Keras-on-jax as
they are, and torch as their 16 bits viewed as ``torch.bfloat16``
(:func:`to_torch`, :func:`to_numpy`: lossless, in the worker).  Names
the aliases do not cover are given as ``--hyperparameter-names NATIVE=PROTOCOL,...``
(e.g. ``beta=rho,tiny=eps``).  A native signature without an eps (and with no
other float parameter it could be) is allowed: certify it with a convention
whose ``fixed_eps`` is the framework's constant.

>>> names_for(lambda params, lr=0.01, alpha=0.99, eps=1e-8, momentum=0: None, {})
{'lr': 'lr', 'rho': 'alpha', 'eps': 'eps', 'momentum': 'momentum'}
>>> names_for(lambda learning_rate, beta, tiny=0.0: None, {"beta": "rho", "tiny": "eps"})
{'lr': 'learning_rate', 'rho': 'beta', 'eps': 'tiny'}
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Optional

import numpy as np

ALIASES = {
    "lr": ("lr", "learning_rate", "step_size", "eta"),
    "rho": ("rho", "alpha", "decay", "beta", "gamma", "beta2"),
    "eps": ("eps", "epsilon"),
    "momentum": ("momentum",),
    "centered": ("centered",),
    "weight_decay": ("weight_decay", "wd"),
    "maximize": ("maximize",),
}
"""Protocol name -> the native names tried, in order."""
REQUIRED = ("lr", "rho")
FRAMEWORKS = ("torch", "keras", "tf1", "optax")


def _mro_has(obj: Any, name: str, prefixes: tuple) -> bool:
    return isinstance(obj, type) and any(
        c.__name__ == name and any((c.__module__ or "").startswith(p) for p in prefixes) for c in obj.__mro__)


def recognise(obj: Any) -> Optional[str]:
    """The framework whose native optimizer ``obj`` is (None: not one; a protocol factory, say)."""
    if _mro_has(obj, "Optimizer", ("torch.optim",)):
        return "torch"
    if any(_mro_has(obj, name, ("keras", "tf_keras")) for name in ("Optimizer", "BaseOptimizer", "OptimizerV2")):
        return "keras"
    if _mro_has(obj, "Optimizer", ("tensorflow.python.training",)):
        return "tf1"
    if inspect.isfunction(obj):
        ret = str(inspect.signature(obj).return_annotation)
        if (obj.__module__ or "").startswith("optax") or "GradientTransformation" in ret:
            return "optax"
    return None


def parse_names(text: Optional[str]) -> dict:
    """``"alpha=rho,tiny=eps"`` -> ``{"alpha": "rho", "tiny": "eps"}`` (``ValueError`` naming a bad item).

    >>> parse_names("alpha=rho, tiny=eps")
    {'alpha': 'rho', 'tiny': 'eps'}
    >>> parse_names("alpha=rh")
    Traceback (most recent call last):
    ...
    ValueError: --hyperparameter-names: 'alpha=rh' must be NATIVE=PROTOCOL with PROTOCOL one of lr, rho, eps, momentum, centered, weight_decay, maximize
    """
    out: dict = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        native, sep, proto = (x.strip() for x in item.partition("="))
        if not sep or not native.isidentifier() or proto not in ALIASES or native in out:
            raise ValueError(f"--hyperparameter-names: {item.strip()!r} must be NATIVE=PROTOCOL with PROTOCOL one "
                             f"of {', '.join(ALIASES)}")
        out[native] = proto
    return out


def names_for(native: Callable, given: dict) -> dict:
    """Protocol name -> native keyword, read from ``native``'s signature (``given``: native -> protocol first).

    ``ValueError`` when ``lr`` or ``rho`` has no native name.
    """
    try:
        params = inspect.signature(native).parameters
    except (TypeError, ValueError):
        params = {}
    out: dict = {}
    for nat, proto in given.items():
        if nat not in params:
            raise ValueError(f"--hyperparameter-names: the signature has no parameter {nat!r} "
                             f"(it has {', '.join(params) or 'none'})")
        out[proto] = nat
    for proto, aliases in ALIASES.items():
        if proto not in out:
            found = next((a for a in aliases if a in params and a not in given), None)
            if found:
                out[proto] = found
    missing = [p for p in REQUIRED if p not in out]
    floats = [n for n, p in params.items() if isinstance(p.default, float) and n not in out.values()]
    if "eps" not in out and floats:  # an eps under a name we do not know: never silently left at its default
        missing.append("eps")
    if missing:
        raise ValueError(f"the signature ({', '.join(params)}) has no name for {', '.join(missing)}: give "
                         f"--hyperparameter-names NATIVE={missing[0]}")
    return {p: out[p] for p in ALIASES if p in out}


FLAGS = ("centered", "maximize")


def bridge(obj: Any, framework: str, given: Optional[dict] = None) -> tuple[Callable, dict]:
    """A protocol factory running the native optimizer ``obj``, and plain data describing it.

    The factory takes the options the native signature has, and ``lr_schedule`` (the protocol's
    per-step learning rates, every bridge): torch writes ``param_groups[i][lr]`` before each
    step (what ``torch.optim.lr_scheduler`` does); Keras assigns ``optimizer.learning_rate`` (what
    Keras's ``LearningRateScheduler`` callback does); tf1 constructs the optimizer over a float32
    ``tf.Variable`` learning rate assigned before each step; optax wraps the factory in
    ``optax.inject_hyperparams`` with lr its only injected hyperparameter and writes
    ``state.hyperparams[lr]`` before each update.
    """
    names = names_for(obj, given or {})
    make = {"torch": _torch, "keras": _keras, "tf1": _tf1, "optax": _optax}[framework]
    options = [p for p in ("momentum", "centered", "weight_decay", "maximize") if p in names] + ["lr_schedule"]

    def factory(params: list, *, lr: float, rho: float, eps: float, lr_schedule: Any = (), **opts: Any) -> Callable:
        hyper = {"lr": lr, "rho": rho, "eps": eps, **opts}
        kwargs = {names[k]: (bool(v) if k in FLAGS else float(v)) for k, v in hyper.items() if k in names}
        schedule = tuple(float(x) for x in (lr_schedule or ()))
        return make(obj, kwargs, [np.array(p, copy=True) for p in params], names["lr"], schedule)

    kinds = [inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    kinds += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY) for k in ("lr", "rho", "eps")]
    kinds += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=None) for k in options]
    factory.__signature__ = inspect.Signature(kinds)  # type: ignore[attr-defined]
    factory.__name__ = f"{framework}_bridge"
    info = {"framework": framework, "native": f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}",
            "names": names, "takes_eps": "eps" in names}
    return factory, info


def is_native(value: object) -> bool:
    """Whether the worker's description of a native optimizer is well-formed plain data (checked in the oracle).

    >>> is_native({"framework": "torch", "native": "torch.optim.rmsprop.RMSprop", "names": {"rho": "alpha"},
    ...            "takes_eps": True})
    True
    >>> is_native({"framework": "torch", "native": "x", "names": {"rho": 1}, "takes_eps": True})
    False
    """
    return (type(value) is dict and set(value) == {"framework", "native", "names", "takes_eps"}
            and value["framework"] in FRAMEWORKS and type(value["native"]) is str and len(value["native"]) < 300
            and type(value["takes_eps"]) is bool and type(value["names"]) is dict
            and all(type(k) is str and k in ALIASES and type(v) is str and v.isidentifier() and len(v) < 100
                    for k, v in value["names"].items()))


def _check(arrays: list, shapes: list, dtype: np.dtype) -> list:
    if len(arrays) != len(shapes):
        raise ValueError(f"expected {len(shapes)} gradients, got {len(arrays)}")
    out = [np.array(a, dtype=dtype, copy=True) for a in arrays]
    for a, s in zip(out, shapes):
        if a.shape != s:
            raise ValueError(f"gradient shape {a.shape} does not match parameter shape {s}")
    return out


def _stepper(schedule: tuple) -> Callable[[], Optional[float]]:
    """Each call, the next step's lr of ``schedule`` (None without one; ``ValueError`` past its end)."""
    count = [0]

    def lr_at() -> Optional[float]:
        if not schedule:
            return None
        if count[0] >= len(schedule):
            raise ValueError(f"lr_schedule has {len(schedule)} steps; step {count[0] + 1} has no lr")
        count[0] += 1
        return schedule[count[0] - 1]

    return lr_at


def to_torch(a: np.ndarray) -> Any:
    """A CPU tensor over ``a``'s memory; bfloat16 (``ml_dtypes``, which torch cannot take) travels as its
    16 bits (``int16``) viewed as ``torch.bfloat16``: lossless both ways (:func:`to_numpy`)."""
    import torch

    if a.dtype.name == "bfloat16":
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def to_numpy(t: Any, dtype: np.dtype) -> np.ndarray:
    """A fresh numpy copy of tensor ``t`` in ``dtype`` (bfloat16 bit for bit, through ``int16``)."""
    t = t.detach().cpu()
    if dtype.name == "bfloat16":
        import torch

        return np.array(t.view(torch.int16).numpy(), copy=True).view(dtype)
    return np.array(t.numpy(), copy=True)


def _torch(cls: Any, kwargs: dict, params: list, lr_name: str, schedule: tuple) -> Callable:
    """``cls(tensors, **kwargs)``; each step sets ``.grad`` and calls ``step()`` (torch/optim/optimizer.py);
    with a schedule, ``param_groups[i][lr_name]`` is the step's lr first (torch/optim/lr_scheduler.py)."""
    import torch

    dtype, shapes = params[0].dtype, [p.shape for p in params]
    tensors = [to_torch(p) for p in params]
    optimizer = cls(tensors, **kwargs)
    if schedule and any(lr_name not in group for group in optimizer.param_groups):
        raise NotImplementedError(f"lr_schedule: the optimizer's param_groups have no {lr_name!r} to set")
    lr_at = _stepper(schedule)

    def step(grads: list) -> list:
        for t, g in zip(tensors, _check(grads, shapes, dtype)):
            t.grad = to_torch(g)
        lr = lr_at()
        if lr is not None:
            for group in optimizer.param_groups:
                group[lr_name] = lr
        with torch.no_grad():
            optimizer.step()
        return [to_numpy(t, dtype) for t in tensors]

    return step


def _keras(cls: Any, kwargs: dict, params: list, lr_name: str, schedule: tuple) -> Callable:
    """Keras 3 (``optimizer.build(vars)``, ``optimizer.apply(grads, vars)``, keras/src/optimizers/base_optimizer.py)
    or tf_keras (``apply_gradients(zip(grads, vars))``); with a schedule, ``optimizer.learning_rate = lr``
    before each step (an assignment to its floatx variable, what ``keras.callbacks.LearningRateScheduler``
    does)."""
    import importlib

    root = cls.__module__.split(".")[0]
    keras = importlib.import_module(root)
    dtype, shapes = params[0].dtype, [p.shape for p in params]
    optimizer = cls(**kwargs)
    lr_at = _stepper(schedule)

    def set_lr() -> None:
        lr = lr_at()
        if lr is not None:
            optimizer.learning_rate = lr

    if root == "keras":
        if keras.backend.backend() == "jax" and dtype == np.float64:
            import jax

            jax.config.update("jax_enable_x64", True)
        variables = [keras.Variable(p, dtype=dtype.name) for p in params]
        optimizer.build(variables)

        def step(grads: list) -> list:
            tensors = [keras.ops.convert_to_tensor(g, dtype=dtype.name) for g in _check(grads, shapes, dtype)]
            set_lr()
            optimizer.apply(tensors, variables)
            return [np.array(keras.ops.convert_to_numpy(v.value), dtype=dtype, copy=True) for v in variables]

        return step
    import tensorflow as tf

    tvars = [tf.Variable(p, dtype=dtype.name) for p in params]

    def tf_step(grads: list) -> list:
        tensors = [tf.constant(g) for g in _check(grads, shapes, dtype)]
        set_lr()
        optimizer.apply_gradients(zip(tensors, tvars))
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in tvars]

    return tf_step


def _tf1(cls: Any, kwargs: dict, params: list, lr_name: str, schedule: tuple) -> Callable:
    """``tf.compat.v1`` optimizer, eager: ``apply_gradients(zip(grads, variables))``
    (tensorflow/python/training/optimizer.py); with a schedule, the learning rate is a float32
    ``tf.Variable`` (as TF1 code feeds one) assigned the step's lr before each step."""
    import tensorflow as tf

    dtype, shapes = params[0].dtype, [p.shape for p in params]
    variables = [tf.Variable(p, dtype=dtype.name) for p in params]
    lr_at = _stepper(schedule)
    rate = tf.Variable(schedule[0], dtype=tf.float32, trainable=False) if schedule else None
    optimizer = cls(**(kwargs if rate is None else {**kwargs, lr_name: rate}))

    def step(grads: list) -> list:
        tensors = [tf.constant(g) for g in _check(grads, shapes, dtype)]
        lr = lr_at()
        if lr is not None:
            rate.assign(lr)
        optimizer.apply_gradients(list(zip(tensors, variables)))
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in variables]

    return step


def _optax(make: Callable, kwargs: dict, params: list, lr_name: str, schedule: tuple) -> Callable:
    """``tx = make(**kwargs)``; ``updates, state = tx.update(grads, state, params)``;
    ``params = optax.apply_updates(params, updates)`` (optax/_src/base.py, update.py).  With a schedule,
    ``tx = optax.inject_hyperparams(make, static_args=<every other argument>)(**kwargs)`` (lr the only
    injected hyperparameter, an array of the parameters' dtype as the Python float becomes at constant lr;
    the others stay Python floats) and ``state.hyperparams[lr_name] = lr`` before each update, which works
    for any factory taking a numeric lr (optax/schedules/_inject.py)."""
    import jax
    import optax

    dtype, shapes = params[0].dtype, [p.shape for p in params]
    if dtype == np.float64 and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    if "momentum" in kwargs and not kwargs["momentum"]:
        kwargs = {**kwargs, "momentum": None}  # optax: momentum=None means no trace
    lr_at = _stepper(schedule)
    if schedule:
        static = [n for n in inspect.signature(make).parameters if n != lr_name]
        tx = optax.inject_hyperparams(make, static_args=static)(**kwargs)
    else:
        tx = make(**kwargs)
    current = [jax.numpy.asarray(p) for p in params]
    state = tx.init(current)

    def step(grads: list) -> list:
        nonlocal current, state
        tensors = [jax.numpy.asarray(g) for g in _check(grads, shapes, dtype)]
        lr = lr_at()
        if lr is not None:
            state.hyperparams[lr_name] = lr
        updates, state = tx.update(tensors, state, current)
        current = optax.apply_updates(current, updates)
        return [np.array(p, dtype=dtype, copy=True) for p in current]

    return step


def wrap(obj: Any, given: Optional[dict] = None) -> tuple[Any, Optional[dict]]:
    """The worker's hook: ``(factory, None)`` for a protocol factory, ``(bridge factory, info)`` for a native one."""
    framework = recognise(obj)
    if framework is None:
        if given:
            raise ValueError(f"--hyperparameter-names applies to native optimizers only; {obj!r} is not one")
        return obj, None
    return bridge(obj, framework, given)
