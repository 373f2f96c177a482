"""Damaged golden data: every reader refuses it loudly, naming the file, the step and the field.

Each test damages a copy of the golden folder and hands it to a reader: the
conformance replay (``golden_replay.golden_cases``), ``golden check`` (which
names the first differing step and field whatever the edit) and the CLI verbs.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from oracle.conformance.judge.golden_replay import golden_cases
from oracle.golden import GOLDEN_DIR, GoldenDataError, fmt, store

ROOT = Path(__file__).resolve().parents[1]
FIRST = "stream-graves2013-plain"  # the first stream file a quick replay reads
CHEAP = "stream-seed-plain"


@pytest.fixture
def copy(tmp_path):
    """A full copy of the golden folder."""
    dst = tmp_path / "golden"
    shutil.copytree(GOLDEN_DIR, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def edit(folder, name, change, reseal=True):
    """Apply ``change`` to the parsed document of ``name`` and write it back (resealed: hash recomputed)."""
    path = folder / f"{name}.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(fmt.seal(doc) if reseal else fmt.canonical(doc))
    return path


def replay_error(folder):
    with pytest.raises(GoldenDataError) as info:
        golden_cases("float64", "quick", golden_dir=folder)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_replay_reads_only_verified_data_and_carries_the_certified_values():
    """On intact data the replay cases carry the file's certified values; the inputs are the file's."""
    cases = golden_cases("float64", "quick")
    case = next(c for c in cases if c.name == f"golden-{CHEAP}")
    doc = fmt.load(GOLDEN_DIR / f"{CHEAP}.json")
    assert len(case.exact["certified"]) == doc["step_count"] + 1 == 121
    last = doc["steps"][120]
    assert list(case.exact["certified"][120]["params"][0]) == [Fraction(v["dec"]) for v in last["params"]["p"]["values"]]
    assert list(case.exact["certified"][120]["state"]["v"][0]) == [Fraction(v["dec"]) for v in last["state"]["v"]["p"]["values"]]
    assert case.exact["grads"][0][0][0] == Fraction("-3.63") and case.steps == 120


def test_replay_refuses_a_value_edited_with_its_hash_recomputed(copy):
    """A certified value changed in its 30th digit, hash recomputed: the reference engine disagrees, step named."""
    def change(doc):
        v = doc["steps"][10]["params"]["p"]["values"][1]
        v["dec"] = v["dec"][:30] + ("1" if v["dec"][30] != "1" else "2") + v["dec"][31:]

    edit(copy, FIRST, change)
    msg = replay_error(copy)
    assert f"{FIRST}.json: step 10.params.p[1] is " in msg and "but the reference engine computes" in msg


def test_replay_refuses_a_file_cut_to_3_steps(copy):
    """A stream file cut to steps 0..3 (step_count kept, or changed to 3; hash recomputed) is refused."""
    def cut(doc):
        doc["steps"] = doc["steps"][:4]

    edit(copy, FIRST, cut)
    assert replay_error(copy).endswith("steps end at step 3, but step_count is 120")

    def cut_and_count(doc):
        doc["steps"], doc["step_count"] = doc["steps"][:4], 3

    edit(copy, FIRST, cut_and_count)
    assert "step_count: file 3, registry 120 (the file is not the case the registry defines)" in replay_error(copy)


def test_replay_refuses_a_deleted_step(copy):
    """A step taken out of the middle (hash recomputed) is named."""
    edit(copy, FIRST, lambda doc: doc["steps"].pop(5))
    assert "steps[5]: file holds step 6, registry step 5" in replay_error(copy)


def test_replay_refuses_swapped_steps(copy):
    """Two steps swapped (hash recomputed) break the order of steps."""
    def swap(doc):
        doc["steps"][2], doc["steps"][3] = doc["steps"][3], doc["steps"][2]

    edit(copy, FIRST, swap)
    assert replay_error(copy).endswith("steps[3].step is 2 after step 3 (steps must increase)")


def test_replay_refuses_an_extra_and_a_deleted_stream_file(copy):
    """An unexpected stream file, or a missing one, is an error naming it (the registry decides the set)."""
    shutil.copy(copy / f"{FIRST}.json", copy / "stream-mine-plain.json")
    msg = replay_error(copy)
    assert "stream-mine-plain: unexpected file stream-mine-plain.json" in msg
    (copy / "stream-mine-plain.json").unlink()
    (copy / "stream-tf1-momentum.json").unlink()
    assert "stream-tf1-momentum: missing file stream-tf1-momentum.json" in replay_error(copy)


def test_replay_refuses_an_unsealed_edit_and_a_changed_convention(copy):
    """An edit without the hash is a hash error; a convention changed with its hash is not the registry's."""
    edit(copy, FIRST, lambda doc: doc["steps"][1]["params"]["p"]["values"][0].update(dec="1e0"), reseal=False)
    assert "header.sha256 is " in replay_error(copy)
    shutil.copy(GOLDEN_DIR / f"{FIRST}.json", copy / f"{FIRST}.json")
    edit(copy, FIRST, lambda doc: doc["convention"].update(lr="0.02"))
    assert 'convention.lr: file "0.02", registry "1e-4"' in replay_error(copy)


