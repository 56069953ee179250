"""Methods for escaping saddle points (lecture 2).

* :class:`NoisyGD`: gradient descent with Gaussian noise added to the gradient,
  theta <- theta - lr (g + sigma xi), xi ~ N(0, I): a stand-in for the minibatch noise of SGD,
  which pushes iterates off the measure-zero set of points that GD would carry into a saddle.
* :class:`SaddleFreeNewton` (Dauphin et al. 2014): Newton's step with the Hessian's eigenvalues
  replaced by their absolute values, theta <- theta - |H|^{-1} g with |H| = Q |Lambda| Q^T. Along
  positive curvature it is Newton's step; along negative curvature it moves *away* from the
  saddle instead of towards it. ``damping`` adds a constant to |lambda| so flat directions stay
  finite.
* :func:`predicted_escape_steps`: how long GD lingers. In the quadratic model of a saddle, the
  offset along the eigenvector of lambda_min < 0 grows by the factor 1 + lr |lambda_min| per step.
"""

from __future__ import annotations

import math

import torch
from torch.optim.optimizer import required

from nnlib import utils
from nnlib.optim.base import ElementwiseOptimizer
from nnlib.utils import check_positive

__all__ = ["NoisyGD", "SaddleFreeNewton", "predicted_escape_steps", "saddle_free_direction"]


class NoisyGD(ElementwiseOptimizer):
    r"""Gradient descent on a noisy gradient:
    θ ← θ - η (g + σ ξ), ξ ~ N(0, I).

    ``noise`` is sigma; ``seed`` fixes the noise sequence.
    """

    def __init__(self, params, lr: float = required, noise: float = 0.1, seed: int = 0):
        if lr is required or not lr > 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        check_positive("noise", noise, allow_zero=True)
        super().__init__(params, {"lr": lr, "noise": noise})
        self.generator = utils.generator(seed)

    def init_state(self, theta, group):
        return {}

    def update(self, theta, g, state, group):
        xi = torch.randn(theta.shape, generator=self.generator, dtype=theta.dtype)
        theta.add_(g + group["noise"] * xi, alpha=-group["lr"])


def saddle_free_direction(g: torch.Tensor, H: torch.Tensor, damping: float = 0.0) -> torch.Tensor:
    """d = -Q (|Lambda| + damping)^{-1} Q^T g for each row of g (B, N) and H (B, N, N)."""
    eigenvalues, Q = torch.linalg.eigh(H)
    scale = 1.0 / (eigenvalues.abs() + damping)
    return -torch.einsum("bij,bj,bkj,bk->bi", Q, scale, Q, g)


class SaddleFreeNewton:
    """Saddle-free Newton step rule for :func:`nnlib.optim.run` (one gradient, one Hessian)."""

    def __init__(self, damping: float = 1e-3, lr: float = 1.0):
        self.damping = check_positive("damping", damping, allow_zero=True)
        self.lr = check_positive("lr", lr)

    def step(self, landscape, x):
        d = saddle_free_direction(landscape.gradient(x), landscape.hessian(x), self.damping)
        return x + self.lr * d, {"gradient": 1, "hessian": 1}

    def __repr__(self) -> str:
        return f"SaddleFreeNewton(damping={self.damping}, lr={self.lr})"


def predicted_escape_steps(offset: float, radius: float, lr: float, lambda_min: float) -> float:
    r"""GD steps for an offset along a saddle's negative-curvature direction to reach ``radius``.

    Near the saddle, GD on the quadratic model multiplies that offset by
    1 + η |λ_min| per step, so the smallest n with |y₀| (1 + η |λ_min|)ⁿ ≥ r is

        n = ⌈ log(r / |y₀|) / log(1 + η |λ_min|) ⌉.

    Returns ``math.inf`` for a zero offset (GD never leaves the stable manifold of the saddle)
    and 0 when the offset is already at least ``radius``.
    """
    check_positive("radius", radius)
    check_positive("lr", lr)
    if not lambda_min < 0:
        raise ValueError(f"Invalid lambda_min: {lambda_min} (a saddle needs lambda_min < 0)")
    offset = abs(offset)
    if offset == 0:
        return math.inf
    if offset >= radius:
        return 0
    return math.ceil(math.log(radius / offset) / math.log(1 + lr * abs(lambda_min)))
