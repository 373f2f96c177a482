"""The hostile catalogue, certificate and domain part: bad certificate paths, interrupted runs, coverage gaps,
extreme errors, hostile option and spec values, special golden files.

Direct calls wherever the behaviour lives in a function; inner pytest sessions (the run_session fixture, in process)
only for what a real session shows: the exit status of a bad ``--certificate``, an interrupted run's
certificate, a declining candidate's domain and the absence of ``.hypothesis/``.
"""

import json
import os
import stat
import sys
import time

import pytest

import mutants.gaps as gaps
from oracle.conformance.judge import certfile
from oracle.conformance.isolation.candidate import Candidate
from oracle.conformance.judge.cases import builtin_cases
from oracle.conformance.judge.certificate import Ledger
from oracle.conformance.judge.domain import Domain
from oracle.conformance.judge.grading import grade
from oracle.conformance.judge.options import CASE_TIMEOUT_MAX, check_convention, validate
from oracle.conventions import parse, preset
from oracle.golden import GOLDEN_DIR, GoldenDataError, fmt
from oracle.golden.cite import cite




# -- options and specs: range-checked, bounded cost -------------------------------------------------------
@pytest.mark.parametrize("value", ["3e6", "1e300", "inf", "-1", "0", "nan", "x"])
def test_case_timeout_out_of_range_is_a_usage_error(value):
    with pytest.raises(ValueError, match=r"--case-timeout must be"):
        validate({"case_timeout": value})
    assert validate({"case_timeout": str(CASE_TIMEOUT_MAX)}).case_timeout == CASE_TIMEOUT_MAX


@pytest.mark.parametrize("spec", ["seed,eps=1e-99999999", "seed,lr=1e+9_999_999_999", "seed,v0=" + "1" * 300])
def test_spec_numbers_are_parsed_at_bounded_cost(spec):
    start = time.monotonic()
    with pytest.raises(ValueError, match="at most 200 characters and a decimal exponent within"):
        parse(spec)
    assert time.monotonic() - start < 5  # generous: the unbounded parse never returned


# -- the certificate's path ---------------------------------------------------------------------------------
def _bad_paths(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "target.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "target.json")
    os.mkfifo(tmp_path / "fifo.json")
    return {"folder": (tmp_path / "folder", "is a folder"),
            "missing folder": (tmp_path / "nowhere" / "c.json", "does not exist"),
            "device": ("/dev/null", "lies under /dev"),
            "proc": ("/proc/self/status", "lies under /proc"),
            "symlink": (tmp_path / "link.json", "is a symbolic link"),
            "fifo": (tmp_path / "fifo.json", "not a regular file"),
            "empty": ("", "must be a file path")}


def test_bad_certificate_paths_are_usage_errors_naming_the_path(tmp_path):
    for kind, (path, why) in _bad_paths(tmp_path).items():
        with pytest.raises(ValueError) as info:
            validate({"certificate": str(path)})
        assert why in str(info.value) and str(path) in str(info.value), kind
    assert os.path.isfile("/dev/null") is False  # nothing was replaced


@pytest.mark.parametrize("flag", ["--certificate=/dev/null", "--case-timeout=3e6"])
def test_certify_refuses_bad_values_before_running(flag, capsys):
    from oracle.cli import main

    assert main(["certify", "mutants.gaps:lr_capped", flag, "-q"]) == 2
    err = capsys.readouterr()
    text = err.out + err.err
    assert ("/dev/null" in text or "3e6" in text) and "Traceback" not in text and "INTERNALERROR" not in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_certificate_folder_is_a_usage_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(ValueError, match="no permission"):
        validate({"certificate": str(ro / "c.json")})


def test_certificate_is_sealed_atomic_regular_and_honours_the_umask(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"verdict": "certified"}')  # an older certificate
    old = os.umask(0o027)
    try:
        Ledger.placeholder(validate({"optimizer": "mutants.gaps:lr_capped"})).write(str(path))
    finally:
        os.umask(old)
    cert = json.loads(path.read_text())
    assert cert["verdict"] == "incomplete" and certfile.verify(cert)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]  # no temporary left
    source = cert["candidates"][0]["source"]
    assert source["file"] == os.path.abspath(gaps.__file__)
    with open(gaps.__file__, "rb") as fh:
        import hashlib
        assert source["sha256"] == hashlib.sha256(fh.read()).hexdigest()
    cert["candidates"][0]["verdict"] = "certified"  # an edit without re-hashing shows
    assert not certfile.verify(cert)
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere")  # swapped for a link during the run: refused, not followed
    with pytest.raises(ValueError, match="symbolic link"):
        Ledger().write(str(path))