def test_replay_refuses_changed_gradients(copy):
    """A stream whose stored gradient is not the registry's input (hash recomputed) is refused at that step."""
    edit(copy, FIRST, lambda doc: doc["steps"][4]["grads"]["p"]["values"][2].update(dec="1.0000e0"))
    assert f"{FIRST}.json: step 4.grads.p is " in replay_error(copy)


def test_replay_refuses_an_edited_gluon_run(copy):
    """The closed-loop Gluon replay checks gluon-intended-long on disk over its 40 epochs."""
    def change(doc):
        v = doc["steps"][20]["params"]["b"]["values"][0]
        v["dec"] = v["dec"][:20] + ("1" if v["dec"][20] != "1" else "2") + v["dec"][21:]

    edit(copy, "gluon-intended-long", change)
    assert "gluon-intended-long.json: step 20.params.b[0] is " in replay_error(copy)


def test_replay_refuses_missing_and_unreadable_data(copy, tmp_path):
    """No folder, or a file that cannot be read, is a GoldenDataError saying what to do."""
    msg = replay_error(tmp_path / "nowhere")
    assert msg.startswith(f"golden data not found: {tmp_path / 'nowhere'} is not a folder")
    (copy / f"{FIRST}.json").unlink()
    (copy / f"{FIRST}.json").mkdir()
    assert replay_error(copy).startswith(f"{copy / FIRST}.json: cannot read: Is a directory")


@pytest.mark.parametrize("how, first", [
    ("swap", "steps[2]: disk holds step 3, computed step 2 (a step is missing, extra or out of order)"),
    ("delete", "steps[5]: disk holds step 6, computed step 5 (a step is missing, extra or out of order)"),
    ("cut", "steps[4]: disk holds no step, computed step 4 (a step is missing, extra or out of order)"),
    ("change", "step 7.params.p.values[1].dec: disk \"9.9e-1\", computed"),
])
def test_check_names_the_first_differing_step_and_field(copy, how, first):
    """However a step is edited (hash left stale), check names the step and field first, then the hash."""
    def change(doc):
        s = doc["steps"]
        if how == "swap":
            s[2], s[3] = s[3], s[2]
        elif how == "delete":
            s.pop(5)
        elif how == "cut":
            del s[4:]
        else:
            s[7]["params"]["p"]["values"][1]["dec"] = "9.9e-1"

    edit(copy, CHEAP, change, reseal=False)
    problems = store.check(copy, names=[CHEAP], jobs=1, progress=False)
    assert problems[0].startswith(f"{CHEAP}: {first}"), problems
    assert any("header.sha256 is " in p for p in problems)


