r"""Heavy-ball and Nesterov momentum in the decks' convention and their theory (lecture 5a).

The decks write heavy-ball momentum as a *velocity*::

    vₜ = γ vₜ₋₁ + α ∇L(θₜ₋₁),    θₜ = θₜ₋₁ - vₜ,

and Nesterov's method with a *look-ahead* gradient, vₜ = γ vₜ₋₁ + α ∇L(θₜ₋₁ - γ vₜ₋₁). torch
keeps a buffer bₜ = μ bₜ₋₁ + gₜ and steps θₜ = θₜ₋₁ - η bₜ. With a constant learning rate the
two are the same iteration (vₜ = η bₜ, γ = μ); torch's Nesterov evaluates the gradient at the
current point and is the look-ahead method after the change of variables φₜ = θₜ - γ vₜ. Lecture 5
runs both and shows equal iterates. When the learning rate changes during training the two
conventions differ: the velocity form keeps the old rate inside v.

The velocity (terminal speed) of heavy ball under a constant gradient g tends to
α g / (1 - γ): momentum multiplies the step by up to 1 / (1 - gamma).
"""

from __future__ import annotations

import torch

from nnlib.optim.base import ElementwiseOptimizer, check_non_negative
from nnlib.optim.rates import check_eigenvalues
from nnlib.utils import check_positive, check_positive_int

__all__ = [
    "VelocityMomentum",
    "momentum_rate",
    "nesterov_lookahead",
    "optimal_momentum",
    "velocity_momentum_update",
]


def velocity_momentum_update(
    theta: torch.Tensor, g: torch.Tensor, v: torch.Tensor, *, lr: float, momentum: float = 0.9
) -> None:
    r"""One heavy-ball step in the decks' convention, in place on theta and v:

    input: η (lr), β (momentum), θ₀ (params)
    initialize: v₀ = 0
    for t = 1, 2, ...
        vₜ = β vₜ₋₁ + η ∇L(θₜ₋₁)
        θₜ = θₜ₋₁ - vₜ
    return θₜ
    """
    v.mul_(momentum).add_(g, alpha=lr)  # v_t = beta v_{t-1} + eta g_t
    theta.sub_(v)  # theta_t = theta_{t-1} - v_t


class VelocityMomentum(ElementwiseOptimizer):
    """Heavy-ball momentum in the decks' convention: v <- gamma v + lr g, theta <- theta - v."""

    state_keys = ("velocity",)

    def __init__(self, params, lr: float, momentum: float = 0.9):
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def update(self, theta, g, state, group):
        velocity_momentum_update(
            theta, g, state["velocity"], lr=group["lr"], momentum=group["momentum"]
        )


def momentum_rate(lr: float, momentum: float, eigenvalues) -> float:
    """Convergence rate of heavy ball on a quadratic: the largest spectral radius, over the
    Hessian's eigenvalues lambda, of the 2x2 iteration matrix acting on (x_t, x_{t-1}),
    [[1 + momentum - lr lambda, -momentum], [1, 0]]."""
    check_positive("lr", lr)
    if not 0 <= momentum < 1:
        raise ValueError(f"Invalid momentum: {momentum} (must be in [0, 1))")
    worst = 0.0
    for lam in check_eigenvalues(eigenvalues).tolist():
        R = torch.tensor([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]], dtype=torch.float64)
        worst = max(worst, torch.linalg.eigvals(R).abs().max().item())
    return worst


def optimal_momentum(mu: float, L: float) -> tuple[float, float, float]:
    """Polyak's optimal heavy-ball parameters on a quadratic with eigenvalues in [mu, L]:
    lr = (2 / (sqrt L + sqrt mu))^2, momentum = ((sqrt kappa - 1) / (sqrt kappa + 1))^2, and the
    resulting rate (sqrt kappa - 1) / (sqrt kappa + 1) = sqrt(momentum)."""
    check_positive("mu", mu)
    if not mu <= L:
        raise ValueError(f"Invalid L: {L} (must be >= mu = {mu})")
    root_kappa = (L / mu) ** 0.5
    lr = (2 / (L**0.5 + mu**0.5)) ** 2
    momentum = ((root_kappa - 1) / (root_kappa + 1)) ** 2
    return lr, momentum, (root_kappa - 1) / (root_kappa + 1)


def nesterov_lookahead(gradient, x0: torch.Tensor, lr: float, momentum: float, steps: int):
    """Nesterov's method as the decks write it: v <- gamma v + lr grad(theta - gamma v),
    theta <- theta - v. Returns the paths of theta and of phi = theta - gamma v (the look-ahead
    points), shape (steps + 1, dim) each; phi is what torch's ``nesterov=True`` iterates."""
    check_positive("lr", lr)
    check_positive_int("steps", steps)
    theta = x0.clone()
    v = torch.zeros_like(theta)
    thetas, phis = [theta.clone()], [theta.clone()]
    for _ in range(steps):
        v = momentum * v + lr * gradient(theta - momentum * v)
        theta = theta - v
        thetas.append(theta.clone())
        phis.append(theta - momentum * v)
    return torch.stack(thetas), torch.stack(phis)
