"""Generated pages (oracle.golden.pages): fresh with respect to the golden files, and their quoted values are doctests."""

import doctest
import re

import pytest

from oracle.golden import GOLDEN_DIR, pages


def test_pages_are_not_stale():
    """exact-values.md and errata.md are exactly what the golden files on disk render to."""
    assert pages.stale_pages(GOLDEN_DIR) == []


def test_stale_page_is_reported(tmp_path):
    """A page that differs from the rendering is reported by name."""
    for path in GOLDEN_DIR.glob("*.json"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "mxnet").mkdir()
    pages.write_pages(tmp_path)
    (tmp_path / "errata.md").write_text("edited by hand\n")
    assert pages.stale_pages(tmp_path) == [
        "errata.md: stale, not what the golden files render to (run `python -m oracle golden regen`)"
    ]


@pytest.mark.parametrize("page", ["exact-values.md", "errata.md", "README.md"])
def test_quoted_values_are_doctests(page):
    """Every >>> example in the golden pages recomputes its value with the engine and matches."""
    result = doctest.testfile(str(GOLDEN_DIR / page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_errata_has_every_required_entry():
    """The errata page covers the factor 2, the 1/t line, eps placement and the Gluon program."""
    text = (GOLDEN_DIR / "errata.md").read_text()
    for heading in ("E1. The missing factor 2", '"g_t^2 = (1/t) sum g_i^2"', "E3. eps inside the root",
                    "E4. The Gluon program", "G9 it never converges"):
        assert heading in text


def test_difference_is_certified_from_half_ulps():
    """A difference of two published decimals keeps only the digits their half-ulp bounds certify."""
    assert pages.difference("1.0000000e0", "9.990000e-1", digits=12) == "1.00e-3"
    assert pages.difference("1.5e0", "1.5e0") == "in [-1.000e-01, 1.000e-01]"


def test_renderer_doctests_and_templates():
    """The renderer's own examples hold; every field of every template is filled (no brace survives)."""
    assert doctest.testmod(pages).failed == 0
    for name, text in pages.render(GOLDEN_DIR).items():
        assert not re.search(r"[{}]", text), name


def test_exact_values_embed_the_gluon_cycle_figure():
    """exact-values.md shows the Gluon-cycle figure, which ships in golden/figures/."""
    text = (GOLDEN_DIR / "exact-values.md").read_text()
    assert "](figures/gluon-cycle.png)" in text and (GOLDEN_DIR / "figures" / "gluon-cycle.png").is_file()
