"""Number contexts for :func:`oracle.algorithm.step`.

* :mod:`.interval` -- rigorous mpmath interval arithmetic: the certified reference.
* :mod:`.symbolic` -- exact sympy expressions: derivations and short exact runs.
* :mod:`.floating` -- IEEE floats of one numpy dtype: the fast backend.
* :mod:`.errorbound` -- forward error bounds for a float implementation.
"""
