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
* TF1 and autograd start the accumulator at 1, everyone else at 0.
* Keras 2's legacy optimizer puts eps *outside* the root without momentum and
  *inside* with it (it calls the TF1 kernel only then): ``eps_placement_with_momentum``.
* PyTorch keeps lr outside the momentum buffer; TF1, Keras, optax, MXNet and
  Graves put it inside.  With a constant lr both give the same trajectory in
  exact arithmetic; they differ in rounding and under a learning-rate schedule.
* TF1 and MXNet round hyperparameters to float32 even for float64 weights;
  Keras 3 rounds lr (a float32 variable) and, on its TensorFlow backend and in
  tf_keras, weight_decay too (the JAX backend keeps it exact; the torch backend
  forms 1 - wd*lr in float32, see ``golden/compatibility.md``), Keras 2 legacy
  lr, rho and momentum, Paddle rho, eps and momentum.  That is the knob ``hyperparameters``:
  ``"exact"``, ``"float32"`` (all), ``"float32_lr"`` or ``"float32:rho+eps+momentum"``
  (exactly the names given).  The presets of the frameworks that were added as
  framework presets (``keras2_legacy``, ``paddle``) include their rounding; the
  older ``tf1``, ``keras`` and ``mxnet`` presets (and their golden files) use the
  hyperparameters exactly, so certify those frameworks with e.g.
  ``tf1,float32=all`` (:func:`parse`).

A convention can be written as a *spec*, a preset followed by field overrides
(:func:`parse`; the same string is ``--convention`` of the conformance suite)::

    pytorch,v0=1                      # PyTorch's update with the accumulator at 1
    optax,eps_placement=outside
    seed,float32=rho+eps              # round exactly rho and eps to binary32

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
>>> parse("pytorch,v0=1").spec()
'pytorch,v0=1'
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import re
from fractions import Fraction
from typing import Iterable, Literal, Optional, Union

from .rounding import DTYPE_FORMAT, round_fraction_to_format, widens_exactly

Number = Union[float, int, str, Fraction]
"""A hyperparameter or input value: taken exactly (a float is its binary value)."""

EpsPlacement = Literal["inside", "outside"]

HYPERPARAMETERS = ("lr", "rho", "eps", "v0", "momentum", "weight_decay")
OPTIONS = ("centered", "momentum", "weight_decay", "maximize")
"""The options a convention may allow (``Convention.allows``)."""
CASE_VALUES = ("lr", "rho", "eps", "momentum", "weight_decay", "centered", "lr_schedule")
"""Fields a conformance case sets itself (a ``--convention`` spec may not fix them)."""
_FLAGS = ("centered", "lr_in_momentum", "decoupled_weight_decay", "maximize", "momentum_needs_centered")
_ADDED_FIELDS = {"eps_placement_with_momentum": "same", "momentum_needs_centered": False, "state": "params",
                 "lr_schedule": (), "complex_reading": "split", "fixed_eps": None, "compute": "", "hyper_dtype": ""}
COMPUTE_DTYPES = ("", "float16", "float32", "float64")
"""``compute``: the dtype every operation rounds to ("" = the parameters' own)."""
HYPER_DTYPES = ("", "param")
"""``hyper_dtype``: "param" rounds lr, rho, eps, momentum and weight decay to the parameters' dtype first."""
"""Fields added after golden format 1: described only when they differ from these defaults."""


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
    if hasattr(value, "dtype") and (getattr(value.dtype, "kind", "f") in "fiu"
                                    or getattr(value.dtype, "name", "") == "bfloat16"):
        return Fraction(f)  # numpy float16/32/64 (and ml_dtypes bfloat16) scalars are exact in binary64
    if isinstance(value, float):
        return Fraction(value)
    raise ValueError(f"{field} must be a number, got {value!r}")


def round_to_float32(x: Fraction) -> Fraction:
    """Round an exact value to the nearest binary32 (ties to even), exactly."""
    return round_fraction_to_format(x, "binary32")


