"""The scripts in scripts/ run (tiny sizes) and print what their docstrings promise."""

import pathlib
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_bench_engines_prints_ratios_to_a_baseline(capsys, monkeypatch):
    """bench_engines prints each engine's time as a ratio to the float64 baseline of the same run."""
    monkeypatch.setattr(sys, "argv", ["bench_engines.py", "--size", "2", "--steps", "2"])
    runpy.run_path(str(ROOT / "scripts" / "bench_engines.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "float64 backend (baseline)                                      1.0" in out
    assert "certified_run, 50 digits" in out
