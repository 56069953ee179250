"""Several optimizers on one 2-D surface, side by side (lecture 5).

Each racer is one of nnlib's optimizer classes with its keyword arguments. The class is built once,
which checks the arguments with torch's messages and fills in its defaults; the race then calls
the class's own ``update`` (its pure update function, :mod:`nnlib.optim.base`) at every step, so
the race uses exactly the maths that trains networks. The points and the optimizer state are
float64 numpy arrays: a 2-D step is a dozen operations on two numbers, and a numpy operation costs
about a microsecond where a torch one costs five (six racers over 300 steps took about 40 ms
instead of about 200 on the course's 2-core CPU). One vectorised call computes the gradients of
all racers per step. Paths that blow up are frozen and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from nnlib.optim.base import ElementwiseOptimizer
from nnlib.utils import check_positive_int

__all__ = ["RaceResult", "race"]


@dataclass
class RaceResult:
    paths: dict[str, torch.Tensor]  # name -> (steps + 1, dim)
    values: dict[str, torch.Tensor]  # name -> (steps + 1,)
    diverged_at: dict[str, int | None]


class _Racer:
    """One optimizer stepping a numpy point through its class's ``advance``, as ``step()`` does."""

    def __init__(self, optimizer_class, kwargs: dict, start: np.ndarray):
        if not (
            isinstance(optimizer_class, type) and issubclass(optimizer_class, ElementwiseOptimizer)
        ):
            raise ValueError(
                f"Invalid racer: {optimizer_class!r} (need one of nnlib.optim's optimizer classes)"
            )
        probe = torch.zeros(len(start), dtype=torch.float64, requires_grad=True)
        self.optimizer = optimizer_class([probe], **kwargs)  # checks kwargs, fills defaults
        self.group = self.optimizer.param_groups[0]
        state = self.optimizer.init_state(probe.detach(), self.group)
        self.state = {k: v.numpy().copy() if torch.is_tensor(v) else v for k, v in state.items()}
        self.theta = start.copy()
        try:  # a trial step on copies: is this rule plain arithmetic (numpy-ready)?
            trial = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self.state.items()}
            self.optimizer.advance(start.copy(), np.ones_like(start), trial, self.group)
        except (TypeError, AttributeError) as error:
            raise ValueError(
                f"Invalid racer: {optimizer_class.__name__}({kwargs}) steps torch tensors only "
                f"({error}); the race steps SGD, Adagrad, RMSprop and Adam (without amsgrad)"
            ) from error

    def step(self, g: np.ndarray) -> np.ndarray:
        self.optimizer.advance(self.theta, g, self.state, self.group)
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
    start = np.asarray(landscape._points(x0), dtype=np.float64).reshape(-1)
    names = list(optimizers)
    racers = {name: _Racer(*optimizers[name], start) for name in names}
    draws = {
        name: np.random.default_rng([seed, k]).standard_normal((steps, start.size)) * noise
        for k, name in enumerate(names)
        if noise > 0
    }
    paths = {name: np.empty((steps + 1, start.size)) for name in names}
    for path in paths.values():
        path[0] = start
    diverged: dict[str, int | None] = dict.fromkeys(names)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected below
        _run(landscape, racers, draws, paths, diverged, steps, divergence_limit)
    stacked = {name: torch.from_numpy(path) for name, path in paths.items()}
    values = {name: landscape.value(path) for name, path in stacked.items()}
    return RaceResult(stacked, values, diverged)


def _run(landscape, racers, draws, paths, diverged, steps, divergence_limit) -> None:
    """Step every racer that has not diverged; fill ``paths`` and ``diverged`` in place."""
    running = list(racers)
    for t in range(1, steps + 1):
        grads = landscape.gradient(np.stack([racers[name].theta for name in running]))
        for name, g in zip(running, grads, strict=True):
            if draws:
                g = g + draws[name][t - 1]
            paths[name][t] = racers[name].step(g)
        for name in running:
            point = paths[name][t]
            if not all(abs(x) <= divergence_limit for x in point.tolist()):  # also inf, nan
                diverged[name] = t
                paths[name][t:] = point  # frozen after divergence: repeat the last point
        running = [name for name in running if diverged[name] is None]
        if not running:
            break
