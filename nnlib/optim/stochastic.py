"""Gradient descent against stochastic gradient descent on least squares (lecture 1).

Both use :class:`~nnlib.optim.GradientDescent`; they differ only in the gradient they are given:
the full gradient X^T (X w - y) / n, or the minibatch estimate over B rows drawn without
replacement (reshuffled every epoch). An optional ``lr_lambda(t)`` scales the step at iteration t
through ``torch.optim.lr_scheduler.LambdaLR``, e.g. 1 / (1 + t / tau) for the decaying steps that
the Robbins-Monro conditions sum eta_t = inf, sum eta_t^2 < inf ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from nnlib.optim.gd import GradientDescent
from nnlib.utils import check_positive, check_positive_int

__all__ = ["LeastSquaresRun", "minibatch_descent"]


@dataclass
class LeastSquaresRun:
    """Full-data loss at each recorded iteration, with the iteration and epoch it was taken at."""

    iterations: list[int]
    epochs: list[float]
    losses: list[float]
    averaged_losses: list[float] = field(default_factory=list)


def minibatch_descent(
    problem,
    lr: float,
    batch_size: int,
    epochs: int,
    lr_lambda=None,
    seed: int = 0,
    records: int = 200,
    average_from: int | None = None,
) -> LeastSquaresRun:
    r"""Minibatch gradient descent on a :class:`~nnlib.analytic_surfaces.LeastSquares` problem.

    ``batch_size = problem.n`` is full-batch GD. The loss on all data is recorded at about
    ``records`` evenly spaced iterations (plus the start and the end). With ``average_from = t0``
    the Polyak average of the iterates from iteration ``t0`` on,
    :math:`\bar w \leftarrow \bar w + (w - \bar w)/(n+1)`, is kept too and its loss recorded
    in ``averaged_losses`` (the current iterate's loss until ``t0``).
    """
    check_positive("lr", lr)
    check_positive_int("batch_size", batch_size)
    check_positive_int("epochs", epochs)
    if batch_size > problem.n:
        raise ValueError(f"Invalid batch_size: {batch_size} (the problem has {problem.n} rows)")
    w = torch.zeros(problem.dim, dtype=torch.float64, requires_grad=True)
    optimizer = GradientDescent([w], lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda) if lr_lambda else None
    per_epoch = problem.n // batch_size
    total = per_epoch * epochs
    every = max(1, total // records)
    generator = torch.Generator().manual_seed(seed)
    run = LeastSquaresRun([0], [0.0], [problem.value(w.detach()).item()])
    if average_from is not None:
        run.averaged_losses.append(run.losses[0])
    w_avg, n_avg = w.detach().clone(), 0
    t = 0
    for _ in range(epochs):
        order = torch.randperm(problem.n, generator=generator)
        for batch in order[: per_epoch * batch_size].split(batch_size):
            w.grad = problem.gradient(w.detach(), None if batch_size == problem.n else batch)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            t += 1
            if average_from is not None and t >= average_from:
                w_avg += (w.detach() - w_avg) / (n_avg + 1)
                n_avg += 1
            if t % every == 0 or t == total:
                run.iterations.append(t)
                run.epochs.append(t / per_epoch)
                run.losses.append(problem.value(w.detach()).item())
                if average_from is not None:
                    current = w_avg if n_avg else w.detach()
                    run.averaged_losses.append(problem.value(current).item())
    return run
