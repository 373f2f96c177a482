"""Reading a convention spec ``PRESET[,FIELD=VALUE...]`` (:func:`parse`), the text the conformance
suite's ``--convention`` takes and :meth:`oracle.conventions.Convention.spec` writes.
"""

from __future__ import annotations

import dataclasses
import re

from .catalogue import OPTIONS, PRESET_NAMES, PRESETS, suggest
from .convention import FLAGS, Convention, preset
from .exact import HYPERPARAMETERS, rounded_names, rounding_mode

SPEC_FIELDS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Convention) if f.name not in ("name", "source")
) + ("float32",)
"""Fields a spec may set (``float32=NAMES`` is short for ``hyperparameters=float32:NAMES``)."""


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
    if head not in PRESETS:
        raise ValueError(f"convention spec {spec!r}: unknown preset {head!r}{suggest(head, PRESET_NAMES)}; "
                         f"presets: {', '.join(PRESET_NAMES)}")
    overrides: dict = {}
    for item in items:
        field, sep, text = (x.strip() for x in item.partition("="))
        if not sep or not field:
            raise ValueError(f"convention spec {spec!r}: expected FIELD=VALUE, got {item!r}")
        if field not in SPEC_FIELDS:
            raise ValueError(f"convention spec {spec!r}: unknown field {field!r}{suggest(field, SPEC_FIELDS)}")
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
    if field in FLAGS or isinstance(kind, bool):
        low = text.lower()
        if low not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{field} must be true or false, got {text!r}")
        return low in ("true", "1", "yes")
    if field == "allows":
        names = [] if text in ("", "none") else text.split("+")
        bad = [n for n in names if n not in OPTIONS]
        if bad:
            raise ValueError(f"allows must name options from {'+'.join(OPTIONS)} (or none), got {text!r}"
                             f"{suggest(bad[0], OPTIONS)}")
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
                             f"got {text!r}{suggest(bad[0], HYPERPARAMETERS)}")
        return rounding_mode(names)
    if field in _FIELD_DEFAULTS and _FIELD_DEFAULTS[field] is None and text.lower() == "none":
        return None
    return text


_FIELD_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Convention)}