def rounded_names(mode: str) -> frozenset:
    """The hyperparameters a ``hyperparameters`` mode rounds to float32.

    >>> sorted(rounded_names("float32:rho+eps"))
    ['eps', 'rho']
    >>> rounded_names("float32_lr"), rounded_names("exact")
    (frozenset({'lr'}), frozenset())
    """
    if mode == "exact":
        return frozenset()
    if mode == "float32":
        return frozenset(HYPERPARAMETERS)
    if mode == "float32_lr":
        return frozenset({"lr"})
    names = mode[len("float32:"):].split("+") if isinstance(mode, str) and mode.startswith("float32:") else None
    if not names or any(n not in HYPERPARAMETERS for n in names):
        raise ValueError(
            "hyperparameters must be 'exact', 'float32', 'float32_lr' or 'float32:NAMES' "
            f"(NAMES joined by + from {', '.join(HYPERPARAMETERS)}), got {mode!r}"
        )
    return frozenset(names)


def rounding_mode(names: Iterable[str]) -> str:
    """The canonical ``hyperparameters`` mode rounding exactly ``names`` to float32.

    >>> rounding_mode(["momentum", "rho"]), rounding_mode(["lr"]), rounding_mode([])
    ('float32:rho+momentum', 'float32_lr', 'exact')
    """
    names = set(names)
    if not names:
        return "exact"
    if names == {"lr"}:
        return "float32_lr"
    if names == set(HYPERPARAMETERS):
        return "float32"
    return "float32:" + "+".join(n for n in HYPERPARAMETERS if n in names)


