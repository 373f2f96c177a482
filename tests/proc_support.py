"""The isolation layer's processes as /proc shows them (Linux): the tests that check that none is left behind.

One helper for ``tests/test_misbehaving.py`` (the launchers this process started) and
``tests/test_hostile.py`` (the launchers of an oracle in a subprocess, told apart by a marker in
their environment).
"""

from __future__ import annotations

import os
from typing import Optional

LAUNCHER = b"oracle.conformance.isolation.containment"
"""What a launcher's command line holds (``python -m oracle.conformance.isolation.containment``)."""


def launchers(*, parent: Optional[int] = None, marker: Optional[str] = None) -> list[int]:
    """The live (not zombie) launcher processes, only the children of ``parent`` and only those whose environment
    holds ``marker`` when given (other test sessions on the machine run their own)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if LAUNCHER not in fh.read():
                    continue
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rfind(b")") + 2:].split()
            if fields[0] in (b"Z", b"X") or (parent is not None and int(fields[1]) != parent):
                continue
            if marker is not None:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    if marker.encode() not in fh.read():
                        continue
        except (OSError, IndexError, ValueError):
            continue
        out.append(int(pid))
    return out
