"""Golden files: format, canonical bytes, hashing, atomic writes, regen and check on a scratch folder."""

import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from oracle.engines.certify import CertifiedValue
from oracle.golden import GOLDEN_DIR, cases, fmt, store

CHEAP = ["docs-docs-decimal-5", "gluon-V2-R2"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scratch(tmp_path):
    """A copy of the golden folder holding only the cheap cases."""
    for name in CHEAP:
        shutil.copy(GOLDEN_DIR / f"{name}.json", tmp_path / f"{name}.json")
    return tmp_path


def test_regeneration_certifies_exactly_what_is_on_disk():
    """Recomputing cheap cases gives the content on disk (bytes equal up to provenance), and disk is intact."""
    for name in CHEAP + ["docs-true-binary64-5", "stream-seed-plain"]:
        assert store.unchanged((GOLDEN_DIR / f"{name}.json").read_text(encoding="ascii"), cases.build(name)), name


def test_every_case_has_a_valid_file():
    """Every registered case has a file whose hash matches its content, and there are no strays."""
    names = set(cases.all_cases())
    assert set(store.case_files(GOLDEN_DIR)) == names
    for name in names:
        doc = fmt.load(GOLDEN_DIR / f"{name}.json")
        assert doc["case"] == name


def test_files_hold_no_json_floats_and_at_least_50_digits():
    """No value is a JSON float, and every published decimal has >= 50 digits."""
    text = (GOLDEN_DIR / "quadratic-pytorch-momentum.json").read_text(encoding="ascii")

    def no_float(x):
        raise AssertionError(f"JSON float {x}")

    doc = json.loads(text, parse_float=no_float)
    for rec in doc["steps"]:
        for group in (rec["params"], *rec["state"].values()):
            for arr in group.values():
                for v in arr["values"]:
                    if v["dec"] != "0":
                        assert len(v["dec"].split("e")[0].replace("-", "").replace(".", "")) >= 50


def test_schema_accepts_every_file():
    """The JSON Schema is valid and every golden file conforms to it."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((GOLDEN_DIR / "schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in store.case_files(GOLDEN_DIR).values():
        errors = list(validator.iter_errors(json.loads(path.read_text())))
        assert not errors, (path.name, errors[0].message)


def test_tampered_value_is_detected_by_hash(tmp_path):
    """Changing one digit without updating the hash is refused, naming the file and both hashes."""
    path = tmp_path / "docs-docs-decimal-5.json"
    text = (GOLDEN_DIR / path.name).read_text().replace("9.5107269803292540908", "9.5107269803292540907", 1)
    path.write_text(text)
    with pytest.raises(ValueError, match=r"docs-docs-decimal-5.json: header.sha256 is '[0-9a-f]{64}' but the content hashes to"):
        fmt.load(path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", r"not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ("[1]", r"a golden file must be a JSON object, got list"),
        ('{"format": "nope"}', r"format must be 'rmsprop-oracle-golden', got 'nope'"),
        ('{"format": "rmsprop-oracle-golden", "format_version": "1"}', r"format_version must be 2, got '1'"),
        ('{"format": "rmsprop-oracle-golden", "format_version": 2}', r"missing field 'header'"),
        ('{"format": "rmsprop-oracle-golden", "format_version": 2, "case": "c", "kind": "docs", "description": "d", '
         '"header": {"sha256": "", "sympy_version": "1.14.0"}}',
         r"header must have exactly the fields certification, provenance, sha256; got \['sha256', 'sympy_version'\]"),
    ],
)
def test_malformed_files_give_clear_errors(tmp_path, content, message):
    """A malformed golden file is refused with a message naming the file, the field and the value."""
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=r"bad\.json: " + message):
        fmt.load(path)


def test_canonical_round_trip():
    """Parsing a golden file and re-serializing it reproduces its bytes exactly."""
    text = (GOLDEN_DIR / "gluon-V3-R3.json").read_text(encoding="ascii")
    assert fmt.canonical(json.loads(text)) == text


def test_tie_is_published_with_more_digits():
    """An exact value that is a 3-digit tie is published with the 4 digits that are certified."""
    tie = Fraction(1125, 1000)
    cv = CertifiedValue(tie - Fraction(1, 10**30), tie + Fraction(1, 10**30))
    assert fmt.encode_value(cv, 3)["dec"] == "1.125e0"
    with pytest.raises(ValueError, match=r"fewer than 3 certified digits"):
        fmt.encode_value(CertifiedValue(Fraction(1), Fraction(2)), 3)


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    """A write interrupted before the rename leaves the old file intact and no temporary file."""
    path = tmp_path / "x.json"
    path.write_text("old\n")

    def boom(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        fmt.atomic_write(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_check_reports_drift_missing_and_unexpected(scratch):
    """check names the case, step and field of a drifted value, a missing file and a stray file."""
    path = scratch / "docs-docs-decimal-5.json"
    doc = json.loads(path.read_text())
    doc["steps"][3]["params"]["w"]["values"][0]["dec"] = "1.0e0"
    path.write_text(fmt.seal(doc))
    (scratch / "gluon-V2-R2.json").unlink()
    (scratch / "stray.json").write_text("{}")
    problems = store.check(scratch, names=CHEAP, jobs=1, progress=False)
    assert problems[0].startswith("docs-docs-decimal-5: step 3.params.w.values[0].dec: disk \"1.0e0\", computed")
    assert problems[1] == "gluon-V2-R2: missing file gluon-V2-R2.json (run `python -m oracle golden regen gluon-V2-R2`)"


def test_regen_then_check_is_clean(scratch):
    """regen of named cases into a folder rewrites nothing when they match, and check is then clean."""
    assert store.regen(CHEAP, scratch, jobs=1, progress=False, pages=False) == []
    assert store.check(scratch, names=CHEAP, jobs=2, progress=False) == []


def test_cli_unknown_case_is_one_line_error():
    """`golden regen NOPE` exits 2 with one clear line, no traceback."""
    out = subprocess.run([sys.executable, "-m", "oracle", "golden", "regen", "NOPE"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.startswith("error: unknown case 'NOPE'; `python -m oracle golden list` names all ")
    assert out.stderr.count("\n") == 1


def test_cli_check_exits_nonzero_on_drift(scratch):
    """`golden check --dir` exits 1 and prints the drifted field."""
    path = scratch / "gluon-V2-R2.json"
    doc = json.loads(path.read_text())
    doc["printed"][0] = "Epoch 0, loss 9.9999"
    path.write_text(fmt.seal(doc))
    out = subprocess.run([sys.executable, "-m", "oracle", "golden", "check", "--dir", str(scratch), *CHEAP],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    assert 'gluon-V2-R2: printed[0]: disk "Epoch 0, loss 9.9999", computed "Epoch 0, loss 2.3558"' in out.stdout
    assert f"golden check: {len(CHEAP)} cases, 1 problem (FAILED)" in out.stderr


def test_pure_python_backend_gives_the_same_bytes():
    """With MPMATH_NOGMPY=1 (mpmath's pure-Python backend) cases rebuild to the same bytes as with gmpy."""
    import os
    import subprocess
    import sys

    names = ["docs-docs-binary64-5", "stream-pytorch-centered", "quadratic-tf1-momentum"]
    code = ("import sys, mpmath.libmp as l; from oracle.golden import cases; assert l.BACKEND == 'python'; "
            "[sys.stdout.write(cases.build(n) + '\\0') for n in sys.argv[1:]]")
    out = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPMATH_NOGMPY": "1"}).stdout
    for name, text in zip(names, out.split("\0")):
        assert text == cases.build(name), name
        assert store.unchanged((GOLDEN_DIR / f"{name}.json").read_text(encoding="ascii"), text), name


def test_long_case_is_checked_against_the_shorter_case_it_extends(tmp_path):
    """A long case edited at a step it shares with its shorter case is reported, naming step and field."""
    import json

    from oracle.golden import fmt
    from oracle.golden.gluon import LONG, LONGEST

    short_text = (GOLDEN_DIR / f"{LONG}.json").read_text(encoding="ascii")
    assert store._check_prefix(LONGEST, LONG, GOLDEN_DIR, {LONG: short_text}, 5) == []
    doc = json.loads((GOLDEN_DIR / f"{LONGEST}.json").read_text(encoding="ascii"))
    rec = next(r for r in doc["steps"] if str(r["step"]) == "100")
    rec["loss"]["dec"] = "2.0" + rec["loss"]["dec"][3:]
    (tmp_path / f"{LONGEST}.json").write_text(fmt.seal(doc), encoding="ascii")
    problems = store._check_prefix(LONGEST, LONG, tmp_path, {LONG: short_text}, 5)
    assert problems and problems[0].startswith(f"{LONGEST}: step 100.loss.dec: disk")
    assert problems[0].endswith(f"(against the recomputed {LONG})")
