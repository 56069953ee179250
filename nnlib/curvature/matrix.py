"""Curvature of a loss at a point: Hessian, its eigen-decomposition, condition number, and the
classification of critical points (lectures 1 and 2).

For a symmetric Hessian H = Q diag(lambda) Q^T: all lambda > 0 is a convex bowl (minimum), all
lambda < 0 a cap (maximum), mixed signs a saddle, and a zero eigenvalue leaves the second-order
test undecided ("degenerate"). The condition number kappa = |lambda|_max / |lambda|_min sets how
fast gradient descent converges on a quadratic.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nnlib import utils

__all__ = ["classify", "condition_number", "eigen", "fraction_positive_definite", "hessian"]


def hessian(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Dense Hessian of a scalar function ``fn`` at one point ``x`` (shape (dim,)), by autograd."""
    x = torch.as_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Invalid x of shape {tuple(x.shape)}: need a single point, shape (dim,)")
    return torch.func.hessian(fn)(x)


def _check_square(H: torch.Tensor) -> torch.Tensor:
    if H.ndim < 2 or H.shape[-1] != H.shape[-2]:
        raise ValueError(f"Invalid H of shape {tuple(H.shape)}: need square matrices (..., n, n)")
    return H


def eigen(H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues in ascending order and eigenvectors as columns (H symmetric, batched ok)."""
    H = _check_square(H)
    return torch.linalg.eigh(0.5 * (H + H.mT))


def condition_number(H: torch.Tensor) -> torch.Tensor:
    """kappa = |lambda|_max / |lambda|_min (infinite when an eigenvalue is zero)."""
    magnitudes = eigen(H)[0].abs()
    smallest = magnitudes.min(dim=-1).values
    ratio = magnitudes.max(dim=-1).values / smallest
    return torch.where(smallest > 0, ratio, torch.full_like(ratio, float("inf")))


def classify(H: torch.Tensor, tol: float = 1e-8) -> str:
    """Second-order test for one Hessian: 'minimum', 'maximum', 'saddle' or 'degenerate'."""
    H = _check_square(H)
    if H.ndim != 2:
        raise ValueError(f"Invalid H of shape {tuple(H.shape)}: classify takes one matrix")
    eigenvalues = eigen(H)[0]
    scale = max(eigenvalues.abs().max().item(), 1.0)
    positive = (eigenvalues > tol * scale).sum().item()
    negative = (eigenvalues < -tol * scale).sum().item()
    if positive and negative:
        return "saddle"
    if positive + negative < len(eigenvalues):
        return "degenerate"
    return "minimum" if positive else "maximum"


def fraction_positive_definite(n: int, samples: int = 20_000, seed: int = 0) -> float:
    """Share of random symmetric n x n matrices (Gaussian orthogonal ensemble) with all
    eigenvalues positive: how often a "random critical point" would be a minimum.

    If each eigenvalue were positive independently with probability 1/2 this would be 2^-n; the
    eigenvalues of random matrices repel each other, which makes it smaller still.
    """
    g = utils.generator(seed)
    A = torch.randn(samples, n, n, generator=g, dtype=torch.float64)
    symmetric = (A + A.mT) / 2
    return (torch.linalg.eigvalsh(symmetric)[:, 0] > 0).double().mean().item()