@dataclasses.dataclass(frozen=True)
class Convention:
    """An RMSProp variant: hyperparameters plus one flag per convention switch.

    Fields (all validated on construction; a bad value raises ``ValueError``
    naming the field and echoing the value):

    * ``lr`` (eta), ``rho`` (the squared-gradient decay: torch ``alpha``, optax
      ``decay``, the seed documents' beta/alpha/gamma), ``eps``.
    * ``eps_placement``: ``"inside"`` (sqrt(s + eps)) or ``"outside"`` (sqrt(s) + eps);
      ``eps_placement_with_momentum``: ``"same"``, or the placement used when
      momentum is on (Keras 2 legacy: outside without momentum, inside with it).
    * ``v0``: initial accumulator (0 almost everywhere, 1 in TF1 and autograd).
    * ``centered``: subtract the squared mean gradient m^2 (Graves 2013).
    * ``momentum``: heavy-ball coefficient mu (0 = no momentum buffer);
      ``lr_in_momentum``: the buffer accumulates lr-scaled steps (TF style).
    * ``weight_decay`` (lambda) and ``decoupled_weight_decay``: coupled adds
      lambda*p to the gradient; decoupled does p -= lr*lambda*p before the step.
    * ``maximize``: ascend instead of descend (PyTorch).
    * ``hyperparameters``: which hyperparameters are rounded to binary32 before
      use: ``"exact"`` (none), ``"float32"`` (all of lr, rho, eps, v0, momentum,
      weight_decay: TF1, MXNet), ``"float32_lr"`` (lr alone in a float32
      variable) or ``"float32:NAMES"`` (exactly those, e.g. ``float32:rho+eps+momentum``).
      Derived constants (1 - rho, lr * wd) are formed exactly from the rounded values.
    * ``allows``: which options this convention has at all (a preset without
      momentum refuses ``momentum=0.9``); ``momentum_needs_centered``: momentum
      exists only together with centered (MXNet 1.x ``rmspropalex``).
    * ``state``: the dtype the optimizer state is kept and the update computed in:
      ``"params"`` (the parameters' own dtype, every preset) or a dtype name
      (``"float32"``: bfloat16/float16 parameters with float32 "master" state; each
      step's new parameters are rounded once to the parameters' dtype), see
      :meth:`state_dtype`.
    * ``complex_reading``: how a complex parameter is updated: ``"split"`` (PyTorch: its real
      and imaginary parts as independent real parameters, ``view_as_real``) or ``"modulus"``
      (one accumulator per complex element, v = rho v + (1 - rho) |g|^2); see
      :func:`oracle.algorithm.complex_stages`.
    * ``lr_schedule``: the learning rate of each step (step 1 first), exact numbers like
      ``lr``; empty (the default): ``lr`` at every step (:meth:`lr_at`).  Where lr enters
      relative to the momentum buffer (``lr_in_momentum``) changes the exact trajectory only
      under a schedule.
    * ``fixed_eps``: an eps the framework does not take as a parameter (None: eps is
      a hyperparameter); when set, it replaces every case's and probe's eps.
    * ``compute``: the dtype the arithmetic runs in when it is narrower than the
      parameters' (``float32`` on float64 storage: every operation rounds to float32,
      the stored values are float32 numbers); ``""`` is the parameters' own dtype.
    * ``hyper_dtype``: ``"param"`` rounds lr, rho, eps, momentum and weight decay to
      the parameters' dtype before use (a framework casting them to float16 for
      float16 parameters); see :meth:`for_dtype`.
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
    hyperparameters: str = "exact"
    allows: frozenset = frozenset(OPTIONS)
    source: str = ""
    eps_placement_with_momentum: str = "same"
    momentum_needs_centered: bool = False
    state: str = "params"
    lr_schedule: tuple = ()
    complex_reading: str = "split"
    fixed_eps: Optional[Number] = None
    compute: str = ""
    hyper_dtype: str = ""

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
            raise ValueError(f"eps_placement must be 'inside' or 'outside', got {self.eps_placement!r}")
        if self.eps_placement_with_momentum not in ("same", "inside", "outside"):
            raise ValueError("eps_placement_with_momentum must be 'same', 'inside' or 'outside', "
                             f"got {self.eps_placement_with_momentum!r}")
        schedule = self.lr_schedule.split("+") if isinstance(self.lr_schedule, str) and self.lr_schedule else \
            self.lr_schedule or ()
        if not isinstance(schedule, (tuple, list)):
            raise ValueError(f"lr_schedule must be a sequence of learning rates, got {self.lr_schedule!r}")
        object.__setattr__(self, "lr_schedule", tuple(schedule))
        for k, x in enumerate(self.lr_schedule):
            if to_fraction(x, f"lr_schedule[{k}]") < 0:
                raise ValueError(f"lr_schedule[{k}] must be >= 0, got {x!r}")
        if self.complex_reading not in ("split", "modulus"):
            raise ValueError(f"complex_reading must be 'split' or 'modulus', got {self.complex_reading!r}")
        if self.state != "params" and self.state not in DTYPE_FORMAT:
            raise ValueError(f"state must be 'params' or one of {', '.join(DTYPE_FORMAT)}, got {self.state!r}")
        rounded = rounded_names(self.hyperparameters)  # parsed once, held (``rounded``, ``exact``)
        object.__setattr__(self, "hyperparameters", rounding_mode(rounded))
        self.__dict__["_rounded"], self.__dict__["_exact"] = rounded, {}
        if self.fixed_eps is not None and to_fraction(self.fixed_eps, "fixed_eps") < 0:
            raise ValueError(f"fixed_eps must be >= 0 (or none), got {self.fixed_eps!r}")
        if self.compute not in COMPUTE_DTYPES:
            raise ValueError(f"compute must be one of {', '.join(d or 'the empty string' for d in COMPUTE_DTYPES)}, "
                             f"got {self.compute!r}")
        if self.hyper_dtype not in HYPER_DTYPES:
            raise ValueError(f"hyper_dtype must be '' or 'param', got {self.hyper_dtype!r}")
        for flag in _FLAGS:
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        if not isinstance(self.allows, frozenset) or not self.allows <= set(OPTIONS):
            raise ValueError(f"allows must be a frozenset of {', '.join(OPTIONS)}, got {self.allows!r}")
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
        if self.momentum_needs_centered and used["momentum"] and not self.centered:
            raise ValueError(
                f"momentum is not an option of the {self.name!r} convention unless centered=True "
                f"(momentum_needs_centered), got momentum={self.momentum!r}"
            )

    def exact(self, field: str) -> Fraction:
        """The exact value of a hyperparameter, after the ``hyperparameters`` rounding."""
        held = self.__dict__["_exact"]  # computed on first use, once per field
        if field not in held:
            if field not in HYPERPARAMETERS:
                raise ValueError(f"field must be one of {HYPERPARAMETERS}, got {field!r}")
            value = to_fraction(getattr(self, field), field)
            if field == "eps" and self.fixed_eps is not None:
                value = to_fraction(self.fixed_eps, "fixed_eps")
            held[field] = round_to_float32(value) if field in self.rounded else value
        return held[field]

    @property
    def rounded(self) -> frozenset:
        """The hyperparameters rounded to float32 before use (``hyperparameters``, parsed)."""
        return self.__dict__["_rounded"]

    @property
    def has_momentum(self) -> bool:
        return self.exact("momentum") != 0

    @property
    def effective_eps_placement(self) -> EpsPlacement:
        """Where eps goes in this configuration (``eps_placement_with_momentum`` applied)."""
        if self.has_momentum and self.eps_placement_with_momentum != "same":
            return self.eps_placement_with_momentum  # type: ignore[return-value]
        return self.eps_placement

    def option_sets(self, momentum: Number = "0.9", weight_decay: Number = "0.01") -> dict[str, dict]:
        """Every combination of the options this convention has (``allows``; momentum with centered
        where ``momentum_needs_centered``), each at one value, by name: ``plain``, ``centered``,
        ``momentum``, ``centered-momentum``, ``weight-decay``, ...  Each set names every option the
        convention has (off: ``False``/``0``), so ``replace(**set)`` overrides its own defaults.

        >>> list(preset("mxnet").option_sets())
        ['plain', 'weight-decay', 'centered', 'centered-weight-decay', 'centered-momentum', 'centered-momentum-weight-decay']
        >>> preset("seed").option_sets()
        {'plain': {}}
        """
        values = {"centered": (False, True), "momentum": (0, momentum), "weight_decay": (0, weight_decay)}
        names = [n for n in values if n in self.allows]
        out: dict[str, dict] = {}
        for combo in itertools.product(*(values[n] for n in names)):
            options = dict(zip(names, combo))
            if options.get("momentum") and self.momentum_needs_centered and not options.get("centered"):
                continue
            name = "-".join(n.replace("_", "-") for n, v in options.items() if v) or "plain"
            out[name] = options
        return out

    def lr_at(self, t: Optional[int]) -> Fraction:
        """The exact learning rate of step ``t`` (1 first): ``lr_schedule[t - 1]``, or ``lr`` without a schedule.

        >>> preset("pytorch", lr_schedule=("0.1", "0.05")).lr_at(2), preset("pytorch", lr="0.1").lr_at(7)
        (Fraction(1, 20), Fraction(1, 10))
        """
        if not self.lr_schedule:
            return self.exact("lr")
        if t is None or not 1 <= t <= len(self.lr_schedule):
            raise ValueError(f"lr_schedule has {len(self.lr_schedule)} steps, got step t={t!r}")
        value = to_fraction(self.lr_schedule[t - 1], f"lr_schedule[{t - 1}]")
        return round_to_float32(value) if "lr" in rounded_names(self.hyperparameters) else value

    def state_dtype(self, params_dtype: str) -> str:
        """The dtype the state is kept and the update computed in, for parameters of ``params_dtype``.

        >>> preset("pytorch").state_dtype("bfloat16"), preset("pytorch", state="float32").state_dtype("bfloat16")
        ('bfloat16', 'float32')
        >>> preset("pytorch", state="float32").state_dtype("float64")
        Traceback (most recent call last):
        ...
        ValueError: state=float32 cannot hold float64 parameters exactly (state must be 'params' or a dtype at least as wide)
        """
        if self.state == "params" or self.state == params_dtype:
            return params_dtype
        if params_dtype not in DTYPE_FORMAT or not widens_exactly(params_dtype, self.state):
            raise ValueError(f"state={self.state} cannot hold {params_dtype} parameters exactly "
                             "(state must be 'params' or a dtype at least as wide)")
        return self.state

    def state_names(self) -> tuple[str, ...]:
        """Names of the optimizer state slots: ``v``, then ``m`` and ``b`` where present."""
        names = ["v"]
        if self.centered:
            names.append("m")
        if self.has_momentum:
            names.append("b")
        return tuple(names)

    def for_dtype(self, dtype: str) -> "Convention":
        """This convention as it runs on parameters of ``dtype``: with ``hyper_dtype="param"`` the
        hyperparameters (after the ``hyperparameters`` rounding) rounded to ``dtype``, exactly; else itself.

        >>> c = preset("pytorch", rho="0.99", hyper_dtype="param").for_dtype("float16")
        >>> c.exact("rho"), 1 - c.exact("rho")
        (Fraction(507, 512), Fraction(5, 512))
        """
        from .rounding import DTYPE_FORMAT

        if self.hyper_dtype != "param" or dtype not in DTYPE_FORMAT:
            return self
        fmt = DTYPE_FORMAT[dtype]
        names = ("lr", "rho", "eps", "momentum", "weight_decay")
        values = {n: round_fraction_to_format(self.exact(n), fmt) for n in names}
        fixed = {"fixed_eps": values.pop("eps")} if self.fixed_eps is not None else {}
        return dataclasses.replace(self, hyper_dtype="", hyperparameters="exact", **values, **fixed)

    def replace(self, **changes: object) -> "Convention":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict:
        """The convention as JSON-ready values, hyperparameters exactly as given."""
        out: dict = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _ADDED_FIELDS and value == _ADDED_FIELDS[f.name]:
                continue
            if f.name == "allows":
                value = sorted(value)
            elif f.name == "lr_schedule":
                value = [str(x) if isinstance(x, Fraction) else {"float": x.hex(), "repr": repr(x)}
                         if isinstance(x, float) else x for x in value]
            elif isinstance(value, Fraction):
                value = str(value)
            elif isinstance(value, float):
                value = {"float": value.hex(), "repr": repr(value)}
            out[f.name] = value
        return out

    def structure(self) -> dict:
        """The convention switches, without hyperparameter values, options, name or source.

        Two conventions with equal structure run the same update for the same
        hyperparameters and options.
        """
        skip = {"name", "source", "allows", *CASE_VALUES}
        return {f.name: self.exact(f.name) if f.name in HYPERPARAMETERS else getattr(self, f.name)
                for f in dataclasses.fields(self) if f.name not in skip}

    def spec(self, values: bool = False) -> str:
        """The shortest ``PRESET,FIELD=VALUE...`` string that :func:`parse` reads back as this structure.

        The preset is this convention's ``name`` if it is one, else the preset
        needing the fewest overrides.  With ``values`` the hyperparameters and
        options that differ from the preset's are included too.

        >>> preset("pytorch", v0=1).spec()
        'pytorch,v0=1'
        >>> preset("seed", hyperparameters="float32:rho+eps").spec()
        'seed,float32=rho+eps'
        """
        names = [self.name] if self.name in _PRESETS else list(PRESET_NAMES)
        best: Optional[list] = None
        for name in names:
            base = preset(name)
            diff = [f for f in dataclasses.fields(self) if f.name not in ("name", "source")
                    and (values or f.name not in CASE_VALUES) and not _same_field(self, base, f.name)]
            items = [name] + [_render(f.name, getattr(self, f.name)) for f in diff]
            if best is None or len(items) < len(best):
                best = items
        return ",".join(best or [])


def _same_field(a: Convention, b: Convention, field: str) -> bool:
    """Whether two conventions agree on ``field`` (hyperparameters and numbers compared exactly)."""
    x, y = getattr(a, field), getattr(b, field)
    if field in HYPERPARAMETERS:
        return to_fraction(x, field) == to_fraction(y, field)
    if isinstance(x, (int, float, str, Fraction)) and isinstance(y, (int, float, str, Fraction)) \
            and not isinstance(x, (bool, str)) and not isinstance(y, (bool, str)):
        return to_fraction(x, field) == to_fraction(y, field)
    return x == y


def _number(value: object) -> str:
    """A number as text :func:`parse` reads back exactly: the shortest decimal when it is exact, else N/D
    (beyond the 200 characters a spec number may have, the shortest decimal of the nearest float)."""
    if isinstance(value, str):
        return value.strip()
    exact = to_fraction(value)
    if isinstance(value, float) and Fraction(repr(value)) == exact:
        return repr(value)
    text = str(exact)
    return text if len(text) <= 200 else repr(float(exact))  # a spec number has at most 200 characters


def _render(field: str, value: object) -> str:
    if field == "allows":
        return f"allows={'+'.join(o for o in OPTIONS if o in value) or 'none'}"
    if value is None:
        return f"{field}=none"
    if field == "hyperparameters":
        names = rounded_names(str(value))
        text = "all" if names == set(HYPERPARAMETERS) else "none" if not names else \
            "+".join(n for n in HYPERPARAMETERS if n in names)
        return f"float32={text}"
    if isinstance(value, bool):
        return f"{field}={'true' if value else 'false'}"
    if field == "lr_schedule":
        return f"{field}={'+'.join(str(x) for x in value)}"
    if isinstance(value, (int, float, Fraction)) or field in HYPERPARAMETERS:
        return f"{field}={_number(value)}"
    return f"{field}={value}"


_ALL = frozenset(OPTIONS)
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
        allows=frozenset({"centered", "momentum", "weight_decay"}), momentum_needs_centered=True,
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
    "keras2_legacy": dict(
        lr="0.001", rho="0.9", eps="1e-7", eps_placement="outside", eps_placement_with_momentum="inside",
        v0=0, lr_in_momentum=True, allows=frozenset({"centered", "momentum"}),
        hyperparameters="float32:lr+rho+momentum",
        source="tf_keras.optimizers.legacy.RMSprop (tf_keras/src/optimizers/legacy/rmsprop.py, "
        "_resource_apply_dense): momentum = 0: rms = rho rms + (1 - rho) g^2; "
        "var -= lr g / (sqrt(rms [- mg^2]) + eps) (eps OUTSIDE); momentum > 0: the TF1 "
        "ResourceApply[Centered]RMSProp kernel, eps INSIDE, lr inside the buffer, rms0 = 0. "
        "lr, rho and momentum are float32 variables (_set_hyper); epsilon is a Python float "
        "(exact). epsilon=0 silently becomes 1e-7 (epsilon or backend_config.epsilon()).",
    ),
    "autograd": dict(
        lr="0.1", rho="0.9", eps="1e-8", eps_placement="outside", v0=1,
        allows=frozenset(),
        source="autograd.misc.optimizers.rmsprop (autograd/misc/optimizers.py): avg_sq_grad = "
        "np.ones(len(x)) (v0 = 1, float64); avg = avg gamma + g^2 (1 - gamma); "
        "x -= step_size g / (sqrt(avg) + eps) (eps OUTSIDE); step_size 0.1, gamma 0.9, eps 1e-8.",
    ),
    "paddle": dict(
        lr="0.001", rho="0.95", eps="1e-6", eps_placement="inside", v0=0,
        lr_in_momentum=True, decoupled_weight_decay=False,
        allows=frozenset({"centered", "momentum", "weight_decay"}),
        hyperparameters="float32:rho+eps+momentum",
        source="paddle.optimizer.RMSProp (python/paddle/optimizer/rmsprop.py, "
        "paddle/phi/kernels/impl/rmsprop_kernel_impl.h): ms = rho ms + (1 - rho) g^2; "
        "[mg = rho mg + (1 - rho) g]; mom = mu mom + lr g / sqrt(ms [- mg^2] + eps); p -= mom; "
        "accumulators start at 0; weight_decay (L2Decay) coupled: g += wd p. rho, epsilon and "
        "momentum are float op attributes (float32); lr and weight decay exact for float64 weights. "
        "learning_rate is required (0.001 here is a placeholder).",
    ),
}

PRESET_NAMES: tuple[str, ...] = tuple(_PRESETS)
SPEC_FIELDS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Convention) if f.name not in ("name", "source")
) + ("float32",)
"""Fields a spec may set (``float32=NAMES`` is short for ``hyperparameters=float32:NAMES``)."""


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
    ValueError: preset must be one of seed, pytorch, tf1, keras, optax, mxnet, graves2013, keras2_legacy, autograd, paddle; got 'adam'
    """
    if name not in _PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESET_NAMES)}; got {name!r}{_suggest(name, PRESET_NAMES)}")
    fields = {"name": name, **_PRESETS[name], **overrides}
    return Convention(**fields)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def parse(spec: str) -> Convention:
    """The convention a spec ``PRESET[,FIELD=VALUE...]`` describes.

    Any field of :class:`Convention` but ``name`` and ``source`` can be
    overridden; numbers are exact decimals, flags ``true``/``false``,
    ``allows=momentum+centered`` (or ``none``), and ``float32=NAMES`` rounds
    exactly the named hyperparameters to binary32 (``all``, ``none``, ``lr``,
    ``rho+eps+momentum``).  A bad spec raises ``ValueError`` naming the field,
    echoing the value and suggesting close matches.

    >>> c = parse("pytorch,v0=1,float32=rho+eps")
    >>> c.exact("v0"), c.eps_placement, c.hyperparameters
    (Fraction(1, 1), 'outside', 'float32:rho+eps')
    >>> parse("optax,eps_placment=outside")
    Traceback (most recent call last):
    ...
    ValueError: convention spec 'optax,eps_placment=outside': unknown field 'eps_placment' (did you mean 'eps_placement' or 'eps_placement_with_momentum'?)
    >>> parse("pytorch,v0=-1")
    Traceback (most recent call last):
    ...
    ValueError: convention spec 'pytorch,v0=-1': v0 must be >= 0, got '-1'
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"convention spec must look like PRESET[,FIELD=VALUE...], got {spec!r}")
    head, *items = [part.strip() for part in spec.split(",")]
    if head not in _PRESETS:
        raise ValueError(f"convention spec {spec!r}: unknown preset {head!r}{_suggest(head, PRESET_NAMES)}; "
                         f"presets: {', '.join(PRESET_NAMES)}")
    overrides: dict = {}
    for item in items:
        field, sep, text = (x.strip() for x in item.partition("="))
        if not sep or not field:
            raise ValueError(f"convention spec {spec!r}: expected FIELD=VALUE, got {item!r}")
        if field not in SPEC_FIELDS:
            raise ValueError(f"convention spec {spec!r}: unknown field {field!r}{_suggest(field, SPEC_FIELDS)}")
        key = "hyperparameters" if field == "float32" else field
        if key in overrides:
            raise ValueError(f"convention spec {spec!r}: {field} is given twice")
        exponent = re.search(r"[eE]\s*([+-]?\d+)\s*$", text.replace("_", ""))  # bounded cost: no 10**99999999
        if len(text) > 200 or (exponent and abs(int(exponent.group(1))) > 1000):
            raise ValueError(f"convention spec {spec!r:.120}: {field} must be a number with at most 200 "
                             f"characters and a decimal exponent within +-1000, got {text!r:.60}")
        try:
            overrides[key] = _value(field, text)
            if key == "hyperparameters":
                rounded_names(overrides[key])
        except ValueError as err:
            raise ValueError(f"convention spec {spec!r}: {err}") from None
    try:
        return preset(head, **overrides)
    except ValueError as err:
        raise ValueError(f"convention spec {spec!r}: {err}") from None


def _value(field: str, text: str) -> object:
    """A spec value read for ``field``: flags, name sets and ``float32`` names; numbers stay exact strings."""
    kind = _FIELD_DEFAULTS.get(field)
    if field in _FLAGS or isinstance(kind, bool):
        low = text.lower()
        if low not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{field} must be true or false, got {text!r}")
        return low in ("true", "1", "yes")
    if field == "allows":
        names = [] if text in ("", "none") else text.split("+")
        bad = [n for n in names if n not in OPTIONS]
        if bad:
            raise ValueError(f"allows must name options from {'+'.join(OPTIONS)} (or none), got {text!r}"
                             f"{_suggest(bad[0], OPTIONS)}")
        return frozenset(names)
    if field == "float32":
        if text == "all":
            return "float32"
        if text == "none":
            return "exact"
        names = text.split("+")
        bad = [n for n in names if n not in HYPERPARAMETERS]
        if bad:
            raise ValueError(f"float32 must be all, none or names joined by + from {'+'.join(HYPERPARAMETERS)}, "
                             f"got {text!r}{_suggest(bad[0], HYPERPARAMETERS)}")
        return rounding_mode(names)
    if field in _FIELD_DEFAULTS and _FIELD_DEFAULTS[field] is None and text.lower() == "none":
        return None
    return text


_FIELD_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Convention)}


preset.__doc__ = (preset.__doc__ or "") + "\n    Presets and their sources:\n\n" + "\n".join(
    f"    * ``{name}``: {spec['source']}" for name, spec in _PRESETS.items()
)
