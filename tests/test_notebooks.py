"""Notebook hygiene and the student versions.

Hygiene: every lecture notebook is in the table of contents; its stored outputs are present, in
execution order, free of errors, machine paths, progress bars and raw round-off; its recorded run
time is within budget; it opens with the Colab set-up cell for the repository named in _config.yml;
its measured results are claims, listed in its summary; its exercises follow the nbgrader layout
(solutions hidden in the book) and its student version holds no solution (tests/test_nbgrader.py
runs the released version and sees every checker wait for the student).
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from nncourse.evidence import FINDING_LINE

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
    solutions = [
        i for i, c in enumerate(cells) if _nbgrader(c).get("solution") and c.cell_type == "code"
    ]
    assert len(solutions) >= MIN_EXERCISES, f"{len(solutions)} exercises, need {MIN_EXERCISES}"
    for answer in (c for c in cells if _nbgrader(c).get("solution") and c.cell_type != "code"):
        grade = _nbgrader(answer)  # an open exercise's answer cell, graded by hand
        assert grade.get("grade") and grade.get("points", 0) > 0, grade
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
        assert test.source.startswith("### BEGIN HIDDEN TESTS")
        # the graded test imports its checker afresh, whatever the submission rebound
        assert "importlib.reload" in test.source and "_grading.grade(" in test.source


def _finding_lines(nb) -> int:
    """Stored output lines ``✓ statement [basis]``: the findings printed by ``evidence.claim``
    (an exercise checker's "✓ ... all cases pass" names no basis and does not count)."""
    lines = (line for c in _code_cells(nb) for line in _texts(c).splitlines())
    return sum(bool(FINDING_LINE.match(line)) for line in lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_summary_lists_the_findings(path):
    nb = nbformat.read(path, as_version=4)
    code = _code_cells(nb)
    summaries = [c for c in code if "evidence.summary()" in c.source]
    assert summaries, "the summary section lists the notebook's findings"
    assert "findings in this notebook" in _texts(summaries[-1])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_hold_a_finding(path):
    nb = nbformat.read(path, as_version=4)
    assert _finding_lines(nb) > 0, "no finding (a line '✓ ...') in the stored outputs"


def _is_claim_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "claim"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "claim"
        and isinstance(func.value, ast.Name | ast.Attribute)
        and (func.value.id if isinstance(func.value, ast.Name) else func.value.attr) == "evidence"
    )


def claims_without_basis(nb) -> list[str]:
    """The ``claim(...)`` / ``evidence.claim(...)`` calls in ``nb``'s code cells that pass no
    ``basis=`` keyword (``**kwargs`` counts as passing it), as source snippets. Lines that are
    IPython magics or shell commands are blanked before parsing."""
    missing = []
    for cell in _code_cells(nb):
        source = "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line
            for line in cell.source.splitlines()
        )
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # a stub the student completes; nbval and the unit tests run the rest
        for node in ast.walk(tree):
            if _is_claim_call(node) and not any(k.arg in ("basis", None) for k in node.keywords):
                missing.append(ast.get_source_segment(source, node)[:80])
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_claim_names_its_basis(path):
    nb = nbformat.read(path, as_version=4)
    missing = claims_without_basis(nb)
    assert not missing, f"claim(...) without basis=: {missing}"


def test_the_basis_checker_catches_a_claim_without_basis():
    def notebook(*sources):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# T")]
        nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
        return nb

    good = notebook(
        "%matplotlib inline\nfrom nncourse.evidence import claim, check",
        'claim("a is small", a < 1, basis="theory", a=a)',
        'evidence.claim("b", b, basis="control")\ncheck("an identity", True)',
        'nncourse.evidence.claim("c", c, **kwargs)',
        "def f(:\n    pass",  # unparsable cells are skipped
    )
    assert claims_without_basis(good) == []
    bad = notebook(
        'claim("a is small", a < 1, a=a)',
        'for a in xs:\n    evidence.claim(f"{a} holds", a > 0)',
        'print(claim.__doc__)\nclaimed("not a claim", True)',
    )
    assert claims_without_basis(bad) == [
        'claim("a is small", a < 1, a=a)',
        'evidence.claim(f"{a} holds", a > 0)',
    ]


