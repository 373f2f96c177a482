"""``benchmarks/bench.py`` (run from a clone; not in the wheel): the JSON schema (quick mode; no timing is asserted)."""

import json
import pathlib
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
KINDS = {"anchor", "golden", "grading", "limit"}


def test_bench_quick_writes_one_record_per_engine(tmp_path, monkeypatch, capsys):
    """benchmarks/bench.py --quick --json: records with name, kind, digits, param_steps_per_s, ratio_to_naive."""
    path = tmp_path / "bench.json"
    monkeypatch.setattr(sys, "argv", ["bench.py", "--quick", "--json", str(path)])
    try:
        runpy.run_path(str(ROOT / "benchmarks" / "bench.py"), run_name="__main__")
    except SystemExit as exit:
        assert exit.code == 0
    report = json.loads(path.read_text())
    records = report["engines"]
    assert {r["kind"] for r in records} <= KINDS and {"anchor", "golden", "grading", "limit"} <= {r["kind"] for r in records}
    for r in records:
        assert set(r) >= {"name", "kind", "digits", "param_steps_per_s", "ratio_to_naive"}
        assert r["param_steps_per_s"] > 0 and r["ratio_to_naive"] > 0
        assert r["digits"] is None or r["digits"] in (50, 100, 1000)
    naive = [r for r in records if r["name"].startswith("naive")]
    assert naive and all(r["ratio_to_naive"] == 1 for r in naive)
    assert {"parameters", "steps", "digits"} <= set(report["scaling"])
    assert report["workers"]["speedup_1_to_2"] > 0
    out = capsys.readouterr().out
    assert "| engine | kind | digits | size | param-steps/s | x naive |" in out
