"""`python -m oracle cite`: tables of certified values, refusals with clear messages."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oracle.golden.cite import cite, reround

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "oracle", "cite", *args], capture_output=True, text=True, cwd=ROOT)


def test_markdown_table_of_one_step():
    """A markdown table of w, G and g at step 1 of the documents' example, 20 digits."""
    assert cite("docs-docs-decimal-5", step=1, digits=20) == (
        "| step | params.w[0] | state.v.w[0] | grads.w[0] |\n"
        "|---|---|---|---|\n"
        "| 1 | 3.1622776576978499129e-1 | 6.4000000000000000000e0 | -8.0000000000000000000e0 |"
    )


def test_latex_rst_and_json_formats():
    """LaTeX uses \\times 10^{e}; rst is a simple table; json carries case, digits and rows."""
    tex = cite("docs-docs-decimal-5", step=5, field="params", digits=5, style="latex")
    assert r"5 & $9.5107 \times 10^{-1}$ \\" in tex and tex.startswith(r"\begin{tabular}{rr}")
    rst = cite("docs-docs-decimal-5", step=5, field="params", digits=5, style="rst").splitlines()
    assert rst[1].split() == ["step", "params.w[0]"] and rst[3].split() == ["5", "9.5107e-1"]
    data = json.loads(cite("gluon-V6-R6-intended", step=1, field="loss", style="json"))
    assert data["rows"] == [{"step": 1, "loss": "6.4500000000000000000000000000000000000000000000000e0"}]


def test_too_many_digits_refused_with_count():
    """Asking for 51 digits is refused, saying that 50 are certified (CLI exit 2, one line)."""
    with pytest.raises(ValueError, match=r"--digits 51 asked for, but only 50 significant digits are certified"):
        cite("docs-docs-decimal-5", digits=51)
    out = _cli("docs-docs-decimal-5", "--digits", "60")
    assert out.returncode == 2
    assert out.stderr == (
        "error: docs-docs-decimal-5: --digits 60 asked for, but only 50 significant digits are certified\n"
    )


def test_unknown_case_step_and_field():
    """An unknown case, an unstored step and an unknown field each get a clear error echoing the value."""
    with pytest.raises(ValueError, match=r"unknown case 'docs-docs-decimal-6' \(did you mean docs-docs-decimal-5, .*\?\); "
                                         r"`python -m oracle golden list` names all"):
        cite("docs-docs-decimal-6")
    with pytest.raises(ValueError, match=r"unknown case 'nope'; `python -m oracle golden list` names all"):
        cite("nope")
    with pytest.raises(ValueError, match=r"--step 7 is not stored \(steps 0\.\.5\)"):
        cite("docs-docs-decimal-5", step=7)
    with pytest.raises(ValueError, match=r"--step 201 is not stored \(steps 0\.\.2000, sampled\)"):
        cite("gluon-intended-long", step=201)
    with pytest.raises(ValueError, match=r"--field must be one of params, state.v, state.m, state.b, grads, loss; got 'w'"):
        cite("docs-docs-decimal-5", field="w")
    with pytest.raises(ValueError, match=r"gluon-V0-as-written: this case has no certified values"):
        cite("gluon-V0-as-written")


def test_rerounding_refuses_a_tie():
    """Re-rounding a published decimal that is a tie at the shorter length is refused."""
    assert reround("1.2500000001e0", 2, "x") == "1.3e0"
    with pytest.raises(ValueError, match=r"x: the published 3-digit value 1.25e0 is a rounding tie at 2 digits"):
        reround("1.25e0", 2, "x")


def test_cli_prints_table():
    """The CLI prints the same table as the function."""
    out = _cli("docs-docs-decimal-5", "--step", "5", "--field", "params", "--digits", "12")
    assert out.returncode == 0
    assert out.stdout.splitlines()[-1] == "| 5 | 9.51072698033e-1 |"
