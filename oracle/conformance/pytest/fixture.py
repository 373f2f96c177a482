"""The ``rmsprop_oracle`` fixture, registered by :mod:`oracle.conformance.pytest.plugin` when a session starts.

Importing this module imports pytest alone; the fixture imports the oracle's
engines only when a test asks for it, so a session that does not use it pays
nothing.  See :mod:`oracle.conformance.pytest.usercases`.
"""

from __future__ import annotations

from pathlib import Path

import pytest


class FixturePlugin:
    """Holds the ``rmsprop_oracle`` fixture (a plugin object, so the plugin module stays import-free)."""

    @pytest.fixture
    def rmsprop_oracle(self, request):
        """Certified references and trajectory checks for a test (``--oracle-regen`` writes golden files)."""
        from .usercases import FOLDER, Oracle

        folder = Path(str(request.path)).parent / FOLDER
        return Oracle(folder, regen=bool(request.config.getoption("--oracle-regen", False)))
