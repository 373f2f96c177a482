"""The certified family: RMSProp values with certified digits, one ladder of three engines.

* :mod:`.interval` -- mpmath interval arithmetic: the method, the definition (imports nothing faster);
* :mod:`.arb` -- the same certification in python-flint Arb balls over numpy object arrays (extra ``flint``);
* :mod:`.jitarb` -- :mod:`.arb`'s balls, bit for bit, from a numba-compiled loop over a tape of the update
  (extra ``jit``; FLINT's functions through :mod:`.flintlib`, the loop in :mod:`.arbkernel`);
* :mod:`.ladder` -- ``certified_run``: the fastest of them that can, one precision loop, and which ran
  (:attr:`~oracle.engines.certified.CertifiedRun.engine`).

``from oracle.engines.certify import certified_run`` is the entry point.
"""

from ..certified import CertifiedRun, CertifiedValue
from .ladder import ENGINES, RUNGS, certified_run, engines_used, resolve_engine, run_rung

__all__ = ["ENGINES", "RUNGS", "CertifiedRun", "CertifiedValue", "certified_run", "engines_used", "resolve_engine",
           "run_rung"]
