"""Number contexts for :func:`oracle.algorithm.step`: two families of engines, and what they share.

The certified family, :mod:`.certify` (values with certified digits):

* :mod:`.certify.interval` -- rigorous mpmath interval arithmetic: the certified reference (the definition),
  and ``certified_run``, which runs the fastest engine that can;
* :mod:`.certify.arb` -- the same certification in python-flint Arb balls (extra ``flint``);
* :mod:`.certify.jitarb` -- :mod:`.certify.arb`'s balls, bit for bit, from a numba-compiled loop (extra ``jit``).

The error-bound family, :mod:`.bound` (exact values with forward error bounds of a float implementation):

* :mod:`.bound.errorbound` -- the bounds in mpmath (the definition);
* :mod:`.bound.vecbound` -- the same bounds vectorized over numpy arrays (double-double values): what the
  conformance suite grades with;
* :mod:`.bound.jitbound` -- vecbound's numbers, bit for bit, from a numba-compiled loop (extra ``jit``).

Shared:

* :mod:`.certified` -- what the certified engines publish: :class:`~.certified.CertifiedValue` (an exact
  enclosure and its certified digits) and :class:`~.certified.CertifiedRun`;
* :mod:`.trace` -- records one ``step`` (and a pure closed-loop gradient) as a tape of array operations,
  which the compiled engines run;
* :mod:`.symbolic` -- exact sympy expressions: derivations and short exact runs;
* :mod:`.floating` -- IEEE floats of one numpy dtype: the fast backend.
"""
