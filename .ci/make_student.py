"""Write student versions of the notebooks (``make student``), as nbgrader would release them.

The source notebooks carry nbgrader cell metadata. This script applies nbgrader's own
preprocessors, in the order ``nbgrader generate_assignment`` applies them:

* ``ClearSolutions`` replaces each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by
  ``raise NotImplementedError()``, so every exercise is left with its stub and its checker (which
  then says "not implemented yet");
* ``ClearHiddenTests`` empties the hidden autograder assertions, so the student version runs top to
  bottom;
* ``ClearOutput`` clears outputs and execution counts.

The ``hide-input`` tag of each solution cell is dropped too: in the student edition of the book the
stub is the exercise, and is shown. A lecture cell tagged ``student-after-exercises`` (one that
prints the nnlib source of a function an exercise asks for) moves to the end of the exercises, and
a note takes its place. Otherwise the result is what an instructor's ``nbgrader
generate_assignment`` produces (without the checksums nbgrader adds for its database); nbgrader's
own release leaves the tagged cells where they are, outputs cleared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

STUB = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
AFTER_EXERCISES = "student-after-exercises"
MOVED_NOTE = (
    "*The code of this step is shown after the exercises, since an exercise asks you to write it.*"
)


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def move_sources_after_exercises(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Cells tagged ``student-after-exercises`` moved to the end of the exercises (before the
    next section), each leaving a note where it was."""
    moved = [c for c in nb.cells if AFTER_EXERCISES in c.metadata.get("tags", [])]
    if not moved:
        return nb
    cells = []
    for cell in nb.cells:
        if any(cell is c for c in moved):
            cells.append(nbformat.v4.new_markdown_cell(MOVED_NOTE, id=f"{cell.id}-note"))
        else:
            cells.append(cell)
    last_test = max(i for i, c in enumerate(cells) if _grade_id(c).endswith("_test"))
    end = next(
        (
            i
            for i, c in enumerate(cells)
            if i > last_test and c.cell_type == "markdown" and c.source.startswith("## ")
        ),
        len(cells),
    )
    heading = nbformat.v4.new_markdown_cell(
        "The code shown in the lecture for the steps the exercises asked for:",
        id="student-after-exercises",
    )
    nb.cells = [*cells[:end], heading, *moved, *cells[end:]]
    return nb


def clear_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with solution regions stubbed and hidden tests emptied (outputs kept)."""
    nb = nbformat.from_dict(nb)
    resources: dict = {}
    for preprocessor in (ClearSolutions(code_stub=STUB), ClearHiddenTests()):
        nb, resources = preprocessor.preprocess(nb, resources)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            cell.metadata["tags"] = [t for t in tags if t not in ("solution", "hide-input")]
    return move_sources_after_exercises(nb)


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a source notebook: no solutions, no hidden tests, no outputs."""
    nb, _ = ClearOutput().preprocess(clear_solutions(nb), {})
    nb.metadata.pop("widgets", None)
    nb.metadata.get("nnlib", {}).pop("execution_seconds", None)
    return nb


def make_student(notebook: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / notebook.name
    nbformat.write(student_version(nbformat.read(notebook, as_version=4)), target)
    return target


# What students must not see on their branch: the guide (rubrics, tolerances, loopholes), the tests
# (reference answers written out) and the scripts that build the instructors' material.
INSTRUCTORS_ONLY = ("book/instructors", "tests/", ".ci/")


def commit_to_branch(written: list[Path], branch: str, repo: Path = Path(".")) -> str:
    """Commit the repository's HEAD, less the files under ``INSTRUCTORS_ONLY``, with ``written`` in
    place of notebooks/ of the same names to ``branch`` (created or advanced), through a temporary
    index: the working tree, the real index and the current branch stay as they are. Returns the
    new commit."""

    def git(*args: str, env: dict | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=str(Path(tmp) / "index"))
        git("read-tree", "HEAD", env=env)
        kept_back = [
            f for f in git("ls-files", env=env).splitlines() if f.startswith(INSTRUCTORS_ONLY)
        ]
        if kept_back:
            git("update-index", "--force-remove", "--", *kept_back, env=env)
        for path in written:
            blob = git("hash-object", "-w", str(path.resolve()))
            git("update-index", "--cacheinfo", f"100644,{blob},notebooks/{path.name}", env=env)
        tree = git("write-tree", env=env)
    parent = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
        cwd=repo,
        capture_output=True,
        text=True,
    ).stdout.strip()
    message = f"Student notebooks from {git('rev-parse', '--short', 'HEAD')}"
    commit = git("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
    git("update-ref", f"refs/heads/{branch}", commit)
    return commit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("student"))
    parser.add_argument(
        "--branch", help="also commit the student notebooks to this branch (make student-branch)"
    )
    args = parser.parse_args()
    written = []
    for notebook in args.notebooks:
        written.append(make_student(notebook, args.out / "notebooks"))
        print(f"{notebook} -> {written[-1]}")
    if args.branch:
        commit = commit_to_branch(written, args.branch)
        print(f"branch {args.branch} at {commit[:10]}: push it with git push origin {args.branch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
