"""Pictures (``oracle.plot``, ``python -m oracle plot``): headless, reproducible, faithful to the data."""

import json
import pathlib
import struct
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

from oracle import cli  # noqa: E402
from oracle import plot  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
SEED = "oracle.conformance.judge.builtin:seed"


def png_size(data: bytes) -> tuple:
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def render(fig, path) -> bytes:
    return plot.save(fig, path).read_bytes()


def test_headless_rendering_on_the_agg_canvas(tmp_path, monkeypatch):
    """No display, no pyplot: the figure lives on the Agg canvas and saves as PNG and SVG."""
    monkeypatch.delenv("DISPLAY", raising=False)
    fig = plot.error_figure("docs-example", SEED, dtype="float32")
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"
    assert png_size(render(fig, tmp_path / "a.png")) == (900, 750)
    assert render(fig, tmp_path / "a.svg").startswith(b"<?xml")
    text = " ".join(t.get_text() for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label))
    assert "ULPs of float32" in text and "Trajectory" in text and "step" in text
    title = fig._suptitle.get_text()
    assert "docs-example" in title and SEED in title and "convention seed" in title and "float32" in title


def test_same_data_same_bytes_different_data_different_images(tmp_path):
    """Identical inputs give identical bytes; a mutant or another dtype gives another image."""
    right = render(plot.error_figure("docs-example", SEED, dtype="float64"), tmp_path / "r1.png")
    again = render(plot.error_figure("docs-example", SEED, dtype="float64"), tmp_path / "r2.png")
    assert right == again
    svg = [render(plot.golden_figure("docs-docs-binary64-5"), tmp_path / f"t{k}.svg") for k in (1, 2)]
    assert svg[0] == svg[1] and b"<dc:date>" not in svg[0]
    mutant = render(plot.error_figure("docs-example", "mutants.wrong:eps_outside", convention="seed",
                                      dtype="float64"), tmp_path / "m.png")
    other = render(plot.error_figure("docs-example", SEED, dtype="float32"), tmp_path / "f32.png")
    assert len({right, mutant, other}) == 3


def test_the_plotted_numbers():
    """Error and bound in ULPs, the first exceedance of a mutant, and the horizon of a long run."""
    ok = plot.case_data("docs-example", SEED, dtype="float64")
    assert ok.first_exceed is None and ok.horizon is None and ok.worst_ratio <= 1
    assert ok.err_ulp.shape == (6, 1) and (ok.err_ulp[1:] <= 2).all() and (ok.bound_ulp[1:] > ok.err_ulp[1:]).all()
    bad = plot.case_data("docs-example", "mutants.wrong:eps_outside", convention="seed", dtype="float64")
    assert bad.first_exceed == 1 and bad.worst_ratio > 1
    long = plot.case_data("docs-example-long", SEED, dtype="float64")
    assert long.horizon == 61 and long.compared[61].all() and not long.compared[62].any()
    wide = plot.case_data("stream-centered", "oracle.conformance.judge.builtin:pytorch", convention="pytorch",
                          dtype="float16", profile="quick")
    assert not wide.per_element and len(wide.labels) == 8


@pytest.mark.parametrize("name, dtype", [("docs-docs-binary64-200", "float64"), ("quadratic-seed-plain", "float32"),
                                         ("gluon-intended-long", "float32")])
def test_golden_replay_has_the_files_horizon(name, dtype):
    """The package's float implementation replayed on a golden file: within the bound, up to the file's horizon."""
    doc = json.loads((ROOT / "golden" / f"{name}.json").read_text())
    d = plot.golden_data(name, dtype, steps=doc["horizon"][dtype] + 3)
    assert d.horizon == doc["horizon"][dtype] and d.first_exceed is None and d.exact_source == "golden"


