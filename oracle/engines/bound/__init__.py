"""The error-bound family: exact values with forward error bounds of a float implementation, one ladder.

* :mod:`.errorbound` -- ErrorBoundArith, 256-bit mpmath: the derivation, the definition;
* :mod:`.vecbound` -- BoundArith: the same bounds over numpy arrays of double-double values;
* :mod:`.jitbound` -- BoundArith's numbers, bit for bit, from a numba-compiled loop (:mod:`.jitkernel`;
  extra ``jit``); :mod:`.doubledouble` holds the double-double words both compute with;
* :mod:`.ladder` -- ``bounded_run``: the fastest of them that can, and which ran.
"""