def test_the_finding_counter_reads_stored_outputs():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("claim(...)")
    cell.outputs = [
        nbformat.v4.new_output("stream", text="✓ a finding [theory]\n    measured: a = 1\n"),
        nbformat.v4.new_output("stream", text="· check: an identity\nnot ✓ a finding\n"),
    ]
    nb.cells = [cell]
    assert _finding_lines(nb) == 1
    cell.outputs = cell.outputs[1:]
    assert _finding_lines(nb) == 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_progress_bars_or_raw_round_off_in_stored_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in _code_cells(nb):
        text = _texts(cell)
        assert not PROGRESS_BAR.search(text), f"a progress bar is stored: {cell.source[:60]!r}"
        # a finding's "measured:" line is masked by nbval: it may print p-values and gaps
        shown = "\n".join(x for x in text.splitlines() if not x.startswith("    measured: "))
        match = ROUND_OFF.search(shown)
        assert match is None, (
            f"round-off {match.group(0)!r} printed as a value (print the bound it is checked "
            f"against instead): {cell.source[:60]!r}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_has_no_solutions_and_no_outputs(path, tmp_path):
    # tests/test_nbgrader.py runs the released version (nbgrader's, the same preprocessors) and
    # checks that every checker waits for the student; nbval runs the experiments. The script runs
    # in this process: a subprocess per notebook spent its time importing nbgrader.
    written = _script("make_student").make_student(path, tmp_path / "notebooks")
    student = nbformat.read(written, as_version=4)
    assert not any(
        "BEGIN SOLUTION" in c.source or "BEGIN HIDDEN" in c.source for c in student.cells
    )
    assert all(not c.get("outputs") for c in _code_cells(student)), "outputs are cleared"
    stubs = [c for c in student.cells if "raise NotImplementedError()" in c.source]
    assert len(stubs) >= MIN_EXERCISES, "every exercise is left as a stub"


@functools.cache
def _script(name: str):
    """The module of the script ``.ci/<name>.py``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _collapse_script():
    return _script("collapse_evidence")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_that_hold_only_evidence_are_collapsed_in_the_book(path):
    script = _collapse_script()
    cells = json.loads(path.read_text())["cells"]
    loose = [c.get("id") for c in cells if script.evidence_only(c) and not script.collapsed(c)]
    assert not loose, f"run `python .ci/collapse_evidence.py {path.relative_to(ROOT)}`: {loose}"


def test_the_evidence_collapser_tells_evidence_from_other_output():
    script = _collapse_script()

    def cell(text, tags=("hide-input",)):
        output = {"output_type": "stream", "name": "stdout", "text": text}
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "outputs": [output]}

    evidence = cell("✓ a holds [theory]\n    measured: a = 1\n· check: b\n")
    assert script.evidence_only(evidence)
    assert not script.evidence_only(cell("a table\n✓ a holds [theory]\n"))
    assert not script.evidence_only(cell("✓ a holds [theory]\n", tags=()))  # input on show
    script.collapse(evidence)
    assert script.collapsed(evidence) and "hide-input" not in evidence["metadata"]["tags"]


FIGURE_CALL = re.compile(r"\b\w+_figure\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_cell_that_draws_a_figure_shows_it(path):
    """A figure built in the middle of a cell and not displayed is silently lost (the figure check
    never sees it): every cell that calls a ``*_figure(...)`` function stores an image."""
    lost = []
    for cell in _code_cells(nbformat.read(path, as_version=4)):
        if not FIGURE_CALL.search(cell.source) or re.search(r"^def ", cell.source, re.M):
            continue
        shown = [
            o
            for o in cell.get("outputs", [])
            if {"image/png", "text/html"} & set(o.get("data", {}))
        ]
        if not shown:
            lost.append(cell.get("id"))
    assert not lost, f"cells that build a figure and show none: {lost}"
