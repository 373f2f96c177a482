"""Test configuration: hypothesis profiles and the --run-slow option.

The fixture ``run_session`` runs a real pytest session in this process, for the few tests
that need one (the oracle's conclusions are tested through :mod:`oracle.conformance.judge.run`).

Profiles: ``default`` and ``ci`` (derandomized: the same examples every run, so no
test is flaky), ``random`` (fresh examples each run, for exploring) and ``thorough``
(400 examples); choose with ``HYPOTHESIS_PROFILE=thorough``.  Long runs are marked ``slow`` and run only
with ``--run-slow``.
"""

import os
import time

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "default", derandomize=True, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("random", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def run_session(tmp_path, monkeypatch, capsys):
    """``run_session(*args)``: a pytest session run in this process from an empty directory, as a user runs
    one (``pytest.RunResult``: ``ret``, ``stdout``, ``stderr``, ``assert_outcomes``).

    Unlike pytester's in-process runs it unloads no module afterwards (numpy, numba and torch cannot be
    loaded twice), so nothing has to be imported beforehand.
    """
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # no configuration from the directories above

    def run(*args: str, plugins: tuple = ()) -> pytest.RunResult:
        monkeypatch.chdir(tmp_path)
        capsys.readouterr()
        start = time.monotonic()
        ret = pytest.main([*map(str, args), "-p", "no:cacheprovider"], plugins=list(plugins))
        out, err = capsys.readouterr()
        return pytest.RunResult(ret, out.splitlines(), err.splitlines(), time.monotonic() - start)

    return run
