"""Where the golden data is found (package data oracle.golden_data), and the error when it is not."""

import importlib.resources
from pathlib import Path

import pytest

import oracle
import oracle.golden
from oracle.golden import data

ROOT = Path(__file__).resolve().parents[1]


def test_golden_dir_is_the_package_data_and_in_a_clone_the_repository_folder():
    """golden_dir() is what importlib.resources gives for oracle.golden_data; in a clone, the top-level golden/."""
    resolved = data.golden_dir()
    assert Path(str(importlib.resources.files(data.PACKAGE))) == resolved
    if ROOT in Path(oracle.__file__).resolve().parents:
        assert resolved == ROOT / "golden"  # an editable install maps oracle.golden_data here: regen writes here
    assert oracle.golden.GOLDEN_DIR == resolved
    with pytest.raises(AttributeError, match="has no attribute 'NOPE'"):
        oracle.golden.NOPE  # noqa: B018


def test_missing_package_data_is_one_clear_line(monkeypatch, tmp_path):
    """Without the package data (and outside a source checkout) golden_dir() says what to do."""
    monkeypatch.setattr(data, "SOURCE_TREE", tmp_path / "src" / "golden")
    monkeypatch.setattr(data, "PACKAGE", "oracle.no_such_golden_data")
    with pytest.raises(data.GoldenDataError) as info:
        data.golden_dir()
    assert str(info.value) == ("golden data not found: the package data oracle.no_such_golden_data is not "
                               "installed (reinstall rmsprop-oracle; in a clone: pip install -e .)")
    assert isinstance(info.value, ValueError)


def test_incomplete_or_unreadable_folder(monkeypatch, tmp_path):
    """A package data folder without its schema, or a path that is a file, is refused by name."""
    with pytest.raises(data.GoldenDataError, match=r"golden data incomplete: .* holds no schema\.json"):
        data.require_folder(tmp_path, marker=True)
    (tmp_path / "f").write_text("")
    with pytest.raises(data.GoldenDataError, match=r"golden data not found: .*/f is not a folder"):
        data.resolve(tmp_path / "f")
