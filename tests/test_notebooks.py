"""Notebook hygiene and the student versions.

Hygiene: every lecture notebook is in the table of contents; its stored outputs are present, in
execution order, free of errors, machine paths, progress bars and raw round-off; its recorded run
time is within budget; it opens with the Colab set-up cell for the repository named in _config.yml;
its measured results are claims, listed in its summary; its exercises follow the nbgrader layout
(solutions hidden in the book) and its student version runs with every checker waiting.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("_"))
TEMPLATE = ROOT / "notebooks" / "_template.ipynb"
BUDGET_SECONDS = 90
MACHINE_PATH = re.compile(r"(/(?:root|tmp|work|home|Users|opt)/|site-packages/|[A-Z]:\\\\)")


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def _toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = set()

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.add(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return files


def test_there_are_lecture_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_table_of_contents(path):
    assert f"notebooks/{path.stem}" in _toc_files()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_complete_in_order_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    cells = _code_cells(nb)
    counts = [c.execution_count for c in cells]
    assert None not in counts, "unexecuted cells: run `make execute`"
    assert counts == sorted(counts) and len(set(counts)) == len(counts), "cells run out of order"
    for cell in cells:
        for output in cell.outputs:
            assert output.output_type != "error", f"stored error in cell: {cell.source[:60]!r}"
            plain = str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
            assert "Traceback (most recent call last)" not in plain
            texts = {k: v for k, v in output.get("data", {}).items() if k.startswith("text/")}
            match = MACHINE_PATH.search(plain + json.dumps(texts))
            assert match is None, f"machine path {match.group(0)!r} in an output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_recorded_run_time_is_within_budget(path):
    nb = nbformat.read(path, as_version=4)
    seconds = nb.metadata.get("nnlib", {}).get("execution_seconds")
    assert seconds is not None, "no recorded run time: run `make execute`"
    assert seconds <= BUDGET_SECONDS


@pytest.mark.parametrize("path", [*NOTEBOOKS, TEMPLATE], ids=lambda p: p.name)
def test_notebook_starts_with_the_colab_cell_for_this_repository(path):
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    nb = nbformat.read(path, as_version=4)
    first = _code_cells(nb)[0].source
    assert '"google.colab" in sys.modules' in first
    assert f"git+{repository}" in first
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


MIN_EXERCISES = 4
PROGRESS_BAR = re.compile(r"\d+%\|[^\n]*\||\d+(\.\d+)?it/s\]|s/it\]")
# A float of magnitude below 1e-9 printed as a value rather than as a bound ("< 1e-12").
ROUND_OFF = re.compile(
    r"(?<![<≤] )(?<![<≤])(?<!<= )(?<!tol = )(?<!tolerance = )(?<!bound = )"
    r"\b\d(\.\d+)?e-(09|[1-9]\d)\b"
)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _texts(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(str(output.get("text", "")))
        for mime, value in output.get("data", {}).items():
            if mime in ("text/plain", "text/markdown"):
                parts.append(str(value))
    return "".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_follow_the_nbgrader_layout(path):
    """Task (locked), solution region (hidden in the book), feedback (passing), hidden test."""
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    solutions = [i for i, c in enumerate(cells) if _nbgrader(c).get("solution")]
    assert len(solutions) >= MIN_EXERCISES, f"{len(solutions)} exercises, need {MIN_EXERCISES}"
    ids = [_nbgrader(c)["grade_id"] for c in cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), "nbgrader grade_ids must be unique"
    for i in solutions:
        solution, feedback, test = cells[i], cells[i + 1], cells[i + 2]
        task = cells[i - 1]
        assert task.cell_type == "markdown" and _nbgrader(task).get("locked"), "a locked task"
        assert {"solution", "hide-input"} <= set(solution.metadata.get("tags", []))
        assert "### BEGIN SOLUTION" in solution.source and "### END SOLUTION" in solution.source
        assert _nbgrader(feedback).get("locked") and "feedback_" in feedback.source
        assert "✓" in _texts(feedback), "the stored feedback shows the solution passing"
        grade = _nbgrader(test)
        assert grade.get("grade") and grade.get("points", 0) > 0 and grade.get("locked")
        assert "remove-cell" in test.metadata.get("tags", [])
        assert (
            test.source.startswith("### BEGIN HIDDEN TESTS") and "assert feedback_" in test.source
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_measured_results_are_claims_and_the_summary_lists_them(path):
    nb = nbformat.read(path, as_version=4)
    code = _code_cells(nb)
    claims = sum(_texts(c).count("\n✓ ") + _texts(c).startswith("✓ ") for c in code)
    assert claims >= 3, f"only {claims} claim lines in the stored outputs"
    summaries = [c for c in code if "evidence.summary()" in c.source]
    assert summaries, "the summary section lists the notebook's claims"
    assert "claims checked in this notebook" in _texts(summaries[-1])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_progress_bars_or_raw_round_off_in_stored_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in _code_cells(nb):
        text = _texts(cell)
        assert not PROGRESS_BAR.search(text), f"a progress bar is stored: {cell.source[:60]!r}"
        match = ROUND_OFF.search(text)
        assert match is None, (
            f"round-off {match.group(0)!r} printed as a value (print the bound it is checked "
            f"against instead): {cell.source[:60]!r}"
        )


def _run(nb, cwd: Path):
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def _checker_messages(nb) -> list[str]:
    return [
        "".join(str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
        for cell in nb.cells
        if cell.cell_type == "code" and _nbgrader(cell).get("grade_id", "").endswith("_feedback")
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_runs_and_its_checkers_wait_for_the_student(path, tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "make_student.py"), "--out", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
    )
    student_path = tmp_path / "notebooks" / path.name
    student = nbformat.read(student_path, as_version=4)
    assert not any(
        "BEGIN SOLUTION" in c.source or "BEGIN HIDDEN" in c.source for c in student.cells
    )
    assert all(not c.get("outputs") for c in _code_cells(student)), "outputs are cleared"
    messages = _checker_messages(_run(student, student_path.parent))
    assert messages and all("not implemented yet" in m for m in messages), messages