def test_candidate_file_is_found_without_importing_its_packages(tmp_path):
    pkg = tmp_path / "trap_pkg_tc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise SystemExit('imported!')\n")
    (pkg / "sub.py").write_text("def make(params, *, lr, rho, eps):\n    pass\n")
    assert certfile.find_module_file("trap_pkg_tc.sub", [str(tmp_path)]) == str(pkg / "sub.py")
    assert "trap_pkg_tc" not in sys.modules
    assert certfile.find_module_file("trap_pkg_tc.nothing", [str(tmp_path)]) is None


def test_interrupted_and_broken_runs_say_so():
    ledger = Ledger()
    ledger.interrupted = True
    assert ledger.overall() == "interrupted"
    ledger.broken = True
    assert ledger.overall() == "error"


# -- the domain: wide, and stated ---------------------------------------------------------------------------
def test_default_profile_domain_is_wide():
    """lr from 1e-6 to 10, arbitrary binary64 rho, nine arrays, 10,000 steps, subnormal inputs in every dtype."""
    for dtype in ("float64", "float32", "float16"):
        d = Domain()
        for case in builtin_cases(dtype, "default"):
            d.add(case)
        j = d.to_json()
        assert j["lr"][0] <= 1.1e-6 and j["lr"][1] >= 9.5, j["lr"]
        assert j["arrays"][1] >= 9 and j["longest_run"] >= (10_000 if dtype != "float16" else 1000)
        assert {"subnormal gradients", "subnormal parameters", "exact zero gradients"} <= set(j["regimes"])
    rhos = [c.hyper["rho"] for c in builtin_cases("float64", "quick") if "wide" in c.tags]
    assert all(round(r, 6) != r for r in rhos)  # not short decimals


@pytest.mark.parametrize("name", sorted(gaps.GAPS))
def test_gap_mutant_is_failed_in_the_default_profile(name):
    """Each coverage-gap mutant fails the fixed case that reaches its gap (float64 and, but for the long run,
    float32); docs/certificate.md gives the argument."""
    case_name, _ = gaps.GAPS[name]
    for dtype in ("float64",) if case_name == "long-run" else ("float64", "float32"):
        case = next(c for c in builtin_cases(dtype, "default") if c.name == case_name)
        g = grade(Candidate(f"mutants.gaps:{name}", 60, "inline"), preset("seed").replace(**case.hyper), case,
                  diagnose=False)
        assert g.status == "failed", (name, dtype, g.status)
        assert "first divergence" in g.message


@pytest.mark.parametrize("name,case_name", [("huge_output", "stream"), ("drift_at_zero", "exact-zeros")])
def test_extreme_errors_are_failed_with_a_diagnosis_never_an_oracle_error(name, case_name):
    case = next(c for c in builtin_cases("float64", "quick") if c.name == case_name)
    g = grade(Candidate(f"mutants.gaps:{name}", 60, "inline"), preset("seed").replace(**case.hyper), case)
    assert g.status == "failed"
    assert "first divergence: step 1" in g.message and "x bound" in g.message


# -- golden files: special files, duplicates, edited values --------------------------------------------------
def test_special_golden_files_are_refused_without_hanging(tmp_path):
    (tmp_path / "fifo.json").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    text = (GOLDEN_DIR / "docs-docs-decimal-5.json").read_text()
    (tmp_path / "dup.json").write_text(text.replace('"case":', '"case": "x",\n  "case":', 1))
    for name, why in (("fifo", "not a regular file"), ("zero", "not a regular file"), ("dup", "duplicate key 'case'")):
        with pytest.raises(GoldenDataError, match=why):
            fmt.parse(tmp_path / f"{name}.json")


def test_golden_reader_refuses_an_oversized_file(tmp_path):
    from oracle.golden import data

    big = tmp_path / "big.json"
    big.write_text("{}" + " " * 100)
    with pytest.raises(OSError, match="more than the 64"):
        data.read_text(big, limit=64)
    assert data.read_text(big, limit=200).startswith("{}")


