"""The pytest plugin and ``python -m oracle certify``: options, usage errors, header, certificate.

What the suite concludes is tested through the judge (:mod:`oracle.conformance.judge.run`, the
suite's tests as direct calls); a real pytest session is run only for what only a session
shows: that the judge *is* the session (same tests, same outcomes, same certificate), the
header, exit statuses, usage errors as pytest reports them, the rerun command, xdist, and
the ``certify`` command.
"""

import json
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from oracle.conformance.judge.run import judge
from oracle.conformance.isolation.loader import UsageError
from oracle.conformance.judge.options import validate
from oracle.conformance.judge.session import Session

QUICK = ("--oracle-profile=quick",)


def test_plugin_module_imports_nothing_heavy():
    """Loading the pytest11 module imports neither numpy, mpmath, sympy nor hypothesis."""
    code = ("import sys, oracle.conformance.pytest.plugin; "
            "print([m for m in ('numpy', 'mpmath', 'sympy', 'hypothesis') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unrelated_session_unchanged(run_session, tmp_path):
    """Without --optimizer the plugin adds no tests and no summary to another project's session."""
    (tmp_path / "test_other.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    result = run_session(*QUICK)
    result.assert_outcomes(passed=1)
    assert "RMSProp conformance" not in result.stdout.str()


BAD_OPTIMIZERS = [
    ("nosuchmodule_xyz:make", "no module named 'nosuchmodule_xyz'"),
    ("oracle.conformance.judge.builtin:pytorc", "has no attribute 'pytorc'; did you mean: pytorch?"),
    ("oracle.conformance.pytest.plugin:SUITE", "'oracle.conformance.pytest.plugin:SUITE' is not callable: it is a str"),
    ("no_colon", "optimizer must look like MODULE:ATTR"),
    ("oracle.conformance.pytest.sute:make", "did you mean: oracle.conformance.pytest.suite"),
    ("mutants.broken_module:make", "importing 'mutants.broken_module' failed: RuntimeError: broken on import"),
]
KNOWN = "float64,float32,float16,bfloat16,complex64,complex128"
BAD_OPTIONS = [
    ("--case-timeout=inf", "--case-timeout must be a finite number of seconds > 0, got 'inf'"),
    ("--case-timeout=-1", "--case-timeout must be a finite number of seconds > 0, got '-1'"),
    ("--case-timeout=soon", "--case-timeout must be a finite number of seconds > 0, got 'soon'"),
    ("--dtype=float64,float64", f"--dtype must be a comma-separated subset of {KNOWN}, got 'float64,float64'"),
    ("--dtype=", f"--dtype must be a comma-separated subset of {KNOWN}, got ''"),
    ("--dtype=float8", f"--dtype must be a comma-separated subset of {KNOWN}, got 'float8'"),
    ("--convention=pytorh", "--convention: convention spec 'pytorh': unknown preset 'pytorh' (did you mean 'pytorch'?)"),
    ("--convention=pytorch,lr=0.1", "--convention: lr is set by each case of the suite and cannot be fixed"),
    ("--oracle-profile=huge", "--oracle-profile must be one of quick, default, thorough, got 'huge'"),
    ("--hyperparameters=bf16", "--hyperparameters must be one of exact, float32, float32_lr, auto, got 'bf16'"),
    ("--isolation=docker", "--isolation must be one of process, inline, got 'docker'"),
    ("--workers=0", "--workers must be a positive integer, got '0'"),
]


@pytest.mark.parametrize("spec, message", BAD_OPTIMIZERS)
def test_bad_optimizer_is_refused_with_the_reason(spec, message):
    """A bad MODULE:ATTR is refused (UsageError) with the reason; the plugin turns it into a usage error."""
    with pytest.raises(UsageError) as err:
        Session(validate({"optimizer": spec}))
    assert message in str(err.value)


@pytest.mark.parametrize("option, message", BAD_OPTIONS)
def test_bad_option_is_refused_naming_it(option, message):
    """A bad option value is refused with a message that names the option and echoes the value."""
    name, _, value = option[2:].partition("=")
    with pytest.raises(ValueError) as err:
        Session(validate({"optimizer": "oracle.conformance.judge.builtin:seed", name.replace("-", "_"): value}))
    assert message in str(err.value)


@pytest.mark.parametrize("args, message", [(("--optimizer=mutants.broken_module:make",), BAD_OPTIMIZERS[-1][1]),
                                           (("--optimizer=oracle.conformance.judge.builtin:seed", "--dtype=float8"),
                                            BAD_OPTIONS[5][1])])
def test_usage_errors_exit_4_with_one_line(run_session, args, message):
    """In a session a bad optimizer or option is a usage error (exit 4): the message, no traceback."""
    result = run_session(*args, *QUICK)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_judge_is_the_pytest_session(run_session, tmp_path):
    """A plugin session and the judge run the same tests with the same outcomes and write the same certificate:
    candidate, versions, convention, dtypes, counts, LRE/ULP statistics, platform."""
    path, xml = tmp_path / "cert.json", tmp_path / "junit.xml"
    result = run_session("--optimizer=oracle.conformance.judge.builtin:keras", "--dtype=float64", f"--certificate={path}",
                         f"--junitxml={xml}", *QUICK)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    ran = {case.get("name"): "failed" if case.find("failure") is not None or case.find("error") is not None else
           "skipped" if case.find("skipped") is not None else "passed" for case in ET.parse(xml).iter("testcase")}
    j = judge("oracle.conformance.judge.builtin:keras", dtype="float64", oracle_profile="quick")
    assert ran == {o.nodeid: {"passed": "passed", "failed": "failed"}.get(o.status, "skipped") for o in j.outcomes}
    cert, mine = json.loads(path.read_text()), j.certificate()
    assert cert["verdict"] == mine["verdict"] == "certified"
    assert cert["pytest"] == mine["pytest"] and cert["candidates"][0].keys() == mine["candidates"][0].keys()
    for key in ("candidate", "verdict", "convention", "how", "fingerprint", "counts", "dtypes", "not_checked"):
        assert cert["candidates"][0][key] == mine["candidates"][0][key], key
    (cand,) = cert["candidates"]
    assert cand["candidate"] == "oracle.conformance.judge.builtin:keras"
    assert cand["verdict"] == "certified" and cand["convention"] == "keras"
    assert cand["fingerprint"].startswith("follows keras")
    assert set(cand["dtypes"]) >= {"float64"}
    f64 = cand["dtypes"]["float64"]
    assert f64["failed"] == 0 and f64["passed"] > 10 and f64["worst_fraction_of_bound"] <= 1
    # every element of the large case is graded: elements near 0 have a low LRE within the bound
    assert 10 < f64["worst_lre"] <= f64["median_lre"] and f64["median_ulp"] <= f64["worst_ulp"]
    assert cert["versions"]["rmsprop-oracle"] and cert["platform"]["machine"]


def test_fingerprint_identifies_rounding_under_auto():
    """auto identifies float32 hyperparameters; --hyperparameters=auto then certifies against the preset so rounded."""
    j = judge("mutants.wrong:float32_hyperparameters", dtype="float64", hyperparameters="auto",
              oracle_profile="quick")
    # the factory accepts momentum, centered and weight_decay (coupled): of the presets agreeing on the
    # probes, mxnet is the first with all three options
    info = j.ledger.targets["mutants.wrong:float32_hyperparameters"]
    assert (info["convention"], info["how"]) == ("mxnet,float32=all", "identified by probes")
    assert info["fingerprint"].startswith("follows mxnet,float32=all (probed in float64; presets agreeing on "
                                          "every probe: ")
    assert "mutants.wrong:float32_hyperparameters: CERTIFIED against mxnet,float32=all" in j.summary()
    assert j.verdict == "certified", j.summary()


def test_auto_never_guesses():
    """Without --hyperparameters=auto the same candidate agrees with no preset: the fingerprint fails and names the spec."""
    j = judge("mutants.wrong:float32_hyperparameters", dtype="float64", oracle_profile="quick")
    (fp,) = [o for o in j.outcomes if o.test == "fingerprint"]
    assert fp.status == "failed"
    assert "no preset agrees with every probe (probed in float64); closest preset: paddle (differs on lr-rounding" \
        in fp.detail
    assert "the probes determine --convention=paddle,float32=all" in fp.detail
    assert j.verdict == "failed"


def test_no_match_names_closest():
    """A candidate matching no preset is reported as such, with the closest preset, and fails; the suite runs
    against the closest preset, so the verdict names the diagnosis."""
    j = judge("mutants.wrong:ascent", dtype="float64", oracle_profile="quick")
    text = j.summary()
    assert "no preset agrees with every probe (probed in float64); closest preset: mxnet (differs on eps-and-v0" \
        in text
    assert ("FAILED fingerprint: behaves as no known convention; against mxnet: first divergence at "
            "probe-eps-and-v0-float64") in text
    assert "most likely cause: update added instead of subtracted" in text
    assert j.verdict == "failed"


def test_header_of_an_explicit_convention_and_no_fingerprint_test(run_session):
    """With --convention=SPEC the header says what is certified against and no fingerprint test is collected."""
    result = run_session("--optimizer=oracle.conformance.judge.builtin:pytorch", "--dtype=float32",
                                          "--convention=pytorch,v0=0", "--collect-only", *QUICK)
    out = result.stdout.str()
    assert "rmsprop-oracle conformance: profile quick, dtypes float32, isolation process, case timeout 60 s" in out
    assert "candidate oracle.conformance.judge.builtin:pytorch: certifying against pytorch (given by --convention)" in out
    assert "test_hygiene" in out and "test_fingerprint" not in out and "fingerprint:" not in out
    assert result.ret == pytest.ExitCode.OK, out[-2000:]


def test_torch_identified_as_pytorch():
    """torch.optim.RMSprop (the adapter) is identified as pytorch by the probes in every dtype (it is certified
    under that convention in tests/test_adapters_torch.py)."""
    pytest.importorskip("torch")
    j = judge("oracle.adapters.torch:rmsprop", oracle_profile="quick", keyword="test_fingerprint")
    (fp,) = j.outcomes
    assert fp.status == "passed", fp.detail
    assert fp.detail.startswith("follows pytorch (probed in float64, float32, float16")


def test_inline_isolation_gives_the_same_verdict():
    """--isolation=inline runs the candidate in the oracle's process (for pdb) with the same verdict."""
    j = judge("oracle.conformance.judge.builtin:seed", isolation="inline", convention="seed", dtype="float32",
              oracle_profile="quick")
    assert j.verdict == "certified", j.summary()
    assert j.ledger.options["isolation"] == "inline"


def test_cli_certify(tmp_path, monkeypatch, capsys):
    """certify --json prints only the JSON certificate (pytest's report on stderr, no temporary path, no
    rewrite warning); a bad spec is a usage error (exit 2)."""
    from oracle.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["certify", "oracle.conformance.judge.builtin:sed"]) == 2
    assert "has no attribute 'sed'; did you mean: seed?" in capsys.readouterr().err
    assert main(["certify", "oracle.conformance.judge.builtin:seed", "--dtype=float32", "--oracle-profile=quick",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    cert = json.loads(out)  # nothing but the JSON on stdout
    assert cert["verdict"] == "certified" and cert["candidates"][0]["verdict"] == "certified"
    assert "RMSProp conformance certificate" in err
    # no temporary file or folder of certify's is named (tempfile's names: "tmp" and 8 characters; the
    # clone itself may well live under /tmp)
    assert "certificate written" not in out + err and not re.search(r"\btmp[a-z0-9_]{8}\b", err)
    assert "PytestAssertRewriteWarning" not in err
    assert not list(tmp_path.glob("*.json"))


def test_xdist_gives_one_certificate_equal_to_pytest(tmp_path):
    """Under pytest-xdist (-n 2) the controller writes one certificate whose counts are pytest's closing line."""
    pytest.importorskip("xdist")
    cert = tmp_path / "cert.json"
    out = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider",
                          "--optimizer=oracle.conformance.judge.builtin:seed", "--oracle-profile=quick",
                          "--dtype=float32", f"--certificate={cert}"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert out.stdout.count("RMSProp conformance certificate") == 1
    doc = json.loads(cert.read_text())
    closing = out.stdout.strip().splitlines()[-1]
    (cand,) = doc["candidates"]
    assert doc["verdict"] == cand["verdict"] == "certified"
    assert f"{doc['pytest']['passed']} passed" in closing and f"{doc['pytest']['skipped']} skipped" in closing
    assert cand["counts"]["passed"] == doc["pytest"]["passed"] > 20
    assert cand["counts"]["skipped"] + cand["counts"]["declined"] == doc["pytest"]["skipped"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_failing_case_reruns_by_its_command(run_session):
    """The rerun command printed with a failure reruns exactly that case, from any directory."""
    result = run_session("--optimizer=mutants.wrong:eps_outside", "--convention=seed",
                                          "--dtype=float64", *QUICK, "-k", "test_case and stream-float64")
    line = next(x for x in result.stdout.lines if "rerun this case: " in x)
    argv = shlex.split(line.split("rerun this case: ", 1)[1])
    assert argv[0] == "pytest"
    again = run_session(*argv[1:])
    again.assert_outcomes(failed=1)
    assert "wrong side of the root" in again.stdout.str()


def test_everything_declined_certifies_nothing(run_session):
    """A run in which every case is declined says so and exits non-zero."""
    result = run_session("--optimizer=mutants.misbehaving:declines_everything",
                                          "--convention=seed", "--dtype=float32", *QUICK)
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "float32  declined" in out and "verdict: NOTHING CERTIFIED" in out
