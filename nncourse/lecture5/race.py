"""Several optimizers on one 2-D surface, side by side (lecture 5).

Course code, not a technique: the race is the widget's own fast path around nnlib's optimizers.
Each racer is one of nnlib's optimizer classes with its keyword arguments. The class is built once,
which checks the arguments with torch's messages and fills in its defaults; every step then goes
through the class's own ``advance`` (step count, ``maximize``, ``update`` and so the in-place rule
function of :mod:`nnlib.optim`), exactly as ``step()`` steps a network's parameter. What the race
adds is batching: all racers' points are the rows of one float64 tensor of shape (racers, dim),
each racer steps its row in place, the surface's gradient is one call for all rows, and the path
is written into one preallocated tensor, so a step costs a few dozen small torch calls whatever
the surface (``bench/race.py`` times it against torch.optim with autograd). Paths that leave the
window of finite values below ``divergence_limit`` (inf and nan included) are frozen at that point
and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from nnlib import utils
from nnlib.optim.base import ElementwiseOptimizer
from nnlib.utils import check_positive_int

__all__ = ["RaceResult", "race"]


@dataclass
class RaceResult:
    paths: dict[str, torch.Tensor]  # name -> (steps + 1, dim)
    values: dict[str, torch.Tensor]  # name -> (steps + 1,)
    diverged_at: dict[str, int | None]


def _racer(optimizer_class, kwargs: dict, theta: torch.Tensor):
    """The optimizer (built on a probe parameter: checks ``kwargs``, fills the defaults), its
    group and a fresh state for the racer's point ``theta``, one row of the race's points."""
    if not (
        isinstance(optimizer_class, type) and issubclass(optimizer_class, ElementwiseOptimizer)
    ):
        raise ValueError(
            f"Invalid racer: {optimizer_class!r} (need one of nnlib.optim's optimizer classes)"
        )
    probe = torch.zeros_like(theta, requires_grad=True)
    optimizer = optimizer_class([probe], **kwargs)
    group = optimizer.param_groups[0]
    return optimizer, group, optimizer.init_state(theta, group)


def race(
    landscape,
    optimizers: dict,
    x0,
    steps: int,
    divergence_limit: float = 1e6,
    noise: float = 0.0,
    seed: int = 0,
) -> RaceResult:
    """Run each racer ``optimizers[name] = (optimizer class, keyword arguments)`` for ``steps``
    steps from ``x0`` on ``landscape``, e.g. ``{"Adam": (optim.Adam, {"lr": 0.05})}``.

    ``noise`` > 0 adds Gaussian noise of that standard deviation to every gradient coordinate
    (a stochastic-gradient stand-in). Each racer draws its own noise from its own generator
    (seeded by ``seed`` and its position in ``optimizers``), so switching one racer off leaves
    the others' paths unchanged. The recorded values are the noise-free surface's. A racer whose
    point has a coordinate beyond ``divergence_limit`` in size, inf or nan, has diverged at that
    step: its path stays at that point and ``diverged_at`` gives the step.
    """
    check_positive_int("steps", steps)
    if not noise >= 0.0:
        raise ValueError(f"Invalid noise: {noise} (must be >= 0)")
    start = landscape._points(x0).reshape(-1)
    names = list(optimizers)
    points = start.repeat(len(names), 1)  # row k: racer k's parameter, stepped in place
    rows = points.unbind(0)
    racers = [_racer(*optimizers[name], row) for name, row in zip(names, rows, strict=True)]
    draws = None
    shifted = utils.replicated_seed(seed)
    if noise > 0:  # (steps, racers, dim): racer k's noise from its own generator
        draws = torch.from_numpy(
            np.stack(
                [
                    np.random.default_rng([shifted, k]).standard_normal((steps, start.numel()))
                    for k in range(len(names))
                ],
                axis=1,
            )
            * noise
        )
    path = _run(landscape, points, rows, racers, draws, steps)
    diverged = _freeze_divergent(path, divergence_limit)
    values = landscape.value(path)
    return RaceResult(
        {name: path[:, k] for k, name in enumerate(names)},
        {name: values[:, k] for k, name in enumerate(names)},
        {name: diverged[k] for k, name in enumerate(names)},
    )


def _gradient(landscape, points: torch.Tensor):
    """A function returning every racer's gradient at ``points`` (racers, dim). On a 2-D surface
    with hand-written partial derivatives they run on numpy views of the points' two columns,
    which follow the in-place steps: a numpy call on six numbers costs a fraction of a torch
    call. Elsewhere it is ``landscape.gradient``."""
    if landscape.dim == 2 and landscape._has_partials():
        x, y = points.numpy().T
        return lambda: torch.from_numpy(np.stack(landscape.partials(x, y), axis=-1))
    return lambda: landscape.gradient(points)


def _run(landscape, points, rows, racers, draws, steps) -> torch.Tensor:
    """Step every racer ``steps`` times; returns the path, shape (steps + 1, racers, dim)."""
    path = points.new_empty((steps + 1, *points.shape))
    path[0] = points
    gradient = _gradient(landscape, points)
    # inference mode: no autograd bookkeeping, cheaper calls on tiny tensors; numpy's overflow
    # warnings off (a path that overflows has diverged, and is reported as such)
    with torch.inference_mode(), np.errstate(all="ignore"):
        for t in range(steps):
            g = gradient()
            if draws is not None:
                g += draws[t]
            for (optimizer, group, state), theta, g_k in zip(
                racers, rows, g.unbind(0), strict=True
            ):
                optimizer.advance(theta, g_k, state, group)
            path[t + 1] = points
    return path


def _freeze_divergent(path: torch.Tensor, divergence_limit: float) -> list[int | None]:
    """The first step at which each racer's point is out of bounds (None if never); from there
    on its path is set to that point, in place. Racers are independent, so a racer stepped past
    its divergence changes no other racer's path."""
    out = ~(path.abs() <= divergence_limit).all(dim=-1)  # (steps + 1, racers); nan is out
    diverged: list[int | None] = []
    for k in range(path.shape[1]):
        at = int(out[:, k].to(torch.uint8).argmax())
        if not out[at, k]:
            diverged.append(None)
            continue
        path[at + 1 :, k] = path[at, k]
        diverged.append(at)
    return diverged
