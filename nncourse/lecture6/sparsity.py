"""Sparsity from an L1 penalty (lecture 6): a sparse least-squares problem and two descents.

* :func:`sparse_regression` draws a least-squares problem whose true weights are mostly zero;
* :func:`l1_descent` runs full-batch steps ``w <- step(w, grad, lr, l1)`` on it (with ``l2``:
  ``step(w, grad, lr, l1, l2)``, the elastic net), so that a subgradient step and the proximal
  step (:func:`nnlib.regularization.l1_proximal_step`, or exercise 6.5's elastic-net step) of the
  same penalized objective can be compared: only the second produces exact zeros.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nnlib import utils
from nnlib.utils import check_positive_int

__all__ = ["l1_descent", "sparse_regression", "subgradient_step"]


def sparse_regression(
    n: int = 200, d: int = 50, nonzero: int = 5, noise: float = 0.1, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs X (n, d) ~ N(0, 1), true weights with ``nonzero`` entries of size 1 to 2 (the
    rest zero) and targets y = X w_true + noise. Returns (X, y, w_true) in float64."""
    check_positive_int("nonzero", nonzero)
    if nonzero > d:
        raise ValueError(f"Invalid nonzero: {nonzero} (must be at most d = {d})")
    g = utils.generator(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    w_true = torch.zeros(d, dtype=torch.float64)
    sizes = 1 + torch.rand(nonzero, generator=g, dtype=torch.float64)
    signs = torch.randint(0, 2, (nonzero,), generator=g).double() * 2 - 1
    w_true[torch.randperm(d, generator=g)[:nonzero]] = signs * sizes
    y = x @ w_true + noise * torch.randn(n, generator=g, dtype=torch.float64)
    return x, y, w_true


def subgradient_step(
    w: torch.Tensor, grad: torch.Tensor, lr: float, l1: float, l2: float = 0.0
) -> torch.Tensor:
    r"""A (sub)gradient step on :math:`L(w) + \lambda_1\lVert w\rVert_1 +
    \tfrac{\lambda_2}{2}\lVert w\rVert^2`:
    :math:`w - \eta(\nabla L(w) + \lambda_1\,\mathrm{sign}(w) + \lambda_2 w)`."""
    return w - lr * (grad + l1 * torch.sign(w) + l2 * w)


def l1_descent(
    step: Callable,
    x: torch.Tensor,
    y: torch.Tensor,
    l1: float,
    lr: float = 0.1,
    steps: int = 500,
    l2: float | None = None,
) -> torch.Tensor:
    """Minimise mean squared error / 2 + l1 ||w||_1 (+ l2 ||w||^2 / 2) from w = 0 with ``steps``
    calls of ``w = step(w, grad, lr, l1)`` (``step(w, grad, lr, l1, l2)`` when ``l2`` is
    given), where grad is the gradient of the data term; returns w."""
    check_positive_int("steps", steps)
    w = torch.zeros(x.shape[1], dtype=x.dtype)
    for _ in range(steps):
        grad = x.T @ (x @ w - y) / len(y)
        w = step(w, grad, lr, l1) if l2 is None else step(w, grad, lr, l1, l2)
    return w
