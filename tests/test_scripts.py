"""The scripts in scripts/ run (tiny sizes) and print what their docstrings promise."""

import json
import pathlib
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_bench_engines_prints_ratios_to_a_baseline(capsys, monkeypatch):
    """benchmarks/engines.py prints each engine's time as a ratio to the float64 baseline of the same run."""
    monkeypatch.setattr(sys, "argv", ["bench_engines.py", "--size", "2", "--steps", "2"])
    runpy.run_path(str(ROOT / "benchmarks" / "engines.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "float64 backend (baseline)                                      1.0" in out
    assert "certified_run, 50 digits" in out


def load_script(name):
    """A module of scripts/ imported by path (scripts/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"scripts_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gluon_analysis_reproduces_its_recorded_file(capsys):
    """scripts/gluon_analysis.py computes exactly golden/analysis/gluon-intended.json, which the long cases embed."""
    analysis = load_script("gluon_analysis")
    assert analysis.main(["--check"]) == 0, capsys.readouterr().out
    assert "up to date" in capsys.readouterr().out
    recorded = json.loads(analysis.OUT.read_text())
    long_case = json.loads((ROOT / "golden" / "gluon-intended-long.json").read_text())["analysis"]
    assert {k: long_case[k] for k in ("derivation", "least_squares", "float_runs")} == \
        {k: recorded[k] for k in ("derivation", "least_squares", "float_runs")}
    assert analysis.float_run("float64", 3).keys() == {"2", "3"}


def test_probe_frameworks_finds_the_documented_conventions(capsys):
    """The framework probes agree with the conventions the oracle documents (torch if installed, the textbook function)."""
    probes = load_script("probe_frameworks")
    assert probes.main(["torch", "seed"]) == 0
    out = capsys.readouterr().out
    assert "== seed (" in out and "as documented" in out
    assert "DIFFERS" not in out, out
