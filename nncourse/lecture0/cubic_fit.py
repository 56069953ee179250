"""Lecture 0: fitting y = a + b x + c x^2 + d x^3 to sin(x) at four levels of PyTorch.

The same gradient-descent fit is written four times, each level handing one more job to PyTorch:

1. :func:`fit_by_hand`: the gradient of the loss is derived on paper and coded;
2. :func:`fit_with_autograd`: ``loss.backward()`` computes the gradient;
3. :func:`fit_with_nn`: the model is an ``nn.Linear`` on the features (x, x^2, x^3), the loss
   is ``nn.MSELoss``;
4. :func:`fit_with_optim`: ``torch.optim.SGD`` performs the update.

Loss (mean squared error over n points, coefficients theta = (a, b, c, d), features
phi(x) = (1, x, x^2, x^3)):

.. math::
    L(\\theta) = \\frac{1}{n} \\sum_i (\\theta^\\top \\phi(x_i) - y_i)^2, \\qquad
    \\nabla L(\\theta) = \\frac{2}{n} \\sum_i (\\theta^\\top \\phi(x_i) - y_i)\\, \\phi(x_i).

The four loops repeat each other on purpose (a deliberate teaching contrast): each differs from
the previous one only in the job it hands to PyTorch, and the lecture shows them side by side. They
do not use :func:`nnlib.train.train_steps` for that reason.

Every level starts from the same coefficients and takes the same steps
theta <- theta - lr * grad, so all four end at the same numbers (float64 throughout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from nnlib import utils
from nnlib.utils import DivergenceError, check_finite, check_positive, check_positive_int

__all__ = [
    "FitResult",
    "cubic",
    "cubic_features",
    "cubic_gradient",
    "cubic_hessian",
    "cubic_loss",
    "divergence_step",
    "fit_by_hand",
    "fit_in_closed_form",
    "fit_with_autograd",
    "fit_with_nn",
    "fit_with_optim",
    "format_fit",
    "initial_coefficients",
    "largest_stable_lr",
    "least_squares_coefficients",
    "sine_data",
]

LEVELS = ("by hand", "autograd", "torch.nn", "torch.optim")


@dataclass
class FitResult:
    """Final coefficients (a, b, c, d), the loss before every step, and divergence if any."""

    coeffs: torch.Tensor
    losses: list[float] = field(default_factory=list)
    diverged: DivergenceError | None = None

    @property
    def final_loss(self) -> float:
        return self.losses[-1] if self.losses else math.nan


def sine_data(n: int = 2000) -> tuple[torch.Tensor, torch.Tensor]:
    """n points x evenly spaced on [-pi, pi] and y = sin(x), in float64."""
    check_positive_int("n", n)
    x = torch.linspace(-math.pi, math.pi, n, dtype=torch.float64)
    return x, torch.sin(x)


def initial_coefficients(seed: int = 0) -> torch.Tensor:
    """Four standard-normal starting coefficients (a, b, c, d), fixed by ``seed``."""
    generator = utils.generator(seed)
    return torch.randn(4, generator=generator, dtype=torch.float64)


def cubic_features(x: torch.Tensor) -> torch.Tensor:
    """phi(x) = (1, x, x^2, x^3) for every point: shape (n, 4)."""
    return torch.stack([torch.ones_like(x), x, x**2, x**3], dim=-1)


def cubic(coeffs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """a + b x + c x^2 + d x^3."""
    a, b, c, d = coeffs
    return a + b * x + c * x**2 + d * x**3


def cubic_loss(coeffs: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the cubic with ``coeffs`` on the points (x, y)."""
    return ((cubic(coeffs, x) - y) ** 2).mean()


