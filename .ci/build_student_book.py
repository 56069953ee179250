"""Build the student edition of the HTML book (``make book-student``) into _build/student-html.

The student edition is the course book with every exercise's solution removed: from the pages,
from the downloadable .ipynb sources, and from the notebooks its launch buttons open. It is built
from a copy of the book whose notebooks went through nbgrader's ``ClearSolutions`` and
``ClearHiddenTests`` (as in ``make student``), keeping every other output so that the lectures'
figures and evidence still show; the stub and the checker's cells are shown without outputs.

The rubrics of the open exercises and the tolerance table of the graded predictions (whose
closer forms give answers away) are cut from the instructors' page, and so are the list of the
debugging exercises' planted bugs and the section "What the checks do not stop" (a list of ways
around the grader). Outputs that depend on a
solution are cleared too: those of the solution, feedback and hidden-test
cells and of each exercise's follow-up cells (first line ``# After the experiments``), which
print the instructor's answer next to a measurement.

Launch buttons point at the branch named by ``STUDENT_BRANCH`` (default ``student-edition``): an
instructor publishes the student notebooks there with ``make student-branch`` (which commits them
to that branch; push it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_student import clear_solutions

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BRANCH = "student-edition"


FOLLOW_UP = "# After the experiments"
SOLUTIONS_TOGGLE = (
    "Solutions to exercises are hidden: the solution cell shows as a *Show code cell source* "
    "toggle."
)
SOLUTIONS_ABSENT = "This is the student edition: it holds no solutions to the exercises."
RUBRICS = "### Rubrics for the open exercises"
RUBRICS_ABSENT = RUBRICS + "\n\nThe rubrics are in the instructors' edition of the book.\n"
TOLERANCES = "### Tolerances of the graded predictions"
TOLERANCES_ABSENT = TOLERANCES + "\n\nThe tolerances are in the instructors' edition of the book.\n"
LOOPHOLES = "### What the checks do not stop"
PLANTED_BUGS = "a colleague's broken implementation is shown"  # followed by "(the bugs)"


def _without_section(text: str, heading: str, replacement: str) -> str:
    """``text`` with the section under ``heading`` (up to the next heading of level 2 or 3)
    replaced."""
    start = text.index(heading)
    end = min(i for i in (text.find("\n## ", start), text.find("\n### ", start + 1)) if i > 0)
    return text[:start] + replacement + text[end:]


def _without_bracket_after(text: str, marker: str) -> str:
    """``text`` without the bracketed remark that follows ``marker`` (brackets may nest)."""
    start = text.index(marker) + len(marker)
    if text[start : start + 2] != " (":
        raise SystemExit(f"instructors.md: no bracket after {marker!r}: update this script")
    depth = 0
    for end in range(start + 1, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            return text[:start] + text[end + 1 :]
    raise SystemExit(f"instructors.md: the bracket after {marker!r} does not close")


def depends_on_a_solution(cell) -> bool:
    """An exercise cell, or a follow-up cell that runs the student's function."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    return cell.cell_type == "code" and (
        grade_id.endswith(("_solution", "_feedback", "_test", "_begin"))
        or cell.source.lstrip().startswith(FOLLOW_UP)
    )


def student_book_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Solutions and hidden tests removed; outputs kept except those that depend on a solution."""
    nb = clear_solutions(nb)
    for cell in nb.cells:
        if depends_on_a_solution(cell):
            cell.outputs = []
            cell.execution_count = None
    return nb


def prepare_source(out: Path, branch: str) -> Path:
    """A copy of the book's sources with student notebooks and a student configuration."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["title"] = f"{config['title']} (student edition)"
    config["repository"]["branch"] = branch
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.copy(ROOT / "_toc.yml", out / "_toc.yml")
    shutil.copytree(ROOT / "book", out / "book")
    guide = out / "book" / "how_to_use.md"  # this edition has no solutions and so no toggle
    text = guide.read_text()
    if SOLUTIONS_TOGGLE not in text:
        raise SystemExit(f"{guide.name} no longer says {SOLUTIONS_TOGGLE!r}: update this script")
    guide.write_text(text.replace(SOLUTIONS_TOGGLE, SOLUTIONS_ABSENT))
    instructors = out / "book" / "instructors.md"  # the open exercises' rubrics stay private
    text = instructors.read_text()
    for heading, replacement in (
        (RUBRICS, RUBRICS_ABSENT),
        (TOLERANCES, TOLERANCES_ABSENT),
        (LOOPHOLES, ""),  # the ways around the grader: dropped with its heading
    ):
        text = _without_section(text, heading, replacement)
    instructors.write_text(_without_bracket_after(text, PLANTED_BUGS))
    (out / "notebooks").mkdir()
    for path in sorted((ROOT / "notebooks").glob("[!_]*.ipynb")):
        nb = student_book_notebook(nbformat.read(path, as_version=4))
        nbformat.write(nb, out / "notebooks" / path.name)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", type=Path, default=ROOT / "_build" / "student-src")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "student-html")
    args = parser.parse_args()
    branch = os.environ.get("STUDENT_BRANCH", DEFAULT_BRANCH)
    source = prepare_source(args.src, branch)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run(
        [str(jupyter_book), "build", str(source), "-W", "-n", "--keep-going"], check=True
    )
    if args.html.exists():
        shutil.rmtree(args.html)
    shutil.copytree(source / "_build" / "html", args.html)
    print(f"student edition: {args.html / 'index.html'} (launch buttons open branch {branch!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
