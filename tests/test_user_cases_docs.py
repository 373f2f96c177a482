"""docs/user-cases.md: every value it shows is a doctest run here (from the repository root)."""

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_user_cases_page_doctests(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(ROOT / "docs" / "user-cases.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0
