"""Re-execute notebooks in place (``make execute``), storing outputs and widget state.

Each notebook runs top to bottom in a fresh kernel from its own folder; the wall-clock time is
recorded in the notebook's metadata (``nnlib.execution_seconds``), which the hygiene test holds to
the course's 90-second budget.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        store_widget_state=True,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.setdefault("nnlib", {})["execution_seconds"] = round(seconds, 1)
    nbformat.write(nb, path)
    return seconds


def main() -> int:
    # Progress bars are for people watching a run; stored outputs (and nbval's re-run, which
    # sets the same variable) carry none, so the book shows no frozen bars.
    os.environ["TQDM_DISABLE"] = "1"
    # Every FigureApp displayed while executing for the book embeds its kernel-free version:
    # frames precomputed over its grid (nncourse.widgets.static), shown by the built HTML.
    os.environ["NNLIB_STATIC_FRAMES"] = "1"
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args()
    for path in args.notebooks:
        seconds = execute(path, args.timeout)
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
