"""nnlib's layers, read from the source with ``ast`` (no imports run).

foundation < techniques < studies < presentation: a module may import its own layer and the
layers below it, never a layer above. Every module sits on the map, and the map in
``nnlib/__init__.py``'s docstring names every top-level module.
"""

import ast
from pathlib import Path

import pytest

import nnlib

ROOT = Path(nnlib.__file__).parent

LAYERS = {
    "foundation": {"utils", "parallel", "params", "data", "models", "losses", "train"},
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
    "studies": {"studies"},
    "presentation": {"viz", "widgets", "exercises", "evidence", "apps"},
}
RANK = {name: rank for rank, layer in enumerate(LAYERS.values()) for name in layer}
LAYER_OF = {name: layer for layer, names in LAYERS.items() for name in names}


def _top_level(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def _imported_nnlib_modules(source: str) -> set[str]:
    """Top-level nnlib modules that ``source`` imports (``from nnlib import x``, ``import nnlib.x``,
    ``from nnlib.x.y import z``), including imports inside functions."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "nnlib":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "nnlib" and len(parts) > 1:
                    found.add(parts[1])
    return found


SOURCES = sorted(p for p in ROOT.rglob("*.py") if p.name != "__init__.py" or p.parent != ROOT)


def test_every_module_sits_on_the_map():
    modules = {_top_level(p) for p in SOURCES}
    assert modules - set(LAYER_OF) == set(), "modules missing from the layer map"


def test_the_package_docstring_names_every_module():
    doc = nnlib.__doc__
    missing = [name for name in {_top_level(p) for p in SOURCES} if f"nnlib.{name}" not in doc]
    assert missing == [], f"nnlib/__init__.py's module map does not name {missing}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_layer_above_its_own(path):
    own = _top_level(path)
    above = {
        name
        for name in _imported_nnlib_modules(path.read_text())
        if name in RANK and RANK[name] > RANK[own]
    }
    assert above == set(), (
        f"{path.relative_to(ROOT)} ({LAYER_OF[own]}) imports {sorted(above)} "
        f"({', '.join(sorted({LAYER_OF[n] for n in above}))})"
    )


def test_the_checker_sees_a_violation():
    """The rule can fail: a technique importing viz is caught by the same reader."""
    source = "from nnlib import viz\nimport nnlib.widgets\nfrom nnlib.exercises.core import check\n"
    imported = _imported_nnlib_modules(source)
    assert imported == {"viz", "widgets", "exercises"}
    assert all(RANK[name] > RANK["optim"] for name in imported)


def test_every_name_a_module_exports_exists():
    import importlib

    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        module = importlib.import_module(name)
        missing += [f"{name}.{n}" for n in getattr(module, "__all__", []) if not hasattr(module, n)]
    assert missing == [], f"__all__ names that do not exist: {missing}"
