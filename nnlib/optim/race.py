"""Several optimizers on one 2-D surface, side by side (lecture 5).

Each optimizer gets its own parameter tensor; one vectorised call computes the gradients of all
of them per step, and each optimizer then takes its own ``step()``, so the race uses exactly the
optimizer classes that train networks. Paths that blow up are frozen and reported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from nnlib.utils import check_positive_int

__all__ = ["RaceResult", "race"]


@dataclass
class RaceResult:
    paths: dict[str, torch.Tensor]  # name -> (steps + 1, dim)
    values: dict[str, torch.Tensor]  # name -> (steps + 1,)
    diverged_at: dict[str, int | None]


def race(
    landscape,
    optimizers: dict,
    x0,
    steps: int,
    divergence_limit: float = 1e6,
    noise: float = 0.0,
    seed: int = 0,
) -> RaceResult:
    """Run each ``optimizers[name](params)`` for ``steps`` steps from ``x0`` on ``landscape``.

    ``noise`` > 0 adds Gaussian noise of that standard deviation to every gradient coordinate
    (a stochastic-gradient stand-in: each racer draws its own noise, the same for a given
    ``seed``); the recorded values are the noise-free surface's.
    """
    check_positive_int("steps", steps)
    if not noise >= 0.0:
        raise ValueError(f"Invalid noise: {noise} (must be >= 0)")
    start = landscape._points(x0).reshape(-1)
    generator = torch.Generator().manual_seed(seed)
    names = list(optimizers)
    params = {name: start.clone().requires_grad_(True) for name in optimizers}
    opts = {name: make([params[name]]) for name, make in optimizers.items()}
    # torch.optim wraps every step() in profiler and hook bookkeeping that costs more than a
    # 2-D step; the race registers no hooks, so it calls the unwrapped step (same maths).
    steppers = {
        name: functools.partial(type(opt).step.__wrapped__, opt)
        if hasattr(type(opt).step, "__wrapped__") and not opt._optimizer_step_pre_hooks
        else opt.step
        for name, opt in opts.items()
    }
    paths = {name: [start.clone()] for name in optimizers}
    diverged: dict[str, int | None] = dict.fromkeys(optimizers)
    for t in range(1, steps + 1):
        running = [name for name in optimizers if diverged[name] is None]
        if not running:
            break
        grads = landscape.gradient(torch.stack([params[name].detach() for name in running]))
        if noise > 0:
            draw = torch.randn(len(names), start.numel(), generator=generator, dtype=grads.dtype)
            grads = grads + noise * draw[[names.index(name) for name in running]]
        for name, g in zip(running, grads, strict=True):
            params[name].grad = g
            steppers[name]()
        points = torch.stack([params[name].detach() for name in running])
        blown = (~torch.isfinite(points).all(dim=1)) | (points.abs().amax(dim=1) > divergence_limit)
        for k, name in enumerate(running):  # one check for all racers: a single sync per step
            paths[name].append(points[k])
        for k in blown.nonzero().flatten().tolist():
            diverged[running[k]] = t
    stacked = {}
    for name, path in paths.items():
        path = torch.stack(path)
        if len(path) < steps + 1:  # frozen after divergence: repeat the last point
            path = torch.cat([path, path[-1:].expand(steps + 1 - len(path), -1)])
        stacked[name] = path
    values = {name: landscape.value(path) for name, path in stacked.items()}
    return RaceResult(stacked, values, diverged)
