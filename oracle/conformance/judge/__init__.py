"""The judge: what the suite checks, and what it concludes, as plain function calls.

This room imports :mod:`..isolation` (to run the candidate) and nothing from :mod:`..pytest`.

Modules (one job each):

``options``     the suite's options, declared once and checked once into a frozen ``Settings``
``session``     one run's state: options, candidates and their conventions, cases
``builtin``     the package's own float implementations as protocol factories
``cases``       the reference cases (docs example, open-loop streams, quadratic, regimes)
``generated``   hypothesis strategies drawing cases
``golden_replay`` the golden files' trajectories as cases
``sources``     every source of cases (the built-in ones, the golden replays)
``reference``   the exact values and error bounds of a case (:mod:`oracle.engines.bound.errorbound`)
``grading``     run a candidate on a case; ULP, LRE and bound ratio; first divergence
``mistakes``    the catalogue of known RMSProp mistakes (Convention edits, swapped stages), used to
                diagnose a failure
``wrong_stages`` the wrong stages of the update the catalogue swaps in
``fingerprint`` discriminating probes: which preset a candidate follows
``metamorphic`` the metamorphic properties (permutation, independence, scale invariance)
``hygiene``     the state-hygiene checks
``domain``      what a run's cases covered
``status``      one vocabulary: a test's ``Status``, a run's ``Verdict``
``outcome``     what one test concluded (:class:`.outcome.Outcome`, :class:`.outcome.Stats`)
``certificate`` the verdicts, the summary and the JSON certificate of a run
``certfile``    where a certificate may be written, its seal, the candidate's source
``run``         every test of the suite as a call, and the suite run without pytest (:func:`.run.judge`)
"""
