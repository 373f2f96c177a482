"""The :class:`Convention` dataclass: an RMSProp variant's fields, their validation, the derived
views the engines read (:meth:`Convention.exact`, :meth:`Convention.for_dtype`, ...), :func:`preset`
and the spec writer :meth:`Convention.spec` (read back by :func:`oracle.conventions.parse`).
"""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction
from typing import Literal, Optional

from ..rounding import DTYPE_FORMAT, round_fraction_to_format, widens_exactly
from .catalogue import OPTIONS, PRESET_NAMES, PRESETS, suggest
from .exact import HYPERPARAMETERS, Number, round_to_float32, rounded_names, rounding_mode, to_fraction
from .subnormals import flush_dtypes, flushes, subnormals_mode
from .text import render

EpsPlacement = Literal["inside", "outside"]

CASE_VALUES = ("lr", "rho", "eps", "momentum", "weight_decay", "centered", "lr_schedule")
"""Fields a conformance case sets itself (a ``--convention`` spec may not fix them)."""
FLAGS = ("centered", "lr_in_momentum", "decoupled_weight_decay", "maximize", "momentum_needs_centered")
"""The boolean fields (a spec writes them ``true``/``false``)."""
_ADDED_FIELDS = {"eps_placement_with_momentum": "same", "momentum_needs_centered": False, "state": "params",
                 "lr_schedule": (), "complex_reading": "split", "fixed_eps": None, "compute": "", "hyper_dtype": "",
                 "subnormals": "gradual"}
"""Fields added after golden format 1: described only when they differ from these defaults."""
COMPUTE_DTYPES = ("", "float16", "float32", "float64")
"""``compute``: the dtype every operation rounds to ("" = the parameters' own)."""
HYPER_DTYPES = ("", "param")
"""``hyper_dtype``: "param" rounds lr, rho, eps, momentum and weight decay to the parameters' dtype first."""


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
    * ``subnormals``: ``"gradual"`` (IEEE gradual underflow, the default), ``"flush"`` or
      ``"flush:NAMES"`` (exactly those dtypes, e.g. ``flush:float64+float32+bfloat16``): the
      arithmetic in a flushing dtype may replace every result below the smallest normal number N,
      and read every input below N, as a zero of either sign (FTZ/DAZ: TensorFlow and XLA on the
      CPU).  The exact update does not change (``structure`` leaves it out); the error bound's
      absolute underflow term grows from half the smallest subnormal to at most N per operation,
      and an input below N carries an error of its own magnitude (:meth:`flushes`,
      :mod:`oracle.conventions.subnormals`, ``docs/subnormals.md``).
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
    subnormals: str = "gradual"

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
        object.__setattr__(self, "subnormals", subnormals_mode(flush_dtypes(self.subnormals)))  # canonical
        for flag in FLAGS:
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

    def flushes(self, dtype: str) -> bool:
        """Whether arithmetic in ``dtype`` may flush subnormals to zero (``subnormals``).

        >>> c = preset("tf1", subnormals="flush:float32+float64")
        >>> c.subnormals, c.flushes("float64"), c.flushes("float16"), preset("tf1").flushes("float64")
        ('flush:float64+float32', True, False, False)
        """
        return flushes(self.subnormals, dtype)

    def run_flushes(self, params_dtype: str) -> bool:
        """Whether a run on ``params_dtype`` parameters may flush: its state dtype's arithmetic or the
        parameters' own rounding (:meth:`flushes` of either).

        >>> preset("pytorch", state="float32", subnormals="flush:float32").run_flushes("bfloat16")
        True
        """
        return self.flushes(self.state_dtype(params_dtype)) or self.flushes(params_dtype)

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
        hyperparameters and each step's learning rate (``lr_schedule``), after the ``hyperparameters``
        rounding, rounded to ``dtype``, exactly; else itself.

        >>> c = preset("pytorch", rho="0.99", hyper_dtype="param").for_dtype("float16")
        >>> c.exact("rho"), 1 - c.exact("rho")
        (Fraction(507, 512), Fraction(5, 512))
        >>> c = preset("keras2_legacy", lr_schedule=("0.1",), hyper_dtype="param")  # lr: float32, then float16
        >>> c.for_dtype("float16").lr_at(1)
        Fraction(819, 8192)
        """
        if self.hyper_dtype != "param" or dtype not in DTYPE_FORMAT:
            return self
        fmt = DTYPE_FORMAT[dtype]
        names = ("lr", "rho", "eps", "momentum", "weight_decay")
        values = {n: round_fraction_to_format(self.exact(n), fmt) for n in names}
        fixed = {"fixed_eps": values.pop("eps")} if self.fixed_eps is not None else {}
        schedule = tuple(round_fraction_to_format(self.lr_at(t), fmt) for t in range(1, len(self.lr_schedule) + 1))
        return dataclasses.replace(self, hyper_dtype="", hyperparameters="exact", lr_schedule=schedule, **values, **fixed)

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
        hyperparameters and options (in exact arithmetic: ``subnormals``, which widens only
        the error bound, is left out, so a golden replay applies under either reading).
        """
        skip = {"name", "source", "allows", "subnormals", *CASE_VALUES}
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
        names = [self.name] if self.name in PRESETS else list(PRESET_NAMES)
        best: Optional[list] = None
        for name in names:
            base = preset(name)
            diff = [f for f in dataclasses.fields(self) if f.name not in ("name", "source")
                    and (values or f.name not in CASE_VALUES) and not _same_field(self, base, f.name)]
            items = [name] + [render(f.name, getattr(self, f.name)) for f in diff]
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
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESET_NAMES)}; got {name!r}{suggest(name, PRESET_NAMES)}")
    fields = {"name": name, **PRESETS[name], **overrides}
    return Convention(**fields)



preset.__doc__ = (preset.__doc__ or "") + "\n    Presets and their sources:\n\n" + "\n".join(
    f"    * ``{name}``: {spec['source']}" for name, spec in PRESETS.items()
)
