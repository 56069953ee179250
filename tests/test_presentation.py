"""The presentation layer owns no maths, read from the source with ``ast`` (no imports run).

Figures (``nncourse.plotting`` and each lecture's figure modules), apps, widgets
(``nncourse.widgets``) and the exercise checkers (``nncourse.grading`` and each lecture's
exercise modules) draw or compare what technique and study modules compute. A presentation
module that takes gradients, steps an optimizer, defines a network, decomposes a matrix or counts
correct predictions holds an idea that belongs where the idea lives (``nnlib.curvature``,
``nnlib.train``, a lecture's study module, ...), tested there and shared with the notebooks.
Every exception is listed below with its reason.
"""

import ast
from pathlib import Path

import pytest

import nncourse

ROOT = Path(nncourse.__file__).parent
PRESENTATION = ("plotting/*.py", "apps.py", "grading.py", "widgets/*.py", "lecture*/*figures.py")
PRESENTATION += ("lecture*/apps.py", "lecture*/*exercises.py")
# A checker compares a student's function with a reference, and torch's autograd, linalg and
# optimizers are such references (nnlib is checked against the same ones), so in the exercise
# modules only the rules a checker has no reason to break apply: no networks, no accuracy.
EXERCISE_RULES = {"module", "accuracy"}

GRADIENT_MODULES = ("torch.autograd", "torch.func")
DECOMPOSITIONS = ("torch.linalg", "torch.lobpcg", "torch.svd", "torch.svd_lowrank", "torch.pca")

# (path relative to nncourse/, rule) -> why it stays for now
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _dotted(node: ast.AST) -> str:
    """``torch.linalg.eigh`` for the expression ``torch.linalg.eigh``; '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id, *reversed(parts)])


def _under(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imported(node: ast.AST) -> list[str]:
    """Dotted names an import statement brings in (``from torch import linalg``: torch.linalg)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def _method(node: ast.AST) -> str:
    """``step`` for a call ``something.step(...)``; '' for anything else."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def maths_in(source: str) -> list[tuple[int, str, str]]:
    """(line, rule, what) for each piece of maths in ``source`` that presentation must not own."""
    found = {}  # (line, rule) -> what; ast.walk visits torch.linalg.eigh, then torch.linalg
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        names = [_dotted(node)] if isinstance(node, ast.Attribute) else _imported(node)
        hits = [("gradient", name) for name in names if _under(name, GRADIENT_MODULES)]
        hits += [("decomposition", name) for name in names if _under(name, DECOMPOSITIONS)]
        if _method(node) == "backward":
            hits.append(("gradient", ".backward()"))
        if _method(node) in ("step", "zero_grad"):
            hits.append(("training", f".{_method(node)}()"))
        if isinstance(node, ast.ClassDef):
            bases = [_dotted(base) for base in node.bases]
            hits += [("module", f"class {node.name}({b})") for b in bases if b.endswith("Module")]
        if isinstance(node, ast.Compare) and _method(node.left) == "argmax":
            hits.append(("accuracy", "argmax(...) compared with labels"))
        for rule, what in hits:
            if len(what) > len(found.get((line, rule), "")):
                found[(line, rule)] = what
    return sorted((line, rule, what) for (line, rule), what in found.items())


SOURCES = sorted(p for pattern in PRESENTATION for p in ROOT.glob(pattern))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_presentation_owns_no_maths(path):
    relative = path.relative_to(ROOT).as_posix()
    found = [
        f"{relative}:{line}: {rule}: {what}"
        for line, rule, what in maths_in(path.read_text())
        if (relative, rule) not in EXCEPTIONS
        and (rule in EXERCISE_RULES or not relative.endswith("exercises.py"))
    ]
    assert found == [], "maths in presentation; move it to a technique or study module"


def test_every_exception_is_still_needed_and_has_a_reason():
    for (relative, rule), reason in EXCEPTIONS.items():
        assert reason.strip(), f"exception {relative} ({rule}) gives no reason"
        rules = {r for _, r, _ in maths_in((ROOT / relative).read_text())}
        assert rule in rules, f"exception {relative} ({rule}) is no longer needed: remove it"


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("loss.backward()", "gradient"),
        ("g = torch.autograd.grad(loss, params)", "gradient"),
        ("from torch.autograd import grad", "gradient"),
        ("from torch import func", "gradient"),
        ("h = torch.func.hessian(f)(x)", "gradient"),
        ("opt.step()", "training"),
        ("optimizer.zero_grad()", "training"),
        ("class Net(nn.Module):\n    pass", "module"),
        ("class Net(torch.nn.Module):\n    pass", "module"),
        ("values = torch.linalg.eigvalsh(H)", "decomposition"),
        ("import torch.linalg", "decomposition"),
        ("values, vectors = torch.lobpcg(H, k=2)", "decomposition"),
        ("acc = (model(x).argmax(1) == y).float().mean()", "accuracy"),
    ],
)
def test_the_checker_finds_planted_maths(source, rule):
    assert [r for _, r, _ in maths_in(source)] == [rule]


def test_the_checker_passes_drawing_code():
    source = (
        "import torch\n"
        "from nnlib import curvature, train\n"
        "values, vectors = curvature.eigen(H)\n"
        "acc = train.accuracy(model, x, y)\n"
        "ax.plot(steps, values.mean(0))\n"
        "Param('lr', 'float', 0.1, step=0.05)\n"
    )
    assert maths_in(source) == []
