"""The pytest plugin and ``python -m oracle certify``: options, usage errors, header, certificate."""

import json
import os
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

# pytester's in-process sessions drop the modules they import afterwards; numpy (and torch)
# cannot be imported twice, so everything the inner sessions need is imported here first.
import numpy  # noqa: E402,F401
import hypothesis  # noqa: E402,F401

import mutants.right  # noqa: E402,F401
import mutants.wrong  # noqa: E402,F401
import oracle.conformance.suite  # noqa: E402,F401
from oracle.conformance import fingerprint, generated, grading, hygiene, metamorphic, mistakes  # noqa: E402,F401
from oracle.engines import interval  # noqa: E402,F401

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - torch is optional
    torch = None

QUICK = ("--oracle-profile=quick", "-p", "no:cacheprovider")


def test_plugin_module_imports_nothing_heavy():
    """Loading the pytest11 module imports neither numpy, mpmath, sympy nor hypothesis."""
    code = ("import sys, oracle.conformance.plugin; "
            "print([m for m in ('numpy', 'mpmath', 'sympy', 'hypothesis') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unrelated_session_unchanged(pytester):
    """Without --optimizer the plugin adds no tests and no summary to another project's session."""
    pytester.makepyfile(test_other="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_inprocess(*QUICK)
    result.assert_outcomes(passed=1)
    assert "RMSProp conformance" not in result.stdout.str()


@pytest.mark.parametrize("spec, message", [
    ("nosuchmodule_xyz:make", "no module named 'nosuchmodule_xyz'"),
    ("oracle.conformance.builtin:pytorc", "has no attribute 'pytorc'; did you mean: pytorch?"),
    ("oracle.conformance.plugin:SUITE", "'oracle.conformance.plugin:SUITE' is not callable: it is a str"),
    ("no_colon", "optimizer must look like MODULE:ATTR"),
    ("oracle.conformance.sute:make", "did you mean: oracle.conformance.suite"),
    ("mutants.broken_module:make", "importing 'mutants.broken_module' failed: RuntimeError: broken on import"),
])
def test_bad_optimizer_is_a_usage_error(pytester, spec, message):
    """A bad MODULE:ATTR is a usage error (exit 4) with the reason, not a traceback."""
    result = pytester.runpytest_inprocess(f"--optimizer={spec}", *QUICK)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_bad_dtype_echoes_value(pytester):
    """An unknown dtype is a usage error echoing the value."""
    result = pytester.runpytest_inprocess("--optimizer=oracle.conformance.builtin:seed", "--dtype=float8", *QUICK)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--dtype must be a comma-separated subset of float64,float32,float16, got 'float8'" in result.stderr.str()


def test_certificate_json(pytester, tmp_path):
    """--certificate writes candidate, versions, convention, dtypes, counts, LRE/ULP statistics, platform."""
    path = tmp_path / "cert.json"
    result = pytester.runpytest_inprocess("--optimizer=oracle.conformance.builtin:keras", "--dtype=float64,float32",
                                          f"--certificate={path}", *QUICK)
    assert result.ret == pytest.ExitCode.OK
    cert = json.loads(path.read_text())
    (cand,) = cert["candidates"]
    assert cand["candidate"] == "oracle.conformance.builtin:keras"
    assert cand["verdict"] == "certified" and cand["convention"] == "keras"
    assert cand["fingerprint"].startswith("follows keras")
    assert set(cand["dtypes"]) >= {"float64", "float32"}
    f64 = cand["dtypes"]["float64"]
    assert f64["failed"] == 0 and f64["passed"] > 10 and f64["worst_fraction_of_bound"] <= 1
    # every element of the large case is graded: elements near 0 have a low LRE within the bound
    assert 10 < f64["worst_lre"] <= f64["median_lre"] and f64["median_ulp"] <= f64["worst_ulp"]
    assert cert["versions"]["rmsprop-oracle"] and cert["platform"]["machine"]


def test_header_reports_fingerprint_and_rounding(pytester):
    """auto identifies float32 hyperparameters; --hyperparameters=auto then certifies against the preset so rounded."""
    result = pytester.runpytest_inprocess("--optimizer=mutants.wrong:float32_hyperparameters", "--dtype=float64",
                                          "--hyperparameters=auto", *QUICK)
    out = result.stdout.str()
    # the factory accepts momentum, centered and weight_decay (coupled): of the presets agreeing on the
    # probes, mxnet is the first with all three options
    assert ("candidate mutants.wrong:float32_hyperparameters: certifying against mxnet,float32=all "
            "(identified by probes)") in out
    assert "fingerprint: follows mxnet,float32=all (probed in float64; presets agreeing on every probe: " in out
    assert "mutants.wrong:float32_hyperparameters: CERTIFIED against mxnet,float32=all" in out
    assert result.ret == pytest.ExitCode.OK, out[-2000:]


def test_auto_never_guesses(pytester):
    """Without --hyperparameters=auto the same candidate agrees with no preset: the fingerprint fails and names the spec."""
    result = pytester.runpytest_inprocess("--optimizer=mutants.wrong:float32_hyperparameters", "--dtype=float64",
                                          *QUICK)
    out = result.stdout.str()
    assert "no preset agrees with every probe (probed in float64); closest preset: paddle (differs on lr-rounding" in out
    assert "the probes determine --convention=paddle,float32=all" in out
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_no_match_names_closest(pytester):
    """A candidate matching no preset is reported as such, with the closest preset, and fails; nothing else runs."""
    result = pytester.runpytest_inprocess("--optimizer=mutants.wrong:ascent", "--dtype=float64", *QUICK)
    out = result.stdout.str()
    assert "no preset agrees with every probe (probed in float64); closest preset: pytorch (differs on eps-and-v0" in out
    assert "no convention agrees with the candidate on the probes" in out
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_explicit_convention_runs_no_fingerprint(pytester):
    """With --convention=SPEC the header says what is certified against and no fingerprint test exists."""
    result = pytester.runpytest_inprocess("--optimizer=oracle.conformance.builtin:pytorch", "--dtype=float32",
                                          "--convention=pytorch,v0=0", *QUICK)
    out = result.stdout.str()
    assert "certifying against pytorch (given by --convention)" in out
    assert "test_fingerprint" not in out and "fingerprint:" not in out
    assert result.ret == pytest.ExitCode.OK, out[-2000:]


def test_torch_certified_under_its_convention(pytester):
    """torch.optim.RMSprop (the adapter) is identified as pytorch and certified in every dtype."""
    if torch is None:
        pytest.skip("torch is not installed (pip install 'rmsprop-oracle[torch]')")
    result = pytester.runpytest_inprocess("--optimizer=oracle.adapters.torch:rmsprop", *QUICK)
    out = result.stdout.str()
    assert "follows pytorch" in out
    assert result.ret == pytest.ExitCode.OK, out[-3000:]


def test_cli_certify(tmp_path):
    """python -m oracle certify --json prints only the JSON certificate; a bad spec is a usage error (exit 2)."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
    bad = subprocess.run([sys.executable, "-m", "oracle", "certify", "oracle.conformance.builtin:sed"],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert bad.returncode == 2
    assert "has no attribute 'sed'; did you mean: seed?" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "oracle", "certify", "oracle.conformance.builtin:seed",
                           "--dtype=float32", "--oracle-profile=quick", "--json"], capture_output=True, text=True,
                          cwd=tmp_path, env=env)
    assert good.returncode == 0, good.stdout[-2000:] + good.stderr[-2000:]
    cert = json.loads(good.stdout)  # nothing but the JSON on stdout
    assert cert["verdict"] == "certified" and cert["candidates"][0]["verdict"] == "certified"
    assert "RMSProp conformance certificate" in good.stderr
    assert "certificate written" not in good.stdout + good.stderr  # the temporary file is never named
    assert not list(tmp_path.glob("*.json"))


@pytest.mark.parametrize("option, message", [
    ("--case-timeout=inf", "--case-timeout must be a finite number of seconds > 0, got 'inf'"),
    ("--case-timeout=-1", "--case-timeout must be a finite number of seconds > 0, got '-1'"),
    ("--case-timeout=soon", "--case-timeout must be a finite number of seconds > 0, got 'soon'"),
    ("--dtype=float64,float64", "--dtype must be a comma-separated subset of float64,float32,float16, got "
                                "'float64,float64'"),
    ("--dtype=", "--dtype must be a comma-separated subset of float64,float32,float16, got ''"),
    ("--convention=pytorh", "--convention: convention spec 'pytorh': unknown preset 'pytorh' (did you mean 'pytorch'?)"),
    ("--convention=pytorch,lr=0.1", "--convention: lr is set by each case of the suite and cannot be fixed"),
    ("--oracle-profile=huge", "--oracle-profile must be one of quick, default, thorough, got 'huge'"),
    ("--hyperparameters=bf16", "--hyperparameters must be one of exact, float32, float32_lr, auto, got 'bf16'"),
    ("--isolation=docker", "--isolation must be one of process, inline, got 'docker'"),
    ("--workers=0", "--workers must be a positive integer, got '0'"),
])
def test_bad_option_is_a_usage_error(pytester, option, message):
    """A bad option value is a usage error (exit 4) whose message names the option and echoes the value."""
    result = pytester.runpytest_inprocess("--optimizer=oracle.conformance.builtin:seed", *QUICK, option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_xdist_gives_one_certificate_equal_to_pytest(tmp_path):
    """Under pytest-xdist (-n 2) the controller writes one certificate whose counts are pytest's closing line."""
    pytest.importorskip("xdist")
    cert = tmp_path / "cert.json"
    out = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider",
                          "--optimizer=oracle.conformance.builtin:seed", "--oracle-profile=quick",
                          "--dtype=float64,float32", f"--certificate={cert}"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert out.stdout.count("RMSProp conformance certificate") == 1
    doc = json.loads(cert.read_text())
    closing = out.stdout.strip().splitlines()[-1]
    (cand,) = doc["candidates"]
    assert doc["verdict"] == cand["verdict"] == "certified"
    assert f"{doc['pytest']['passed']} passed" in closing and f"{doc['pytest']['skipped']} skipped" in closing
    assert cand["counts"]["passed"] == doc["pytest"]["passed"] > 40
    assert cand["counts"]["skipped"] + cand["counts"]["declined"] == doc["pytest"]["skipped"]
    assert not list(tmp_path.glob(".certificate.*.tmp"))


def test_failing_case_reruns_by_its_command(pytester):
    """The rerun command printed with a failure reruns exactly that case, from any directory."""
    import shlex

    result = pytester.runpytest_inprocess("--optimizer=mutants.wrong:eps_outside", "--convention=seed",
                                          "--dtype=float64", *QUICK, "-k", "test_case and stream-float64")
    line = next(x for x in result.stdout.lines if "rerun this case: " in x)
    argv = shlex.split(line.split("rerun this case: ", 1)[1])
    assert argv[0] == "pytest"
    again = pytester.runpytest_inprocess(*argv[1:], "-p", "no:cacheprovider")
    again.assert_outcomes(failed=1)
    assert "wrong side of the root" in again.stdout.str()


def test_everything_declined_certifies_nothing(pytester):
    """A run in which every case is declined says so and exits non-zero."""
    result = pytester.runpytest_inprocess("--optimizer=mutants.misbehaving:declines_everything",
                                          "--convention=seed", "--dtype=float32", *QUICK)
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "float32  declined" in out and "verdict: NOTHING CERTIFIED" in out


def test_inline_isolation_runs_in_process(pytester):
    """--isolation=inline runs the candidate in the oracle's process (for pdb) with the same verdict."""
    result = pytester.runpytest_inprocess("--optimizer=oracle.conformance.builtin:seed", "--isolation=inline",
                                          "--convention=seed", "--dtype=float32", *QUICK)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    assert "isolation inline" in result.stdout.str()
