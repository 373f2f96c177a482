"""Isolation: the candidate runs in a worker process and answers over a data-only channel.

Nothing here knows a case, a reference or a verdict; this room imports nothing from
:mod:`..judge` or :mod:`..pytest`.

Modules (one job each):

``candidate``   the oracle's handle on a candidate: start its worker, call it safely, read its answers
``frames``      the data-only channel to the worker (JSON header, raw buffers of whitelisted dtypes)
``replies``     what the worker answers, checked; the verdict checks (outputs, hygiene audit) on copies
``containment`` launcher, reaper (PID namespace, subreaper), parent-death signals; SIGTERM -> interrupted
``worker``      the worker process: loads and calls the candidate, reports raw data
``loader``      ``MODULE:ATTR``: import it (in the worker), read its signature and declared convention
``native``      framework optimizers as candidates: recognition and one bridge per framework (worker side)
"""
