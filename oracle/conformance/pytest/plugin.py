"""pytest plugin (entry point ``pytest11``): ``pytest --optimizer=MODULE:ATTR``.

Loading this module imports nothing but the standard library.  With
``--optimizer`` the plugin adds the suite (:mod:`oracle.conformance.pytest.suite`) to
the collection, so the command works from any directory; without it the
session is unchanged unless suite tests are collected some other way (this
repository's ``tests/test_conformance_suite.py`` collects them for the
built-in candidates).

The certificate is built from pytest's own reports (``pytest_runtest_logreport``,
with the category pytest's terminal reporter gives each report), so its counts
are pytest's; under pytest-xdist only the controller assembles it, from the
reports of every worker, and writes ``--certificate``.  A run that certifies
nothing exits with status 1.

Each collected test takes one parameter, :data:`PARAM`: its
:class:`~oracle.conformance.judge.run.SuiteTest` (kind, target, dtype, case or check),
which names it in its report before it runs.  A test function with no test to run
(the fingerprint under an explicit ``--convention``) gets one placeholder marked
:data:`ABSENT` at parametrize time, which the plugin drops from the collection.
The session's state is one object on the config (:mod:`.state`).
"""

from __future__ import annotations

import argparse
import os

SUITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suite.py")
MARK = "rmsprop_oracle"
ABSENT = "rmsprop_oracle_absent"
"""The mark of a placeholder parameter: a suite test function with nothing to run (dropped, not deselected)."""
PARAM = "suite_test"
"""The one parameter of every suite test: its :class:`~oracle.conformance.judge.run.SuiteTest`."""
UNNAMED = "--oracle-unnamed-certificate"
"""Set by ``certify --json``: the certificate goes to a temporary file the summary must not name."""


def pytest_addoption(parser):
    from ..judge.options import add_to_pytest

    add_to_pytest(parser.getgroup("rmsprop-oracle", "RMSProp conformance suite (rmsprop-oracle)"))
    group = parser.getgroup("rmsprop-oracle")  # user cases (docs/user-cases.md)
    group.addoption("--oracle-cases", default=None, metavar="FILE_OR_DIR",
                    help="add the user case file(s) to the suite (closed loop through the loss, open through the stream)")
    group.addoption("--oracle-regen", action="store_true", default=False,
                    help="rmsprop_oracle fixture: (re)write the golden files under the tests' oracle_golden/ folders")
    group.addoption(UNNAMED, action="store_true", default=False, help=argparse.SUPPRESS)


def _active(config) -> bool:
    return bool(config.getoption("--optimizer"))


def _worker(config) -> bool:
    """This process is a pytest-xdist worker (the controller writes the certificate)."""
    return hasattr(config, "workerinput")


def _ledger(config):
    from .state import ledger_of

    return ledger_of(config)


def _suite_test(item):
    """The :class:`~oracle.conformance.judge.run.SuiteTest` a suite test runs (None for any other test)."""
    if not _is_suite(item):
        return None
    return getattr(getattr(item, "callspec", None), "params", {}).get(PARAM)


def _golden_damage(item) -> bool:
    test = _suite_test(item)
    return test is not None and test.golden_damage


