"""List the solution cells of submitted notebooks that reach into the interpreter or the grader, for
an instructor to read: ``python .ci/flag_submissions.py <course>/submitted`` (or ``autograded``).

The autograder's defences are best effort (book/instructors.md): a submission can patch the import
system, silence the call watcher, read the checker's frames or return an object that computes when
it is read. No exercise needs any of that, so a solution cell that does it is worth a human look.
The patterns are a screen, not a verdict: a flagged cell may be innocent, and a cheat written to
avoid these words passes unflagged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

SUSPICIOUS = {
    "the import system": r"\bimportlib\b|__import__|\bsys\.modules\b",
    "the interpreter's frames": (
        r"_getframe|\bf_locals\b|\bf_back\b|\binspect\.(stack|currentframe)\b"
    ),
    "the call watcher": r"\bsetprofile\b|\bsettrace\b|\bthreading\b|\bThread\(",
    "an object that computes when read": r"__array\w*__|__float__|__eq__|__bool__|__index__",
    "the grader or the answer key": (
        r"\bnncourse\b|\b_SNAPSHOT\b|\bimport\s+_\w+|\bimport\b.*,\s*_\w+"
    ),
    "a library function rebound": r"^\s*(torch|np|numpy|math|nnlib|builtins)(\.\w+)+\s*=(?!=)",
}


def solution_cells(notebook: Path) -> list[tuple[str, str]]:
    """(grade id, source) of each cell nbgrader marks as a solution."""
    cells = json.loads(notebook.read_text()).get("cells", [])
    found = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            found.append((meta.get("grade_id", "?"), source))
    return found


def flags(notebook: Path) -> list[tuple[str, str, str]]:
    """(grade id, what it reaches into, the line) for every suspicious line of a solution cell."""
    hits = []
    for grade_id, source in solution_cells(notebook):
        for line in source.splitlines():
            for what, pattern in SUSPICIOUS.items():
                if re.search(pattern, line):
                    hits.append((grade_id, what, line.strip()))
    return hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="nbgrader's submitted/ or autograded/ folder")
    folder = parser.parse_args().folder
    flagged = 0
    for notebook in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        for grade_id, what, line in flags(notebook):
            flagged += 1
            print(f"{notebook.relative_to(folder)}: {grade_id}: {what}: {line}")
    print(f"{flagged} suspicious line(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
