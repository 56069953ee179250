"""Lecture 2, "most local minima are good": many seeds of one-hidden-layer MLPs of several widths.

For each width, ``seeds`` networks (initialised like ``models.mlp`` after ``torch.manual_seed(s)``)
train together as one :class:`~nnlib.models.StackedModels` with the same recipe (Adam, fixed epochs,
the same minibatch order), and the final loss of each network is measured on the whole training
set and on the held-out test set. The spread of those numbers across seeds is the experiment's
evidence: do the minima found from different starts get more alike as the network grows?
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch

from nnlib import data, losses, models, train

__all__ = ["parameter_count", "run", "spread"]


def parameter_count(widths: Sequence[int]) -> int:
    """Weights and biases of an MLP with layer widths [d_in, ..., d_out]."""
    return sum((d_in + 1) * d_out for d_in, d_out in itertools.pairwise(widths))


def run(
    splits: data.Splits,
    widths: Sequence[int] = (4, 16, 64, 256),
    seeds: int = 20,
    epochs: int = 40,
    batch_size: int = 200,
    lr: float = 1e-2,
    progress: bool = True,
) -> dict[int, dict]:
    """Train ``seeds`` networks [d_in, width, C] per width; returns, per width, the batched
    ``model`` and per-seed ``train_loss``, ``test_loss`` and ``test_accuracy`` (shape (seeds,))."""
    x, y = splits.train.tensors
    x_test, y_test = splits.test.tensors
    d_in, n_classes = x.shape[1], splits.n_classes
    results = {}
    for width in widths:
        model = models.stacked_mlp([d_in, width, n_classes], n_models=seeds, seed=0)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        loader = data.TensorBatches(x, y, batch_size, seed=0, drop_last=False)
        train.fit_batched(model, optimizer, loader, epochs=epochs, progress=progress)
        with torch.no_grad():
            test_logits = model(x_test)
            results[width] = {
                "model": model,
                "train_loss": losses.per_model_loss(model(x), y),
                "test_loss": losses.per_model_loss(test_logits, y_test),
                "test_accuracy": train.correct_fraction(test_logits, y_test),
            }
    return results


def spread(values: torch.Tensor) -> dict[str, float]:
    """Mean, standard deviation, relative spread std/mean and range max - min of per-seed values."""
    mean, std = values.mean().item(), values.std().item()
    return {
        "mean": mean,
        "std": std,
        "relative": std / mean,
        "range": (values.max() - values.min()).item(),
    }
