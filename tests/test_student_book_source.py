"""The student edition's sources (``.ci/build_student_book.py``, without the book build): the
instructors' page keeps its structure but loses what helps a student game the grading."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
import build_student_book  # noqa: E402

# what the instructors' page says that a student must not read: the debugging exercises'
# planted bugs, and the ways around the grader
PLANTED_BUGS = (
    "train and eval modes swapped",
    "dropout rescaled at the wrong time",
    "a power iteration that overflows",
    "compares with the previous loss",
)
LOOPHOLES = ("What the checks do not stop", "sys.setprofile(None)", "_SNAPSHOT", "another thread")


@pytest.fixture(scope="module")
def guides(tmp_path_factory) -> tuple[str, str]:
    source = build_student_book.prepare_source(tmp_path_factory.mktemp("student"), "student")
    return (
        (ROOT / "book" / "instructors.md").read_text(),
        (source / "book" / "instructors.md").read_text(),
    )


@pytest.mark.parametrize("text", PLANTED_BUGS + LOOPHOLES)
def test_the_student_edition_drops_the_planted_bugs_and_the_loopholes(guides, text):
    instructors, student = guides
    assert text in instructors, "the search can find it in the instructors' edition"
    assert text not in student


def test_the_rest_of_the_guide_stays(guides):
    instructors, student = guides
    for kept in (
        "at least one **debugging** exercise: a colleague's broken implementation is "
        "shown, with the symptom it produces",
        "### Hiding the answers (graded mode)",
        "## Release, collect and grade with nbgrader",
    ):
        assert kept in student
    assert len(student) > 0.6 * len(instructors)
