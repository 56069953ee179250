"""Plain gradient descent, written as a torch.optim.Optimizer (lecture 1)."""

from __future__ import annotations

import torch
from torch.optim.optimizer import required

from nnlib.optim.base import ElementwiseOptimizer

__all__ = ["GradientDescent", "gd_update"]


def gd_update(theta: torch.Tensor, g: torch.Tensor, lr: float) -> None:
    """One gradient-descent step, in place: theta <- theta - lr g."""
    theta.add_(g, alpha=-lr)  # rounded once, as torch.optim.SGD does


class GradientDescent(ElementwiseOptimizer):
    r"""Gradient descent with a fixed step size::

        input: θ₀ (params), η (lr), L (objective)
        for t = 1, 2, ...
            gₜ = ∇L(θₜ₋₁)
            θₜ = θₜ₋₁ - η gₜ
        return θₜ

    Equal to ``torch.optim.SGD(params, lr)`` with its defaults (no momentum, no weight decay);
    the tests check that the two take identical steps. Whether it is "stochastic" depends only on
    whether the gradient came from the whole data set or a minibatch.
    """

    def __init__(self, params, lr: float = required):
        if lr is required:
            raise ValueError("Invalid learning rate: lr is required")
        if not lr > 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, {"lr": lr})

    def init_state(self, theta, group):
        return {}  # plain gradient descent keeps no state

    def update(self, theta, g, state, group):
        gd_update(theta, g, group["lr"])
