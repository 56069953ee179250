"""Notebook hygiene and the student versions.

Hygiene: every lecture notebook is in the table of contents; its stored outputs are present, in
execution order, free of errors and of machine paths; its recorded run time is within budget; it
opens with the Colab set-up cell for the repository named in _config.yml; every solution cell is
hidden in the book.
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_have_stub_hidden_solution_and_checker(path):
    nb = nbformat.read(path, as_version=4)
    cells = _code_cells(nb)
    solutions = [i for i, c in enumerate(cells) if "solution" in c.metadata.get("tags", [])]
    assert solutions, "every lecture has exercises"
    for i in solutions:
        assert "hide-input" in cells[i].metadata["tags"], "solutions are hidden in the book"
        assert "raise NotImplementedError" in cells[i - 1].source, "a stub precedes each solution"
        checker = cells[i + 1]
        assert "check_" in checker.source
        shown = "".join(str(o.get("data", {}).get("text/plain", "")) for o in checker.outputs)
        assert "cases pass" in shown, "the stored checker output shows the solution passing"


def _run(nb, cwd: Path):
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def _checker_messages(nb) -> list[str]:
    return [
        "".join(str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
        for cell in _code_cells(nb)
        if cell.source.startswith("check_")
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
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)
    assert all(not c.get("outputs") for c in _code_cells(student)), "outputs are cleared"
    messages = _checker_messages(_run(student, student_path.parent))
    assert messages and all("not implemented yet" in m for m in messages), messages
