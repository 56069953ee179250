"""Batch size, sharpness and generalization (Keskar et al. 2017; Dinh et al. 2017), lecture 5c.

:func:`train_to_loss` trains several seeds of one MLP at once (``models.stacked_mlp``, each seed
with its own initialization and data order) with SGD and momentum until every seed's training
loss is below a target; :func:`train_to_losses` instead keeps a copy of each seed at the first
check where its own loss falls below each of several targets, so settings can be compared at
matched training loss; :func:`sharpness` measures each network's largest Hessian eigenvalue and
:func:`top_direction` returns it with its eigenvector, along which :func:`loss_along` walks.
"""

from __future__ import annotations

import torch
from torch import nn

from nncourse.lecture5.optimizers import SeedBatches
from nnlib import curvature, loss_slices, losses, models, optim, params, train, utils

__all__ = [
    "loss_along",
    "segment_profiles",
    "sharpness",
    "spectrum_ends",
    "top_direction",
    "train_to_loss",
    "train_to_losses",
]


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


def train_to_losses(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    lr: float,
    targets=(0.1, 0.03, 0.01),
    widths=(40, 128, 10),
    momentum: float = 0.9,
    seeds: int = 5,
    max_steps: int = 20_000,
    check_every: int = 32,
    eval_data=None,
) -> dict:
    """Train ``seeds`` networks as :func:`train_to_loss` does, checking about every
    ``check_every`` steps (whole epochs); at the first check where seed s's own full-batch
    training loss is below a target, keep a copy of network s.
    Returns, per target, ``nets`` (one ``nn.Module`` per seed), ``train_loss`` and ``steps`` (S,)
    at those copies and, with ``eval_data``, their ``test_accuracy`` (S,); ``reached`` says
    whether every seed passed every target within ``max_steps``."""
    model = models.stacked_mlp(list(widths), n_models=seeds, seed=0)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = SeedBatches(x, y, batch_size, seeds, seed=0)
    found = {t: [None] * seeds for t in targets}
    chunk, steps = max(1, check_every // len(loader)), 0
    while steps < max_steps and any(n is None for t in targets for n in found[t]):
        train.fit_batched(model, opt, loader, chunk, progress=False)
        steps += chunk * len(loader)
        with torch.no_grad():
            train_loss = losses.per_model_loss(model(x), y)
        if not bool(torch.isfinite(train_loss).all()):
            break
        for target in targets:
            for s in range(seeds):
                if found[target][s] is None and train_loss[s] < target:
                    found[target][s] = (model.unstack(s), train_loss[s].item(), steps)
    reached = all(n is not None for t in targets for n in found[t])
    result = {"reached": reached}
    for target in targets if reached else ():
        nets = [entry[0] for entry in found[target]]
        result[target] = {
            "nets": nets,
            "train_loss": torch.tensor([entry[1] for entry in found[target]]),
            "steps": torch.tensor([entry[2] for entry in found[target]]),
        }
        if eval_data is not None:
            with torch.no_grad():
                result[target]["test_accuracy"] = torch.tensor(
                    [train.correct_fraction(n(eval_data[0]), eval_data[1]) for n in nets]
                ).double()
    return result


def top_direction(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 20, seed: int = 0
) -> tuple[float, torch.Tensor]:
    """(λ_max, v): the largest Hessian eigenvalue of the mean cross-entropy on (x, y) and its unit
    eigenvector (flat, float64), as the top Ritz pair of ``steps`` Lanczos steps."""
    loss_fn = nn.CrossEntropyLoss()
    n = params.flatten_params(net).numel()

    def matvec(v):
        return curvature.hvp(net, loss_fn, x, y, v, dtype=torch.float64)

    start = torch.randn(n, generator=utils.generator(seed), dtype=torch.float64)
    T, V = curvature.lanczos(matvec, n, steps, start)
    values, vectors = torch.linalg.eigh(T)
    v = V @ vectors[:, -1]
    return values[-1].item(), v / v.norm()


def spectrum_ends(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    block: slice = slice(None),
    steps: int = 30,
    residual: bool = False,
) -> tuple[float, ...]:
    """(smallest, largest) eigenvalue of the diagonal block H[block, block] of the Hessian of the
    mean cross-entropy on (x, y); ``block`` is a slice of the flat parameter vector
    (``flatten_params`` order), the whole Hessian by default. The extreme Ritz values of
    ``steps`` Lanczos steps on v -> (H v_padded)[block], v_padded zero outside the block.
    With ``residual``, a third entry: ||B u - θ u|| for the largest Ritz pair (θ, u), which
    bounds the distance from θ to the nearest eigenvalue of the block B."""
    loss_fn = nn.CrossEntropyLoss()
    n = params.flatten_params(net).numel()
    size = len(range(n)[block])

    def matvec(v):
        padded = torch.zeros(n, dtype=torch.float64)
        padded[block] = v
        return curvature.hvp(net, loss_fn, x, y, padded, dtype=torch.float64)[block]

    start = torch.randn(size, generator=utils.generator(0), dtype=torch.float64)
    T, V = curvature.lanczos(matvec, size, steps, start)
    values, vectors = torch.linalg.eigh(T)
    ends = (values[0].item(), values[-1].item())
    if not residual:
        return ends
    u = V @ vectors[:, -1]
    return (*ends, (matvec(u) - values[-1] * u).norm().item())


def loss_along(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, direction: torch.Tensor, offsets
) -> torch.Tensor:
    """Mean cross-entropy on (x, y) at theta + t direction for each t in ``offsets``."""
    theta = params.flatten_params(net).detach()
    direction = direction.to(theta.dtype)
    return loss_slices.line_losses(
        net, nn.CrossEntropyLoss(), x, y, theta, theta + direction, offsets
    )


def segment_profiles(start_net, end_net, train_data, test_data, alphas, seed: int) -> dict:
    """The losses along the straight line from ``start_net``'s parameters (alpha = 0) to
    ``end_net``'s (alpha = 1) at ``alphas``: ``train`` and ``test``; and ``random``, the training
    loss along a segment of the same length from the start in a random direction (generator
    ``seed``), the control."""
    loss_fn = nn.CrossEntropyLoss()
    start, end = params.flatten_params(start_net), params.flatten_params(end_net)
    direction = torch.randn(start.shape, generator=utils.generator(seed))
    away = start + direction * (end - start).norm() / direction.norm()
    return {
        "train": loss_slices.line_losses(start_net, loss_fn, *train_data, start, end, alphas),
        "test": loss_slices.line_losses(start_net, loss_fn, *test_data, start, end, alphas),
        "random": loss_slices.line_losses(start_net, loss_fn, *train_data, start, away, alphas),
    }