def _keep_golden_damage():
    """A plugin that puts back the golden-data test after ``-k``/``-m`` deselection: damage is never hidden."""
    import pytest

    class KeepGoldenDamage:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_collection_modifyitems(self, session, config, items):
            damage = [item for item in items if _golden_damage(item)]
            yield
            back = [item for item in damage if item not in items]
            if back:
                items.extend(back)
                _ledger(config).deselected -= len(back)

    return KeepGoldenDamage()


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARK}: a test of the rmsprop-oracle conformance suite")
    config.addinivalue_line("markers", f"{ABSENT}: a placeholder of a suite test function with nothing to run")
    from .fixture import FixturePlugin  # the rmsprop_oracle fixture (imports pytest alone)

    config.pluginmanager.register(FixturePlugin(), "rmsprop-oracle-fixture")
    if not config.pluginmanager.has_plugin("rmsprop-oracle-golden-damage"):
        config.pluginmanager.register(_keep_golden_damage(), "rmsprop-oracle-golden-damage")
    if not _active(config):
        return
    import pytest

    from .state import session_of, state_of

    if config.getoption("--oracle-cases", None):
        from . import usercases

        try:
            state_of(config).user_cases = usercases.source(config.getoption("--oracle-cases"))
        except ValueError as exc:
            raise pytest.UsageError(f"--oracle-cases: {exc}") from None

    from ..isolation.loader import UsageError

    try:
        session = session_of(config)
    except (UsageError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None
    path = session.settings.certificate
    if path and not _worker(config):  # an older certificate at the path never survives this run unchanged
        from ..judge.certificate import Ledger

        try:
            Ledger.placeholder(session.settings).write(path)
        except (OSError, ValueError) as exc:
            raise pytest.UsageError(f"--certificate: cannot write {path!r}: {exc}") from None
    _private_hypothesis_home(config)
    if SUITE not in [os.path.abspath(str(a).split("::")[0]) for a in config.args]:
        config.args.append(SUITE)


def _private_hypothesis_home(config) -> None:
    """Hypothesis' storage (example database, constants cache) in a temporary folder, not the user's cwd.

    The suite's tests run with ``database=None``; Hypothesis still caches the
    constants it collects under its home folder, ``.hypothesis/`` of the current
    directory by default.  The folder is removed, and Hypothesis' own setting put
    back, when the session ends.
    """
    import tempfile

    try:
        from hypothesis import configuration
    except ImportError:  # pragma: no cover - hypothesis is a dependency
        return
    key = "_" + "_hypothesis_home_directory"  # the module global set_hypothesis_home_dir writes
    previous = getattr(configuration, key, None)
    home = tempfile.mkdtemp(prefix="rmsprop-oracle-hypothesis-")
    configuration.set_hypothesis_home_dir(home)
    config.add_cleanup(lambda: _restore_hypothesis_home(configuration, previous, home))


def _restore_hypothesis_home(configuration, previous, home: str) -> None:
    import shutil

    configuration.set_hypothesis_home_dir(previous)
    shutil.rmtree(home, ignore_errors=True)


def pytest_unconfigure(config):
    from .state import state_of

    session = state_of(config).session
    if session is not None:
        session.close()


def pytest_report_header(config):
    if not _active(config):
        return None
    from .state import session_of

    s = session_of(config)
    lines = [f"rmsprop-oracle conformance: profile {s.profile}, dtypes {','.join(s.dtypes)}, "
             f"isolation {s.settings.isolation}, case timeout {s.settings.case_timeout:g} s"]
    for name, info in s.describe().items():
        lines.append(f"candidate {name}: certifying against {info['convention']} ({info['how']})")
        if info.get("fingerprint"):
            lines.append(f"  fingerprint: {info['fingerprint']}")
    return lines


def _is_suite(item) -> bool:
    fn = getattr(item, "function", None)
    return fn is not None and getattr(fn, "__module__", "") == "oracle.conformance.pytest.suite"


def pytest_collection_modifyitems(config, items):
    """Mark the suite's tests; with the suite collected twice (plugin and a re-export), keep one copy."""
    import pytest

    seen, keep, dropped = set(), [], []
    for item in items:
        if _is_suite(item) and item.get_closest_marker(ABSENT) is not None:
            dropped.append(item)  # a test function with no test (e.g. no fingerprint under an explicit --convention)
            continue
        if _is_suite(item):
            key = (item.function.__name__, getattr(getattr(item, "callspec", None), "id", ""))
            if key in seen:
                dropped.append(item)
                continue
            seen.add(key)
            item.add_marker(getattr(pytest.mark, MARK))
        keep.append(item)
    if dropped:
        items[:] = keep  # duplicates of tests that do run, tests without a target: not a deselection


def pytest_deselected(items):
    for item in items:
        if _is_suite(item):
            _ledger(item.config).deselected += 1


def pytest_runtest_setup(item):
    """Name the test (candidate, test, dtype) in its report before it runs, so even an error is attributed."""
    test = _suite_test(item)
    if test is None:
        return
    from .report import ID_KEY

    item.user_properties.append((ID_KEY, {"target": test.target, "test": test.name, "dtype": test.dtype}))


class _Reporter:
    """Collects the suite's reports into the ledger (registered on the controller or a plain session)."""

    def __init__(self, config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report):
        if MARK not in getattr(report, "keywords", {}):
            return
        from .report import category, record

        record(_ledger(self.config), report, category(self.config, report))

    def pytest_sessionfinish(self, session, exitstatus):
        import pytest

        ledger = _ledger(self.config)
        path = self.config.getoption("--certificate", None)
        if not ledger.outcomes and not ledger.extra_errors and not path:
            return
        from .state import state_of

        s = state_of(self.config).session
        ledger.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldstop)
        ledger.broken = exitstatus == pytest.ExitCode.INTERNAL_ERROR
        if s is not None and _active(self.config):
            try:  # an interrupted or broken run never runs the candidate again to describe it
                ledger.targets = s.describe(resolve=not (ledger.interrupted or ledger.broken))
            except Exception as exc:  # noqa: BLE001 - the run still gets its certificate
                ledger.notes.append(f"the candidate could not be described: {type(exc).__name__}: {exc}")
                ledger.targets = s.describe(resolve=False)
            ledger.options = s.settings.record()
        from ..judge.status import Verdict

        if ledger.overall() == Verdict.NOTHING_CERTIFIED and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            ledger.notes.append("exit status 1: nothing was certified (every case declined, skipped or deselected)")
        if path:
            try:
                ledger.write(path)
            except (OSError, ValueError) as exc:
                ledger.notes.append(f"the certificate could NOT be written to {path!r}: {exc}")
                if session.exitstatus == pytest.ExitCode.OK:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
            else:
                if not self.config.getoption(UNNAMED, False):
                    ledger.notes.append(f"certificate written to {os.path.abspath(path)}")

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config):
        ledger = _ledger(config)
        if not ledger.outcomes and not ledger.extra_errors:
            return
        terminalreporter.section("RMSProp conformance certificate")
        for line in ledger.summary_lines(details=config.getoption("tbstyle", "auto") == "no"):
            terminalreporter.write_line(line)
        if config.getoption("verbose") > 0:  # which rung of the bound ladder computed the references
            for target, outcomes in ledger.by_target().items():
                for dtype, d in ledger.dtypes(outcomes).items():
                    ran = ", ".join(f"{k} ({n} cases)" for k, n in d.get("reference_engines", {}).items())
                    if ran:
                        terminalreporter.write_line(f"{target} {dtype}: references computed by {ran}")


def pytest_sessionstart(session):
    config = session.config
    if not _worker(config) and not config.pluginmanager.has_plugin("rmsprop-oracle-reporter"):
        config.pluginmanager.register(_Reporter(config), "rmsprop-oracle-reporter")
