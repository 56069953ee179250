"""Gradient descent against stochastic gradient descent on least squares (lecture 1).

Both use :class:`~nnlib.optim.GradientDescent`; they differ only in the gradient they are given:
the full gradient X^T (X w - y) / n, or the minibatch estimate over B rows, drawn without
replacement (reshuffled every epoch) or with replacement. An optional ``lr_lambda(t)`` scales
the step at iteration t through ``torch.optim.lr_scheduler.LambdaLR``, e.g. 1 / (1 + t / tau) for
the decaying steps that the Robbins-Monro conditions sum eta_t = inf, sum eta_t^2 < inf ask for.

The loss on all the data is recorded through :func:`full_loss`, the same quadratic written with
the Gram matrix, f(w) = 1/2 w^T H w - b^T w + c (H = X^T X / n, b = X^T y / n, c = y^T y / 2n),
computed once per problem: a d x d product instead of a pass over the n rows.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import torch

from nnlib.optim.gd import GradientDescent
from nnlib.utils import check_positive, check_positive_int

__all__ = ["LeastSquaresRun", "full_loss", "minibatch_descent"]

_GRAM = weakref.WeakKeyDictionary()


def full_loss(problem):
    """f(w) = 1/(2n) ||X w - y||^2 of a least-squares ``problem``, for w of shape (..., d),
    evaluated as 1/2 w^T H w - b^T w + c with H, b and c computed once and cached per problem."""
    if problem not in _GRAM:
        X, y = problem.X, problem.y
        _GRAM[problem] = (X.T @ X / problem.n, X.T @ y / problem.n, 0.5 * (y @ y) / problem.n)
    H, b, c = _GRAM[problem]
    return lambda w: 0.5 * ((w @ H) * w).sum(-1) - w @ b + c


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
    replacement: bool = False,
) -> LeastSquaresRun:
    r"""Run (minibatch) gradient descent on a :class:`~nnlib.landscapes.LeastSquares` problem.

    ``batch_size = problem.n`` is full-batch GD. The loss on all data is recorded at about
    ``records`` evenly spaced iterations (plus the start and the end). With ``average_from = t0``
    the Polyak average of the iterates from iteration ``t0`` on,
    :math:`\bar w \leftarrow \bar w + (w - \bar w)/(n+1)`, is kept too and its loss recorded
    in ``averaged_losses`` (the current iterate's loss until ``t0``).

    Minibatches are drawn without replacement (reshuffle, then walk through ``n // batch_size``
    batches: every row once per epoch) unless ``replacement=True``: then each of the
    ``n // batch_size`` iterations of an epoch draws ``batch_size`` rows uniformly at random,
    independently of the others, so a row is used once per epoch only on average.
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
    loss = full_loss(problem)
    run = LeastSquaresRun([0], [0.0], [loss(w.detach()).item()])
    if average_from is not None:
        run.averaged_losses.append(run.losses[0])
    w_avg, n_avg = w.detach().clone(), 0
    t = 0
    for _ in range(epochs):
        if replacement:
            order = torch.randint(problem.n, (per_epoch * batch_size,), generator=generator)
        else:
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
                run.losses.append(loss(w.detach()).item())
                if average_from is not None:
                    current = w_avg if n_avg else w.detach()
                    run.averaged_losses.append(loss(current).item())
    return run
