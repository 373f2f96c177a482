"""The compatibility matrix page agrees with its JSON, and both with the adapters' conventions.

Quick, needs no framework: ``scripts/compat_matrix.py`` (which produced the files) is far
too heavy for CI, so this checks what it left in ``golden/``.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from oracle.adapters.certify import adapter_convention, read_certificate
from oracle.conventions import PRESET_NAMES, parse

ROOT = Path(__file__).resolve().parent.parent
matrix = runpy.run_path(str(ROOT / "scripts" / "compat_matrix.py"), run_name="compat_matrix")
DOC = json.loads((ROOT / "golden" / "matrix" / "compatibility.json").read_text())


def test_page_is_the_rendering_of_the_json():
    assert (ROOT / "golden" / "compatibility.md").read_text() == matrix["render"](DOC)


def test_every_framework_and_adapter_is_listed():
    """Every CPU framework, in order; a GPU framework (scripts/gpu_check.sh) once a CUDA run was merged."""
    frameworks = matrix["FRAMEWORKS"]
    cpu = [n for n in frameworks if not frameworks[n].get("gpu")]
    assert [n for n in DOC["frameworks"] if n in cpu] == cpu
    assert list(DOC["frameworks"]) == [n for n in frameworks if n in DOC["frameworks"]]
    for name, fw in frameworks.items():
        if name in DOC["frameworks"]:
            assert [a["adapter"] for a in DOC["frameworks"][name]["adapters"]] == fw["adapters"]
        assert fw.get("gpu") or (ROOT / "scripts" / "matrix" / f"requirements-{name}.txt").exists()


def test_listed_specs_parse_and_are_the_adapters_conventions():
    for fw in DOC["frameworks"].values():
        for a in fw["adapters"]:
            assert parse(a["convention"]).name in PRESET_NAMES
            assert a["convention"] == adapter_convention(a["adapter"]), a["adapter"]


def test_every_dtype_has_a_verdict_and_numbers_where_it_is_certified():
    """CPU frameworks: the three default dtypes and those the framework adds (bfloat16); GPU ones: theirs."""
    for name, fw in DOC["frameworks"].items():
        assert fw["versions"] and fw["rounding"]
        spec = matrix["FRAMEWORKS"][name]
        shown = set(spec.get("dtypes", matrix["DTYPES"]))
        for a in fw["adapters"]:
            assert set(a["dtypes"]) <= shown and (spec.get("gpu") or set(matrix["DTYPES"]) <= set(a["dtypes"]))
            for dtype, r in a["dtypes"].items():
                assert r["verdict"] in ("certified", "failed", "declined", "error", "nothing certified"), r["verdict"]
                if r["verdict"] == "certified":
                    assert r["worst_lre"] is not None and r["worst_ulp"] is not None and r["failed"] == 0
                if r["verdict"] == "declined":
                    assert r["declined_reasons"] and r["passed"] == 0


def test_requirements_are_pinned():
    for path in (ROOT / "scripts" / "matrix").glob("requirements-*.txt"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and not path.name.endswith(".build.txt"):
                assert "==" in line, f"{path.name}: {line!r} is not pinned"


def test_read_certificate(tmp_path):
    """The one reader of the certificate format: per-dtype verdicts and stats, failures, declines."""
    stats = {"verdict": "certified", "passed": 3, "failed": 0, "skipped": 0, "declined": 0, "values_graded": 9,
             "worst_ulp": 2.5, "median_ulp": 0.5, "worst_lre": 6.1, "median_lre": 7.0, "worst_fraction_of_bound": 0.3}
    doc = {"versions": {"numpy": "2"}, "candidates": [{
        "candidate": "m:f", "verdict": "failed", "convention": "paddle",
        "dtypes": {"float32": stats, "float16": dict(stats, verdict="failed", passed=0, failed=1),
                   "(checks)": dict(stats, verdict="passed")},
        "failures": [{"test": "stream-float16", "dtype": "float16", "detail": "bad\nlast line"}],
        "oracle_errors": [],
        "declined": [{"test": "x-float64", "dtype": "float64", "detail": "declined by the candidate: m float64: no"}],
        "not_checked": [{"status": "declined", "reason": "declined by the candidate: m float64: no"}]}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    out = read_certificate(str(path))
    assert sorted(out["dtypes"]) == ["float16", "float32"] and out["dtypes"]["float32"]["worst_ulp"] == 2.5
    assert out["dtypes"]["float16"]["verdict"] == "failed"
    assert out["failures"] == [{"test": "stream-float16", "dtype": "float16", "detail": "bad\nlast line"}]
    assert out["declined"] == ["m float64: no"]
    assert out["verdict"] == "failed" and out["versions"] == {"numpy": "2"}


def test_cli_rejects_an_unknown_framework(capsys):
    with pytest.raises(SystemExit) as exc:
        matrix["main"](["tensorflw", "--render"])
    assert exc.value.code == 2
    assert "unknown framework 'tensorflw'" in capsys.readouterr().err
