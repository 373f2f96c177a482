"""One immutable, validated description of an RMSProp variant, and named presets.

Every engine in this package (interval, symbolic, floating point, error bound)
runs the same update, :func:`oracle.algorithm.step`, for a :class:`Convention`:

.. math::

    g &\\leftarrow -g \\quad\\text{(maximize)}\\qquad
    g \\leftarrow g + \\lambda p \\quad\\text{(coupled weight decay)}\\\\
    p &\\leftarrow p - \\eta\\lambda p \\quad\\text{(decoupled weight decay, before the step)}\\\\
    v &\\leftarrow \\rho v + (1-\\rho) g^2 \\qquad
    m \\leftarrow \\rho m + (1-\\rho) g \\quad\\text{(centered)}\\\\
    s &= v \\;\\text{or}\\; v - m^2 \\quad\\text{(centered)}\\\\
    d &= \\sqrt{s + \\varepsilon} \\;\\text{(eps inside)} \\quad\\text{or}\\quad \\sqrt{s} + \\varepsilon
         \\;\\text{(eps outside)}\\\\
    p &\\leftarrow p - \\eta g / d \\quad\\text{(no momentum)}\\\\
    b &\\leftarrow \\mu b + \\eta g / d,\\; p \\leftarrow p - b \\quad\\text{(lr inside momentum)}\\\\
    b &\\leftarrow \\mu b + g / d,\\; p \\leftarrow p - \\eta b \\quad\\text{(lr outside momentum)}

The initial accumulator is ``v0`` (``m`` and ``b`` start at zero).

Cross-library warnings (see ``../shared/reference/rmsprop_conventions.md``):

* PyTorch puts eps *outside* the root; TF1, Keras, optax, MXNet 1.x and the source
  documents put it *inside*.  For the centered form ``(v - m^2) + eps`` and
  ``(v + eps) - m^2`` are equal in real arithmetic: they differ only in rounding,
  which the floating-point error bound covers, so the exact reference does not
  distinguish them.
* TF1 starts the accumulator at 1, everyone else at 0.
* PyTorch keeps lr outside the momentum buffer; TF1, Keras, optax, MXNet and
  Graves put it inside.  With a constant lr both give the same trajectory in
  exact arithmetic; they differ in rounding and under a learning-rate schedule.
* TF1 and MXNet round hyperparameters to float32 even for float64 weights;
  Keras 3 rounds only lr (a float32 variable).  That is the separate knob
  ``hyperparameters="float32"`` / ``"float32_lr"``; every preset defaults to
  ``"exact"``: the hyperparameters are used exactly as given.

Hyperparameters are kept exactly as given (a Python float, an int, a decimal
string such as ``"0.1"`` or a :class:`fractions.Fraction`) and are read through
:meth:`Convention.exact`, which returns the exact rational value:

>>> c = preset("seed")
>>> c.exact("lr")
Fraction(1, 10)
>>> preset("seed", lr=0.1).exact("lr") == Fraction(0.1)
True
>>> preset("pytorch", rho=1.5)
Traceback (most recent call last):
...
ValueError: rho must lie in [0, 1), got 1.5
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Literal, Union

Number = Union[float, int, str, Fraction]
"""A hyperparameter or input value: taken exactly (a float is its binary value)."""

EpsPlacement = Literal["inside", "outside"]
HyperRounding = Literal["exact", "float32", "float32_lr"]

HYPERPARAMETERS = ("lr", "rho", "eps", "v0", "momentum", "weight_decay")


def to_fraction(value: object, field: str = "value") -> Fraction:
    """Return the exact rational value of ``value``.

    A Python float (or numpy floating scalar) is its exact binary value, a
    string is read as an exact decimal, a Fraction or int is itself.  NaN,
    infinities, booleans and anything else raise ``ValueError`` naming ``field``.

    >>> to_fraction("0.1")
    Fraction(1, 10)
    >>> to_fraction(0.5)
    Fraction(1, 2)
    >>> to_fraction(float("nan"), "eps")
    Traceback (most recent call last):
    ...
    ValueError: eps must be a finite number, got nan
    """
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, str):
        try:
            out = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{field} must be a finite number, got {value!r}") from None
        return out
    try:
        f = float(value)  # numpy scalars, mpf with exact float value
    except (TypeError, ValueError):
        raise ValueError(f"{field} must be a number, got {value!r}") from None
    if not math.isfinite(f):
        raise ValueError(f"{field} must be a finite number, got {value!r}")
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "f") in "fiu":
        return Fraction(f)  # numpy float16/32/64 scalars are exact in binary64
    if isinstance(value, float):
        return Fraction(value)
    raise ValueError(f"{field} must be a number, got {value!r}")


def round_to_float32(x: Fraction) -> Fraction:
    """Round an exact value to the nearest binary32 (ties to even), exactly."""
    from .rounding import round_fraction_to_format

    return round_fraction_to_format(x, "binary32")


@dataclasses.dataclass(frozen=True)
class Convention:
    """An RMSProp variant: hyperparameters plus one flag per convention switch.

    Fields (all validated on construction; a bad value raises ``ValueError``
    naming the field and echoing the value):

    * ``lr`` (eta), ``rho`` (the squared-gradient decay: torch ``alpha``, optax
      ``decay``, the seed documents' beta/alpha/gamma), ``eps``.
    * ``eps_placement``: ``"inside"`` (sqrt(s + eps)) or ``"outside"`` (sqrt(s) + eps).
    * ``v0``: initial accumulator (0 almost everywhere, 1 in TF1).
    * ``centered``: subtract the squared mean gradient m^2 (Graves 2013).
    * ``momentum``: heavy-ball coefficient mu (0 = no momentum buffer);
      ``lr_in_momentum``: the buffer accumulates lr-scaled steps (TF style).
    * ``weight_decay`` (lambda) and ``decoupled_weight_decay``: coupled adds
      lambda*p to the gradient; decoupled does p -= lr*lambda*p before the step.
    * ``maximize``: ascend instead of descend (PyTorch).
    * ``hyperparameters``: ``"exact"``, ``"float32"`` (lr, rho, eps, v0,
      momentum and weight_decay rounded to binary32 before use: TF1, MXNet) or
      ``"float32_lr"`` (only lr rounded: Keras 3 keeps lr in a float32 variable
      and uses rho, eps, momentum and wd as exact doubles).
    * ``allows``: which options this convention has at all (a preset without
      momentum refuses ``momentum=0.9``).
    """

    name: str = "custom"
    lr: Number = Fraction(1, 100)
    rho: Number = Fraction(9, 10)
    eps: Number = Fraction(1, 10**8)
    eps_placement: EpsPlacement = "inside"
    v0: Number = 0
    centered: bool = False
    momentum: Number = 0
    lr_in_momentum: bool = True
    weight_decay: Number = 0
    decoupled_weight_decay: bool = False
    maximize: bool = False
    hyperparameters: HyperRounding = "exact"
    allows: frozenset = frozenset({"centered", "momentum", "weight_decay", "maximize"})
    source: str = ""

    def __post_init__(self) -> None:
        values = {f: to_fraction(getattr(self, f), f) for f in HYPERPARAMETERS}
        if values["lr"] < 0:
            raise ValueError(f"lr must be >= 0, got {self.lr!r}")
        if not 0 <= values["rho"] < 1:
            raise ValueError(f"rho must lie in [0, 1), got {self.rho!r}")
        if values["eps"] < 0:
            raise ValueError(f"eps must be >= 0, got {self.eps!r}")
        if values["v0"] < 0:
            raise ValueError(f"v0 must be >= 0, got {self.v0!r}")
        if not 0 <= values["momentum"] < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum!r}")
        if values["weight_decay"] < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.eps_placement not in ("inside", "outside"):
            raise ValueError(
                f"eps_placement must be 'inside' or 'outside', got {self.eps_placement!r}"
            )
        if self.hyperparameters not in ("exact", "float32", "float32_lr"):
            raise ValueError(
                "hyperparameters must be 'exact', 'float32' or 'float32_lr', "
                f"got {self.hyperparameters!r}"
            )
        for flag in ("centered", "lr_in_momentum", "decoupled_weight_decay", "maximize"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        used = {
            "centered": self.centered,
            "momentum": values["momentum"] != 0,
            "weight_decay": values["weight_decay"] != 0,
            "maximize": self.maximize,
        }
        for option, on in used.items():
            if on and option not in self.allows:
                raise ValueError(
                    f"{option} is not an option of the {self.name!r} convention, "
                    f"got {option}={getattr(self, option)!r}"
                )
        if self.name == "mxnet" and values["momentum"] != 0 and not self.centered:
            raise ValueError(
                "momentum is not an option of the 'mxnet' convention unless centered=True "
                f"(MXNet 1.x momentum exists only in rmspropalex), got momentum={self.momentum!r}"
            )

    def exact(self, field: str) -> Fraction:
        """The exact value of a hyperparameter, after the ``hyperparameters`` rounding."""
        if field not in HYPERPARAMETERS:
            raise ValueError(f"field must be one of {HYPERPARAMETERS}, got {field!r}")
        value = to_fraction(getattr(self, field), field)
        if self.hyperparameters == "float32" or (self.hyperparameters == "float32_lr" and field == "lr"):
            value = round_to_float32(value)
        return value

    @property
    def has_momentum(self) -> bool:
        return self.exact("momentum") != 0

    def state_names(self) -> tuple[str, ...]:
        """Names of the optimizer state slots: ``v``, then ``m`` and ``b`` where present."""
        names = ["v"]
        if self.centered:
            names.append("m")
        if self.has_momentum:
            names.append("b")
        return tuple(names)

    def replace(self, **changes: object) -> "Convention":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict:
        """The convention as JSON-ready values, hyperparameters exactly as given."""
        out: dict = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "allows":
                value = sorted(value)
            elif isinstance(value, Fraction):
                value = str(value)
            elif isinstance(value, float):
                value = {"float": value.hex(), "repr": repr(value)}
            out[f.name] = value
        return out


_ALL = frozenset({"centered", "momentum", "weight_decay", "maximize"})
_PRESETS: dict[str, dict] = {
    "seed": dict(
        lr="0.1", rho="0.9", eps="1e-8", eps_placement="inside", v0=0,
        allows=frozenset(),
        source="The source documents (../shared/seeds) and Hinton, Coursera lecture 6e "
        "(2012): v = rho v + (1 - rho) g^2; p -= lr g / sqrt(v + eps); v0 = 0. Hinton's slide "
        "has no eps; the documents put it inside the root.",
    ),
    "pytorch": dict(
        lr="0.01", rho="0.99", eps="1e-8", eps_placement="outside", v0=0,
        lr_in_momentum=False, decoupled_weight_decay=False, allows=_ALL,
        source="torch.optim.RMSprop (torch/optim/rmsprop.py, _single_tensor_rmsprop): "
        "v = alpha v + (1 - alpha) g^2; d = sqrt(v [- m^2]) + eps; b = mu b + g / d; "
        "p -= lr b; weight decay coupled (g += wd p); maximize negates g.",
    ),
    "tf1": dict(
        lr="0.001", rho="0.9", eps="1e-10", eps_placement="inside", v0=1,
        lr_in_momentum=True, allows=frozenset({"centered", "momentum"}),
        source="tf.compat.v1.train.RMSPropOptimizer + ApplyRMSProp kernel "
        "(tensorflow/core/kernels/training_ops.cc): ms initialised to ONES; "
        "ms += (g^2 - ms)(1 - rho); mom = mu mom + lr g / sqrt(ms + eps); var -= mom. "
        "learning_rate is required in TF1 (0.001 here is a placeholder); TF1 rounds "
        "hyperparameters to float32 (use hyperparameters='float32').",
    ),
    "keras": dict(
        lr="0.001", rho="0.9", eps="1e-7", eps_placement="inside", v0=0,
        lr_in_momentum=True, decoupled_weight_decay=True,
        allows=frozenset({"centered", "momentum", "weight_decay"}),
        source="Keras 3 keras.optimizers.RMSprop (keras/src/optimizers/rmsprop.py): "
        "v = rho v + (1 - rho) g^2; inc = lr g / sqrt(v [- m^2] + eps); b = mu b + inc; "
        "var -= b; weight decay decoupled, var -= var wd lr before the step.",
    ),
    "optax": dict(
        lr="0.001", rho="0.9", eps="1e-8", eps_placement="inside", v0=0,
        lr_in_momentum=True, allows=frozenset({"centered", "momentum"}),
        source="optax.rmsprop (optax/_src/alias.py, transform.scale_by_rms / "
        "scale_by_stddev, then scale_by_learning_rate, then trace): nu = (1 - decay) g^2 "
        "+ decay nu; u = g rsqrt(nu + eps); momentum trace after the -lr scaling (lr inside). "
        "learning_rate is required (0.001 here is a placeholder); initial_scale = v0.",
    ),
    "mxnet": dict(
        lr="0.001", rho="0.9", eps="1e-8", eps_placement="inside", v0=0,
        lr_in_momentum=True, decoupled_weight_decay=False,
        allows=frozenset({"centered", "momentum", "weight_decay"}),
        source="MXNet 1.9.1 optimizer.RMSProp -> rmsprop_update / rmspropalex_update "
        "(src/operator/optimizer_op-inl.h): gr = g + wd w; n = (1 - gamma1) gr^2 + gamma1 n; "
        "w -= lr gr / sqrt(n + eps); centered (rmspropalex): delta = gamma2 delta - "
        "lr gr / sqrt(n - g^2 + eps), w += delta. Momentum (gamma2) exists only centered.",
    ),
    "graves2013": dict(
        lr="1e-4", rho="0.95", eps="1e-4", eps_placement="inside", v0=0,
        centered=True, momentum="0.9", lr_in_momentum=True,
        allows=frozenset({"centered", "momentum"}),
        source="Graves 2013, Generating Sequences With Recurrent Neural Networks, "
        "eq. (38)-(41): n = a n + (1 - a) g^2; g_ = a g_ + (1 - a) g; "
        "D = b D - c g / sqrt(n - g_^2 + d); w += D; a = 0.95, b = 0.9, c = d = 1e-4.",
    ),
}

PRESET_NAMES: tuple[str, ...] = tuple(_PRESETS)


def preset(name: str, **overrides: object) -> Convention:
    """The named preset convention, with optional field overrides.

    >>> preset("pytorch").eps_placement
    'outside'
    >>> preset("tf1").v0
    1
    >>> preset("seed", momentum=0.9)
    Traceback (most recent call last):
    ...
    ValueError: momentum is not an option of the 'seed' convention, got momentum=0.9
    >>> preset("adam")
    Traceback (most recent call last):
    ...
    ValueError: preset must be one of seed, pytorch, tf1, keras, optax, mxnet, graves2013; got 'adam'
    """
    if name not in _PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESET_NAMES)}; got {name!r}")
    fields = {"name": name, **_PRESETS[name], **overrides}
    return Convention(**fields)


preset.__doc__ = (preset.__doc__ or "") + "\n    Presets and their sources:\n\n" + "\n".join(
    f"    * ``{name}``: {spec['source']}" for name, spec in _PRESETS.items()
)
