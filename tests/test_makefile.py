"""`make test`'s stages run every test: the browser and student-book stages name their files, and
the unit stage deselects their markers, so a marked test in another file would run nowhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert match, f"no target {target} in the Makefile"
    return match.group(1)


@pytest.mark.parametrize("marker", ["browser", "student_book"])
def test_marked_tests_live_in_the_file_their_stage_runs(marker):
    target = {"browser": "browser-test", "student_book": "student-book-test"}[marker]
    files = set(re.findall(r"tests/(test_\w+\.py)", _recipe(target)))
    assert files, f"`make {target}` names no test file"
    marked = {
        path.name
        for path in (ROOT / "tests").glob("test_*.py")
        if re.search(rf"pytest\.mark\.{marker}\b", path.read_text())
    }
    assert marked <= files, f"marked {marker} outside `make {target}`: {sorted(marked - files)}"
    assert f"not {marker}" in _recipe("unit")
