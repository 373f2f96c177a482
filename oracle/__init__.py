"""rmsprop-oracle: a certified numerical reference and test oracle for RMSProp.

The package is read in data-flow order (each module imports only from those before it):

* :mod:`oracle.rounding` -- exact rounding to binary formats and decimal digits;
* :mod:`oracle.conventions` -- one validated description of an RMSProp variant, presets;
* :mod:`oracle.algorithm` -- the update, written once over a number context as a chain of stages;
* :mod:`oracle.engines` -- the contexts: certified intervals and balls, sympy, floats, error bounds;
* :mod:`oracle.accuracy` -- ULP, LRE, bound ratio and the horizon;
* :mod:`oracle.problems` -- the documents' example and other problems;
* :mod:`oracle.derivations` -- symbolic derivations;
* :mod:`oracle.golden` -- the golden files;
* :mod:`oracle.conformance` -- the pytest plugin that certifies an implementation;
* :mod:`oracle.adapters`, :mod:`oracle.plot`, :mod:`oracle.cli` -- frameworks as candidates, pictures,
  ``python -m oracle``.

Importing :mod:`oracle` imports nothing heavy; submodules load on use.
"""

__version__ = "0.1.0"
