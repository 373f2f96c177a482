"""Conformance suite: certify any RMSProp implementation against the oracle.

The candidate protocol (fixed)::

    step = factory(params, *, lr, rho, eps, **options)
    new_params = step(grads)

* ``params``: list of numpy arrays of one dtype (float64, float32 or float16),
  the initial values; the suite never mutates them afterwards.
* ``lr``, ``rho`` (squared-gradient decay), ``eps``: Python floats, taken by the
  reference as their exact binary64 values.
* ``options``: only those the factory's signature accepts are passed
  (``**kwargs`` accepts all): ``momentum`` (float), ``centered`` (bool),
  ``weight_decay`` (float).  A case needing an option the factory lacks is
  skipped as unsupported.
* ``step(grads)`` takes a list of gradient arrays and returns the parameters
  after one update (same shapes and dtypes; a numpy scalar of the dtype for a
  0-d parameter); it is called once per step.

Instead of a factory, ``MODULE:ATTR`` may name a framework's own optimizer (a
``torch.optim.Optimizer`` subclass, a Keras or tf.compat.v1 optimizer class, an
optax ``GradientTransformation`` factory): :mod:`.native` recognises it in the
worker and wraps it in a bridge (``docs/frameworks.md``).

The package is three rooms; imports point one way, isolation <- judge <- pytest
(``tests/test_architecture.py`` enforces it):

* :mod:`.isolation` -- running the candidate: its worker process, the data-only
  channel to it, what it answers, containment (knows nothing of cases or verdicts);
* :mod:`.judge` -- deciding: the cases and their certified reference, grading,
  diagnosis, the fingerprint, each test's outcome, the verdict and the certificate,
  and the whole suite run without pytest (:func:`.judge.run.judge`);
* :mod:`.pytest` -- the pytest skin: the plugin (``pytest11`` entry point), the
  collected tests, the ``rmsprop_oracle`` fixture, ``python -m oracle certify``.
"""
