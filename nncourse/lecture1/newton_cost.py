"""What one Newton step costs as the number of parameters N grows (lecture 1).

The set-up: least squares with ``rows`` examples and N parameters (float64). Forming the Hessian
H = X^T X / n takes about n N^2 multiply-adds and N^2 numbers of memory; solving H d = -g for the
Newton direction (:func:`~nnlib.optim.newton_direction`, an LU factorisation) takes about
2/3 N^3. Each is timed in CPU time (``time.process_time``: the work done, not the wall-clock time
during which other programs may run), on one thread, ``repeats`` times. Repeat r at every N makes
one timing series; each series gives a log-log slope (:meth:`NewtonCost.slopes`), so the slope
comes with a spread over series. Timings depend on the machine; their growth with N (the slope
on log-log axes) is what carries over.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from nnlib import utils
from nnlib.optim.newton import newton_direction
from nnlib.utils import check_positive_int

__all__ = ["NewtonCost", "loglog_slope", "measure_newton_cost"]


@dataclass
class NewtonCost:
    """Per size N: the CPU seconds of every repeat to form H and to solve for the Newton
    direction (``form_runs[i][r]``, ``solve_runs[i][r]``), and the bytes of H's storage."""

    sizes: list[int]
    form_runs: list[list[float]]
    solve_runs: list[list[float]]
    hessian_bytes: list[int]

    @property
    def form_seconds(self) -> list[float]:
        """The median over repeats of the time to form H, per size."""
        return [statistics.median(runs) for runs in self.form_runs]

    @property
    def solve_seconds(self) -> list[float]:
        """The median over repeats of the time to solve H d = -g, per size."""
        return [statistics.median(runs) for runs in self.solve_runs]

    def slopes(self, kind: str, start: int = 0) -> list[float]:
        """One log-log slope per timing series (repeat r at every size from index ``start``)."""
        runs = {"form": self.form_runs, "solve": self.solve_runs}[kind][start:]
        sizes = self.sizes[start:]
        return [loglog_slope(sizes, series) for series in zip(*runs, strict=True)]


def _times(fn, repeats: int) -> list[float]:
    fn()  # warm-up: the first call pays for allocation and dispatch
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(max(time.process_time() - start, 1e-9))
    return times


def measure_newton_cost(
    sizes=(256, 512, 1024, 2048), rows: int = 1024, repeats: int = 5, seed: int = 0
) -> NewtonCost:
    """Time forming H = X^T X / n and solving H d = -g for each number of parameters N."""
    check_positive_int("rows", rows)
    check_positive_int("repeats", repeats)
    generator = utils.generator(seed)
    result = NewtonCost([], [], [], [])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # idle worker threads spin, and process_time would count that
    try:
        _measure(result, sizes, rows, repeats, generator)
    finally:
        torch.set_num_threads(threads)
    return result


def _measure(result: NewtonCost, sizes, rows: int, repeats: int, generator) -> None:
    for size in sizes:
        size = check_positive_int("size", size)
        X = torch.randn(rows, size, generator=generator, dtype=torch.float64)
        g = torch.randn(1, size, generator=generator, dtype=torch.float64)
        H = X.T @ X / rows + torch.eye(size, dtype=torch.float64)  # + I: invertible for any N
        result.sizes.append(size)
        result.form_runs.append(_times(lambda X=X: X.T @ X / rows, repeats))
        result.solve_runs.append(
            _times(lambda H=H, g=g: newton_direction(g, H.unsqueeze(0)), repeats)
        )
        result.hessian_bytes.append(H.untyped_storage().nbytes())  # what torch allocated


def loglog_slope(sizes, values) -> float:
    """Least-squares slope of log(values) against log(sizes): the exponent p in values ~ N^p."""
    x = torch.log(torch.as_tensor(sizes, dtype=torch.float64))
    y = torch.log(torch.as_tensor(values, dtype=torch.float64))
    x, y = x - x.mean(), y - y.mean()
    return ((x * y).sum() / (x * x).sum()).item()