def test_cite_refuses_a_value_edited_and_rehashed(tmp_path):
    import shutil

    folder = tmp_path / "golden"
    shutil.copytree(GOLDEN_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / "docs-docs-decimal-5.json"
    doc = json.loads(path.read_text())
    value = doc["steps"][5]["params"]["w"]["values"][0]
    mantissa, exponent = value["dec"].split("e")
    value["dec"] = mantissa[:5] + ("9" if mantissa[5] != "9" else "8") + mantissa[6:] + "e" + exponent
    path.write_text(fmt.seal(doc))
    fmt.load(path)  # the format's checks pass: only the recomputation sees it
    with pytest.raises(GoldenDataError, match="step 5.params.w.values"):
        cite("docs-docs-decimal-5", step=5, golden_dir=folder)


# -- plot honours or refuses a spec as the suite does ---------------------------------------------------------
@pytest.mark.parametrize("spec", ["pytorch,eps=0.5", "seed,lr=3"])
def test_plot_refuses_what_the_suite_refuses(spec):
    from oracle.plot import case_data

    with pytest.raises(ValueError) as suite_says:
        check_convention(spec)
    with pytest.raises(ValueError) as plot_says:
        case_data("docs-example", convention=spec)
    assert str(plot_says.value) == "convention: " + str(suite_says.value).removeprefix("--convention: ")


def test_certificate_page_examples_run():
    """docs/certificate.md's hash verification is a doctest."""
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "certificate.md"
    failures, tried = doctest.testfile(str(page), module_relative=False)
    assert tried >= 4 and failures == 0


# -- what only a real session shows ---------------------------------------------------------------------------
def _inner(run_session, *args, plugins=()):
    return run_session("-q", "--oracle-profile=quick", *args, plugins=plugins)


def test_session_bad_certificate_path_exits_4_before_any_case(run_session, tmp_path):
    (tmp_path / "folder").mkdir()
    result = _inner(run_session, "--optimizer=mutants.gaps:lr_capped", "--convention=seed",
                    f"--certificate={tmp_path / 'folder'}")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "is a folder" in text and str(tmp_path / "folder") in text
    assert "INTERNALERROR" not in text and "Traceback" not in text and "passed" not in text


def test_session_interrupted_replaces_an_older_certificate(run_session, tmp_path):
    """An older 'certified' certificate is replaced by 'incomplete' at once, then 'interrupted' at the end."""
    cert = tmp_path / "cert.json"
    cert.write_text(json.dumps({"verdict": "certified"}))
    seen = {}

    class Interrupt:
        def pytest_runtest_setup(self, item):
            seen["at start"] = json.loads(cert.read_text())["verdict"]
            raise KeyboardInterrupt

    result = _inner(run_session, "--optimizer=mutants.gaps:lr_capped", "--convention=seed", "--dtype=float64",
                    f"--certificate={cert}", plugins=[Interrupt()])
    out = json.loads(cert.read_text())
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert seen["at start"] == "incomplete"
    assert out["verdict"] == "interrupted" and certfile.verify(out)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


# -- by the judge (the same certificate as a session) -----------------------------------------------------
def test_declines_show_in_the_domain_and_no_hypothesis_folder(tmp_path, monkeypatch):
    """A candidate declining every rho = 0 case: the certificate's domain shows it (declined rho [0, 0]);
    Hypothesis leaves nothing in the user's directory."""
    from oracle.conformance.judge.run import judge

    monkeypatch.chdir(tmp_path)
    cert = tmp_path / "cert.json"
    j = judge("mutants.gaps:declines_rho_zero", convention="seed", dtype="float64", oracle_profile="quick",
              certificate=str(cert), keyword="generated")
    out = json.loads(cert.read_text())
    assert j.verdict == "incomplete", j.summary()  # only the generated tests selected: exit 0 in a session
    domain = out["candidates"][0]["domain"]["float64"]
    assert domain["declined"]["rho"] == [0.0, 0.0] and domain["declined"]["cases"] >= 1
    assert domain["graded"]["rho"][0] > 0
    assert "1 declined" in j.summary() or " declined (" in j.summary()
    assert not (tmp_path / ".hypothesis").exists()
