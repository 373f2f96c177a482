#!/usr/bin/env python3
"""Benchmark every engine against the naive mpmath loop: the same as ``python -m oracle bench``.

    python scripts/bench.py [--json PATH] [--quick] [--no-end-to-end]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oracle.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
