"""Where the conformance cases come from: the built-in cases and the golden replays.

A *source* is a function ``source(dtype, profile) -> list[Case]``; :data:`SOURCES`
lists them (:func:`oracle.conformance.judge.cases.builtin_cases`, then
:func:`oracle.conformance.judge.golden_replay.golden_cases`), and :func:`all_cases`
is every case of every source.  A new kind of case plugs in by appending a source, or,
for one session, by passing it to :func:`all_cases` (the plugin's ``--oracle-cases``).
"""

from __future__ import annotations

from typing import Callable, Sequence

from .cases import Case, builtin_cases
from .golden_replay import golden_cases

SOURCES: list = [builtin_cases, golden_cases]
"""Case sources ``source(dtype, profile) -> list[Case]``."""


def all_cases(dtype: str, profile: str = "default", extra: Sequence[Callable] = ()) -> list[Case]:
    """Every case of every source (and of the ``extra`` ones), in ``dtype`` (``GoldenDataError`` when the golden
    data is unusable)."""
    return [case for source in (*SOURCES, *extra) for case in source(dtype, profile)]
