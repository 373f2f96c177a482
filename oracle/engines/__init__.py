"""Number contexts for :func:`oracle.algorithm.step`: two families of engines, one ladder each (docs/engines.md).

The certified family, :mod:`.certify` (values with certified digits; ``certified_run``):

* :mod:`.certify.interval` -- rigorous mpmath interval arithmetic: the method, the definition;
* :mod:`.certify.arb` -- the same certification in python-flint Arb balls (extra ``flint``);
* :mod:`.certify.jitarb` -- :mod:`.certify.arb`'s balls, bit for bit, from a numba-compiled loop (extra ``jit``):
  FLINT's functions through :mod:`.certify.flintlib`, the loop in :mod:`.certify.arbkernel`;
* :mod:`.certify.ladder` -- ``certified_run``: the fastest of them that can, one precision loop.

The error-bound family, :mod:`.bound` (exact values with forward error bounds of a float implementation):

* :mod:`.bound.errorbound` -- the bounds in mpmath (the definition);
* :mod:`.bound.vecbound` -- the same bounds vectorized over numpy arrays (double-double values);
* :mod:`.bound.jitbound` -- vecbound's numbers, bit for bit, from a numba-compiled loop (extra ``jit``; the
  loop in :mod:`.bound.jitkernel`); both take their double-double words from :mod:`.bound.doubledouble`;
* :mod:`.bound.ladder` -- ``bounded_run``: the fastest of them that can (what the conformance suite grades with).

Shared:

* :mod:`.certified` -- what the certified engines publish: :class:`~.certified.CertifiedValue` (an exact
  enclosure and its certified digits), :class:`~.certified.CertifiedRun` (``.engine``: the rung that ran);
* :mod:`.rungs` -- :class:`~.rungs.Decline`, how a rung hands a computation to the next one;
* :mod:`.trace` -- records one ``step`` (and a pure closed-loop gradient) as a tape of named operations,
  which the compiled engines run;
* :mod:`.symbolic` -- exact sympy expressions: derivations and short exact runs;
* :mod:`.floating` -- IEEE floats of one numpy dtype: the fast backend.
"""
