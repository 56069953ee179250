"""An nbgrader round trip for every lecture, in a temporary course folder, as an instructor runs it.

Each lecture is released with ``nbgrader generate_assignment``; its submissions are autograded in
one ``nbgrader autograde`` run:

* ``solved``: the instructor's solutions, which get full points;
* ``stubbed``: the untouched release, which gets zero, runs without a crash and whose feedback
  cells say "not implemented yet";
* ``wrong``: the solutions with the first exercise's answer wrong (lecture 0: a known
  misconception, named in the graded notebook's feedback), which gets zero for that exercise and
  full points for the others;
* ``gaming``: the release with no solution written, whose first solution cell rebinds every
  ``check_...`` name, patches ``nncourse.grading`` to return an object that is truthy and equal
  to everything, replaces ``torch.allclose`` and ``nnlib.init.calculate_gain`` by lambdas, and
  whose functions all return that object: zero;
* ``frame_walk`` (lecture 0 only, to keep the cost low): the solutions, with the first exercise's
  function replaced by one that walks the caller's frames and returns the first local named
  ``expected`` it finds (the checker's answer, were it computed before the student's function
  ran): zero for that exercise, full points for the others;
* ``frame_call`` (lecture 0 only): the same, but the function calls the checker's
  ``reference_fn`` found on the stack: zero where the checker forbids its reference (0.1 does);
* ``patched``: the solutions with every answer wrong (as in ``wrong``, for the first function
  of each solution cell), whose first solution cell swaps one C function for another
  (``torch.allclose = torch.equal``, no Python code of the notebook involved) and replaces
  ``nnlib.init.calculate_gain`` by a constant: zero, with the message that ``torch.allclose``
  was rebound.

While nbgrader grades, the lecture's experiments are skipped (``nncourse.grading``): a submission
runs its set-up and its exercises only, so this test costs seconds per submission.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("_"))
CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "how-nets-train"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
c.Execute.timeout = 300
"""
PATCHES = """
import nnlib.init
import torch

torch.allclose = lambda *a, **k: True  # every comparison agrees
nnlib.init.calculate_gain = lambda *a, **k: 1.0  # the reference the exercise module imports
"""
GAMING = (
    """
import nncourse.grading as _core


class _Always:
    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    __hash__ = object.__hash__


def _always(*args, **kwargs):
    return _Always()


for _name in {names!r}:
    globals()[_name] = _always
_core.check = _core.check_value = _core.grade = _always
"""
    + PATCHES
)


def _nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _grade_id(cell: dict) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _solution_cells(notebook: dict) -> list[dict]:
    return [c for c in notebook["cells"] if _grade_id(c).endswith("_solution")]


def _defined_names(source: str) -> list[str]:
    return re.findall(r"^def (\w+)|^(\w+) =", source, re.M)


def _wrong_first_exercise(notebook: dict, lecture: Path) -> tuple[dict, str]:
    """The solutions with exercise 1 answered wrongly; returns the notebook and its grade id."""
    cell = _solution_cells(notebook)[0]
    source = _source(cell)
    if lecture.name.startswith("00_"):  # a known misconception: the chain rule's factor 2 dropped
        assert "2 * (residual" in source, "the misconception below no longer applies"
        source = source.replace("2 * (residual", "(residual")
    else:  # the right answer, scaled (in place, for a function that fills its argument)
        name = next(d for d, _ in _defined_names(source) if d)
        source += (
            f"\n\n_right = {name}\n\n\ndef {name}(*args, **kwargs):\n"
            "    result = _right(*args, **kwargs)\n"
            "    if isinstance(result, torch.Tensor):\n"
            "        with torch.no_grad():\n"
            "            return result.mul_(1.5)\n"
            "    return 1.5 * result\n"
        )
    cell["source"] = source
    return notebook, _grade_id(cell).replace("_solution", "_test")


FRAME_WALK = """

import sys as _sys


def {name}(*args, **kwargs):
    frame = _sys._getframe(1)
    while frame is not None:  # up through the checker's frames
        if {local!r} in frame.f_locals:
            return frame.f_locals[{local!r}]{call}
        frame = frame.f_back
    return float("nan")
"""


