"""Time ``nbgrader autograde`` of one submission (the instructor's solutions) per lecture, with
the experiment skip (the default while nbgrader grades), and write the guide's cost table.

    flock /tmp/cpu.lock python .ci/time_autograde.py 00_pytorch_basics  # time, store
    python .ci/time_autograde.py --table  # write book/instructors_autograde.md

Each timing is the wall time of one ``nbgrader autograde`` command over one submission, so it
includes starting nbgrader, its database and the kernel, as a grader's machine pays them (nbgrader
sets ``NBGRADER_EXECUTION=autograde`` in the kernel). The measurements are stored in
``.ci/autograde_times.json`` with the date and the machine's core count; ``--table`` renders them
beside what grading would cost without the skip: the whole lecture, whose run time
``.ci/execute_notebooks.py`` records in each notebook (``--whole`` also times an autograde without
the skip, ``NNLIB_GRADING_SKIP=0``, and stores it, for a check of that stand-in).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMES = ROOT / ".ci" / "autograde_times.json"
TABLE = ROOT / "book" / "instructors_autograde.md"
STUDENTS = 200
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


def time_lecture(stem: str, whole: bool = False) -> dict[str, float]:
    """Seconds for one autograded submission of ``stem``: ``skip`` (experiments skipped) and,
    with ``whole``, ``whole`` (``NNLIB_GRADING_SKIP=0``, the whole lecture)."""
    lecture = ROOT / "notebooks" / f"{stem}.ipynb"
    assignment = f"lecture{stem.split('_')[0]}"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    times = {}
    for label, skip in (("skip", "1"), ("whole", "0"))[: 2 if whole else 1]:
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


def _minutes(seconds: float) -> str:
    """Seconds for the whole class as a rounded duration."""
    minutes = seconds * STUDENTS / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def recorded_seconds(stem: str) -> float:
    """The whole lecture's run time, as ``.ci/execute_notebooks.py`` recorded it."""
    notebook = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())
    return notebook["metadata"]["nnlib"]["execution_seconds"]


def table(times: dict) -> str:
    """The guide's cost table (markdown) from stored measurements and recorded run times."""
    rows = [
        "| lecture | autograde, with the skip | the whole lecture "
        f"| {STUDENTS} submissions, with the skip | without it |",
        "|---|---|---|---|---|",
    ]
    skip = whole = 0.0
    for stem, t in sorted(times["lectures"].items()):
        recorded = recorded_seconds(stem)
        skip, whole = skip + t["skip"], whole + recorded
        rows.append(
            f"| {stem} | {t['skip']:.0f} s | {recorded:.0f} s "
            f"| {_minutes(t['skip'])} | {_minutes(recorded)} |"
        )
    rows.append(
        f"| all {len(times['lectures'])} | {skip:.0f} s | {whole:.0f} s "
        f"| {_minutes(skip)} | {_minutes(whole)} |"
    )
    stems = sorted(p.stem for p in (ROOT / "notebooks").glob("[!_]*.ipynb"))
    missing = [stem for stem in stems if stem not in times["lectures"]]
    if missing:
        rows.append(f"\nNot timed yet: {', '.join(missing)}.")
    return (
        f"Autograde measured on {times['date']} on a {times['cores']}-core CPU, one submission at "
        "a time (`python .ci/time_autograde.py`; the machine was shared, so these are upper "
        "bounds). Without the skip a submission runs the whole lecture: its recorded run time "
        "(`make execute`) stands in, without nbgrader's start-up of a few seconds.\n\n"
        + "\n".join(rows)
        + "\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stems", nargs="*", help="lectures to time, e.g. 00_pytorch_basics")
    parser.add_argument("--table", action="store_true", help=f"write {TABLE.name}")
    parser.add_argument("--whole", action="store_true", help="also time without the skip")
    args = parser.parse_args()
    stored = json.loads(TIMES.read_text()) if TIMES.exists() else {"lectures": {}}
    for stem in args.stems:
        measured = time_lecture(stem, whole=args.whole)
        stored["lectures"][stem] = {k: round(v, 1) for k, v in measured.items()}
        stored["date"] = datetime.date.today().isoformat()
        stored["cores"] = os.cpu_count()
        TIMES.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        print(stem, "; ".join(f"{k}: {v:.0f} s" for k, v in measured.items()), flush=True)
    if args.table:
        TABLE.write_text(table(stored))
    return 0


if __name__ == "__main__":
    sys.exit(main())