def test_check_reports_and_removes_stale_temporary_files(copy):
    """A temporary file left by a killed regen is reported and removed by check (a fresh one only reported)."""
    stale = copy / f".{CHEAP}.json.k1ll3d.tmp"
    stale.write_text("{half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = copy / ".errata.md.n0w.tmp"
    fresh.write_text("x")
    problems = store.check(copy, names=["docs-docs-decimal-5"], jobs=1, progress=False)
    assert problems == [
        f".errata.md.n0w.tmp: temporary file 0 s old in {copy} (a regen may be writing it; not removed)",
        f".{CHEAP}.json.k1ll3d.tmp: stale temporary file left by an interrupted regen in {copy}; removed",
    ]
    assert not stale.exists() and fresh.exists()


def test_regen_removes_stale_temporary_files(copy):
    """regen removes what an interrupted regen left, and says so."""
    stale = copy / f".{CHEAP}.json.abc.tmp"
    stale.write_text("")
    os.utime(stale, (0, 0))
    msgs = store.regen(["docs-docs-decimal-5"], copy, jobs=1, progress=False, pages=False)
    assert msgs == [f".{CHEAP}.json.abc.tmp: stale temporary file left by an interrupted regen in {copy}; removed"]
    assert not stale.exists()


@pytest.mark.parametrize("verb", [["golden", "check"], ["golden", "diff"], ["golden", "regen"], ["golden", "list"],
                                  ["cite", "docs-docs-decimal-5"]])
def test_every_cli_verb_refuses_a_missing_folder_in_one_line(tmp_path, verb):
    """Each verb given a folder that does not exist exits 2 with one line naming it."""
    out = subprocess.run([sys.executable, "-m", "oracle", *verb, "--dir", str(tmp_path / "gone")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2, out
    assert out.stderr == (f"error: golden data not found: {tmp_path / 'gone'} is not a folder (give --dir an "
                          f"existing golden folder, or reinstall rmsprop-oracle)\n")


def test_cite_and_list_refuse_an_unexpected_file_and_check_reports_it(copy):
    """cite and list verify the folder against the registry; check (all cases) reports the stray file."""
    (copy / "stray.json").write_text("{}")
    for verb in (["cite", "docs-docs-decimal-5"], ["golden", "list"]):
        out = subprocess.run([sys.executable, "-m", "oracle", *verb, "--dir", str(copy)], capture_output=True,
                             text=True, cwd=ROOT)
        assert out.returncode == 2 and out.stderr.startswith(
            "error: golden data does not match the case registry: stray: unexpected file stray.json"), out
    (copy / "docs-true-decimal-5.json").unlink()
    assert store.file_set_problems(copy) == [
        f"docs-true-decimal-5: missing file docs-true-decimal-5.json in {copy} (run `python -m oracle golden regen "
        f"docs-true-decimal-5`, or reinstall rmsprop-oracle)",
        f"stray: unexpected file stray.json in {copy} (no such case: remove it, or register the case in "
        f"oracle/golden/cases.py)"]


@pytest.mark.parametrize("select", [(), ("-k", "stream-seed-plain")], ids=["all", "k-golden-case"])
def test_plugin_run_without_its_golden_data_fails_loudly(tmp_path, select):
    """The plugin, its golden data gone, fails the run with the one-line error; it never certifies.

    ``-k`` naming a golden case (whose replay cannot be built) still shows the damage: exit 1, not 5."""
    (tmp_path / "conftest.py").write_text(
        "from pathlib import Path\nimport oracle.golden.data as d\n"
        f"d.golden_dir = lambda: d.require_folder(Path({str(tmp_path / 'gone')!r}), marker=True)\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                          "--optimizer=oracle.conformance.judge.builtin:seed", "--oracle-profile=quick", *select],
                         capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
    text = out.stdout + out.stderr
    assert out.returncode == 1
    assert f"ORACLE ERROR: the golden replays could not be built: golden data not found: {tmp_path / 'gone'} " \
           "is not a folder" in text
    assert "verdict: ERROR" in text and "CERTIFIED" not in text


def test_check_names_the_step_of_an_unsealed_edit_in_the_long_case(copy):
    """The long case, not recomputed by a plain check, still has its edited step named before the hash."""
    from oracle.golden.gluon import LONG, LONGEST

    short = (GOLDEN_DIR / f"{LONG}.json").read_text(encoding="ascii")

    def swap(doc):
        doc["steps"][3], doc["steps"][4] = doc["steps"][4], doc["steps"][3]

    edit(copy, LONGEST, swap, reseal=False)
    problems = store._check_prefix(LONGEST, LONG, copy, {LONG: short}, 5)
    assert problems[0] == (f"{LONGEST}: steps[3]: disk holds step 4, computed step 3 (a step is missing, extra or "
                           f"out of order)")
    assert "header.sha256 is " in problems[-1]
