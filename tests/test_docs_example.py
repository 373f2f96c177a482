"""The documents' (y - wx)^2 example: the program's output, and 50 certified digits."""

import pathlib
import re
import subprocess
import sys

import pytest

from oracle.problems import docs_example as ex

SEED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seeds" / "002_3d5cae1bf976082a.txt"


def test_program_is_the_documents_program_verbatim():
    """PROGRAM is the code block of the source document, character for character."""
    if not SEED.exists():
        pytest.skip(f"source document not found at {SEED}")
    block = re.search(r"```python\n(.*?)```", SEED.read_text(), re.S).group(1)
    assert ex.PROGRAM.strip() == block.strip()


def test_reference_reproduces_the_programs_five_lines():
    """Running the documents' numpy program prints exactly the lines formatted from the reference."""
    out = subprocess.run([sys.executable, "-c", ex.PROGRAM], capture_output=True, text=True, check=True).stdout
    run = ex.certified("docs", "binary64", steps=5)
    assert out.splitlines() == ex.program_lines(run)
    assert len(out.splitlines()) == 5


@pytest.mark.parametrize("form", ex.FORMS)
@pytest.mark.parametrize("inputs", ex.INPUTS)
def test_every_value_has_fifty_certified_digits(form, inputs):
    """Every g, G and w of 5 steps carries at least 50 certified significant digits."""
    run = ex.certified(form, inputs, steps=5, digits=50)
    for t, g, G, w in ex.rows(run):
        assert min(g.digits, G.digits, w.digits) >= 50


def test_decimal_and_binary64_inputs_differ_and_say_so():
    """0.1 as 1/10 and as binary64 give different exact trajectories from the 17th digit of w_1."""
    dec = ex.certified("docs", "decimal", steps=1).records[1]["params"][0].item()
    b64 = ex.certified("docs", "binary64", steps=1).records[1]["params"][0].item()
    assert dec.sci(16) == b64.sci(16) and dec.sci(17) != b64.sci(17)
    assert ex.convention("binary64").describe()["lr"]["float"] == (0.1).hex()
    assert ex.convention("decimal").describe()["lr"] == "0.1"


def test_closed_loop_ends_on_a_period_two_cycle():
    """The exact run leaves w = 2 and alternates around 2 +- sqrt(4 eta^2 - eps)/4 (about 0.05)."""
    run = ex.certified("docs", "decimal", steps=400, digits=20)
    w399, w400 = (run.records[k]["params"][0].item().mid() for k in (399, 400))
    amp = (4 * 0.1**2 - 1e-8) ** 0.5 / 4
    assert abs(float(w399 + w400) / 2 - 2) < 1e-6
    assert abs(abs(float(w399 - w400)) / 2 - amp) < 1e-6


def test_bad_arguments_are_refused_with_the_value():
    """Unknown forms and input kinds are ValueErrors echoing the value."""
    with pytest.raises(ValueError, match="form must be one of .*got 'half'"):
        ex.grad_fn("half")
    with pytest.raises(ValueError, match="inputs must be one of .*got 'float'"):
        ex.convention("float")
