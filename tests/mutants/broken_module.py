"""A candidate module that fails on import (the suite reports a usage error, not a traceback)."""

raise RuntimeError("broken on import")
