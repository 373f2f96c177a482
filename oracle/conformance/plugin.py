"""pytest plugin (entry point ``pytest11``): ``pytest --optimizer=MODULE:ATTR``.

Loading this module imports nothing but the standard library.  With
``--optimizer`` the plugin adds the suite (:mod:`oracle.conformance.suite`) to
the collection, so the command works from any directory; without it the
session is unchanged (this repository's ``tests/test_conformance_suite.py``
collects the suite for the built-in candidates).  At the end it prints the
certificate summary and, with ``--certificate=PATH``, writes the JSON file.
"""

from __future__ import annotations

import os

SUITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suite.py")


def pytest_addoption(parser):
    group = parser.getgroup("rmsprop-oracle", "RMSProp conformance suite (rmsprop-oracle)")
    group.addoption("--optimizer", default=None, metavar="MODULE:ATTR",
                    help="certify this RMSProp factory: step = factory(params, *, lr, rho, eps, **options)")
    group.addoption("--convention", default="auto", metavar="NAME|auto",
                    help="preset to certify against, or auto: identify it by probes (default: auto)")
    group.addoption("--hyperparameters", default="exact", metavar="exact|float32|float32_lr|auto",
                    help="hold the candidate to its exact hyperparameters (default), to their float32 "
                         "roundings (all, or lr alone as Keras), or detect which")
    group.addoption("--dtype", default="float64,float32,float16", metavar="LIST",
                    help="comma-separated dtypes to feed (default: float64,float32,float16)")
    group.addoption("--oracle-profile", default=None, metavar="quick|default|thorough",
                    help="scale of hypothesis examples and run lengths (default: default with --optimizer, "
                         "quick for the built-in candidates)")
    group.addoption("--certificate", default=None, metavar="PATH", help="write the JSON certificate here")
    group.addoption("--case-timeout", default=60.0, metavar="SECONDS",
                    help="time limit for one case of the candidate (default: 60)")
    group.addoption("--workers", default=None, metavar="N",
                    help="compute the reference of large cases in element chunks on N local processes (default: 1)")
    group.addoption("--scheduler", default=None, metavar="ADDRESS",
                    help="compute those chunks on the Dask distributed scheduler at ADDRESS (extra 'dask')")


def _active(config) -> bool:
    return bool(config.getoption("--optimizer"))


def pytest_configure(config):
    if not _active(config):
        return
    import pytest

    from .candidate import UsageError
    from .session import Session

    try:
        Session.of(config)
    except (UsageError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None
    if SUITE not in [os.path.abspath(str(a).split("::")[0]) for a in config.args]:
        config.args.append(SUITE)


def pytest_report_header(config):
    session = getattr(config, "_rmsprop_conformance", None)
    if session is None or not _active(config):
        return None
    session.resolve()
    lines = [f"rmsprop-oracle conformance: profile {session.profile}, dtypes {','.join(session.dtypes)}"]
    for t in session.targets:
        lines.append(f"candidate {t.name}: certified against {t.convention} "
                     f"(hyperparameters {t.hyperparameters})")
        if t.fingerprint is not None:
            lines.append(f"  fingerprint: {session.ledger.targets[t.name].get('fingerprint')}")
    return lines


def pytest_collection_modifyitems(config, items):
    """With the suite collected twice (the plugin and a re-exporting test module), keep one copy."""
    seen, keep, dropped = set(), [], []
    for item in items:
        fn = getattr(item, "function", None)
        if fn is not None and getattr(fn, "__module__", "") == "oracle.conformance.suite":
            key = (fn.__name__, getattr(getattr(item, "callspec", None), "id", ""))
            if key in seen:
                dropped.append(item)
                continue
            seen.add(key)
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    session = getattr(config, "_rmsprop_conformance", None)
    if session is None or not session.ledger.entries:
        return
    session.resolve()
    terminalreporter.section("RMSProp conformance certificate")
    for line in session.ledger.summary_lines():
        terminalreporter.write_line(line)
    path = session.opts.get("certificate")
    if path:
        session.ledger.write(path)
        terminalreporter.write_line(f"certificate written to {path}")
