"""One immutable, validated description of an RMSProp variant, and named presets.

Every engine in this package (interval, symbolic, floating point, error bound)
runs the same update, :func:`oracle.algorithm.step`, for a :class:`Convention`:

.. math::

    g &\\leftarrow -g \\quad\\text{(maximize)}\\qquad
    g \\leftarrow g + \\lambda p \\quad\\text{(coupled weight decay)}\\\\
    p &\\leftarrow p - \\eta\\lambda p \\quad\\text{(decoupled weight decay, before the step)}\\\\
    v &\\leftarrow \\rho v + (1-\\rho) g^2 \\qquad
    m \\leftarrow \\rho m + (1-\\rho) g \\quad\\text{(centered)}\\\\
    s &= v \\;\\text{or}\\; v - m^2 \\quad\\text{(centered)}\\\\
    d &= \\sqrt{s + \\varepsilon} \\;\\text{(eps inside)} \\quad\\text{or}\\quad \\sqrt{s} + \\varepsilon
         \\;\\text{(eps outside)}\\\\
    p &\\leftarrow p - \\eta g / d \\quad\\text{(no momentum)}\\\\
    b &\\leftarrow \\mu b + \\eta g / d,\\; p \\leftarrow p - b \\quad\\text{(lr inside momentum)}\\\\
    b &\\leftarrow \\mu b + g / d,\\; p \\leftarrow p - \\eta b \\quad\\text{(lr outside momentum)}

The initial accumulator is ``v0`` (``m`` and ``b`` start at zero).

Cross-library warnings (see ``../shared/reference/rmsprop_conventions.md``):

* PyTorch puts eps *outside* the root; TF1, Keras, optax, MXNet 1.x and the source
  documents put it *inside*.  For the centered form ``(v - m^2) + eps`` and
  ``(v + eps) - m^2`` are equal in real arithmetic: they differ only in rounding,
  which the floating-point error bound covers, so the exact reference does not
  distinguish them.
* TF1 and autograd start the accumulator at 1, everyone else at 0.
* Keras 2's legacy optimizer puts eps *outside* the root without momentum and
  *inside* with it (it calls the TF1 kernel only then): ``eps_placement_with_momentum``.
* PyTorch keeps lr outside the momentum buffer; TF1, Keras, optax, MXNet and
  Graves put it inside.  With a constant lr both give the same trajectory in
  exact arithmetic; they differ in rounding and under a learning-rate schedule.
* TF1 and MXNet round hyperparameters to float32 even for float64 weights;
  Keras 3 rounds lr (a float32 variable) and, on its TensorFlow backend and in
  tf_keras, weight_decay too (the JAX backend keeps it exact; the torch backend
  forms 1 - wd*lr in float32, see ``golden/compatibility.md``), Keras 2 legacy
  lr, rho and momentum, Paddle rho, eps and momentum.  That is the knob ``hyperparameters``:
  ``"exact"``, ``"float32"`` (all), ``"float32_lr"`` or ``"float32:rho+eps+momentum"``
  (exactly the names given).  The presets of the frameworks that were added as
  framework presets (``keras2_legacy``, ``paddle``) include their rounding; the
  older ``tf1``, ``keras`` and ``mxnet`` presets (and their golden files) use the
  hyperparameters exactly, so certify those frameworks with e.g.
  ``tf1,float32=all`` (:func:`parse`).

A convention can be written as a *spec*, a preset followed by field overrides
(:func:`parse`; the same string is ``--convention`` of the conformance suite)::

    pytorch,v0=1                      # PyTorch's update with the accumulator at 1
    optax,eps_placement=outside
    seed,float32=rho+eps              # round exactly rho and eps to binary32

Hyperparameters are kept exactly as given (a Python float, an int, a decimal
string such as ``"0.1"`` or a :class:`fractions.Fraction`) and are read through
:meth:`Convention.exact`, which returns the exact rational value:

>>> c = preset("seed")
>>> c.exact("lr")
Fraction(1, 10)
>>> preset("seed", lr=0.1).exact("lr") == Fraction(0.1)
True
>>> preset("pytorch", rho=1.5)
Traceback (most recent call last):
...
ValueError: rho must lie in [0, 1), got 1.5
>>> parse("pytorch,v0=1").spec()
'pytorch,v0=1'

The package, by job (every public name is re-exported here, so ``from oracle.conventions import X``
is the one import to use):

* :mod:`oracle.conventions.exact` -- exact numbers: :func:`to_fraction`, the float32 rounding of
  hyperparameters (:func:`rounded_names`, :func:`rounding_mode`);
* :mod:`oracle.conventions.catalogue` -- the options and the preset catalogue (data, with sources);
* :mod:`oracle.conventions.convention` -- the :class:`Convention` dataclass, its validation,
  :func:`preset` and :meth:`Convention.spec`;
* :mod:`oracle.conventions.subnormals` -- the ``subnormals`` field (gradual underflow or flush to zero);
* :mod:`oracle.conventions.text` -- a field's value as spec text;
* :mod:`oracle.conventions.spec` -- :func:`parse`, the spec reader.
"""

from fractions import Fraction

from .catalogue import OPTIONS, PRESET_NAMES
from .convention import CASE_VALUES, COMPUTE_DTYPES, HYPER_DTYPES, Convention, EpsPlacement, preset
from .exact import HYPERPARAMETERS, Number, round_to_float32, rounded_names, rounding_mode, to_fraction
from .spec import SPEC_FIELDS, parse
from .subnormals import SUBNORMAL_MODES, flush_dtypes, flushes, subnormals_mode

__all__ = ["CASE_VALUES", "COMPUTE_DTYPES", "Convention", "EpsPlacement", "Fraction", "HYPERPARAMETERS",
           "HYPER_DTYPES", "Number", "OPTIONS", "PRESET_NAMES", "SPEC_FIELDS", "parse", "preset",
           "round_to_float32", "rounded_names", "rounding_mode", "to_fraction", "SUBNORMAL_MODES", "flush_dtypes",
           "flushes", "subnormals_mode"]
