"""The command line: the default job, derivations, and clear usage errors."""

import doctest
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, "-m", "oracle", *args], capture_output=True, text=True, cwd=ROOT)


def test_default_job_prints_certified_table_and_first_step():
    """`python -m oracle` with no arguments prints the certified table, the program lines and the derivation."""
    out = run()
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "   1  -8.0000000000000000000000000000000000000000000000000e0" in text
    assert "3.1622776576978499128874988539527757325429725338424e-1" in text
    assert "  Iter 5: g=-4.679359, G=14.977189, w=0.951073" in text
    assert "lim_{eps->0} |w_1 - w_0| = eta/sqrt(1 - gamma)" in text
    assert "w_1 = w_0 + 8000*sqrt(640000001)/640000001" in text


def test_options_change_the_run():
    """--form true --inputs binary64 --digits 20 --steps 3 gives three 20-digit rows of the true gradient."""
    out = run("--form", "true", "--inputs", "binary64", "--digits", "20", "--steps", "3")
    assert out.returncode == 0
    assert "   1  -1.6000000000000000000e1" in out.stdout and "\n   4  " not in out.stdout


def test_bad_argument_is_a_usage_error_echoing_the_value():
    """A non-positive --digits is refused by argparse with the value echoed, exit code 2."""
    out = run("example", "--digits", "0")
    assert out.returncode == 2
    assert "--digits must be a positive integer <= 4,000, got '0'" in out.stderr
    big = run("example", "--digits", "4301")  # beyond what Python writes as text: refused, no traceback
    assert big.returncode == 2 and "--digits must be a positive integer <= 4,000, got '4301'" in big.stderr


def test_derive_prints_latex():
    """`derive --latex` prints the three derivations as LaTeX."""
    out = run("derive", "--latex")
    assert out.returncode == 0 and out.stdout.count("\\begin{aligned}") == 3


def test_readme_examples_are_doctests():
    """Every >>> example in README.md runs and prints what README says."""
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0
