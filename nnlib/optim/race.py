"""Several optimizers on one 2-D surface, side by side (lecture 5).

Each optimizer gets its own parameter tensor; one vectorised call computes the gradients of all
of them per step, and each optimizer then takes its own ``step()``, so the race uses exactly the
optimizer classes that train networks. Paths that blow up are frozen and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nnlib.utils import check_positive_int

__all__ = ["RaceResult", "race"]


@dataclass
class RaceResult:
    paths: dict[str, torch.Tensor]  # name -> (steps + 1, dim)
    values: dict[str, torch.Tensor]  # name -> (steps + 1,)
    diverged_at: dict[str, int | None]


def race(landscape, optimizers: dict, x0, steps: int, divergence_limit: float = 1e6) -> RaceResult:
    """Run each ``optimizers[name](params)`` for ``steps`` steps from ``x0`` on ``landscape``."""
    check_positive_int("steps", steps)
    start = landscape._points(x0).reshape(-1)
    params = {name: start.clone().requires_grad_(True) for name in optimizers}
    opts = {name: make([params[name]]) for name, make in optimizers.items()}
    paths = {name: [start.clone()] for name in optimizers}
    diverged: dict[str, int | None] = dict.fromkeys(optimizers)
    for t in range(1, steps + 1):
        running = [name for name in optimizers if diverged[name] is None]
        if not running:
            break
        grads = landscape.gradient(torch.stack([params[name].detach() for name in running]))
        for name, g in zip(running, grads, strict=True):
            params[name].grad = g
            opts[name].step()
            point = params[name].detach().clone()
            if not torch.isfinite(point).all() or point.abs().max() > divergence_limit:
                diverged[name] = t
            paths[name].append(point)
    stacked = {}
    for name, path in paths.items():
        path = torch.stack(path)
        if len(path) < steps + 1:  # frozen after divergence: repeat the last point
            path = torch.cat([path, path[-1:].expand(steps + 1 - len(path), -1)])
        stacked[name] = path
    values = {name: landscape.value(path) for name, path in stacked.items()}
    return RaceResult(stacked, values, diverged)
