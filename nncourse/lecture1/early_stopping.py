"""Early stopping on noisy least squares: where the held-out loss is lowest, and how large the
gradient still is there (lecture 1).

Each seed draws a training problem (``n_train`` noisy examples, ``d`` parameters) and a held-out
problem from the same linear model (:meth:`~nnlib.analytic_surfaces.LeastSquares.train_test`), runs
:class:`~nnlib.optim.GradientDescent` with step 1/L from zero until the classical gradient test
``||g|| < grad_tol`` fires, and records the held-out loss along the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nncourse.lecture1.stochastic import full_loss
from nnlib.analytic_surfaces import LeastSquares
from nnlib.optim.gd import GradientDescent
from nnlib.optim.runner import Trajectory, run

__all__ = ["EarlyStoppingRun", "early_stopping_run"]


@dataclass
class EarlyStoppingRun:
    """One seed: the GD trajectory, the held-out loss at every step, and the best step."""

    trajectory: Trajectory
    test_losses: torch.Tensor
    best_step: int
    stop_step: int

    @property
    def train_losses(self) -> torch.Tensor:
        return self.trajectory.values[:, 0]

    @property
    def grad_norms(self) -> torch.Tensor:
        return self.trajectory.grad_norms[:, 0]


def early_stopping_run(
    seed: int,
    n_train: int = 120,
    n_test: int = 5_000,
    d: int = 80,
    noise: float = 0.5,
    steps: int = 5_000,
    grad_tol: float = 1e-6,
) -> EarlyStoppingRun:
    """GD at step 1/L on one seed's training problem, with the held-out loss of every iterate."""
    train, test = LeastSquares.train_test(n_train, n_test, d=d, noise=noise, seed=seed)
    lr = 1 / torch.linalg.eigvalsh(train.hessian()).max().item()
    trajectory = run(
        train, lambda p: GradientDescent(p, lr=lr), torch.zeros(d), steps, grad_tol=grad_tol
    )
    stop = int(trajectory.steps_taken[0])
    test_losses = full_loss(test)(trajectory.points[: stop + 1, 0])
    return EarlyStoppingRun(trajectory, test_losses, int(test_losses.argmin()), stop)
