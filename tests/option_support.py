"""Options of a preset for the tests, taken from :meth:`Convention.option_sets` (the one place that says which
options a convention has and which go together: MXNet's momentum only with centered).

``fullest(conv, momentum=..., weight_decay=...)`` is the set with every option on; ``draw_options`` draws one set
option by option for hypothesis strategies; ``switched(*values)`` draws an option's value (off, or one of
``values``).
"""

from __future__ import annotations

from hypothesis import strategies as st

from oracle.conventions import Convention


def fullest(conv: Convention, **values) -> dict:
    """The option set of ``conv`` with the most options on, at ``values`` (``weight_decay=0``: without it).

    >>> from oracle.conventions import preset
    >>> fullest(preset("mxnet"), momentum="0.5", weight_decay="0.01")
    {'centered': True, 'momentum': '0.5', 'weight_decay': '0.01'}
    >>> fullest(preset("tf1"), momentum=0.5, weight_decay=0), fullest(preset("seed"))
    ({'centered': True, 'momentum': 0.5}, {})
    """
    return max(conv.option_sets(**values).values(), key=lambda s: sum(bool(v) for v in s.values()))


def draw_options(draw, conv: Convention, **strategies: st.SearchStrategy) -> dict:
    """One option set of ``conv``, drawn option by option in the order of ``option_sets`` (centered, momentum,
    weight decay): ``strategies[name]`` draws that option's value (``False``/``0``: off) while some option set
    that agrees with the options drawn so far has it on; otherwise (or without a strategy) it stays off.  Every
    option the convention has is named, off ones as ``False``/``0`` (as ``option_sets`` names them), so
    ``conv.replace(**options)`` overrides the preset's own defaults (graves2013's centered momentum).
    """
    sets = list(conv.option_sets().values())
    out: dict = {}
    for name, off in sets[0].items():
        fits = any(s[name] and all(bool(s[k]) == bool(v) for k, v in out.items()) for s in sets)
        out[name] = draw(strategies[name]) if fits and name in strategies else off
    return out


def switched(*values) -> st.SearchStrategy:
    """Off (``0``) or one of ``values``: a boolean, then the value when it is on."""
    return st.booleans().flatmap(lambda on: st.sampled_from(values) if on else st.just(0))
