"""Warm-up and the sharpness at initialization (Gilmer et al. 2022), lecture 5b.

Full-batch gradient descent (no momentum) is stable on a quadratic only while η < 2/λ_max
(lecture 1). :func:`sharp_start` builds several seeds of an MLP whose weights are multiplied by
``scale`` at initialization, so that λ_max(θ₀) is large; :func:`gradient_descent` trains them
with a rate that may change with the step (a warm-up), stopping once a loss is not finite.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nnlib import losses, models, optim

__all__ = ["gradient_descent", "linear_warmup", "sharp_start"]


def sharp_start(widths, seeds: int = 5, scale: float = 3.0) -> models.StackedModels:
    """``seeds`` MLPs ``stacked_mlp(widths)`` (seed s: PyTorch's default initialization after
    ``manual_seed(s)``), every weight matrix multiplied by ``scale`` (biases unchanged)."""
    model = models.stacked_mlp(list(widths), n_models=seeds, seed=0)
    with torch.no_grad():
        for name, value in model.named_parameters():
            if name.endswith("weight"):
                value.mul_(scale)
    return model


def linear_warmup(lr: float, warm_steps: int, start_factor: float = 0.01) -> Callable:
    """The rate at step t of a linear warm-up from ``start_factor * lr`` to ``lr`` over
    ``warm_steps`` steps, then constant (``nnlib.schedules.linear_warmup_lr``)."""
    from nnlib import schedules

    return lambda t: schedules.linear_warmup_lr(t, lr, warm_steps, start_factor)


def gradient_descent(model, x: torch.Tensor, y: torch.Tensor, lr_at: Callable, steps: int):
    """Full-batch gradient descent on the mean cross-entropy of every network of ``model`` at
    once, at rate ``lr_at(t)`` in step t. Returns the training loss before each step, (steps, S);
    a network whose loss is no longer finite is marked ``inf`` from then on (the run goes on
    for the others, whose gradients are independent)."""
    opt = optim.SGD(model.parameters(), lr=lr_at(0))
    curve, alive = [], None
    for t in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(t)
        opt.zero_grad()
        loss = losses.per_model_loss(model(x), y)
        finite = torch.isfinite(loss) & (loss < 1e6)
        alive = finite if alive is None else alive & finite
        curve.append(torch.where(alive, loss.detach(), torch.inf))
        if not bool(alive.any()):
            curve.extend(curve[-1:] * (steps - t - 1))
            break
        torch.where(alive, loss, torch.zeros_like(loss)).sum().backward()
        for p in model.parameters():  # a diverged network's NaNs stay in its own slice
            if p.grad is not None:
                p.grad.nan_to_num_(0.0, 0.0, 0.0)
        opt.step()
    return torch.stack(curve)
