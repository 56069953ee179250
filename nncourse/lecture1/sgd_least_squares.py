"""Least squares for GD against SGD, and for line search on minibatches (lecture 1).

* :func:`conditioned_problem`: least squares with n rows and d columns whose Hessian X^T X / n
  has condition number about ``kappa`` (``kappa=None``: Gaussian X, kappa about
  (1 + sqrt(d/n))^2 / (1 - sqrt(d/n))^2). The columns are scaled so that the Hessian's
  eigenvalues spread log-uniformly over a factor ``kappa``, and the targets are drawn so that
  every direction carries a comparable share of the loss: an ill-conditioned problem whose flat
  directions matter.
* :func:`armijo_sgd`: SGD whose step is chosen by Armijo backtracking
  (:func:`~nnlib.optim.armijo_step`) on each minibatch's own loss, recording the step it accepts
  and what that step does to the loss on all the data.
* :func:`constant_sgd`: SGD with constant steps, several at once, on the same minibatches that
  :func:`armijo_sgd` draws for the same seed: the paired control for the line search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from nncourse.lecture1.stochastic import full_loss
from nnlib import utils
from nnlib.analytic_surfaces import LeastSquares
from nnlib.optim.linesearch import armijo_step
from nnlib.utils import check_positive, check_positive_int

__all__ = ["ArmijoSGDRun", "armijo_sgd", "batch_loss", "conditioned_problem", "constant_sgd"]


def conditioned_problem(
    n: int = 10_000, d: int = 500, kappa: float | None = None, noise: float = 0.5, seed: int = 0
) -> LeastSquares:
    """A least-squares problem with a Gaussian design, its columns scaled to condition ``kappa``."""
    if kappa is None:
        return LeastSquares.random(n, d, noise, seed)
    if not kappa >= 1:
        raise ValueError(f"Invalid kappa: {kappa} (must be >= 1)")
    generator = utils.generator(seed)
    Z = torch.randn(n, d, generator=generator, dtype=torch.float64)
    scales = torch.logspace(0, -0.5 * math.log10(kappa), d, dtype=torch.float64)
    u = torch.randn(d, generator=generator, dtype=torch.float64) / math.sqrt(d)
    y = Z @ u + noise * torch.randn(n, generator=generator, dtype=torch.float64)
    return LeastSquares(Z * scales, y)  # X w* = Z u for w* = u / scales


def batch_loss(problem: LeastSquares, rows: torch.Tensor):
    """The minibatch loss f_B(w) = 1/(2B) ||X_B w - y_B||^2 as a function of w (..., d)."""
    X, y = problem.X[rows], problem.y[rows]
    return lambda w: 0.5 * ((w @ X.T - y) ** 2).mean(dim=-1)


@dataclass
class ArmijoSGDRun:
    """Per iteration: the step accepted, the full-data loss before and after it, the minibatch
    loss evaluations the search paid for."""

    steps: torch.Tensor
    full_before: torch.Tensor
    full_after: torch.Tensor
    evaluations: torch.Tensor

    @property
    def full_change(self) -> torch.Tensor:
        return self.full_after - self.full_before


def armijo_sgd(
    problem: LeastSquares,
    batch_size: int,
    iterations: int,
    lr: float = 1.0,
    shrink: float = 0.5,
    c: float = 1e-4,
    seed: int = 0,
) -> ArmijoSGDRun:
    """SGD from w = 0 with the step of each iteration chosen by backtracking on that minibatch's
    loss: start at ``lr``, shrink until f_B(w - t g_B) <= f_B(w) - c t ||g_B||^2.

    ``batch_size = problem.n`` is full-batch GD with backtracking.
    """
    check_positive_int("batch_size", batch_size)
    check_positive_int("iterations", iterations)
    check_positive("lr", lr)
    generator = utils.generator(seed)
    w = torch.zeros(1, problem.dim, dtype=torch.float64)
    steps, before, after, evaluations = [], [], [], []
    loss = full_loss(problem)
    full = loss(w)
    for _ in range(iterations):
        rows = _draw_batch(problem, batch_size, generator)
        g = problem.gradient(w, rows)
        step, evals = armijo_step(batch_loss(problem, rows), w, g, lr, shrink, c)
        w = w - step.unsqueeze(-1) * g
        before.append(full)
        full = loss(w)
        after.append(full)
        steps.append(step)
        evaluations.append(evals)
    return ArmijoSGDRun(*(torch.cat(v) for v in (steps, before, after, evaluations)))


def _draw_batch(problem: LeastSquares, batch_size: int, generator) -> torch.Tensor:
    """The rows of one minibatch: all rows if ``batch_size >= n``, else a fresh random subset."""
    if batch_size >= problem.n:
        return torch.arange(problem.n)
    return torch.randperm(problem.n, generator=generator)[:batch_size]


def constant_sgd(
    problem: LeastSquares,
    lrs,
    batch_size: int,
    iterations: int,
    seed: int = 0,
    every: int = 10,
) -> torch.Tensor:
    """SGD from w = 0 with each constant step in ``lrs`` (R,), all on the minibatches that
    :func:`armijo_sgd` draws for the same ``seed``. Returns the full-data loss after every
    ``every`` iterations, shape (iterations // every, R); a diverging step gives inf or nan."""
    check_positive_int("batch_size", batch_size)
    check_positive_int("iterations", iterations)
    lrs = torch.as_tensor(lrs, dtype=torch.float64).reshape(-1)
    if not (lrs > 0).all():
        raise ValueError(f"Invalid lrs: {lrs.tolist()} (must all be > 0)")
    generator = utils.generator(seed)
    w = torch.zeros(len(lrs), problem.dim, dtype=torch.float64)
    loss, recorded = full_loss(problem), []
    for t in range(1, iterations + 1):
        rows = _draw_batch(problem, batch_size, generator)
        w = w - lrs.unsqueeze(-1) * problem.gradient(w, rows)
        if t % every == 0:
            recorded.append(loss(w))
    return torch.stack(recorded)
