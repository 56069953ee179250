"""Lecture 2, cliffs and gradient clipping (Pascanu et al. 2013) on a one-unit linear recurrence.

:class:`~nnlib.analytic_surfaces.LinearRecurrence` has a wall past |w| = 1 where the loss, and its
gradient, grow like |w|^T. Gradient descent that approaches the wall takes one step with an
enormous gradient and is thrown far away; clipping the gradient's norm first (``nnlib.clipping``)
caps the step length at ``lr * max_norm`` and lets it walk down instead.
"""

from __future__ import annotations

import torch

from nnlib import clipping, optim

__all__ = ["ClippedGradientDescent", "descend"]


class ClippedGradientDescent:
    """Step rule x <- x - lr * clip(g) for :func:`nnlib.optim.run` (one start per run), with
    clip(g) = g * min(1, max_norm / ||g||) as computed by ``clipping.clip_grad_norm_``;
    ``max_norm=None`` is plain gradient descent. Records the norm of the unclipped gradient."""

    def __init__(self, lr: float, max_norm: float | None = None):
        self.lr, self.max_norm = lr, max_norm
        self.gradient_norms: list[float] = []

    def step(self, landscape, x: torch.Tensor):
        if x.shape[0] != 1:
            raise ValueError(f"Invalid x of shape {tuple(x.shape)}: one start per run")
        point = x.clone()
        point.grad = landscape.gradient(x)
        self.gradient_norms.append(point.grad.norm().item())
        if self.max_norm is not None:
            clipping.clip_grad_norm_([point], self.max_norm)
        return x - self.lr * point.grad, {"gradient": 1}

    def __repr__(self) -> str:
        return f"ClippedGradientDescent(lr={self.lr}, max_norm={self.max_norm})"


def descend(landscape, start, lr: float, steps: int, max_norm: float | None = None):
    """(trajectory, unclipped gradient norms) of clipped or plain GD from one start."""
    rule = ClippedGradientDescent(lr, max_norm)
    trajectory = optim.run(landscape, rule, start, steps, divergence_limit=1e30)
    return trajectory, torch.tensor(rule.gradient_norms)
