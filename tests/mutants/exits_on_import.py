"""A candidate module that calls sys.exit at import (a usage error, never the end of the run)."""

import sys

sys.exit(3)
