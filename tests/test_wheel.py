"""The wheel and the sdist carry the golden data; an installed wheel, run from an empty directory, uses its own.

The wheel is built from a copy of this checkout (``pip wheel --no-deps
--no-build-isolation``) and installed (``pip install --no-deps --target``)
into a fresh virtualenv made without system site packages.  Its dependencies
come from the running interpreter's site-packages, listed as plain paths in a
``.pth`` file: the ``.pth`` files *there* are not executed, so an editable
install of this repository (a meta-path finder installed by a ``.pth``) cannot
shadow the wheel.  Every run asserts that ``oracle`` and its golden data are
imported from the virtualenv.  No network: nothing is downloaded.
"""

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

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ["-m", "pytest", "-p", "no:cacheprovider", "-q", "--optimizer=oracle.conformance.builtin:seed",
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
    out = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                "-w", str(dist), str(src)], cwd=tmp)
    assert out.returncode == 0, out.stderr[-3000:]
    sdist = _run([sys.executable, "-c", f"from setuptools import build_meta as b; print(b.build_sdist({str(dist)!r}))"],
                 cwd=src)
    assert sdist.returncode == 0, sdist.stderr[-3000:]
    return next(dist.glob("*.whl")), dist / sdist.stdout.strip().splitlines()[-1]


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


def _golden_outcomes(python, cwd, tmp, *extra):
    """Outcome of every golden replay test of a quick plugin run (junit xml), and the run's output."""
    xml = tmp / f"junit-{abs(hash(str(python)))}.xml"
    out = _run([str(python), *PLUGIN, f"--junitxml={xml}", *extra], cwd=cwd, timeout=300)
    outcomes = {}
    for case in ET.parse(xml).iter("testcase"):
        if "golden-" in case.get("name"):
            kids = [c.tag for c in case]
            outcomes[case.get("name")] = "failed" if {"failure", "error"} & set(kids) else \
                "skipped" if "skipped" in kids else "passed"
    return outcomes, out


def test_plugin_from_the_wheel_replays_the_same_golden_cases_as_from_the_clone(venv, tmp_path):
    """From an empty directory, the wheel's plugin runs every golden replay the clone runs, with the same outcomes.

    The wheel runs the whole quick suite; the clone (this interpreter) only its golden replays (``-k golden``).
    """
    python, empty, _ = venv
    wheel, out = _golden_outcomes(python, empty, tmp_path)
    clone, clone_out = _golden_outcomes(Path(sys.executable), empty, tmp_path, "-k", "golden")
    assert out.returncode == 0 and "CERTIFIED" in out.stdout, out.stdout[-3000:] + out.stderr[-2000:]
    assert clone_out.returncode == 0, clone_out.stdout[-3000:]
    from oracle.conventions import preset
    from oracle.golden.cases import all_cases

    # the seed candidate replays the Gluon run and the plain streams of every convention with seed's structure
    plain = [n for n in all_cases() if n.startswith("stream-") and n.endswith("-plain")
             and preset(n.split("-")[1]).structure() == preset("seed").structure()]
    assert len(plain) >= 3 and len(clone) == 3 * (1 + len(plain)) and wheel == clone
    assert set(wheel.values()) == {"passed"}


def test_golden_check_diff_list_and_cite_from_the_wheel(venv):
    """check (a subset, recomputed by the wheel's code), diff, list and cite all read the wheel's golden data."""
    python, empty, data = venv
    check = _run([str(python), "-m", "oracle", "golden", "check", *SUBSET], cwd=empty)
    assert check.returncode == 0 and check.stdout == "", check.stdout + check.stderr
    assert f"provenance in {data}: " in check.stderr and check.stderr.endswith("golden check: ok\n")
    diff = _run([str(python), "-m", "oracle", "golden", "diff", "docs-docs-decimal-5"], cwd=empty)
    assert diff.returncode == 0 and diff.stdout == "", diff.stderr
    listed = _run([str(python), "-m", "oracle", "golden", "list"], cwd=empty)
    rows = listed.stdout.splitlines()
    assert listed.returncode == 0 and listed.stderr == f"golden data: {data} ({len(rows)} cases)\n"
    assert len(rows) == len(list(data.glob("*.json"))) - 1  # every file but the schema is a case
    cite = _run([str(python), "-m", "oracle", "cite", "docs-docs-decimal-5", "--step", "5", "--field", "params",
                 "--digits", "12"], cwd=empty)
    assert cite.returncode == 0 and cite.stdout.splitlines()[-1] == "| 5 | 9.51072698033e-1 |", cite.stderr


@pytest.mark.slow
def test_full_golden_check_from_the_wheel(venv):
    """The whole ``golden check`` (every case recomputed, pages, the long case by its prefix) passes from the wheel."""
    python, empty, data = venv
    check = _run([str(python), "-m", "oracle", "golden", "check"], cwd=empty, timeout=900)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    assert f"provenance in {data}: " in check.stderr
