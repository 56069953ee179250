"""Re-run notebooks on new seeds (``make replicate``): every finding must hold there too.

Each notebook is executed top to bottom in a fresh kernel, from the notebooks folder, with
``NNLIB_REPLICATION`` set to each replication in turn (1 and 2 by default), so every seed of the
course is shifted (``nnlib.utils.replicated_seed``). The notebook files are never written: each
run executes a copy in memory, and no output is compared with the stored one. A run fails on any
error, a failed claim (``ClaimFailed``) included; per notebook and replication the script prints
how many findings (lines ``✓ ...``) and checks (``· check: ...``) held, the first failing cell's
error line, and the time taken. The exit status is 1 if any run failed.

``--second-blas`` runs the kernels under the other BLAS path nbval uses
(``MKL_CBWR=COMPATIBLE MKL_ENABLE_INSTRUCTIONS=AVX2``). ``--rotation`` replaces the notebook
list with two notebooks chosen from the current commit (``git rev-parse HEAD`` as an integer,
modulo the number of pairs), so successive commits of CI cover them all. ``--jobs 2`` runs two
notebooks at a time, each kernel on one thread (``OMP_NUM_THREADS=1``), which on two cores takes
about half the time of one after the other.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nncourse.evidence import FINDING_LINE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SECOND_BLAS = {"MKL_CBWR": "COMPATIBLE", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
CHECK = "· check: "


def all_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if not p.name.startswith("_"))


def rotation(notebooks: list[Path], commit: str) -> list[Path]:
    """Two notebooks for ``commit`` (a hex id): pair ``int(commit, 16) % pairs`` of the sorted
    list cut in consecutive pairs (the last pair wraps round to the first notebook)."""
    if len(notebooks) <= 2:
        return list(notebooks)
    pairs = (len(notebooks) + 1) // 2
    k = int(commit, 16) % pairs
    return [notebooks[2 * k], notebooks[(2 * k + 1) % len(notebooks)]]


def _outputs_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(str(output.get("text", "")))
        data = output.get("data", {})
        if "text/plain" in data:
            parts.append(str(data["text/plain"]))
    return "\n".join(parts)


def count_lines(nb) -> tuple[int, int]:
    """(findings, checks): output lines ``✓ statement [basis]`` and ``· check: ...``."""
    findings = checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in _outputs_text(cell).splitlines():
            findings += bool(FINDING_LINE.match(line))
            checks += line.startswith(CHECK)
    return findings, checks


def first_error(nb) -> str | None:
    """``ename: evalue`` (first line) of the first cell whose outputs hold an error."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                value = str(output.get("evalue", "")).strip().splitlines()
                return f"{output.get('ename', 'Error')}: {value[0] if value else ''}"
    return None


def run(
    path: Path, replication: int, second_blas: bool, timeout: int, one_thread: bool = False
) -> tuple[bool, str]:
    """Execute a copy of ``path`` under ``replication``; returns (passed, report line)."""
    nb = nbformat.read(path, as_version=4)
    env = {"NNLIB_REPLICATION": str(replication), "TQDM_DISABLE": "1"}
    if second_blas:
        env.update(SECOND_BLAS)
    if one_thread:
        env["OMP_NUM_THREADS"] = "1"
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.perf_counter()
    error = None
    try:
        client.execute(env=os.environ | env)  # the kernel's environment
    except CellExecutionError as exc:
        error = first_error(nb) or str(exc).strip().splitlines()[-1]
    except Exception as exc:  # a timeout or a dead kernel
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    seconds = time.perf_counter() - start
    findings, checks = count_lines(nb)
    failed_claim = error is not None and "ClaimFailed" in error
    status = "FAILED CLAIM" if failed_claim else ("ERROR" if error else "ok")
    line = (
        f"{path.name} replication {replication}: {status}, {findings} findings and {checks} "
        f"checks held, {seconds:.1f} s"
    )
    if error:
        line += f"\n    first failing cell: {error}"
    return error is None, line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    parser.add_argument("--replications", nargs="+", type=int, default=[1, 2])
    parser.add_argument(
        "--second-blas",
        action="store_true",
        help="run under MKL_CBWR=COMPATIBLE MKL_ENABLE_INSTRUCTIONS=AVX2",
    )
    parser.add_argument(
        "--rotation",
        action="store_true",
        help="run two notebooks chosen from `git rev-parse HEAD` instead of a list",
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument(
        "--jobs", type=int, default=1, help="notebooks run at once (each kernel on one thread)"
    )
    args = parser.parse_args(argv)
    if any(r < 0 for r in args.replications):
        parser.error(f"Invalid --replications: {args.replications} (integers >= 0)")
    if args.jobs < 1:
        parser.error(f"Invalid --jobs: {args.jobs} (an integer >= 1)")
    notebooks = [p.resolve() for p in args.notebooks] or all_notebooks()
    if args.rotation:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        notebooks = rotation(all_notebooks(), commit)
        names = ", ".join(p.name for p in notebooks)
        print(f"rotation for commit {commit[:12]}: {names}", flush=True)
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    paths = [path for path in notebooks for _ in args.replications]
    replications = [r for _ in notebooks for r in args.replications]
    one_run = partial(
        run, second_blas=args.second_blas, timeout=args.timeout, one_thread=args.jobs > 1
    )
    failures = 0
    # Processes, not threads: nbclient's event loops are not safe to share between threads (two
    # threaded runs have hung on an idle kernel). Forked before any kernel starts.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        for passed, line in pool.map(one_run, paths, replications):  # in order, as they finish
            failures += not passed
            print(line, flush=True)
    runs = len(paths)
    print(f"replicate: {runs - failures} of {runs} runs passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
