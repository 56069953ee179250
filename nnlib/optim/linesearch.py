"""Step-size rules for gradient descent on analytic surfaces (lecture 1).

Both act on a batch of points x of shape (B, dim) at once, one step size per point.

* Exact step on a quadratic: minimising the second-order model along -g gives
  eta* = g^T g / g^T H g (exact when the function is quadratic).
* Backtracking (Armijo): start from ``lr`` and multiply by ``shrink`` until
  f(x - eta g) <= f(x) - c eta ||g||^2 (sufficient decrease), or along any descent direction d,
  f(x + eta d) <= f(x) + c eta g^T d; :func:`backtracking_along` runs it for one point.
"""

from __future__ import annotations

import torch

from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = ["Backtracking", "ExactQuadraticStep", "armijo_step", "backtracking_along", "exact_step"]


def exact_step(g: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
    """eta* = g^T g / g^T H g for each row of g (B, dim) and Hessian H (B, dim, dim).

    Where the curvature along g is not positive the model has no minimum: eta* is NaN.
    """
    gg = (g * g).sum(-1)
    gHg = torch.einsum("bi,bij,bj->b", g, H, g)
    return torch.where(gHg > 0, gg / gHg, torch.full_like(gg, float("nan")))


def armijo_step(f, x, g, lr=1.0, shrink=0.5, c=1e-4, max_shrinks=60, direction=None):
    """Backtracking line search along d (``direction``, default -g) for a batch of points x
    (B, dim). Returns (step sizes eta, function evaluations), one per point.

    eta starts at ``lr`` and shrinks by ``shrink`` while f(x + eta d) > f(x) + c eta g^T d
    (with d = -g: f(x - eta g) > f(x) - c eta ||g||^2).
    """
    d = -g if direction is None else direction
    fx = f(x)
    slope = (g * d).sum(-1)
    eta = torch.full_like(fx, lr)
    evals = torch.ones_like(fx)
    searching = torch.ones_like(fx, dtype=torch.bool)
    for _ in range(max_shrinks):
        trial = f(x + eta.unsqueeze(-1) * d)
        evals = evals + searching  # only points still searching pay for this trial
        searching &= ~(trial <= fx + c * eta * slope)  # a NaN trial keeps searching
        if not searching.any():
            break
        eta = torch.where(searching, eta * shrink, eta)
    return eta, evals


def backtracking_along(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4, max_shrinks=60) -> float:
    """:func:`armijo_step` for one point x (dim,) along a descent direction d (g^T d < 0), such
    as a Newton or a preconditioned direction; ``f`` takes one point. Returns eta."""
    slope = (g * d).sum()
    if not slope < 0:
        raise ValueError(f"Invalid direction: g^T d = {slope.item():.3g} (must be < 0)")

    def f_rows(points: torch.Tensor) -> torch.Tensor:
        return torch.stack([torch.as_tensor(f(point)) for point in points])

    eta, _ = armijo_step(f_rows, x[None], g[None], lr, shrink, c, max_shrinks, direction=d[None])
    return float(eta[0])


class ExactQuadraticStep:
    """Gradient descent with eta* = g^T g / g^T H g (one gradient and one Hessian per step)."""

    def step(self, landscape, x):
        g = landscape.gradient(x)
        eta = exact_step(g, landscape.hessian(x))
        counts = {"gradient": 1, "hessian": 1}
        return x - eta.unsqueeze(-1) * g, counts

    def __repr__(self) -> str:
        return "ExactQuadraticStep()"


class Backtracking:
    """Gradient descent with an Armijo backtracking line search."""

    def __init__(
        self, lr: float = 1.0, shrink: float = 0.5, c: float = 1e-4, max_shrinks: int = 60
    ):
        self.lr = check_positive("lr", lr)
        self.shrink = check_fraction("shrink", shrink)
        if self.shrink == 0:
            raise ValueError("Invalid shrink: 0 (must be in (0, 1))")
        self.c = check_fraction("c", c)
        self.max_shrinks = check_positive_int("max_shrinks", max_shrinks)

    def step(self, landscape, x):
        g = landscape.gradient(x)
        eta, evals = armijo_step(
            landscape.value, x, g, self.lr, self.shrink, self.c, self.max_shrinks
        )
        return x - eta.unsqueeze(-1) * g, {"gradient": 1, "value": evals}

    def __repr__(self) -> str:
        return f"Backtracking(lr={self.lr}, shrink={self.shrink}, c={self.c})"
