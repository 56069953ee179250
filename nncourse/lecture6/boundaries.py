"""A two-feature classification toy for seeing regularization act on a decision boundary.

A wide MLP fitted to a few noisy points overfits visibly: its boundary wraps around single
points. The widget of lecture 6 refits it with a weight-decay strength (AdamW, decoupled) and a
dropout rate and draws the boundary (:func:`nncourse.lecture6.figures.boundary_figure`).
"""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from nnlib import data, models, optim, train, utils
from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = ["fit_toy_classifier", "probability_grid", "toy_problem", "toy_scores"]


def toy_problem(n: int = 60, noise: float = 0.3, seed: int = 0):
    """Noisy two moons: ``n`` training points and 1000 test points (tensors)."""
    return _toy_problem(n, noise, seed, utils.replication())


@lru_cache(maxsize=2)
def _toy_problem(n: int, noise: float, seed: int, replication: int):
    # ``replication`` keys the cache: the draws depend on NNLIB_REPLICATION.
    train = data.moons(n=n, noise=noise, fractions=(1.0, 0.0, 0.0), seed=seed).train.tensors
    test = data.moons(n=1000, noise=noise, fractions=(1.0, 0.0, 0.0), seed=seed + 1).train.tensors
    return train, test


def fit_toy_classifier(
    x: torch.Tensor,
    y: torch.Tensor,
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    hidden: int = 64,
    steps: int = 200,
    lr: float = 0.02,
    seed: int = 0,
) -> torch.nn.Sequential:
    """Full-batch AdamW (decoupled weight decay ``weight_decay``, on every parameter) on
    cross-entropy for an MLP [d, hidden, hidden, classes] with dropout after each hidden layer.
    Returns the model in eval mode."""
    weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
    dropout = check_fraction("dropout", dropout)
    steps = check_positive_int("steps", steps)
    utils.manual_seed(seed)
    n_classes = int(y.max()) + 1
    model = models.mlp([x.shape[1], hidden, hidden, n_classes], dropout=dropout)
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    train.train_steps(
        model,
        opt,
        [(x, y)],
        F.cross_entropy,
        steps=steps,
        device=x.device,  # a toy: it stays where its data is
    )
    return model.eval()


def toy_scores(weight_decay: float, dropout: float, seed: int = 0) -> tuple[float, float, float]:
    """Fit :func:`fit_toy_classifier` to :func:`toy_problem`'s training points from the
    initialization ``seed``; returns (training accuracy, test accuracy, mean confidence (largest
    probability) on the test points)."""
    (x, y), (x_test, y_test) = toy_problem()
    model = fit_toy_classifier(x, y, weight_decay=weight_decay, dropout=dropout, seed=seed)
    with torch.no_grad():
        out, out_test = model(x), model(x_test)
    fit = (out.argmax(1) == y).float().mean().item()
    test = (out_test.argmax(1) == y_test).float().mean().item()
    return fit, test, out_test.softmax(1).amax(1).mean().item()


@torch.no_grad()
def probability_grid(model, bounds: tuple[float, float, float, float], resolution: int = 80):
    """Class-1 probability on a ``resolution`` x ``resolution`` grid over
    ``(xmin, xmax, ymin, ymax)``; returns (xs, ys, probabilities) as tensors."""
    xmin, xmax, ymin, ymax = bounds
    xs = torch.linspace(xmin, xmax, resolution)
    ys = torch.linspace(ymin, ymax, resolution)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    points = torch.stack([gx.ravel(), gy.ravel()], dim=1)
    probs = model(points).softmax(dim=1)[:, 1].view(resolution, resolution)
    return gx, gy, probs
