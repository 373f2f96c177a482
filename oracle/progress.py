"""Progress bars and one-line summaries for the command line (one helper for every verb).

A long operation draws a :mod:`tqdm` bar on standard error while it runs -- only
when standard error is a terminal and the user did not ask for ``--quiet`` -- and
every command ends with one summary line, always (``golden regen: 81 cases, 0
changed``), which :func:`summary` formats.

>>> with bar(3, "golden check", enabled=False) as b:
...     for name in ("a", "b", "c"):
...         b.advance(name)
>>> summary("golden regen", cases=81, changed=0)
'golden regen: 81 cases, 0 changed'
"""

from __future__ import annotations

import sys
from typing import Any, Optional

QUIET = False
"""Set by ``--quiet`` (:func:`set_quiet`): no progress bars anywhere in this process."""


def set_quiet(quiet: bool) -> None:
    """Silence (or allow) progress bars for the rest of the command."""
    global QUIET
    QUIET = bool(quiet)


def interactive() -> bool:
    """Whether progress may be drawn: standard error is a terminal and ``--quiet`` was not given."""
    return not QUIET and sys.stderr.isatty()


class bar:
    """``with bar(total, "what") as b: ... b.advance(label)``: a progress bar on stderr (tqdm), or nothing.

    ``enabled=None`` draws it when :func:`interactive`; the bar is removed when done.
    """

    def __init__(self, total: Optional[int], description: str, enabled: Optional[bool] = None,
                 unit: str = "case") -> None:
        self.enabled = interactive() if enabled is None else enabled
        self._bar: Any = None
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False,
                             dynamic_ncols=True)

    def advance(self, label: str = "", n: int = 1) -> None:
        """One more item done (``label``: what it was)."""
        if self._bar is not None:
            if label:
                self._bar.set_postfix_str(label[:40], refresh=False)
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "bar":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def summary(verb: str, **counts: Any) -> str:
    """The closing line of a command: ``verb: 81 cases, 0 changed`` (keyword order; ``_`` reads as a space)."""
    parts = []
    for name, value in counts.items():
        name = name.replace("_", " ")
        if isinstance(value, int):
            parts.append(f"{value:,} {name[:-1] if value == 1 and name.endswith('s') else name}")
        else:
            parts.append(f"{name} {value}")
    return f"{verb}: {', '.join(parts)}"
