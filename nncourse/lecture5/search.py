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
) -> dict[str, torch.Tensor]:
    """Best error of a ``per_axis x per_axis`` grid and of ``per_axis**2`` uniformly random
    trials over [low, high]^2, per repetition, each repetition with its own optimum x* ~ U(low,
    high). Returns ``optimum`` (R,), ``grid_best`` (R,), ``random_best`` (R,), ``grid_values``
    (the grid's values of x) and ``random_distinct`` (distinct values of x tried per search)."""
    check_positive_int("repetitions", repetitions)
    check_positive_int("per_axis", per_axis)
    g = utils.generator(seed)
    optimum = low + (high - low) * torch.rand(repetitions, generator=g, dtype=torch.float64)
    grid_values = torch.linspace(low, high, per_axis, dtype=torch.float64)
    grid_x = grid_values.repeat_interleave(per_axis)  # x of each of the per_axis^2 grid points
    trials = low + (high - low) * torch.rand(
        repetitions, per_axis**2, 2, generator=g, dtype=torch.float64
    )

    def error(x, x_star):  # the second hyperparameter has no effect
        return floor + ((x - x_star.unsqueeze(-1)) / width) ** 2

    return {
        "optimum": optimum,
        "grid_best": error(grid_x.expand(repetitions, -1), optimum).min(dim=1).values,
        "random_best": error(trials[..., 0], optimum).min(dim=1).values,
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
