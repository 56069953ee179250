"""Numbers in the prose come from the run.

A measured number typed into a markdown cell drifts from the output it quotes as soon as the
experiment changes. The course does not glue values into the text (MyST-NB's ``{glue}`` role is
rendered only in the built book; Jupyter and Colab, where readers run the notebooks, show the raw
role), so a decimal, a percentage or a number with thousands separators in the prose must appear in
the outputs of the code cells just above it, where the reader sees it measured, or in the code (a
setting such as a learning rate). Numbers in maths (``$...$``), in code spans and in references to
exercises or sections ("exercise 3.1") are exempt: they are definitions, not measurements.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("_"))
RECENT_CODE_CELLS = 4

NUMBER = re.compile(
    r"(?<![\w.^_{\\/-])"
    r"(\d{1,3}(?:[, \u202f]\d{3})+(?:\.\d+)?|\d{3,}|\d+\.\d+|\d+(?:\.\d+)? ?%)"
    r"(?![\w^}/])"
)
EXEMPT = re.compile(
    r"\$\$.*?\$\$|\$[^$\n]*\$|`[^`]*`|\]\([^)]*\)|https?://\S+"
    r"|\b(?:[Ee]xercises?|[Ss]ections?|[Ll]ectures?|[Ff]igures?|[Ee]q\.|§)\s*\d+[a-z]?\.\d+"
    r"(?:(?:,| and| or| to|-|–)\s*\d+[a-z]?\.\d+)*",
    re.S,
)


def _normalize(text: str) -> str:
    return text.replace(",", "").replace(" ", "").replace("\u202f", "").replace("\u2009", "")


def _output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(str(output.get("text", "")))
        for kind in ("text/plain", "text/html", "text/markdown"):
            parts.append(str(output.get("data", {}).get(kind, "")))
    return " ".join(parts)


def unsourced_numbers(nb) -> list[tuple[int, str]]:
    """(cell index, number) for each number in a markdown cell that is neither exempt nor found in
    the outputs of the last few code cells above it or anywhere in the code."""
    code = _normalize(" ".join(c.source for c in nb.cells if c.cell_type == "code"))
    recent: list[str] = []
    missing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            recent = [*recent, _normalize(_output_text(cell))][-RECENT_CODE_CELLS:]
            continue
        if cell.cell_type != "markdown":
            continue
        prose = EXEMPT.sub(" ", cell.source)
        for match in NUMBER.finditer(prose):
            number = _normalize(match.group(1))
            if not any(number in text for text in recent) and number not in code:
                missing.append((index, match.group(1)))
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_numbers_in_the_prose_come_from_the_outputs_above_them(path):
    missing = unsourced_numbers(nbformat.read(path, as_version=4))
    assert not missing, f"numbers in the prose not found in the outputs above them: {missing}"


def test_the_scan_catches_a_typed_number_and_spares_maths_and_references():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "run()",
            outputs=[
                nbformat.v4.new_output("stream", text="accuracy 0.912 on 85,002 parameters\n")
            ],
        ),
        nbformat.v4.new_markdown_cell(
            "It reaches 0.912 with 85 002 weights ($\\eta = 0.25$); see exercise 3.1. "
            "It beats 0.87."
        ),
    ]
    assert unsourced_numbers(nb) == [(1, "0.87")]
