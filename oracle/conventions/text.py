"""A convention field's value as the text of a spec (``FIELD=VALUE``), written so that
:func:`oracle.conventions.parse` reads back exactly the same value.

>>> render("hyperparameters", "float32:rho+eps"), render("allows", frozenset()), render("lr", 0.5)
('float32=rho+eps', 'allows=none', 'lr=0.5')
"""

from __future__ import annotations

from fractions import Fraction

from .catalogue import OPTIONS
from .exact import HYPERPARAMETERS, rounded_names, to_fraction


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


def render(field: str, value: object) -> str:
    """``FIELD=VALUE`` for a spec (flags ``true``/``false``, numbers exact, ``float32=NAMES``)."""
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

