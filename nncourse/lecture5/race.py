"""Several optimizers on one 2-D surface, side by side (lecture 5).

Each racer is one of nnlib's optimizer classes with its keyword arguments. The class is built once,
which checks the arguments with torch's messages and fills in its defaults; the race then steps
through the class's own ``advance`` and ``update`` (its pure update function,
:mod:`nnlib.optim.base`), so it uses exactly the maths that trains networks. These rules are
elementwise, so each coordinate of a racer's point is a parameter of its own, held as a Python
float: a 2-D step is a dozen operations on two numbers, where each torch or numpy call would
cost its fixed overhead (``bench/race.py`` times the race against torch.optim with autograd).
The surface's gradient comes from its hand-written partial derivatives on the same floats
(``Landscape.gradient_at``). Paths that blow up are frozen and reported.
"""

from __future__ import annotations

import math
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


class _Racer:
    """One optimizer stepping a point, one Python float per coordinate, as ``step()`` steps a
    tensor: each coordinate has its own state and goes through the class's ``advance``."""

    def __init__(self, optimizer_class, kwargs: dict, start: list[float]):
        if not (
            isinstance(optimizer_class, type) and issubclass(optimizer_class, ElementwiseOptimizer)
        ):
            raise ValueError(
                f"Invalid racer: {optimizer_class!r} (need one of nnlib.optim's optimizer classes)"
            )
        probe = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        self.optimizer = optimizer_class([probe], **kwargs)  # checks kwargs, fills defaults
        self.group = self.optimizer.param_groups[0]
        state = self.optimizer.init_state(probe.detach(), self.group)
        self.states = [
            {k: v.item() if torch.is_tensor(v) else v for k, v in state.items()} for _ in start
        ]
        self.theta = list(start)
        try:  # a trial step on copies: is this rule plain arithmetic (float-ready)?
            self.optimizer.advance(start[0], 1.0, dict(self.states[0]), self.group)
        except (TypeError, AttributeError) as error:
            raise ValueError(
                f"Invalid racer: {optimizer_class.__name__}({kwargs}) steps torch tensors only "
                f"({error}); the race steps SGD, Adagrad, RMSprop and Adam (without amsgrad)"
            ) from error

    def step(self, g: list[float]) -> list[float]:
        advance, group = self.optimizer.advance, self.group
        self.theta = [
            advance(x, g_x, state, group)
            for x, g_x, state in zip(self.theta, g, self.states, strict=True)
        ]
        return self.theta


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
    the others' paths unchanged. The recorded values are the noise-free surface's.
    """
    check_positive_int("steps", steps)
    if not noise >= 0.0:
        raise ValueError(f"Invalid noise: {noise} (must be >= 0)")
    start = landscape._points(x0).reshape(-1).tolist()
    names = list(optimizers)
    racers = {name: _Racer(*optimizers[name], start) for name in names}
    shifted = utils.replicated_seed(seed)
    draws = {  # each racer's noise, (steps, dim), as Python floats
        name: (
            np.random.default_rng([shifted, k]).standard_normal((steps, len(start))) * noise
        ).tolist()
        for k, name in enumerate(names)
        if noise > 0
    }
    paths = {name: [start] for name in names}
    diverged: dict[str, int | None] = dict.fromkeys(names)
    _run(landscape, racers, draws, paths, diverged, steps, divergence_limit)
    stacked = {  # a path that diverged stays at its last point
        name: torch.tensor(path + path[-1:] * (steps + 1 - len(path)), dtype=torch.float64)
        for name, path in paths.items()
    }
    values = {name: landscape.value(path) for name, path in stacked.items()}
    return RaceResult(stacked, values, diverged)


def _run(landscape, racers, draws, paths, diverged, steps, divergence_limit) -> None:
    """Step every racer that has not diverged; extend ``paths`` and fill ``diverged`` in place.

    Where a tensor would hold inf or nan, Python floats may raise (``x ** 2`` overflows, ``x / 0``)
    or turn complex (a negative ``x ** 0.5``): all of these count as diverging, at a point of nans
    when the gradient or the step raised."""
    running = list(racers)
    for t in range(1, steps + 1):
        for name in running:
            racer = racers[name]
            try:
                g = landscape.gradient_at(racer.theta)
                if draws:
                    g = [g_x + noise for g_x, noise in zip(g, draws[name][t - 1], strict=True)]
                point = racer.step(g)
            except (OverflowError, ZeroDivisionError):
                point = [math.nan] * len(racer.theta)
            if not all(type(x) is float and abs(x) <= divergence_limit for x in point):
                diverged[name] = t  # also inf and nan, which fail the comparison
                point = [x if type(x) is float else math.nan for x in point]
            paths[name].append(point)
        running = [name for name in running if diverged[name] is None]
        if not running:
            break
