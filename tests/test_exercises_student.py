"""The student versions (``make student``, the student edition) show no nnlib source of a function
an exercise asks for before that exercise: such cells are tagged ``student-after-exercises`` and
move to the end of the exercises."""

import sys
from pathlib import Path

import nbformat
import pytest

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


def test_make_pin_rewrites_every_install_address(tmp_path):
    from pin_semester import pin

    for name in ("_config.yml", "README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "setup.md").write_text((ROOT / "book" / "setup.md").read_text())
    (tmp_path / "notebooks").mkdir()
    lecture = tmp_path / "notebooks" / "00_pytorch_basics.ipynb"
    lecture.write_text((ROOT / "notebooks" / "00_pytorch_basics.ipynb").read_text())
    changed = pin("fall-2027", root=tmp_path)
    assert len(changed) == 4
    assert "  branch: fall-2027\n" in (tmp_path / "_config.yml").read_text()
    colab = next(c for c in nbformat.read(lecture, as_version=4).cells if c.cell_type == "code")
    assert "how-nets-train@fall-2027" in colab.source and "@main" not in colab.source
    assert "how-nets-train@fall-2027" in (tmp_path / "README.md").read_text()
    with pytest.raises(ValueError):
        pin("fall 2027; rm -rf", root=tmp_path)
