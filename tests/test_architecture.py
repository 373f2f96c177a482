"""The package's shape: imports follow the data flow, with no circles and no private names across modules.

The order is the one :mod:`oracle`'s docstring gives (each layer imports only
from layers before it).  Imports are read from the source with :mod:`ast`, at
module level and inside functions alike, so a circle cannot hide in a local import.
"""

from __future__ import annotations

import ast
import collections
import pathlib

import oracle

ROOT = pathlib.Path(oracle.__file__).parent

# oracle/__init__.py's reading order; the last layer (frameworks as candidates, pictures, the CLI)
# may import within itself as long as no circle forms.
LAYERS = ["oracle", "progress", "rounding", "conventions", "algorithm", "engines", "accuracy", "problems",
          "derivations", "cases", "golden", "conformance", {"adapters", "plot", "cli", "usercli"}, "__main__"]


def _rank(module: str) -> int:
    part = module.split(".")[1] if "." in module else "oracle"
    for i, layer in enumerate(LAYERS):
        if part == layer or (isinstance(layer, set) and part in layer):
            return i
    raise AssertionError(f"module {module} is in no layer of LAYERS: add its folder to the data-flow order")


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ("oracle",) + path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _imports() -> list[tuple[str, str, str | None, int]]:
    """(importing module, imported oracle module, imported name or None, line) for every import."""
    found = []
    for mod, path in MODULES.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                pairs = [(a.name, None) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                pairs = [(f"{base}.{a.name}", None) if f"{base}.{a.name}" in MODULES else (base, a.name)
                         for a in node.names]
            else:
                continue
            for target, name in pairs:
                while target not in MODULES and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in MODULES and target != mod:
                    found.append((mod, target, name, node.lineno))
    return found


IMPORTS = _imports()


def test_the_import_reader_sees_the_known_edges():
    """The reader finds imports the package is known to have (so the checks below can fail)."""
    edges = {(a, b) for a, b, _, _ in IMPORTS}
    assert ("oracle.algorithm", "oracle.conventions") in edges
    assert ("oracle.engines.certify.arb", "oracle.engines.certified") in edges
    assert ("oracle.conformance.pytest.plugin", "oracle.conformance.judge.options") in edges
    assert ("oracle.conformance.judge.grading", "oracle.conformance.isolation.candidate") in edges
    assert len(MODULES) > 60


def test_every_import_points_back_in_the_data_flow():
    """A module imports only from its own folder or from layers before it (conventions -> ... -> CLI)."""
    wrong = [f"{a}:{line} imports {b}" for a, b, _, line in IMPORTS
             if a.split(".")[:2] != b.split(".")[:2] and _rank(b) > _rank(a)]
    assert wrong == []


ROOMS = ["isolation", "judge", "pytest"]
"""oracle.conformance's rooms in import order: running the candidate, deciding, the pytest skin."""


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "conformance" else None


def test_every_conformance_module_is_in_a_room():
    """oracle/conformance/ holds only its three rooms (and its package docstring)."""
    loose = [m for m in MODULES if m.startswith("oracle.conformance") and m != "oracle.conformance"
             and _room(m) not in ROOMS]
    assert loose == []
    assert {_room(m) for m in MODULES if _room(m)} == set(ROOMS)


def test_conformance_rooms_import_one_way():
    """isolation <- judge <- pytest: the isolation layer imports nothing of the judge or the pytest skin, the judge
    nothing of the pytest skin; nothing outside oracle.conformance but the CLI imports the pytest skin."""
    wrong = [f"{a}:{line} imports {b}" for a, b, _, line in IMPORTS
             if _room(a) and _room(b) and ROOMS.index(_room(b)) > ROOMS.index(_room(a))]
    wrong += [f"{a}:{line} imports {b}" for a, b, _, line in IMPORTS
              if b == "oracle.conformance" or (a.startswith("oracle.conformance") and not _room(a) and _room(b))]
    assert wrong == []


def test_the_pytest_skin_is_reached_only_by_the_command_line():
    """Outside oracle.conformance only the command line (``python -m oracle certify``) imports the pytest room."""
    wrong = [f"{a}:{line} imports {b}" for a, b, _, line in IMPORTS
             if _room(b) == "pytest" and not _room(a) and a != "oracle.cli"]
    assert wrong == []


def test_no_import_circles():
    """No circle of imports, counting imports inside functions."""
    graph = collections.defaultdict(set)
    for a, b, _, _ in IMPORTS:
        graph[a].add(b)
    state: dict[str, int] = {}
    circles = []

    def visit(u: str, path: list[str]) -> None:
        state[u] = 1
        path.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 1:
                circles.append(" -> ".join(path[path.index(v):] + [v]))
            elif v not in state:
                visit(v, path)
        path.pop()
        state[u] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [])
    assert circles == []


def test_no_private_name_is_imported_from_another_module():
    """``from x import _name`` appears only for private modules' own helpers (``_common``, ``_objarray``)."""
    wrong = [f"{a}:{line} imports {name} from {b}" for a, b, name, line in IMPORTS
             if name and name.startswith("_") and not name.startswith("__")
             and not b.rsplit(".", 1)[-1].startswith("_")]
    assert wrong == []


def test_every_module_is_short_enough_to_read_in_one_sitting():
    """No module of the package is over 500 lines (split along a real seam instead)."""
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}
