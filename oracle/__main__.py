"""``python -m oracle``: see :mod:`oracle.cli`."""

import sys

from .cli import main

sys.exit(main())
