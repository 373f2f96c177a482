"""rmsprop-oracle: a certified numerical reference and test oracle for RMSProp.

The package is read in data-flow order (each module imports only from those before it):

* :mod:`oracle.progress` -- progress bars and summary lines of the command line;
* :mod:`oracle.rounding` -- exact rounding to binary formats and decimal digits;
* :mod:`oracle.conventions` -- one validated description of an RMSProp variant, presets;
* :mod:`oracle.algorithm` -- the update, written once over a number context as a chain of stages;
* :mod:`oracle.engines` -- the contexts: certified intervals and balls, sympy, floats, error bounds;
* :mod:`oracle.accuracy` -- ULP, LRE, bound ratio and the horizon;
* :mod:`oracle.problems` -- the documents' example and other problems;
* :mod:`oracle.derivations` -- symbolic derivations;
* :mod:`oracle.cases` -- user cases: case files, loss expressions, certified trajectories, checked tables;
* :mod:`oracle.golden` -- the golden files (the shipped ones and user folders);
* :mod:`oracle.conformance` -- the pytest plugin that certifies an implementation;
* :mod:`oracle.adapters`, :mod:`oracle.plot`, :mod:`oracle.cli`, :mod:`oracle.usercli` -- frameworks as
  candidates, pictures, ``python -m oracle``.

Importing :mod:`oracle` imports nothing heavy; submodules load on use.  The user-case API is
available from the top (each name loads its module when first asked for, docs/user-cases.md):

* ``oracle.Case`` -- a case from keyword arguments, ``Case.from_dict`` or ``Case.from_file``;
* ``oracle.certified_trajectory(case)`` -- its certified values (``.params(t)["w"].sci(d)``,
  ``.binary(dtype)``, ``.bounds()``, ``.table(...)``, ``.to_golden(path)``);
* ``oracle.load_cases(file_or_folder)`` -- every case of a case file or folder.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {"Case": ("oracle.cases.case", "Case"), "load_cases": ("oracle.cases.case", "load_all"),
        "certified_trajectory": ("oracle.golden.usercases", "certified_trajectory")}


def __getattr__(name: str) -> Any:
    if name in _API:
        module, attr = _API[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'oracle' has no attribute {name!r}")
