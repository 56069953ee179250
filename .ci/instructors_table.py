"""Write book/instructors_table.md: exercises, points and time per lecture, read from the notebooks.

Counts and points come from the nbgrader metadata of each notebook, so the instructors' page cannot
drift from the notebooks (tests/test_front_matter.py regenerates the table and compares). The kind
of each exercise is read from its task's title ("### Exercise 2.3 (debugging): ..."), and the
written questions nothing grades from the mark *(To discuss; not graded.)* that follows each; a
second table lists those questions. An
exercise "needs the experiments" when its feedback cell uses a name that neither the exercise's own
cells nor an import defines: a value the lecture's experiments computed.
"""

from __future__ import annotations

import ast
import re
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


KINDS = ("warm-up", "derivation", "implementation", "prediction", "debugging", "open")
TITLE = re.compile(r"^### Exercise ([\w.]+) \(([\w-]+)\):", re.M)
PROMPT = "*(To discuss; not graded.)*"  # follows each written question nothing grades


def kinds(path: Path) -> dict[str, str]:
    """Exercise number -> its kind, read from the task's title ("### Exercise 0.1 (debugging):")."""
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_task"):
            match = TITLE.search(cell.source)
            if match is None or match.group(2) not in KINDS:
                raise ValueError(f"{path.name}: a task title without a kind: {cell.source[:80]!r}")
            found[match.group(1)] = match.group(2)
    return found


def prompts(path: Path) -> list[tuple[str, str]]:
    """(exercise number, question) for each written question marked as not graded."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in nb.cells:
        if not cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_task"):
            continue
        number = TITLE.search(cell.source).group(1)
        text = " ".join(cell.source.split())
        while PROMPT in text:
            before, text = text.split(PROMPT, 1)
            starts = [m.end() for m in re.finditer(r"[.?!] ", before.rstrip()[:-1])]
            found.append((number, before.rstrip()[max(starts, default=0) :].strip()))
    return found


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
        "| notebook | exercises: kind and points | points | graded by hand "
        "| after the experiments | questions not graded | reading and running "
        "| exercises (est.) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    questions = []
    for path in notebooks:
        lecture = path.stem.split("_")[0]
        found = exercises(path)
        kind = kinds(path)
        if len(kind) != len(found):
            raise ValueError(f"{path.name}: {len(kind)} task titles for {len(found)} exercises")
        after = [e["id"].split("_")[-1] for e in found if e["needs_experiments"]]
        manual = [e["id"].split("_")[-1] for e in found if e["manual"]]
        points = sum(e["points"] for e in found)
        pairs = zip(kind.items(), found, strict=True)
        each = "; ".join(f"{number} {k} {e['points']}" for (number, k), e in pairs)
        asked = prompts(path)
        questions += asked
        rows.append(
            f"| {path.stem} | {each} | {points} | "
            f"{', '.join(manual) if manual else 'none'} | "
            f"{', '.join(after) if after else 'none'} | "
            f"{', '.join(dict.fromkeys(n for n, _ in asked)) or 'none'} | "
            f"{READING_MINUTES.get(lecture, 75)} min | {MINUTES_PER_POINT * points} min |"
        )
    rows += [
        "",
        "Written questions that nothing grades (marked *to discuss; not graded* in the notebooks):",
        "",
        "| exercise | question |",
        "|---|---|",
    ]
    rows += [f"| {number} | {question} |" for number, question in questions]
    return "\n".join(rows) + "\n"


def notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("_"))


def main() -> int:
    TABLE.write_text(table(notebooks()))
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
