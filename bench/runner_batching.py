"""Lecture 1 runner: 64 starting points x 500 GD steps in one batch, against a Python loop over
the starts (the reference, measured in the same run). Also the lecture 1 widget's redraw time,
compute and render separately (targets: compute <= 100 ms, compute + render <= 300 ms).
"""

import io

import matplotlib

matplotlib.use("Agg")

import torch
from _timing import best_of

from nncourse.lecture1 import figures
from nnlib import analytic_surfaces, optim


def main() -> None:
    surface = analytic_surfaces.Rosenbrock()
    starts = (
        torch.rand(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    )

    def gd(p):
        return optim.GradientDescent(p, lr=1e-3)

    optim.run(surface, gd, starts[:1], 5)  # warm-up: torch.optim's first step is slow
    batched = best_of(lambda: optim.run(surface, gd, starts, 500))
    looped = best_of(lambda: [optim.run(surface, gd, start, 500) for start in starts], repeat=1)
    print(f"64 starts x 500 steps, one batch:     {batched * 1e3:8.1f} ms")
    print(f"64 starts x 500 steps, Python loop:   {looped * 1e3:8.1f} ms")
    print(f"speed-up from batching:               {looped / batched:8.1f}x")

    compute = best_of(lambda: figures.gd_quadratic_figure(kappa=10, lr_factor=1.8))
    total = best_of(
        lambda: figures.gd_quadratic_figure(kappa=10, lr_factor=1.8).savefig(
            io.BytesIO(), format="png"
        )
    )
    print(f"GD widget, figure built (compute):    {compute * 1e3:8.1f} ms")
    print(f"GD widget, built + rendered to PNG:   {total * 1e3:8.1f} ms")
    print(f"targets met (100 ms / 300 ms):        {compute < 0.1} / {total < 0.3}")


if __name__ == "__main__":
    main()
