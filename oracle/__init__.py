"""rmsprop-oracle: a certified numerical reference and test oracle for RMSProp.

The package is read in data-flow order:

* :mod:`oracle.conventions` -- one validated description of an RMSProp variant, presets;
* :mod:`oracle.algorithm` -- the update, written once over a number context;
* :mod:`oracle.engines` -- the contexts: certified intervals, sympy, floats, error bounds;
* :mod:`oracle.problems` -- the documents' example and other problems;
* :mod:`oracle.derivations` -- symbolic derivations;
* :mod:`oracle.cli` -- ``python -m oracle``.

Importing :mod:`oracle` imports nothing heavy; submodules load on use.
"""

__version__ = "0.1.0"
