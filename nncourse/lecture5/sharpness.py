"""Batch size, sharpness and generalization (Keskar et al. 2017; Dinh et al. 2017), lecture 5c.

:func:`train_to_loss` trains several seeds of one MLP at once (``models.stacked_mlp``, each seed
with its own initialization and data order) with SGD and momentum until every seed's training
loss is below a target; :func:`sharpness` measures each network's largest Hessian eigenvalue.
"""

from __future__ import annotations

import torch
from torch import nn

from nncourse.lecture5.optimizers import SeedBatches
from nnlib import curvature, losses, models, optim, train

__all__ = ["sharpness", "train_to_loss"]


def train_to_loss(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    lr: float,
    widths=(40, 128, 10),
    momentum: float = 0.9,
    seeds: int = 5,
    target: float = 0.01,
    max_steps: int = 20_000,
    check_every: int = 256,
    eval_data=None,
) -> dict:
    """Train ``seeds`` networks with ``optim.SGD(lr, momentum)`` at ``batch_size`` until each
    one's full-batch training loss is below ``target``, checking about every ``check_every``
    steps (whole epochs), or until ``max_steps``. Returns ``model`` (the StackedModels), ``steps``,
    ``train_loss`` (S,), ``reached`` (bool), and, with ``eval_data``, ``test_loss`` and
    ``test_accuracy`` (S,)."""
    model = models.stacked_mlp(list(widths), n_models=seeds, seed=0)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = SeedBatches(x, y, batch_size, seeds, seed=0)
    chunk = max(1, check_every // len(loader))
    steps = 0
    while steps < max_steps:
        train.fit_batched(model, opt, loader, chunk, progress=False)
        steps += chunk * len(loader)
        with torch.no_grad():
            train_loss = losses.per_model_loss(model(x), y)
        if bool((train_loss < target).all()) or not bool(torch.isfinite(train_loss).all()):
            break
    result = {
        "model": model,
        "steps": steps,
        "train_loss": train_loss,
        "reached": bool((train_loss < target).all()),
    }
    if eval_data is not None:
        with torch.no_grad():
            logits = model(eval_data[0])
        result["test_loss"] = losses.per_model_loss(logits, eval_data[1])
        result["test_accuracy"] = train.correct_fraction(logits, eval_data[1]).double()
    return result


def sharpness(model, x: torch.Tensor, y: torch.Tensor, steps: int = 20) -> torch.Tensor:
    """Largest Hessian eigenvalue of the mean cross-entropy on (x, y) of each network of a
    ``StackedModels`` (or of one ``nn.Module``), by Lanczos (``curvature.top_eigenvalues``)."""
    singles = (
        [model.unstack(s) for s in range(model.n_models)] if hasattr(model, "unstack") else [model]
    )
    return torch.stack(
        [
            curvature.top_eigenvalues(net, nn.CrossEntropyLoss(), x, y, k=1, steps=steps)[0]
            for net in singles
        ]
    )
