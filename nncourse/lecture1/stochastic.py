"""Gradient descent against stochastic gradient descent on least squares (lecture 1).

Both use :class:`~nnlib.optim.GradientDescent` in nnlib's one training loop
(:func:`nnlib.train.train_steps`); they differ only in the batches: all n rows (the full gradient
X^T (X w - y) / n) or B rows, drawn without replacement (reshuffled every epoch) or with
replacement. An optional ``lr_lambda(t)`` scales the step at iteration t through
``torch.optim.lr_scheduler.LambdaLR``, e.g. 1 / (1 + t / tau) for the decaying steps that the
Robbins-Monro conditions sum eta_t = inf, sum eta_t^2 < inf ask for.

The loss on all the data is recorded through :func:`full_loss`, the same quadratic written with
the Gram matrix, f(w) = 1/2 w^T H w - b^T w + c (H = X^T X / n, b = X^T y / n, c = y^T y / 2n),
computed once per problem: a d x d product instead of a pass over the n rows.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import torch
from torch import nn

from nnlib import utils
from nnlib.optim.gd import GradientDescent
from nnlib.regularization.averaging import swa_average
from nnlib.train import Callback, History, train_steps
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
    r"""Minibatch gradient descent on a :class:`~nnlib.analytic_surfaces.LeastSquares` problem.

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
    model = _LinearModel(problem.dim)
    optimizer = GradientDescent(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda) if lr_lambda else None
    per_epoch = problem.n // batch_size
    recorder = _Recorder(problem, model.w, per_epoch, epochs, records, average_from)
    generator = utils.generator(seed)
    history = History()  # one history over all epochs: the recorder sees global step numbers
    for _ in range(epochs):
        if replacement:
            order = torch.randint(problem.n, (per_epoch * batch_size,), generator=generator)
        else:
            order = torch.randperm(problem.n, generator=generator)
        rows = order[: per_epoch * batch_size].split(batch_size)
        batches = ((problem.X[r], problem.y[r]) for r in rows)
        train_steps(
            model,
            optimizer,
            batches,
            _half_mse,
            history=history,
            scheduler=scheduler,
            callbacks=[recorder],
            device=problem.X.device,
        )
    return recorder.run


class _LinearModel(nn.Module):
    """x -> x w, with w starting at zero: least squares as a module for the training loop."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(dim, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.w


def _half_mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1/(2B) ||X_B w - y_B||^2: the LeastSquares objective on a minibatch."""
    return 0.5 * ((prediction - target) ** 2).mean()


class _Recorder(Callback):
    """The full-data loss (and that of the Polyak average) at about ``records`` steps."""

    def __init__(self, problem, w, per_epoch, epochs, records, average_from) -> None:
        self.problem, self.w, self.per_epoch = problem, w, per_epoch
        self.total = per_epoch * epochs
        self.every = max(1, self.total // records)
        self.average_from = average_from
        self.loss = full_loss(problem)
        self.run = LeastSquaresRun([0], [0.0], [self.loss(w.detach()).item()])
        if average_from is not None:
            self.run.averaged_losses.append(self.run.losses[0])
        self.w_avg, self.n_avg = w.detach().clone(), 0

    def on_step_end(self, step: int, logs: dict, model: nn.Module) -> bool:
        w = self.w.detach()
        if self.average_from is not None and step >= self.average_from:
            self.w_avg = swa_average(self.w_avg, w, self.n_avg)
            self.n_avg += 1
        if step % self.every == 0 or step == self.total:
            self.run.iterations.append(step)
            self.run.epochs.append(step / self.per_epoch)
            self.run.losses.append(self.loss(w).item())
            if self.average_from is not None:
                current = self.w_avg if self.n_avg else w
                self.run.averaged_losses.append(self.loss(current).item())
        return False
