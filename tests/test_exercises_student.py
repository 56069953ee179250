"""The student versions (``make student``, the student edition) show no nnlib source of a function
an exercise asks for before that exercise: such cells are tagged ``student-after-exercises`` and
move to the end of the exercises. ``make pin`` (pinning a semester) and ``make student-branch``
work as the instructors' guide says, run on copies of the repository's files in a temporary
folder."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
from make_student import AFTER_EXERCISES, MOVED_NOTE, clear_solutions  # noqa: E402

NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("_"))
# the source cells that print the reference of an exercise (exercise: the function shown)
SHOWN = {
    "01_convexity": "optim.exact_step",
    "03_initialization": "init.kaiming_normal_",
    "04_normalization": "norm.batch_norm",
    "05a_optimizers": "optim.sgd_update",
    "07_transfer_learning": "transfer.extract_features",
}


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_reference_source_is_shown_before_the_exercises(path):
    student = clear_solutions(nbformat.read(path, as_version=4))
    first_task = next(i for i, c in enumerate(student.cells) if _grade_id(c).endswith("_task"))
    last_test = max(i for i, c in enumerate(student.cells) if _grade_id(c).endswith("_test"))
    shown = SHOWN.get(path.stem)
    before = [c.source for c in student.cells[:first_task] if c.cell_type == "code"]
    if shown:
        assert not any(f"getsource({shown}" in s for s in before), f"{shown} before the exercises"
        after = [c.source for c in student.cells[last_test:] if c.cell_type == "code"]
        assert any(f"getsource({shown}" in s for s in after), f"{shown} after the exercises"
        assert any(c.source == MOVED_NOTE for c in student.cells[:first_task])
    moved = [c for c in student.cells if AFTER_EXERCISES in c.metadata.get("tags", [])]
    assert all(student.cells.index(c) > last_test for c in moved)


def test_the_source_notebooks_keep_the_cell_in_the_lecture():
    nb = nbformat.read(ROOT / "notebooks" / "01_convexity.ipynb", as_version=4)
    first_task = next(i for i, c in enumerate(nb.cells) if _grade_id(c).endswith("_task"))
    assert any("getsource(optim.exact_step" in c.source for c in nb.cells[:first_task])


def _make(folder: Path, *args: str) -> str:
    """``make`` in ``folder`` with this interpreter, its set-up step taken as done."""
    done = subprocess.run(
        ["make", "-o", ".venv/.setup-done", *args, f"PY={sys.executable}"],
        cwd=folder,
        env=dict(
            os.environ,
            GIT_AUTHOR_NAME="Instructor",
            GIT_AUTHOR_EMAIL="instructor@example.org",
            GIT_COMMITTER_NAME="Instructor",
            GIT_COMMITTER_EMAIL="instructor@example.org",
        ),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _copy(paths: list[Path], folder: Path) -> None:
    for path in paths:
        target = folder / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


def _colab_rule_holds(folder: Path) -> None:
    """The rule of the Colab-cell and install-command tests (tests/test_front_matter.py), on the
    files in ``folder``: every notebook's first code cell and the front pages install from the
    address ``_config.yml`` gives."""
    repository = yaml.safe_load((folder / "_config.yml").read_text())["repository"]
    address = f"git+{repository['url']}@{repository['branch']}"
    for path in sorted((folder / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert f'SOURCE = "{address}"' in first.source, path.name
        assert '%pip install --quiet "nnlib @ {SOURCE}"' in first.source, path.name
    for page in ("README.md", "book/instructors.md", "book/setup.md"):
        assert f'pip install "nnlib @ {address}"' in (folder / page).read_text(), page


def test_make_pin_pins_every_notebook_and_back(tmp_path):
    pages = [ROOT / "README.md", *sorted((ROOT / "book").glob("*.md"))]
    files = [ROOT / "Makefile", ROOT / "_config.yml", ROOT / ".ci" / "pin_semester.py", *pages]
    files += sorted((ROOT / "notebooks").glob("*.ipynb"))
    _copy(files, tmp_path)
    branch = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]
    ref = f"pin-test-{branch}"  # another name than the current one, pinned or not
    _make(tmp_path, "pin", f"REF={ref}")
    assert f"  branch: {ref}\n" in (tmp_path / "_config.yml").read_text()
    _colab_rule_holds(tmp_path)
    for path in (tmp_path / "notebooks").glob("*.ipynb"):
        assert f"how-nets-train@{branch}" not in path.read_text(), path.name
    _make(tmp_path, "pin", f"REF={branch}")  # back to the branch: every file as it was
    for path in files:
        copy = tmp_path / path.relative_to(ROOT)
        assert copy.read_bytes() == path.read_bytes(), copy.relative_to(tmp_path)


def test_make_pin_refuses_what_is_not_a_ref(tmp_path):
    from pin_semester import pin

    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    with pytest.raises(ValueError):
        pin("fall 2027; rm -rf", root=tmp_path)


def test_make_student_branch_commits_the_student_notebooks(tmp_path):
    lecture = ROOT / "notebooks" / "00_pytorch_basics.ipynb"
    guide, test = ROOT / "book" / "instructors.md", ROOT / "tests" / "test_makefile.py"
    _copy([ROOT / "Makefile", ROOT / ".ci" / "make_student.py", lecture, guide, test], tmp_path)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=I", "-c", "user.email=i@example.org", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "course")
    notebook = f"NOTEBOOKS=notebooks/{lecture.name}"
    out = _make(tmp_path, "student-branch", notebook, "STUDENT_BRANCH=student-edition")
    assert "push it with git push origin student-edition" in out
    released = git("show", f"student-edition:notebooks/{lecture.name}")
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released
    assert "raise NotImplementedError()" in released
    assert git("show", "student-edition:Makefile") == (ROOT / "Makefile").read_text()
    on_branch = git("ls-tree", "-r", "--name-only", "student-edition").split()
    assert "book/instructors.md" in git("ls-tree", "-r", "--name-only", "main").split()
    assert not [f for f in on_branch if f.startswith(("book/instructors", "tests/", ".ci/"))]
    # the instructor's branch, index and working tree are untouched (student/ is new)
    assert git("rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git("status", "--porcelain").split() == ["??", "student/"]
    assert (tmp_path / lecture.relative_to(ROOT)).read_bytes() == lecture.read_bytes()
    _make(tmp_path, "student-branch", notebook, "STUDENT_BRANCH=student-edition")  # again
    assert len(git("log", "--format=%H", "student-edition").split()) == 2
