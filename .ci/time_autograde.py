"""Time ``nbgrader autograde`` of one submission (the instructor's solutions) per lecture, with
the experiment skip (the default while nbgrader grades) and without it (``NNLIB_GRADING_SKIP=0``).

    python .ci/time_autograde.py 00_pytorch_basics 04_normalization 07_transfer_learning

Prints one line per lecture: seconds per submission with and without the skip. Each timing is
the wall time of one ``nbgrader autograde`` command over one submission, so it includes starting
nbgrader, its database and the kernel, as a grader's machine pays them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "how-nets-train"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
c.Execute.timeout = 300
"""


def _nbgrader(course: Path, env: dict, *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - start


def time_lecture(stem: str) -> dict[str, float]:
    lecture = ROOT / "notebooks" / f"{stem}.ipynb"
    assignment = f"lecture{stem.split('_')[0]}"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    times = {}
    for label, skip in (("with the skip", "1"), ("without", "0")):
        with tempfile.TemporaryDirectory() as folder:
            course = Path(folder)
            (course / "nbgrader_config.py").write_text(CONFIG)
            for where in ("source", f"submitted/student/{assignment}"):
                target = course / where / (assignment if where == "source" else "")
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(lecture, target / lecture.name)
            _nbgrader(course, env, "generate_assignment", assignment)
            times[label] = _nbgrader(
                course, dict(env, NNLIB_GRADING_SKIP=skip), "autograde", assignment
            )
    return times


if __name__ == "__main__":
    for stem in sys.argv[1:]:
        times = time_lecture(stem)
        print(stem, "; ".join(f"{k}: {v:.0f} s" for k, v in times.items()), flush=True)
