"""Fixed open-loop gradient streams, reproducible from a recorded seed.

Each gradient is an exact decimal k/100 with k drawn by Python's
``random.Random(seed).randint(-500, 500)`` (Mersenne Twister; the same
sequence on every platform and Python >= 3.2), one per parameter per step.
Every 7th step of parameter 0 is 0, so the zero gradient is exercised too.

>>> stream(1, steps=2, size=3)
[[['-3.63', '0.82', '3.67']], [['3.21', '2.82', '-4.36']]]
"""

from __future__ import annotations

import random

GENERATOR = "random.Random(seed).randint(-500, 500) / 100 per element, row by row; element 0 is 0 on steps 7, 14, ..."


def stream(seed: int, steps: int, size: int) -> list[list[list[str]]]:
    """``steps`` gradients for one parameter array of ``size`` elements, as decimal strings."""
    rng = random.Random(seed)
    out = []
    for t in range(1, steps + 1):
        row = [_decimal(rng.randint(-500, 500)) for _ in range(size)]
        if t % 7 == 0:
            row[0] = "0"
        out.append([row])
    return out


def _decimal(k: int) -> str:
    sign = "-" if k < 0 else ""
    k = abs(k)
    return f"{sign}{k // 100}.{k % 100:02d}"
