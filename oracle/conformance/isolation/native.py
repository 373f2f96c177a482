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
centered, weight_decay) and leaves every operation to the framework.  Names
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
    ValueError: --hyperparameter-names: 'alpha=rh' must be NATIVE=PROTOCOL with PROTOCOL one of lr, rho, eps, momentum, centered, weight_decay
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


def bridge(obj: Any, framework: str, given: Optional[dict] = None) -> tuple[Callable, dict]:
    """A protocol factory running the native optimizer ``obj``, and plain data describing it."""
    names = names_for(obj, given or {})
    make = {"torch": _torch, "keras": _keras, "tf1": _tf1, "optax": _optax}[framework]
    options = [p for p in ("momentum", "centered", "weight_decay") if p in names]

    def factory(params: list, *, lr: float, rho: float, eps: float, **opts: Any) -> Callable:
        hyper = {"lr": lr, "rho": rho, "eps": eps, **opts}
        kwargs = {names[k]: (bool(v) if k == "centered" else float(v)) for k, v in hyper.items() if k in names}
        return make(obj, kwargs, [np.array(p, copy=True) for p in params])

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


def _torch(cls: Any, kwargs: dict, params: list) -> Callable:
    """``cls(tensors, **kwargs)``; each step sets ``.grad`` and calls ``step()`` (torch/optim/optimizer.py)."""
    import torch

    dtype, shapes = params[0].dtype, [p.shape for p in params]
    tensors = [torch.from_numpy(p) for p in params]
    optimizer = cls(tensors, **kwargs)

    def step(grads: list) -> list:
        for t, g in zip(tensors, _check(grads, shapes, dtype)):
            t.grad = torch.from_numpy(g)
        with torch.no_grad():
            optimizer.step()
        return [np.array(t.detach().cpu().numpy(), copy=True) for t in tensors]

    return step


def _keras(cls: Any, kwargs: dict, params: list) -> Callable:
    """Keras 3 (``optimizer.build(vars)``, ``optimizer.apply(grads, vars)``, keras/src/optimizers/base_optimizer.py)
    or tf_keras (``apply_gradients(zip(grads, vars))``)."""
    import importlib

    root = cls.__module__.split(".")[0]
    keras = importlib.import_module(root)
    dtype, shapes = params[0].dtype, [p.shape for p in params]
    optimizer = cls(**kwargs)
    if root == "keras":
        if keras.backend.backend() == "jax" and dtype == np.float64:
            import jax

            jax.config.update("jax_enable_x64", True)
        variables = [keras.Variable(p, dtype=dtype.name) for p in params]
        optimizer.build(variables)

        def step(grads: list) -> list:
            optimizer.apply([keras.ops.convert_to_tensor(g, dtype=dtype.name) for g in _check(grads, shapes, dtype)],
                            variables)
            return [np.array(keras.ops.convert_to_numpy(v.value), dtype=dtype, copy=True) for v in variables]

        return step
    import tensorflow as tf

    tvars = [tf.Variable(p, dtype=dtype.name) for p in params]

    def tf_step(grads: list) -> list:
        optimizer.apply_gradients(zip([tf.constant(g) for g in _check(grads, shapes, dtype)], tvars))
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in tvars]

    return tf_step


def _tf1(cls: Any, kwargs: dict, params: list) -> Callable:
    """``tf.compat.v1`` optimizer, eager: ``apply_gradients(zip(grads, variables))``
    (tensorflow/python/training/optimizer.py)."""
    import tensorflow as tf

    dtype, shapes = params[0].dtype, [p.shape for p in params]
    variables = [tf.Variable(p, dtype=dtype.name) for p in params]
    optimizer = cls(**kwargs)

    def step(grads: list) -> list:
        optimizer.apply_gradients(list(zip([tf.constant(g) for g in _check(grads, shapes, dtype)], variables)))
        return [np.array(v.numpy(), dtype=dtype, copy=True) for v in variables]

    return step


def _optax(make: Callable, kwargs: dict, params: list) -> Callable:
    """``tx = make(**kwargs)``; ``updates, state = tx.update(grads, state, params)``;
    ``params = optax.apply_updates(params, updates)`` (optax/_src/base.py, update.py)."""
    import jax
    import optax

    dtype, shapes = params[0].dtype, [p.shape for p in params]
    if dtype == np.float64 and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    if "momentum" in kwargs and not kwargs["momentum"]:
        kwargs = {**kwargs, "momentum": None}  # optax: momentum=None means no trace
    tx = make(**kwargs)
    current = [jax.numpy.asarray(p) for p in params]
    state = tx.init(current)

    def step(grads: list) -> list:
        nonlocal current, state
        updates, state = tx.update([jax.numpy.asarray(g) for g in _check(grads, shapes, dtype)], state, current)
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
