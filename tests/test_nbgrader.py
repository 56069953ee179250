"""An nbgrader round trip in a temporary course folder, as an instructor would run it.

Lecture 0 is released with ``nbgrader generate_assignment``; three submissions are autograded with
``nbgrader autograde``: the solutions (full marks), the untouched release (zero, and no crash) and
one with a known misconception in the first exercise (partial marks, and the checker's feedback,
naming the misconception, in the graded notebook).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "notebooks" / "00_pytorch_basics.ipynb"
ASSIGNMENT = "lecture00"
CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "how-nets-train"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
c.Execute.timeout = 300
"""


def _nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )


def _forget_the_factor_two(notebook: dict) -> dict:
    """The first exercise's solution with the chain rule's factor 2 dropped."""
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if "### BEGIN SOLUTION" in source and "def cubic_gradient" in source:
            assert "2 * (residual" in source, "the misconception below no longer applies"
            cell["source"] = source.replace("2 * (residual", "(residual")
            return notebook
    raise AssertionError("exercise 0.1's solution cell not found")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(CONFIG)
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    shutil.copy(LECTURE, source / LECTURE.name)
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / LECTURE.name
    submissions = {
        "solved": json.loads(LECTURE.read_text()),
        "stubbed": json.loads(released.read_text()),
        "mistaken": _forget_the_factor_two(json.loads(LECTURE.read_text())),
    }
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / LECTURE.name).write_text(json.dumps(notebook))
    _nbgrader(course, "autograde", ASSIGNMENT)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            student: (sub.score, sub.max_score)
            for student in submissions
            for sub in [gradebook.find_submission(ASSIGNMENT, student)]
        }
    return course, released, scores


def test_the_release_has_stubs_and_no_solutions(graded):
    _, released, _ = graded
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text


def test_the_solutions_get_full_marks(graded):
    score, maximum = graded[2]["solved"]
    assert maximum > 0 and score == maximum


def test_the_stubs_get_zero(graded):
    score, maximum = graded[2]["stubbed"]
    assert maximum > 0 and score == 0


def test_a_misconception_gets_partial_marks_and_named_feedback(graded):
    course, _, scores = graded
    score, maximum = scores["mistaken"]
    assert 0 < score < maximum
    autograded = course / "autograded" / "mistaken" / ASSIGNMENT / LECTURE.name
    outputs = json.dumps(
        [c.get("outputs", []) for c in json.loads(autograded.read_text())["cells"]],
        ensure_ascii=False,
    )
    assert "cubic_gradient" in outputs and "known mistake" in outputs
