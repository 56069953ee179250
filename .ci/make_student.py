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
stub is the exercise, and is shown. The result is what an instructor's
``nbgrader generate_assignment`` produces (without the checksums nbgrader adds for its database).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

STUB = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}


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
    return nb


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("student"))
    args = parser.parse_args()
    for notebook in args.notebooks:
        print(f"{notebook} -> {make_student(notebook, args.out / 'notebooks')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
