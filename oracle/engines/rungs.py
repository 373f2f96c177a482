"""What the two ladders share: the exception a rung raises to hand a computation to the next one.

Each family of engines is a ladder of rungs computing the same numbers, fastest first
(:mod:`.certify.ladder`: compiled Arb, Arb objects, mpmath intervals; :mod:`.bound.ladder`: compiled
double-double, vectorized double-double, mpmath).  A rung that cannot run a computation raises
:class:`Decline` before publishing anything, and the ladder runs the next rung (or the rung the
exception names); the last rung of each ladder, the definition, never declines.

>>> str(Decline("an element is accessed"))
'an element is accessed'
>>> Decline("beyond 2^900", to="errorbound").to
'errorbound'
"""

from __future__ import annotations

from typing import Optional


class Decline(Exception):
    """This rung cannot run the computation; the ladder runs the next rung down.

    ``to``: the rung to run instead, when the ones between would decline too (the compiled
    bound engine's out-of-range values, which the vectorized engine refuses as well).
    """

    def __init__(self, reason: str, *, to: Optional[str] = None) -> None:
        super().__init__(reason)
        self.to = to
