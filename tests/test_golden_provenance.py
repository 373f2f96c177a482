"""Provenance (tool versions, working precision) is recorded and shown, never compared unless --strict."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest
import sympy

import oracle
from oracle.golden import GOLDEN_DIR, cases, fmt, store
from oracle.engines.certify import resolve_engine

ROOT = Path(__file__).resolve().parents[1]
NAME = "docs-docs-decimal-5"


@pytest.fixture
def scratch(tmp_path):
    shutil.copy(GOLDEN_DIR / f"{NAME}.json", tmp_path / f"{NAME}.json")
    return tmp_path


@pytest.fixture
def other_versions(monkeypatch):
    """Pretend that other mpmath, sympy and package versions compute the files."""
    monkeypatch.setattr(mpmath, "__version__", "9.8.7")
    monkeypatch.setattr(sympy, "__version__", "1.99.0")
    monkeypatch.setattr(oracle, "__version__", "5.4.3")


def test_files_record_their_provenance():
    """The header records the versions and the working precision, apart from the content."""
    doc = fmt.load(GOLDEN_DIR / f"{NAME}.json")
    assert sorted(doc["header"]) == ["certification", "provenance", "sha256"]
    prov = fmt.provenance(doc)
    assert sorted(prov) == sorted(fmt.PROVENANCE) and isinstance(prov["working_precision_bits"], int)
    assert "provenance" not in fmt.content(doc)["header"]


def test_other_tool_versions_give_identical_bytes(scratch, other_versions):
    """Regenerating with other versions leaves the file byte for byte; check is clean; --strict sees the versions."""
    before = (scratch / f"{NAME}.json").read_bytes()
    text = cases.build(NAME)
    assert fmt.provenance(json.loads(text))["sympy_version"] == "1.99.0"
    assert text.encode() != before and fmt.same_content(text, before.decode())
    msgs = store.regen([NAME], scratch, jobs=1, progress=False, pages=False)
    assert msgs == ["kept 1 file(s) whose content is unchanged; only their provenance differs from this run "
                    "(--strict rewrites them)"]
    assert (scratch / f"{NAME}.json").read_bytes() == before
    assert store.check(scratch, names=[NAME], jobs=1, progress=False) == []
    strict = store.check(scratch, names=[NAME], jobs=1, progress=False, strict=True)
    assert f'{NAME}: header.provenance.mpmath_version: disk "{mpmath_real()}", computed "9.8.7"' in strict
    assert any(p.startswith(f"{NAME}: header.provenance.sympy_version: disk ") for p in strict)
    assert store.regen([NAME], scratch, jobs=1, progress=False, pages=False, strict=True) == [f"updated {NAME}.json"]
    assert fmt.provenance(fmt.load(scratch / f"{NAME}.json"))["package_version"] == "5.4.3"


def mpmath_real():
    return fmt.provenance(fmt.load(GOLDEN_DIR / f"{NAME}.json"))["mpmath_version"]


def test_another_working_precision_is_provenance(scratch):
    """A file certified at another working precision (same digits) has the same content: nothing to rewrite."""
    doc = json.loads((scratch / f"{NAME}.json").read_text())
    doc["header"]["provenance"]["working_precision_bits"] *= 4
    (scratch / f"{NAME}.json").write_text(fmt.seal(doc))
    assert store.regen([NAME], scratch, jobs=1, progress=False, pages=False) == [
        "kept 1 file(s) whose content is unchanged; only their provenance differs from this run "
        "(--strict rewrites them)"]
    assert store.check(scratch, names=[NAME], jobs=1, progress=False) == []


def test_a_changed_value_is_still_drift(scratch, other_versions):
    """Content is compared even when the versions differ: a changed digit is reported and regen rewrites it."""
    doc = json.loads((scratch / f"{NAME}.json").read_text())
    doc["steps"][2]["params"]["w"]["values"][0]["dec"] = "5.0e-1"
    (scratch / f"{NAME}.json").write_text(fmt.seal(doc))
    problems = store.check(scratch, names=[NAME], jobs=1, progress=False)
    assert problems and problems[0].startswith(f'{NAME}: step 2.params.w.values[0].dec: disk "5.0e-1", computed')
    assert not any("provenance" in p for p in problems)
    assert store.regen([NAME], scratch, jobs=1, progress=False, pages=False) == [f"updated {NAME}.json"]


def test_list_and_check_show_provenance():
    """`golden list` shows each file's provenance; `golden check` prints what computed the files and this run
    (its versions and where the certified ladder starts)."""
    out = subprocess.run([sys.executable, "-m", "oracle", "golden", "list"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    prov = fmt.provenance(fmt.load(GOLDEN_DIR / f"{NAME}.json"))
    row = next(r for r in out.stdout.splitlines() if r.startswith(NAME + "\t"))
    assert row.startswith(f"{NAME}\tdocs\tThe documents' example") and row.endswith(
        f"\trmsprop-oracle {prov['package_version']}, mpmath {prov['mpmath_version']}, "
        f"sympy {prov['sympy_version']}, {prov['working_precision_bits']} bits")
    assert out.stderr == f"golden list: {len(cases.all_cases())} cases in {GOLDEN_DIR}\n"
    check = subprocess.run([sys.executable, "-m", "oracle", "golden", "check", NAME], capture_output=True, text=True,
                           cwd=ROOT)
    assert check.returncode == 0
    assert check.stderr.splitlines() == [
        f"provenance in {GOLDEN_DIR}: {len(cases.all_cases())} file(s) by rmsprop-oracle {prov['package_version']}, "
        f"mpmath {prov['mpmath_version']}, sympy {prov['sympy_version']}",
        f"provenance of this run: rmsprop-oracle {oracle.__version__}, mpmath {mpmath.__version__}, "
        f"sympy {sympy.__version__}; certified ladder from {resolve_engine()} (--verbose: the rung per case)",
        "golden check: 1 case, 0 problems"]
