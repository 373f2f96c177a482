"""Every verb of ``python -m oracle``: one option vocabulary, help with examples, clear errors, summary lines."""

import argparse

import pytest

from oracle import cli, progress
from oracle.conformance.pytest import cli as certify_cli
from oracle.conformance.judge.options import OPTIONS


def _parsers() -> dict:
    """verb (``golden check``, ``certify``, ...) -> its argparse parser."""
    out = {}

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out[f"{prefix} {name}".strip()] = sub
                    walk(sub, f"{prefix} {name}")

    walk(cli.build_parser(), "")
    return out


def _flags(parser) -> set:
    return {s for a in parser._actions for s in a.option_strings if s.startswith("--")}


def test_one_option_vocabulary():
    """certify takes the plugin's options by the plugin's names; plot's shared options are the suite's; no verb
    names a concept by a variant of another verb's flag (``--profile`` beside ``--oracle-profile``)."""
    verbs = _parsers()
    suite = {o.flag for o in OPTIONS}
    assert suite - {"--optimizer"} <= _flags(verbs["certify"])
    assert {"--optimizer", "--convention", "--dtype", "--oracle-profile"} <= _flags(verbs["plot"]) & suite
    everything = set(suite).union(*(_flags(p) for p in verbs.values())) - {"--help", "--version"}
    variants = [(f, g) for f in everything for g in everything
                if f != g and g.endswith("-" + f[2:]) and g != "--no-" + f[2:]]  # --no-X: X's negation
    assert variants == []


def test_every_verb_has_help_with_examples(capsys):
    """``--help`` of every verb describes it and shows at least one example command."""
    for verb, parser in _parsers().items():
        text = parser.format_help()
        assert "example" in text and "python -m oracle" in text, verb
        assert parser.description, verb
    assert "examples:" in cli.build_parser().format_help()


def test_program_name_is_the_command_used():
    """``rmsprop-oracle --help`` says rmsprop-oracle; ``python -m oracle --help`` says python -m oracle."""
    assert cli.prog_name("/venv/bin/rmsprop-oracle") == "rmsprop-oracle"
    assert cli.prog_name("/src/oracle/__main__.py") == "python -m oracle"


def test_unknown_case_gets_suggestions(capsys):
    """``golden`` and ``cite`` name the closest cases for a misspelt one."""
    for argv in (["golden", "diff", "docs-docs-decmal-5"], ["cite", "docs-docs-decmal-5"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "unknown case 'docs-docs-decmal-5' (did you mean docs-docs-decimal-5" in err, argv


def test_golden_list_has_a_header_and_descriptions(capsys):
    """``golden list``: a header row, each case's kind and description, one summary line on stderr."""
    assert cli.main(["golden", "list"]) == 0
    out, err = capsys.readouterr()
    rows = out.splitlines()
    assert rows[0] == "case\tkind\tdescription\tcomputed by"
    assert rows[1].startswith("docs-docs-decimal-5\tdocs\tThe documents' example")
    assert err.startswith(f"golden list: {len(rows) - 1} cases in ")


def test_golden_verbs_end_with_a_summary_line(tmp_path, capsys):
    """``golden regen`` says how many cases it computed and how many changed, even when none did."""
    from oracle.golden import GOLDEN_DIR

    for path in GOLDEN_DIR.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    assert cli.main(["golden", "regen", "docs-docs-decimal-5", "--dir", str(tmp_path), "--jobs", "1"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "golden regen: 1 case, 0 changed"
    (tmp_path / "docs-docs-decimal-5.json").write_text("{}")
    assert cli.main(["golden", "regen", "docs-docs-decimal-5", "--dir", str(tmp_path), "--jobs", "1", "-q"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "golden regen: 1 case, 1 changed"


def test_certify_parallel_without_xdist_is_a_clear_error(monkeypatch, capsys):
    """``certify ... -- -n 2`` without pytest-xdist: one line naming the package, exit 2 (no argparse noise)."""
    monkeypatch.setattr(certify_cli, "_has_xdist", lambda: False)
    assert cli.main(["certify", "oracle.conformance.judge.builtin:seed", "--", "-n", "2"]) == 2
    err = capsys.readouterr().err
    assert "pytest-xdist, which is not installed (pip install pytest-xdist)" in err and "ini" not in err


def test_progress_is_silent_off_a_terminal(capsys):
    """No bar is drawn when stderr is not a terminal, or with --quiet."""
    assert not progress.interactive()
    with progress.bar(2, "x") as b:
        b.advance("a")
    assert capsys.readouterr().err == ""
    progress.set_quiet(True)
    try:
        assert not progress.interactive()
    finally:
        progress.set_quiet(False)


@pytest.mark.parametrize("argv", [["example", "--digits", "4301"], ["derive", "--digits", "4301"]])
def test_too_many_digits_is_a_usage_error(argv, capsys):
    """More digits than Python writes as text: refused by argparse with the limit, no traceback."""
    with pytest.raises(SystemExit) as exit:
        cli.main(argv)
    assert exit.value.code == 2
    assert "--digits must be a positive integer <= 4,000, got '4301'" in capsys.readouterr().err


def test_ci_runs_exactly_the_readme_test_command():
    """.ci/run's command is README's test command, character for character."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    command = (root / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert command.endswith("python3 -m pytest -n 2")
    assert f"\n{command}\n" in (root / "README.md").read_text()