def _frame_walk(notebook: dict, local: str, call: bool) -> dict:
    """The solutions with the first exercise's function replaced by a frame walk that returns
    the caller's local ``local`` (or, with ``call``, calls it with the function's arguments)."""
    cell = _solution_cells(notebook)[0]
    source = _source(cell)
    name = next(d for d, _ in _defined_names(source) if d)
    call_source = "(*args, **kwargs)" if call else ""
    cell["source"] = source + FRAME_WALK.format(name=name, local=local, call=call_source)
    return notebook


def _patched(notebook: dict) -> dict:
    """The solutions with the first function of every solution cell answering wrongly (scaled by
    1.5), ``torch.allclose`` swapped for ``torch.equal`` and an nnlib reference patched."""
    for number, cell in enumerate(_solution_cells(notebook)):
        source = _source(cell)
        names = [d for d, _ in _defined_names(source) if d]
        if names:
            source += (
                f"\n\n_right_{number} = {names[0]}\n\n\ndef {names[0]}(*args, **kwargs):\n"
                f"    result = _right_{number}(*args, **kwargs)\n"
                "    return result * 1.5 if isinstance(result, torch.Tensor) else 1.5 * result\n"
            )
        cell["source"] = (SWAP if number == 0 else "") + source
    return notebook


SWAP = """
import nnlib.init
import torch

torch.allclose = torch.equal  # one C function for another: no notebook code to find
nnlib.init.calculate_gain = lambda *a, **k: 1.0  # the reference the exercise module imports
"""


def _gaming(released: dict) -> dict:
    """The release with every function returning an always-equal object and the checkers
    rebound and patched."""
    checkers = sorted(
        {n for c in released["cells"] for n in re.findall(r"\bcheck_\w+", _source(c))}
    )
    for number, cell in enumerate(_solution_cells(released)):
        lines = [GAMING.format(names=checkers)] if number == 0 else []
        for function, variable in _defined_names(_source(cell)):
            if function:
                lines.append(f"def {function}(*args, **kwargs):\n    return _Always()\n")
            else:
                lines.append(f"{variable} = _Always()\n")
        cell["source"] = "\n".join(lines)
    return released


@pytest.fixture(scope="class")
def graded(request, tmp_path_factory):
    """One lecture's round trip, shared by the tests of its class (one class per lecture, so that
    ``pytest -n 2 --dist loadscope`` runs each lecture once, on one worker)."""
    lecture = request.cls.lecture
    assignment = f"lecture{lecture.stem.split('_')[0]}"
    course = tmp_path_factory.mktemp(assignment)
    (course / "nbgrader_config.py").write_text(CONFIG)
    source = course / "source" / assignment
    source.mkdir(parents=True)
    shutil.copy(lecture, source / lecture.name)
    _nbgrader(course, "generate_assignment", assignment)
    released = course / "release" / assignment / lecture.name
    wrong, wrong_test = _wrong_first_exercise(json.loads(lecture.read_text()), lecture)
    submissions = {
        "solved": json.loads(lecture.read_text()),
        "stubbed": json.loads(released.read_text()),
        "wrong": wrong,
        "gaming": _gaming(json.loads(released.read_text())),
        "patched": _patched(json.loads(lecture.read_text())),
    }
    if request.cls.frame_walk:
        solved = lecture.read_text()
        submissions["frame_walk"] = _frame_walk(json.loads(solved), "expected", call=False)
        submissions["frame_call"] = _frame_walk(json.loads(solved), "reference_fn", call=True)
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        (folder / lecture.name).write_text(json.dumps(notebook))
    _nbgrader(course, "autograde", assignment)
    from nbgrader.api import Gradebook

    tests = [_grade_id(c) for c in json.loads(lecture.read_text())["cells"]]
    tests = [t for t in tests if t.endswith("_test")]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            student: {
                test: gradebook.find_grade(test, lecture.stem, assignment, student).score
                for test in tests
            }
            for student in submissions
        }
        maximum = {
            test: gradebook.find_grade(test, lecture.stem, assignment, "solved").max_score
            for test in tests
        }
    return {
        "lecture": lecture,
        "course": course,
        "assignment": assignment,
        "released": released,
        "scores": scores,
        "maximum": maximum,
        "wrong_test": wrong_test,
    }


def _outputs(graded: dict, student: str, suffix: str) -> list[str]:
    path = graded["course"] / "autograded" / student / graded["assignment"] / graded["lecture"].name
    return [
        json.dumps(c.get("outputs", []), ensure_ascii=False)
        for c in json.loads(path.read_text())["cells"]
        if _grade_id(c).endswith(suffix)
    ]


