"""Independent runs on every CPU core: ``parallel_map(fn, items)`` is ``[fn(i) for i in items]``.

The experiments of the course repeat small trainings over seeds, settings and subset sizes.
One small network cannot keep two cores busy (PyTorch's threads mostly wait on each other at
these sizes), but two trainings side by side can: each item runs in a forked worker process
using one thread, and the results come back in order.

Forking lets ``fn`` be anything callable, a lambda or a closure over notebook variables
included: the worker inherits it, and only item indices and results cross between processes
(results are pickled, so return tensors, numbers or modules). ``fn`` must seed everything it
draws, as nnlib's studies do; the results are then those of the plain loop computed with one
thread, whatever the number of workers. (With several threads PyTorch may add up in another
order: the last bits can differ, which a chaotic run, such as SGD at a very high learning rate,
can amplify.) The loop runs in this process instead where forking is unavailable or unsafe
(Windows; CUDA already initialised; inside a worker), with ``workers=1``, or when the
environment variable ``NNLIB_WORKERS`` is ``1``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import torch

from nnlib.utils import check_positive_int

__all__ = ["default_workers", "one_thread", "parallel_grid", "parallel_map"]

T = TypeVar("T")
R = TypeVar("R")

_job: tuple[Callable, list] | None = None  # the work a forked worker inherits
_in_worker = False


def default_workers() -> int:
    """``NNLIB_WORKERS`` if set, else the number of CPU cores this process may use."""
    configured = os.environ.get("NNLIB_WORKERS")
    if configured:
        return check_positive_int("NNLIB_WORKERS", int(configured))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _can_fork() -> bool:
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not _in_worker
        and not torch.cuda.is_initialized()
    )


def _import_what_workers_would() -> None:
    """PyTorch imports its compiler stack (``torch._dynamo``, seconds) the first time an
    optimizer is built. Imported here, before forking, it is imported once, not in every worker
    of every pool."""
    import torch._dynamo  # noqa: F401


def _start_worker() -> None:
    global _in_worker
    _in_worker = True
    torch.set_num_threads(1)


def _run_item(index: int):
    fn, items = _job
    return fn(items[index])


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    """``[fn(item) for item in items]``, computed by up to ``workers`` forked processes (default
    :func:`default_workers`), in order. An exception raised by ``fn`` is raised here."""
    global _job
    items = list(items)
    workers = default_workers() if workers is None else check_positive_int("workers", workers)
    workers = min(workers, len(items))
    if workers <= 1 or not _can_fork():
        return [fn(item) for item in items]
    _import_what_workers_would()
    _job = (fn, items)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_start_worker) as pool:
            return pool.map(_run_item, range(len(items)), chunksize=1)
    finally:
        _job = None


def parallel_grid(
    fn: Callable[[Hashable, int], R], settings: Iterable[Hashable], seeds: Iterable[int]
) -> dict[Hashable, list[R]]:
    """``{setting: [fn(setting, seed) for seed in seeds]}``, every (setting, seed) pair run side
    by side by :func:`parallel_map` (one pool for the whole grid keeps every core busy)."""
    settings, seeds = list(settings), list(seeds)
    runs = [(setting, seed) for setting in settings for seed in seeds]
    results = parallel_map(lambda run: fn(*run), runs)
    grid: dict[Hashable, list[R]] = {setting: [] for setting in settings}
    for (setting, _), result in zip(runs, results, strict=True):
        grid[setting].append(result)
    return grid


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with one torch thread, then restore the count.

    For small computations that must answer fast (a widget's redraw): torch's threads wait for
    each other, and when the other core is busy they wait long. On the course's 2-core machine
    with the other core loaded, a 20-layer, 512-wide forward and backward pass took 1.0 s with
    two threads and 0.23 s with one (``bench/widgets.py``).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
