"""pytest (``--doctest-modules``): :mod:`.arb` needs the optional python-flint; without it, skip its doctests."""

import importlib.util


def _has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


collect_ignore = [] if _has("flint") else ["arb.py"]
