"""The values shown in docs/frameworks.md are doctests."""

import doctest
import pathlib


def test_frameworks_page():
    page = pathlib.Path(__file__).resolve().parents[1] / "docs" / "frameworks.md"
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0
