"""Gradient descent's rate on quadratics, measured from random starts (lecture 1).

The set-up: f(x) = 1/2 x^T A x in ``dim`` dimensions, A = Q diag(lambda) Q^T with a random
rotation Q and eigenvalues from mu = 1 to L = kappa (the two ends fixed, the rest drawn
log-uniformly between them). GD (:class:`~nnlib.optim.GradientDescent`) runs from ``starts``
random Gaussian points at once. The theory of :mod:`nnlib.optim.rates` bounds the error by
rho^t ||x_0|| with rho = max_k |1 - lr lambda_k|; from a random start the error may shrink
faster (a start with little weight on the slowest eigenvector), never slower. So the study
measures, per start, how many steps the error needs to shrink by ``tol`` (the bound says: at
most ceil(log tol / log rho)) and the per-step rate over the last ``tail`` steps, where the
slowest directions dominate (the bound says: about rho).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from nnlib import utils
from nnlib.optim.gd import GradientDescent
from nnlib.utils import check_positive, check_positive_int

__all__ = ["RateMeasurement", "measure_gd_rate", "random_quadratic"]


def random_quadratic(
    kappa: float, dim: int = 50, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, eigenvalues): a random dense SPD matrix with eigenvalues 1 and ``kappa`` at the ends."""
    if not kappa >= 1:
        raise ValueError(f"Invalid kappa: {kappa} (must be >= 1)")
    if dim < 2:
        raise ValueError(f"Invalid dim: {dim} (must be >= 2)")
    generator = utils.generator(seed)
    inner = torch.rand(dim - 2, generator=generator, dtype=torch.float64) * math.log(kappa)
    eigenvalues = (
        torch.cat([torch.ones(1, dtype=torch.float64), inner.exp(), torch.full((1,), float(kappa))])
        .sort()
        .values
    )
    Q, _ = torch.linalg.qr(torch.randn(dim, dim, generator=generator, dtype=torch.float64))
    return Q @ torch.diag(eigenvalues) @ Q.T, eigenvalues


@dataclass
class RateMeasurement:
    """Per start: steps until ||x_t|| <= tol ||x_0|| (``max_steps + 1`` if never) and tail rate."""

    lr: float
    max_steps: int
    steps: torch.Tensor
    tail_rates: torch.Tensor


def measure_gd_rate(
    A: torch.Tensor,
    lr: float,
    max_steps: int,
    tol: float = 1e-6,
    starts: int = 32,
    tail: int | None = None,
    seed: int = 1,
) -> RateMeasurement:
    """Run GD with step ``lr`` on f = 1/2 x^T A x from ``starts`` random points (the minimum is 0).

    ``tail`` (default: the last quarter of the run) sets the window of the tail rate
    (||x_T|| / ||x_{T - tail}||)^(1 / tail).
    """
    check_positive("lr", lr)
    check_positive_int("max_steps", max_steps)
    check_positive_int("starts", starts)
    tail = max(1, max_steps // 4) if tail is None else check_positive_int("tail", tail)
    if tail > max_steps:
        raise ValueError(f"Invalid tail: {tail} (at most max_steps = {max_steps})")
    generator = utils.generator(seed)
    x = torch.randn(starts, A.shape[0], generator=generator, dtype=torch.float64)
    x.requires_grad_(True)
    optimizer = GradientDescent([x], lr=lr)
    norms = [x.detach().norm(dim=-1)]
    for _ in range(max_steps):
        x.grad = x.detach() @ A  # the gradient of 1/2 x^T A x, one row per start
        optimizer.step()
        norms.append(x.detach().norm(dim=-1))
    norms = torch.stack(norms)  # (max_steps + 1, starts)
    reached = norms <= tol * norms[0]
    steps = torch.where(
        reached.any(dim=0), reached.int().argmax(dim=0), torch.full((starts,), max_steps + 1)
    )
    tail_rates = (norms[-1] / norms[-1 - tail]) ** (1 / tail)
    return RateMeasurement(lr, max_steps, steps, tail_rates)
