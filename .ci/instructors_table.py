"""Write book/instructors_table.md: exercises, points and time per lecture, read from the notebooks.

Counts and points come from the nbgrader metadata of each notebook, so the instructors' page cannot
drift from the notebooks (tests/test_front_matter.py regenerates the table and compares). An
exercise "needs the experiments" when its feedback cell uses a name that neither the exercise's own
cells nor an import defines: a value the lecture's experiments computed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "book" / "instructors_table.md"
READING_MINUTES = {  # an estimate for reading and running each lecture in class
    "00": 30,
    "01": 90,
    "02": 90,
    "03": 75,
    "04": 50,
    "04b": 35,
    "05a": 75,
    "05b": 60,
    "05c": 60,
    "06": 90,
    "07": 60,
    "07b": 45,
}
MINUTES_PER_POINT = 10  # an estimate: a 1-point warm-up about 10 min, a 3-point exercise 30
FOLLOW_UP = "# After the experiments"


def _names(source: str) -> tuple[set[str], set[str]]:
    """Names a cell defines and names it loads (IPython magics ignored)."""
    tree = _parse(source)
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else defined).add(node.id)
        elif isinstance(node, ast.alias):
            defined.add((node.asname or node.name).split(".")[0])
    return defined, used


def _parse(source: str) -> ast.Module:
    """Parse a code cell, with IPython magics and shell escapes read as ``pass``."""
    lines = [
        line[: len(line) - len(line.lstrip())] + "pass"
        if line.lstrip().startswith(("%", "!"))
        else line
        for line in source.splitlines()
    ]
    return ast.parse("\n".join(lines))


def exercises(path: Path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    imported: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and "import " in cell.source:
            tree = _parse(cell.source)
            for node in ast.walk(tree):
                if isinstance(node, ast.alias):
                    imported.add((node.asname or node.name).split(".")[0])
    found = []
    for i, cell in enumerate(nb.cells):
        grade = cell.metadata.get("nbgrader", {})
        if not grade.get("solution"):
            continue
        if cell.cell_type != "code":  # an open exercise's answer, graded by hand
            found.append(
                {
                    "id": grade["grade_id"].removesuffix("_answer"),
                    "points": grade.get("points", 0),
                    "needs_experiments": False,
                    "manual": True,
                }
            )
            continue
        feedback, test = nb.cells[i + 1], nb.cells[i + 2]
        own, _ = _names(cell.source)
        defined_by_feedback, used = _names(feedback.source)
        outside = used - own - defined_by_feedback - imported - set(dir(__builtins__))
        follow_ups = []  # cells after the test that run the answer on the lecture's experiments
        for later in nb.cells[i + 3 :]:
            if later.metadata.get("nbgrader") or later.cell_type == "markdown":
                break
            follow_ups.append(later)
        found.append(
            {
                "id": grade["grade_id"].removesuffix("_solution"),
                "points": test.metadata.get("nbgrader", {}).get("points", 0),
                "needs_experiments": bool(outside)
                or any(c.source.startswith(FOLLOW_UP) for c in follow_ups),
                "manual": False,
            }
        )
    return found


def table(notebooks: list[Path]) -> str:
    rows = [
        "| notebook | exercises | points (each) | graded by hand | after the experiments "
        "| reading and running | exercises (est.) |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in notebooks:
        lecture = path.stem.split("_")[0]
        found = exercises(path)
        after = [e["id"].split("_")[-1] for e in found if e["needs_experiments"]]
        manual = [e["id"].split("_")[-1] for e in found if e["manual"]]
        points = sum(e["points"] for e in found)
        each = ", ".join(str(e["points"]) for e in found)
        rows.append(
            f"| {path.stem} | {len(found)} | {points} ({each}) | "
            f"{', '.join(manual) if manual else 'none'} | "
            f"{', '.join(after) if after else 'none'} | {READING_MINUTES.get(lecture, 75)} min | "
            f"{MINUTES_PER_POINT * points} min |"
        )
    return "\n".join(rows) + "\n"


def notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("_"))


def main() -> int:
    TABLE.write_text(table(notebooks()))
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