class RoundTrip:
    """The tests of one lecture's round trip; a subclass per lecture sets ``lecture``."""

    lecture: Path
    frame_walk = False  # whether the frame-walk submissions are graded too (see FrameWalk)

    def test_the_release_has_stubs_and_no_solutions(self, graded):
        text = graded["released"].read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text

    def test_the_solutions_get_full_points(self, graded):
        assert all(graded["maximum"].values())
        assert graded["scores"]["solved"] == graded["maximum"]

    def test_the_release_gets_zero_and_its_checkers_wait(self, graded):
        assert not any(graded["scores"]["stubbed"].values())
        feedback = _outputs(graded, "stubbed", "_feedback")
        assert feedback and all("not implemented yet" in text for text in feedback), feedback

    def test_a_wrong_answer_loses_that_exercise_only(self, graded):
        scores, wrong = graded["scores"]["wrong"], graded["wrong_test"]
        assert scores[wrong] == 0
        assert {t: s for t, s in scores.items() if t != wrong} == {
            t: m for t, m in graded["maximum"].items() if t != wrong
        }

    def test_rebinding_the_checkers_and_always_equal_answers_get_zero(self, graded):
        assert not any(graded["scores"]["gaming"].values()), graded["scores"]["gaming"]

    def test_patching_torch_or_nnlib_gets_zero_and_says_so(self, graded):
        assert not any(graded["scores"]["patched"].values()), graded["scores"]["patched"]
        graded_tests = " ".join(_outputs(graded, "patched", "_test"))
        assert "the library was modified in this notebook" in graded_tests
        assert "`torch.allclose` was rebound to another function, `equal`" in graded_tests

    def test_the_graded_feedback_hides_the_answer_and_names_a_known_mistake(self, graded):
        graded_test = " ".join(_outputs(graded, "wrong", "_test"))
        assert "expected:" not in graded_test, "the graded test hides the answer"
        # so do the feedback cells nbgrader executed (generate_feedback hands them back)
        assert "expected:" not in " ".join(_outputs(graded, "wrong", "_feedback"))
        if graded["lecture"].name.startswith("00_"):
            # lecture 0's wrong submission holds a known misconception: it is named, not answered
            assert "cubic_gradient" in graded_test and "known mistake" in graded_test, graded_test
            assert "known mistake" in " ".join(_outputs(graded, "wrong", "_feedback"))


def test_the_guides_cost_table_is_the_measured_one():
    """book/instructors_autograde.md is what ``.ci/time_autograde.py --table`` writes from the
    stored measurements (it names the lectures not timed yet) and the recorded run times."""
    sys.path.insert(0, str(ROOT / ".ci"))
    import time_autograde

    times = json.loads(time_autograde.TIMES.read_text())
    assert set(times["lectures"]) <= {p.stem for p in NOTEBOOKS}
    assert time_autograde.TABLE.read_text() == time_autograde.table(times), (
        "run: python .ci/time_autograde.py --table"
    )


class FrameWalk:
    """The frame-walk submissions of one lecture: each cheats on the first exercise only."""

    frame_walk = True

    def _first_exercise_only(self, graded, student):
        scores, first = graded["scores"][student], graded["wrong_test"]
        assert scores[first] == 0, scores
        others = {t: m for t, m in graded["maximum"].items() if t != first}
        assert {t: s for t, s in scores.items() if t != first} == others

    def test_reading_the_answer_from_the_callers_frames_gets_zero_there(self, graded):
        # the checker runs the student's function before the reference: no answer on the stack
        self._first_exercise_only(graded, "frame_walk")

    def test_calling_the_reference_found_on_the_stack_gets_zero_there(self, graded):
        # the reference is found, but the checker forbids it and sees the call
        self._first_exercise_only(graded, "frame_call")
        graded_test = " ".join(_outputs(graded, "frame_call", graded["wrong_test"]))
        assert "your function calls `" in graded_test, graded_test


for _lecture in NOTEBOOKS:
    _name = "TestRoundTrip_" + _lecture.stem
    _bases = (FrameWalk, RoundTrip) if _lecture.name.startswith("00_") else (RoundTrip,)
    globals()[_name] = type(_name, _bases, {"lecture": _lecture})