def test_gluon_cycle_figure(tmp_path):
    """The intended Gluon run: period-2 cycle reached (2-epoch change ~1e-35 at 2000), horizons 33 and 13."""
    from oracle.plot import golden as G

    c = G.cycle(G.load("gluon-intended-long"))
    assert c.horizons == {"float64": 33, "float32": 13} and c.labels == ["w1", "w2", "b"]
    assert c.change_steps[-1] == 2000 and c.change[-1] < 1e-30 and abs(c.loss - 0.027) < 1e-6
    fig = plot.gluon_cycle_figure()
    assert "period-2 cycle" in fig._suptitle.get_text() and len(fig.axes) == 2
    assert png_size(render(fig, tmp_path / "cycle.png")) == (900, 750)


def test_committed_figures_exist():
    """golden/figures/ holds every figure render_golden_figures writes, as PNGs."""
    for name in plot.FIGURES:
        assert png_size((ROOT / "golden" / "figures" / name).read_bytes()) == (900, 750)


def test_cli_writes_a_png(tmp_path):
    """`python -m oracle plot --case ... -o out.png` and `--golden ...` write PNGs."""
    out = tmp_path / "out.png"
    run = subprocess.run([sys.executable, "-m", "oracle", "plot", "--case", "docs-example", "--dtype", "float32",
                          "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert png_size(out.read_bytes()) == (900, 750) and f"wrote {out}" in run.stdout
    code = cli.main(["plot", "--golden", "docs-docs-binary64-5", "--dtype", "float64", "-o", str(tmp_path / "g.png")])
    assert code == 0 and png_size((tmp_path / "g.png").read_bytes())[0] == 900
    assert cli.main(["plot", "--golden", "stream-seed-plain", "-o", str(tmp_path / "t.svg")]) == 0


@pytest.mark.parametrize("args, field, value", [
    (["--case", "docs-exmple"], "--case", "'docs-exmple'"),
    (["--golden", "nope"], "--golden", "'nope'"),
    (["--case", "docs-example", "--dtype", "float8"], "--dtype", "'float8'"),
    (["--golden", "docs-docs-binary64-5", "--dtype", "float8"], "--dtype", "'float8'"),
    (["--case", "docs-example", "--optimizer", "nomodule:factory"], "--optimizer", "'nomodule'"),
    (["--case", "docs-example", "--optimizer", "oracle.conformance.judge.builtin:sed"], "--optimizer", "'sed'"),
    (["--case", "docs-example", "--convention", "seed,eps_placment=outside"], "--convention", "'eps_placment'"),
    (["--case", "docs-example", "-o", "x.jpg"], "--output", "'x.jpg'"),
    (["--golden", "gluon-V3-R3", "--dtype", "float64"], "--golden", "'gluon-V3-R3'"),
    (["--golden", "docs-docs-binary64-5", "--dtype", "float64", "--steps", "0"], "--steps", "'0'"),
])
def test_bad_input_is_a_one_line_usage_error(args, field, value, capsys, tmp_path):
    """Exit status 2, one line on stderr naming the field and echoing the value, no traceback."""
    out = [] if "-o" in args else ["-o", str(tmp_path / "x.png")]
    assert cli.main(["plot", *args, *out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and field in err and value in err, err
    assert not (tmp_path / "x.png").exists()


def test_without_matplotlib_the_message_names_the_extra(monkeypatch, capsys, tmp_path):
    """With matplotlib unimportable: the API raises PlotUnavailable, the CLI exits 2 with one line."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(plot.PlotUnavailable, match=r"pip install 'rmsprop-oracle\[plot\]'"):
        plot.error_figure("docs-example", SEED)
    assert cli.main(["plot", "--case", "docs-example", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'rmsprop-oracle[plot]'" in err


def test_nothing_else_imports_matplotlib():
    """Importing the package, its CLI (with the plot subcommand) and the plugin never imports matplotlib."""
    code = ("import sys, oracle.cli, oracle.plot, oracle.plot.cli, oracle.plot.draw, oracle.conformance.pytest.plugin; "
            "oracle.cli.build_parser(); assert 'matplotlib' not in sys.modules, 'imported'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
