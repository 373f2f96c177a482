"""Number contexts for :func:`oracle.algorithm.step`.

* :mod:`.certified` -- what the certified engines publish: :class:`~.certified.CertifiedValue` (an exact
  enclosure and its certified digits) and :class:`~.certified.CertifiedRun`.
* :mod:`.interval` -- rigorous mpmath interval arithmetic: the certified reference (the definition).
* :mod:`.arb` -- the same certification in python-flint Arb balls (extra ``flint``): the fast path of
  ``certified_run``.
* :mod:`.symbolic` -- exact sympy expressions: derivations and short exact runs.
* :mod:`.floating` -- IEEE floats of one numpy dtype: the fast backend.
* :mod:`.errorbound` -- forward error bounds for a float implementation.
* :mod:`.vecbound` -- the same bounds vectorized over numpy arrays (double-double values): what the
  conformance suite grades with.
* :mod:`.trace` -- records one ``step`` (and a pure closed-loop gradient) as a tape of array operations;
* :mod:`.jitbound`, :mod:`.jitarb` -- that tape compiled with numba (extra ``jit``): vecbound's and
  arb's numbers, bit for bit, without the per-operation Python overhead.
"""
