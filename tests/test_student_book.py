"""The student edition of the book (``make book-student``) carries no solution anywhere.

Every line of every solution region in the source notebooks, and every line printed by a cell that
depends on a solution (the feedback, hidden-test and follow-up cells: "predicted step 127"), is
looked for in the student edition's pages (tags stripped, entities decoded), in its `_sources`
and in its downloadable notebooks; none may appear. The same search over the default book must
find them, which shows that the search can fail. Launch buttons of the student edition open the
student branch.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.student_book

ROOT = Path(__file__).resolve().parents[1]
STUDENT_SITE = ROOT / "_build" / "student-html"
DEFAULT_SITE = ROOT / "_build" / "html"
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("_"))
TAG = re.compile(r"<[^>]+>")
sys.path.insert(0, str(ROOT / ".ci"))
from build_student_book import depends_on_a_solution  # noqa: E402


def _output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(str(output.get("text", "")))
        parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _solution_outputs(path: Path) -> list[str]:
    """Distinctive lines printed by the cells that depend on a solution: long enough, and not
    printed or written anywhere else in the notebook (a shared line proves nothing)."""
    cells = nbformat.read(path, as_version=4).cells
    lines, elsewhere = [], []
    for cell in cells:
        text = _output_text(cell) if cell.cell_type == "code" else ""
        if depends_on_a_solution(cell):
            lines += [x.strip() for x in text.splitlines() if len(x.strip()) >= 16]
        else:
            elsewhere += [text, cell.source]
    visible = "\n".join(elsewhere)
    return [line for line in dict.fromkeys(lines) if line not in visible]


def _solution_lines(path: Path) -> list[str]:
    """Distinctive lines of the notebook's solution regions: long enough, not comments, and not
    also written anywhere outside the solutions, whole or as part of a line
    (``with torch.no_grad():`` or a call's first line ``transfer.linear_probe(`` proves nothing)."""
    lines, elsewhere, inside = [], set(), False
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped == "### BEGIN SOLUTION":
                inside = True
            elif stripped == "### END SOLUTION":
                inside = False
            elif inside and len(stripped) >= 20 and not stripped.startswith("#"):
                lines.append(stripped)
            elif not inside:
                elsewhere.add(stripped)
    visible = "\n".join(elsewhere)
    return [line for line in lines if line not in visible]


def _page_texts(site: Path, stem: str) -> dict[str, str]:
    """The lecture's page, its `_sources` copy and its downloadable notebook, as text."""
    texts = {}
    for path in site.rglob(f"{stem}.*"):
        text = path.read_text(errors="replace")
        if path.suffix == ".html":
            text = html.unescape(TAG.sub("", text))
        texts[str(path.relative_to(site))] = text
    return texts


@pytest.fixture(scope="module")
def student_site() -> Path:
    assert STUDENT_SITE.is_dir(), "build the student edition first: make book-student"
    return STUDENT_SITE


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_solution_line_in_the_student_edition(student_site, path):
    lines = _solution_lines(path)
    assert lines, "every lecture has solutions to hide"
    texts = _page_texts(student_site, path.stem)
    assert any(name.endswith(".html") for name in texts), "the lecture's page was built"
    assert any(name.endswith(".ipynb") for name in texts), "its source is downloadable"
    for name, text in texts.items():
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{name} shows solution lines: {leaked[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_output_of_a_solution_in_the_student_edition(student_site, path):
    lines = _solution_outputs(path)
    assert lines, "every lecture prints its solutions' feedback"
    texts = _page_texts(student_site, path.stem)
    assert any(name.endswith(".ipynb") for name in texts), "its source is downloadable"
    for name, text in texts.items():
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{name} shows what a solution printed: {leaked[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_default_book_shows_the_solutions_outputs(path):
    assert DEFAULT_SITE.is_dir(), "build the book first: make book"
    page = (DEFAULT_SITE / "notebooks" / f"{path.stem}.html").read_text()
    text = html.unescape(TAG.sub("", page))
    missing = [line for line in _solution_outputs(path) if line not in text]
    assert not missing, f"the search cannot find {missing[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_default_book_keeps_the_solutions_behind_a_toggle(path):
    assert DEFAULT_SITE.is_dir(), "build the book first: make book"
    page = (DEFAULT_SITE / "notebooks" / f"{path.stem}.html").read_text()
    text = html.unescape(TAG.sub("", page))
    assert all(line in text for line in _solution_lines(path)), "the search can find solutions"
    assert "tag_hide-input" in page


def test_launch_buttons_open_the_student_branch(student_site):
    page = (student_site / "notebooks" / f"{NOTEBOOKS[0].stem}.html").read_text()
    links = re.findall(r'href="(https://colab[^"]+)"', page)
    assert links and all("/blob/student-edition/" in link for link in links), links


def test_the_rubrics_stay_in_the_instructors_edition(student_site):
    def text(site: Path) -> str:
        return html.unescape(TAG.sub("", (site / "book" / "instructors.html").read_text()))

    assert "a gradient check that can fail" in text(DEFAULT_SITE), "the search can find rubrics"
    student = text(student_site)
    assert "Rubrics for the open exercises" in student
    assert "a gradient check that can fail" not in student
    # the tolerance table's closed forms are answers (2.5, 5a.4, 5b.3, 5c.4)
    assert "Tolerances of the graded predictions" in student
    for answer in ("ln 1000", "1.21", "0 or 1 exactly", "0.5^k", "a number of steps, a batch size"):
        assert answer in text(DEFAULT_SITE).replace("\\", "").replace("$", ""), answer
        assert answer not in student.replace("\\", "").replace("$", ""), answer


def test_the_planted_bugs_and_the_loopholes_stay_in_the_instructors_edition(student_site):
    from test_student_book_source import LOOPHOLES, PLANTED_BUGS

    def text(site: Path) -> str:
        page = (site / "book" / "instructors.html").read_text()
        return " ".join(html.unescape(TAG.sub("", page)).split())

    for phrase in PLANTED_BUGS + LOOPHOLES:
        assert phrase in text(DEFAULT_SITE), f"the search can find {phrase!r}"
        assert phrase not in text(student_site), phrase
