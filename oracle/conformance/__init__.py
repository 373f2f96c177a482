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

Modules (one job each):

``candidate``   load ``MODULE:ATTR``, read the signature, call the candidate safely
``frames``      the data-only channel to the worker (JSON header, raw buffers of whitelisted dtypes)
``replies``     what the worker answers, checked; the verdict checks (outputs, hygiene audit) on copies
``containment`` launcher, reaper (PID namespace, subreaper), parent-death signals; SIGTERM -> interrupted
``worker``      the worker process: calls the candidate, reports raw data
``native``      framework optimizers as candidates: recognition and one bridge per framework (worker side)
``builtin``     the package's own float implementations as protocol factories
``cases``       the reference cases (docs example, open-loop streams, quadratic, regimes)
``golden_replay`` the golden files' trajectories as cases
``sources``     every source of cases (the built-in ones, the golden replays)
``reference``   the exact values and error bounds of a case (:mod:`oracle.engines.bound.errorbound`)
``grading``     run a candidate on a case; ULP, LRE and bound ratio; first divergence
``mistakes``    the catalogue of known RMSProp mistakes (Convention edits, swapped stages), used to
                diagnose a failure
``wrong_stages`` the wrong stages of the update the catalogue swaps in
``fingerprint`` discriminating probes: which preset a candidate follows
``certificate`` results of a session, terminal summary and JSON certificate
``suite``       the test functions the pytest plugin collects
``plugin``      the ``pytest11`` entry point (imports nothing heavy at load)
``cli``         ``python -m oracle certify MODULE:ATTR``
"""
