#!/usr/bin/env python3
"""Regenerate the golden files: the same as ``python -m oracle golden regen [CASE ...]``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oracle.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["golden", "regen", *sys.argv[1:]]))
