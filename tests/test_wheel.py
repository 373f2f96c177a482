"""The wheel and the sdist carry the golden data; an installed wheel, run from an empty directory, uses its own.

The wheel and the sdist are built from a copy of this checkout (setuptools' PEP 517
backend, as ``pip wheel --no-build-isolation`` calls it) and the wheel is installed (``pip install --no-deps --target``)
into a fresh virtualenv made without system site packages.  Its dependencies
come from the running interpreter's site-packages, listed as plain paths in a
``.pth`` file: the ``.pth`` files *there* are not executed, so an editable
install of this repository (a meta-path finder installed by a ``.pth``) cannot
shadow the wheel.  Every run asserts that ``oracle`` and its golden data are
imported from the virtualenv.  No network: nothing is downloaded.
"""

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tarfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from oracle.conformance.judge.run import judge
from oracle.conventions import preset
from oracle.golden.cases import all_cases

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ["-m", "pytest", "-p", "no:cacheprovider", "-q", "--optimizer=oracle.conformance.judge.builtin:seed",
          "--oracle-profile=quick"]
SUBSET = ["docs-docs-decimal-5", "stream-seed-plain", "gluon-V2-R2"]


def _run(cmd, cwd, timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def _source_files():
    """The files the package is built from: every tracked-looking file of oracle/ and golden/."""
    out = []
    for top in ("oracle", "golden"):
        for p in sorted((ROOT / top).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".tmp")) \
                    and not p.name.startswith("."):
                out.append(p.relative_to(ROOT))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel, sdist) built from a copy of the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for rel in _source_files():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, src / rel)
    dist = tmp / "dist"
    dist.mkdir()
    names = []
    for hook in ("build_wheel", "build_sdist"):  # the PEP 517 backend as pip calls it (no isolation, no network)
        out = _run([sys.executable, "-c", f"import sys; from setuptools import build_meta as b; "
                    f"print(b.{hook}(sys.argv[1]))", str(dist)], cwd=src)
        assert out.returncode == 0, out.stderr[-3000:]
        names.append(out.stdout.strip().splitlines()[-1])
    return dist / names[0], dist / names[1]


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory):
    """A fresh virtualenv (no system site packages) with the wheel installed; returns its python."""
    tmp = tmp_path_factory.mktemp("venv")
    env_dir = tmp / "env"
    out = _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=tmp)
    assert out.returncode == 0, out.stderr
    python = env_dir / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=tmp).stdout.strip())
    out = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(purelib),
                str(built[0])], cwd=tmp)
    assert out.returncode == 0, out.stderr[-3000:]
    deps = [p for p in [*site.getsitepackages(), sysconfig.get_paths()["purelib"]] if Path(p).is_dir()]
    (purelib / "_running_interpreter_deps.pth").write_text("".join(f"{p}\n" for p in dict.fromkeys(deps)))
    empty = tmp / "empty"
    empty.mkdir()
    where = _run([str(python), "-c", "import oracle, oracle.golden; print(oracle.__file__); "
                  "print(oracle.golden.golden_dir())"], cwd=empty)
    assert where.returncode == 0, where.stderr[-3000:]
    code, data = (Path(line) for line in where.stdout.split())
    if purelib not in code.parents or data != purelib / "oracle" / "golden_data":
        pytest.fail(f"the virtualenv does not import the wheel: oracle from {code}, golden data {data} "
                    f"(expected under {purelib}); something on sys.path shadows it")
    return python, empty, data


def test_wheel_and_sdist_carry_every_package_file_and_the_golden_data(built):
    """Every source file of oracle/ is in both; every golden file is oracle/golden_data/... in the wheel."""
    wheel, sdist = built
    names = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for rel in _source_files():
        want = rel.as_posix()
        in_wheel = "oracle/golden_data/" + want[len("golden/"):] if want.startswith("golden/") else want
        assert in_wheel in names, f"{want} is not in the wheel as {in_wheel}"
        assert want in in_sdist, f"{want} is not in the sdist"
    assert "oracle/golden_data/mxnet/gluon_probe_mxnet-1.9.1.json" in names


def test_plugin_from_the_wheel_replays_the_same_golden_cases_as_from_the_clone(venv, tmp_path):
    """From an empty directory, the wheel's plugin runs every golden replay the clone runs, with the same outcomes."""
    python, empty, _ = venv
    xml = tmp_path / "junit.xml"
    out = _run([str(python), *PLUGIN, f"--junitxml={xml}", "-k", "golden"], cwd=empty, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    wheel = {case.get("name"): "failed" if case.find("failure") is not None or case.find("error") is not None else
             "skipped" if case.find("skipped") is not None else "passed" for case in ET.parse(xml).iter("testcase")}
    j = judge("oracle.conformance.judge.builtin:seed", oracle_profile="quick", keyword="golden")
    clone = {o.nodeid: o.status for o in j.outcomes}
    # the seed candidate replays the Gluon run and the plain streams of every convention with seed's structure
    plain = [n for n in all_cases() if n.startswith("stream-") and n.endswith("-plain")
             and preset(n.split("-")[1]).structure() == preset("seed").structure()]
    assert len(plain) >= 3 and len(clone) == 3 * (1 + len(plain)) and wheel == clone
    assert set(wheel.values()) == {"passed"}


CLI = """import contextlib, io, json, sys
from oracle.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    out.append((code, stdout.getvalue(), stderr.getvalue()))
print(json.dumps(out))
"""


def _cli(python, cwd, *commands):
    """(exit status, stdout, stderr) of each ``python -m oracle`` command, all run in one process."""
    out = _run([str(python), "-c", CLI, json.dumps(commands)], cwd=cwd)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.splitlines()[-1])


def test_golden_check_diff_list_and_cite_from_the_wheel(venv):
    """check (a subset, recomputed by the wheel's code), diff, list and cite all read the wheel's golden data."""
    python, empty, data = venv
    check, diff, listed, cite = _cli(python, empty, ["golden", "check", *SUBSET, "--jobs", "1"],
                                     ["golden", "diff", "docs-docs-decimal-5", "--jobs", "1"], ["golden", "list"],
                                     ["cite", "docs-docs-decimal-5", "--step", "5", "--field", "params", "--digits",
                                      "12"])
    assert check[0] == 0 and check[1] == "", check
    assert f"provenance in {data}: " in check[2] and check[2].endswith(f"golden check: {len(SUBSET)} cases, 0 problems\n")
    assert diff[0] == 0 and diff[1] == "", diff
    rows = listed[1].splitlines()[1:]  # under the header
    assert listed[0] == 0 and listed[2] == f"golden list: {len(rows)} cases in {data}\n"
    assert len(rows) == len(list(data.glob("*.json"))) - 1  # every file but the schema is a case
    assert cite[0] == 0 and cite[1].splitlines()[-1] == "| 5 | 9.51072698033e-1 |", cite


@pytest.mark.slow
def test_full_golden_check_from_the_wheel(venv):
    """The whole ``golden check`` (every case recomputed, pages, the long case by its prefix) passes from the wheel."""
    python, empty, data = venv
    check = _run([str(python), "-m", "oracle", "golden", "check"], cwd=empty, timeout=900)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    assert f"provenance in {data}: " in check.stderr
