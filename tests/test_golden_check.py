"""The CI gate: `python -m oracle golden check` recomputes every golden file and finds no drift."""

from oracle.golden import GOLDEN_DIR, store


def test_golden_check_is_clean_and_fast():
    """Every case recomputes to the bytes on disk, no file is missing or unexpected, pages are fresh."""
    assert store.check(GOLDEN_DIR, progress=False) == []
