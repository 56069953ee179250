"""Collapse the cells that hold only evidence, so that the book reads as a story.

A code cell whose input is already hidden (machinery: claim thresholds, bookkeeping) and whose
outputs are only the lines that ``nncourse.evidence`` prints (``✓ statement [basis]``,
``· check: ...`` and their indented ``measured:`` lines) repeats, in the book, the "Evidence"
paragraph beside it. Such a cell gets MyST-NB's ``hide-cell`` tag instead of ``hide-input``, with
the toggle "Show the evidence": the claim and its measured values stay one click away. Cells that
print a table or a figure beside their claims stay as they are.

    python .ci/collapse_evidence.py notebooks/*.ipynb           # tag the cells (in place)
    python .ci/collapse_evidence.py --check notebooks/*.ipynb   # list untagged ones, exit 1
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

EVIDENCE_LINE = re.compile(r"^(✓ |· |\s{2,}\S|$)")
PROMPTS = {"code_prompt_show": "Show the evidence", "code_prompt_hide": "Hide the evidence"}


def evidence_only(cell: dict) -> bool:
    """True for a code cell with hidden input whose outputs are only evidence lines."""
    metadata = cell.get("metadata", {})
    tags = metadata.get("tags", [])
    if cell.get("cell_type") != "code" or not {"hide-input", "hide-cell"} & set(tags):
        return False
    if "solution" in tags or "nbgrader" in metadata:  # an exercise's cell keeps its layout
        return False
    outputs = cell.get("outputs", [])
    if not outputs or any(o.get("output_type") != "stream" for o in outputs):
        return False
    lines = "".join("".join(o.get("text", "")) for o in outputs).splitlines()
    return (
        bool(lines)
        and lines[0].startswith(("✓ ", "· "))
        and all(EVIDENCE_LINE.match(line) for line in lines)
    )


def collapsed(cell: dict) -> bool:
    metadata = cell.get("metadata", {})
    return "hide-cell" in metadata.get("tags", []) and metadata.get("mystnb") == PROMPTS


def collapse(cell: dict) -> None:
    tags = cell["metadata"]["tags"]
    cell["metadata"]["tags"] = ["hide-cell" if t == "hide-input" else t for t in tags]
    if "hide-cell" not in cell["metadata"]["tags"]:
        cell["metadata"]["tags"].append("hide-cell")
    cell["metadata"]["mystnb"] = dict(PROMPTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="only list cells not yet collapsed")
    args = parser.parse_args(argv)
    missing = 0
    for path in args.notebooks:
        nb = json.loads(path.read_text())
        cells = [c for c in nb["cells"] if evidence_only(c) and not collapsed(c)]
        missing += len(cells)
        if args.check:
            for cell in cells:
                print(f"{path.name}: cell {cell.get('id')}: only evidence, not collapsed")
        elif cells:
            for cell in cells:
                collapse(cell)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            print(f"{path.name}: {len(cells)} evidence cells collapsed")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