def cubic_gradient(coeffs: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Hand-derived gradient of :func:`cubic_loss`: (2/n) Phi^T r, residual r = Phi theta - y."""
    features = cubic_features(x)
    residual = features @ coeffs - y
    return 2.0 / len(x) * features.T @ residual


def cubic_hessian(x: torch.Tensor) -> torch.Tensor:
    """Hessian of :func:`cubic_loss`, the same at every theta: H = (2/n) Phi^T Phi."""
    features = cubic_features(x)
    return 2.0 / len(x) * features.T @ features


def largest_stable_lr(x: torch.Tensor) -> float:
    """Gradient descent on this quadratic converges exactly when lr < 2 / L, L = lambda_max(H)."""
    return 2.0 / torch.linalg.eigvalsh(cubic_hessian(x)).max().item()


def least_squares_coefficients(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The exact minimiser of the loss, by solving the least-squares problem directly."""
    return torch.linalg.lstsq(cubic_features(x), y.unsqueeze(-1)).solution.squeeze(-1)


def divergence_step(x, y, coeffs0, lr: float, limit: float = 1e12, max_steps: int = 100_000) -> int:
    """The first step t at which the loss of gradient descent from ``coeffs0`` exceeds ``limit``,
    predicted without running it (-1 if it never does within ``max_steps``).

    The loss is quadratic: with H = Q diag(lambda) Q^T and c = Q^T (theta_0 - theta*),
    L(theta_t) = L* + 1/2 sum_k lambda_k c_k^2 (1 - lr lambda_k)^(2t).
    """
    check_positive("lr", lr)
    eigenvalues, _, best, c = _eigenbasis(x, y, coeffs0)
    floor = cubic_loss(best, x, y).item()
    steps = torch.arange(max_steps + 1, dtype=torch.float64).unsqueeze(-1)
    factors = (1 - lr * eigenvalues).abs()
    log_terms = torch.log(0.5 * eigenvalues * c**2) + 2 * steps * torch.log(factors)
    losses = floor + torch.logsumexp(log_terms, dim=-1).exp()
    above = (losses > limit).nonzero()
    return int(above[0, 0]) if len(above) else -1


def _eigenbasis(x, y, coeffs0):
    """H's eigenvalues and eigenvectors Q, the minimiser theta*, and c = Q^T (theta_0 - theta*)."""
    eigenvalues, Q = torch.linalg.eigh(cubic_hessian(x))
    best = least_squares_coefficients(x, y)
    return eigenvalues, Q, best, Q.T @ (coeffs0 - best)


def fit_in_closed_form(
    x, y, coeffs0, lr: float = 5e-3, steps: int = 2000, limit: float = 1e12
) -> FitResult:
    """What :func:`fit_by_hand` returns, without its loop (the lecture-0 widget redraws with it).

    Gradient descent on a quadratic loss is a linear recursion: in H's eigenbasis,
    theta_t = theta* + Q diag((1 - lr lambda)^t) c and
    L(theta_t) = L* + 1/2 sum_k lambda_k c_k^2 (1 - lr lambda_k)^(2t), for all t at once. The
    run stops, as the loop does (:func:`nnlib.utils.check_finite`), at the first loss that is
    not finite or exceeds ``limit``. Tests check both against the loop.
    """
    _check_fit_args(lr, steps)
    eigenvalues, Q, best, c = _eigenbasis(x, y, coeffs0)
    factors = 1 - lr * eigenvalues
    t = torch.arange(steps, dtype=torch.float64).unsqueeze(-1)
    losses = cubic_loss(best, x, y) + (0.5 * eigenvalues * c**2 * factors ** (2 * t)).sum(-1)
    bad = (~torch.isfinite(losses) | (losses.abs() > limit)).nonzero()
    stop = int(bad[0, 0]) if len(bad) else steps
    result = FitResult(best + Q @ (factors**stop * c), losses[:stop].tolist())
    if stop < steps:
        result.diverged = DivergenceError(stop, losses[stop].item(), "loss")
    return result


def _check_fit_args(lr: float, steps: int) -> None:
    check_positive("lr", lr)
    check_positive_int("steps", steps)


def fit_by_hand(x, y, coeffs0, lr: float = 5e-3, steps: int = 2000) -> FitResult:
    """Level 1: gradient descent with the hand-derived gradient (2/n) Phi^T r."""
    _check_fit_args(lr, steps)
    features = cubic_features(x)  # Phi, shape (n, 4)
    n = len(x)
    theta = coeffs0.clone()
    result = FitResult(theta)
    for step in range(steps):
        residual = features @ theta - y
        loss = (residual**2).mean()
        try:
            result.losses.append(check_finite(loss, step))
        except DivergenceError as error:
            result.diverged = error
            break
        grad = 2.0 / n * features.T @ residual
        theta -= lr * grad
    return result


def fit_with_autograd(x, y, coeffs0, lr: float = 5e-3, steps: int = 2000) -> FitResult:
    """Level 2: autograd computes the gradient; the update is still written out."""
    _check_fit_args(lr, steps)
    coeffs = coeffs0.clone().requires_grad_(True)
    result = FitResult(coeffs)
    for step in range(steps):
        loss = cubic_loss(coeffs, x, y)
        try:
            result.losses.append(check_finite(loss.item(), step))
        except DivergenceError as error:
            result.diverged = error
            break
        loss.backward()
        with torch.no_grad():
            coeffs -= lr * coeffs.grad
        coeffs.grad = None
    result.coeffs = coeffs.detach()
    return result


def _linear_model(coeffs0: torch.Tensor) -> nn.Linear:
    """nn.Linear(3, 1) whose bias is a and whose weights are (b, c, d)."""
    model = nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        model.bias.copy_(coeffs0[:1])
        model.weight.copy_(coeffs0[1:].unsqueeze(0))
    return model


def _coefficients_of(model: nn.Linear) -> torch.Tensor:
    return torch.cat([model.bias, model.weight.squeeze(0)]).detach()


def fit_with_nn(x, y, coeffs0, lr: float = 5e-3, steps: int = 2000) -> FitResult:
    """Level 3: the model is an nn.Linear on (x, x^2, x^3), the loss nn.MSELoss."""
    _check_fit_args(lr, steps)
    features = cubic_features(x)[:, 1:]
    model = _linear_model(coeffs0)
    loss_fn = nn.MSELoss()
    result = FitResult(_coefficients_of(model))
    for step in range(steps):
        loss = loss_fn(model(features).squeeze(-1), y)
        try:
            result.losses.append(check_finite(loss.item(), step))
        except DivergenceError as error:
            result.diverged = error
            break
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= lr * param.grad
    result.coeffs = _coefficients_of(model)
    return result


def fit_with_optim(x, y, coeffs0, lr: float = 5e-3, steps: int = 2000) -> FitResult:
    """Level 4: torch.optim.SGD performs the update."""
    # repeats fit_with_nn line for line on purpose (a teaching contrast): only the update differs
    _check_fit_args(lr, steps)
    features = cubic_features(x)[:, 1:]
    model = _linear_model(coeffs0)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    result = FitResult(_coefficients_of(model))
    for step in range(steps):
        loss = loss_fn(model(features).squeeze(-1), y)
        try:
            result.losses.append(check_finite(loss.item(), step))
        except DivergenceError as error:
            result.diverged = error
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    result.coeffs = _coefficients_of(model)
    return result


def format_fit(name: str, result: FitResult) -> str:
    """One line with the coefficients and final loss, rounded so that outputs repeat anywhere."""
    if result.diverged is not None:
        return f"{name:<12} {result.diverged}"
    a, b, c, d = (round(v, 4) + 0.0 for v in result.coeffs.tolist())  # + 0.0 turns -0.0 into 0.0
    return f"{name:<12} a={a:+.4f} b={b:+.4f} c={c:+.4f} d={d:+.4f}  loss={result.final_loss:.6f}"
