"""The two packages' layers, read from the source with ``ast`` (no imports run).

nnlib: foundation < techniques, and nothing of nncourse. nncourse: shared machinery < lectures;
a lecture never imports another lecture. Every module sits on the map, and each package's
docstring names every top-level module.
"""

import ast
from pathlib import Path

import pytest

import nncourse
import nnlib

NNLIB = Path(nnlib.__file__).parent
NNCOURSE = Path(nncourse.__file__).parent
LECTURES = {f"lecture{i}" for i in range(8)}

NNLIB_LAYERS = {
    "foundation": {"utils", "params", "data", "models", "losses", "train"},
    "techniques": {
        "activations",
        "analytic_surfaces",
        "clipping",
        "convexity",
        "curvature",
        "init",
        "layer_stats",
        "loss_slices",
        "norm",
        "optim",
        "preprocessing",
        "regularization",
        "schedules",
        "transfer",
    },
}
NNCOURSE_LAYERS = {
    "machinery": {"evidence", "stats", "parallel", "plotting", "widgets", "grading", "apps"},
    "lectures": LECTURES,
}
# The registry imports every lecture's apps module so that each registers its apps; a lecture's
# apps module imports ``register`` from it. That cycle is the registry's purpose.
REGISTRY_IMPORTS = {("apps", name) for name in LECTURES}


def _rank(layers: dict) -> dict[str, int]:
    return {name: rank for rank, layer in enumerate(layers.values()) for name in layer}


def _top_level(path: Path, root: Path) -> str:
    return path.relative_to(root).with_suffix("").parts[0]


def imported_modules(source: str, package: str) -> set[str]:
    """Top-level modules of ``package`` that ``source`` imports (``from nnlib import x``,
    ``import nnlib.x``, ``from nnlib.x.y import z``), including imports inside functions."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != package:
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == package:
                    found.add(parts[1] if len(parts) > 1 else package)
    return found


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.name != "__init__.py" or p.parent != root)


NNLIB_SOURCES = _sources(NNLIB)
NNCOURSE_SOURCES = _sources(NNCOURSE)


@pytest.mark.parametrize(("root", "layers"), [(NNLIB, NNLIB_LAYERS), (NNCOURSE, NNCOURSE_LAYERS)])
def test_every_module_sits_on_the_map(root, layers):
    mapped = set().union(*layers.values())
    assert {_top_level(p, root) for p in _sources(root)} - mapped == set()


@pytest.mark.parametrize("package", [nnlib, nncourse], ids=["nnlib", "nncourse"])
def test_the_package_docstring_names_every_module(package):
    root = Path(package.__file__).parent
    names = {_top_level(p, root) for p in _sources(root)}
    missing = [n for n in sorted(names) if f"{package.__name__}.{n}" not in package.__doc__]
    assert missing == [], f"{package.__name__}/__init__.py's module map does not name {missing}"


@pytest.mark.parametrize("path", NNLIB_SOURCES, ids=lambda p: str(p.relative_to(NNLIB)))
def test_nnlib_imports_nothing_of_nncourse_and_no_layer_above(path):
    source = path.read_text()
    assert imported_modules(source, "nncourse") == set(), f"{path} imports nncourse"
    rank, own = _rank(NNLIB_LAYERS), _top_level(path, NNLIB)
    above = {n for n in imported_modules(source, "nnlib") if rank.get(n, -1) > rank[own]}
    assert above == set(), f"{path.relative_to(NNLIB)} imports {sorted(above)} (techniques)"


@pytest.mark.parametrize("path", NNCOURSE_SOURCES, ids=lambda p: str(p.relative_to(NNCOURSE)))
def test_nncourse_lectures_sit_above_the_machinery_and_apart(path):
    rank, own = _rank(NNCOURSE_LAYERS), _top_level(path, NNCOURSE)
    imported = imported_modules(path.read_text(), "nncourse")
    wrong = {
        n
        for n in imported
        if n in rank
        and (own, n) not in REGISTRY_IMPORTS
        and (rank[n] > rank[own] or (n in LECTURES and n != own))
    }
    assert wrong == set(), f"{path.relative_to(NNCOURSE)} imports {sorted(wrong)}"


def test_the_checker_sees_a_violation():
    """The rules can fail: nnlib importing nncourse, and a lecture importing another lecture."""
    source = "from nncourse import plotting\nimport nncourse.lecture3.figures\n"
    assert imported_modules(source, "nncourse") == {"plotting", "lecture3"}
    assert imported_modules("import nncourse\n", "nncourse") == {"nncourse"}
    assert imported_modules("from nnlib.optim import adam\n", "nnlib") == {"optim"}


def test_every_name_a_module_exports_exists():
    import importlib

    missing = []
    for root in (NNLIB, NNCOURSE):
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root.parent).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            module = importlib.import_module(name)
            exported = getattr(module, "__all__", [])
            missing += [f"{name}.{n}" for n in exported if not hasattr(module, n)]
    assert missing == [], f"__all__ names that do not exist: {missing}"


def test_nnlib_stays_small():
    """The library a reader opens to find a technique: at most 8,000 lines."""
    lines = sum(len(p.read_text().splitlines()) for p in NNLIB.rglob("*.py"))
    assert lines <= 8000, f"nnlib has {lines} lines"
