"""Random against grid search (Bergstra and Bengio 2012), lecture 5b.

A synthetic validation error depends on one important hyperparameter (a log learning rate x)
and not at all on a second one: error = floor + ((x - x*) / width)^2. The location x* of the
optimum is drawn at random in every repetition, so the comparison is not decided by where one
optimum happened to fall relative to the grid.
"""

from __future__ import annotations

import torch

from nnlib import utils
from nnlib.utils import check_positive_int

__all__ = ["distance_to_grid_fraction", "grid_vs_random"]


def grid_vs_random(
    repetitions: int = 1000,
    per_axis: int = 3,
    low: float = -4.0,
    high: float = 0.0,
    width: float = 2.0,
    floor: float = 0.1,
    seed: int = 0,
    both_matter: bool = False,
) -> dict[str, torch.Tensor]:
    """Best error of a ``per_axis x per_axis`` grid and of ``per_axis**2`` uniformly random
    trials over [low, high]^2, per repetition, each repetition with its own optimum x* ~ U(low,
    high). Returns ``optimum`` (R,), ``grid_best`` (R,), ``random_best`` (R,), ``grid_values``
    (the grid's values of x) and ``random_distinct`` (distinct values of x tried per search).
    With ``both_matter`` the second hyperparameter has its own optimum y* ~ U(low, high) and
    weighs as much as the first."""
    check_positive_int("repetitions", repetitions)
    check_positive_int("per_axis", per_axis)
    g = utils.generator(seed)
    optimum = low + (high - low) * torch.rand(repetitions, generator=g, dtype=torch.float64)
    grid_values = torch.linspace(low, high, per_axis, dtype=torch.float64)
    grid_x = grid_values.repeat_interleave(per_axis)  # x of each of the per_axis^2 grid points
    grid_y = grid_values.repeat(per_axis)
    trials = low + (high - low) * torch.rand(
        repetitions, per_axis**2, 2, generator=g, dtype=torch.float64
    )
    second = low + (high - low) * torch.rand(repetitions, generator=g, dtype=torch.float64)

    def error(x, y):  # without both_matter, the second hyperparameter has no effect
        gap = (x - optimum.unsqueeze(-1)) ** 2
        if both_matter:
            gap = gap + (y - second.unsqueeze(-1)) ** 2
        return floor + gap / width**2

    grid = error(grid_x.expand(repetitions, -1), grid_y.expand(repetitions, -1))
    return {
        "optimum": optimum,
        "grid_best": grid.min(dim=1).values,
        "random_best": error(trials[..., 0], trials[..., 1]).min(dim=1).values,
        "grid_values": grid_values,
        "random_distinct": torch.tensor(
            [len(torch.unique(row)) for row in trials[..., 0]], dtype=torch.int64
        ),
    }


def distance_to_grid_fraction(result: dict, distance: float) -> float:
    """Fraction of the repetitions of :func:`grid_vs_random` whose optimum lies within
    ``distance`` of one of the grid's values."""
    gaps = (result["optimum"].unsqueeze(1) - result["grid_values"]).abs().min(dim=1).values
    return (gaps <= distance).double().mean().item()
