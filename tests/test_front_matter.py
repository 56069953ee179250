"""The front matter says what is true of the repository.

Checked here: the instructors' table of exercises and points is the one the notebooks give; the
install command on the front pages and in every Colab cell is the one `_config.yml` sets; local
links on the front pages point at files that exist; requirements.txt points at no notes that do
not exist.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
import instructors_table  # noqa: E402

FRONT = [ROOT / "README.md", *sorted((ROOT / "book").glob("*.md"))]
NOTEBOOKS = instructors_table.notebooks()


def _install_address() -> str:
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return f"git+{repository['url']}@{repository['branch']}"


def test_the_instructors_table_matches_the_notebooks():
    stored = instructors_table.TABLE.read_text()
    assert stored == instructors_table.table(NOTEBOOKS), "run: python .ci/instructors_table.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_lecture_has_a_debugging_and_an_open_exercise_and_at_most_one_warm_up(path):
    kinds = list(instructors_table.kinds(path).values())
    manual = [e for e in instructors_table.exercises(path) if e["manual"]]
    assert kinds.count("debugging") >= 1 and kinds.count("warm-up") <= 1, kinds
    assert kinds.count("open") == 1 and len(manual) == 1, kinds


def test_the_questions_nothing_grades_are_listed():
    marked = sum(
        cell.source.count(instructors_table.PROMPT)
        for p in NOTEBOOKS
        for cell in nbformat.read(p, as_version=4).cells
    )
    listed = [q for p in NOTEBOOKS for q in instructors_table.prompts(p)]
    assert marked == len(listed) >= 15 and all(q.endswith(("?", ".")) for _, q in listed)


@pytest.mark.parametrize("page", ["README.md", "book/instructors.md", "book/setup.md"])
def test_front_pages_give_the_configured_install_command(page):
    text = (ROOT / page).read_text()
    assert f'pip install "nnlib @ {_install_address()}"' in text


@pytest.mark.parametrize("path", [*NOTEBOOKS, ROOT / "notebooks" / "_template.ipynb"], ids=str)
def test_colab_cells_install_from_the_configured_address(path):
    first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    # the address sits in a variable so that the %pip line fits the book's code column
    assert f'SOURCE = "{_install_address()}"' in first.source
    assert '%pip install --quiet "nnlib @ {SOURCE}"' in first.source


@pytest.mark.parametrize("page", FRONT, ids=lambda p: p.name)
def test_local_links_resolve(page):
    for target in re.findall(r"\]\(([^)#\s]+)[^)]*\)", page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_requirements_comments_point_at_what_exists():
    text = (ROOT / "requirements.txt").read_text()
    assert "TOOLING notes in README" not in text
    for doc in re.findall(r"see ([\w./]+\.md)", text):
        assert (ROOT / doc).exists(), doc
