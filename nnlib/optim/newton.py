"""Newton's method, with optional damping (lectures 1, 2 and 5).

theta <- theta - (H + mu I)^{-1} g. With mu = 0 this jumps to the stationary point of the local
quadratic model: in one step on a quadratic, whatever its conditioning, but also straight to a
saddle or maximum when H is not positive definite. Cost per step for N parameters: O(N^2)
memory for H and O(N^3) time to solve.
"""

from __future__ import annotations

import torch

from nnlib.utils import check_positive

__all__ = ["Newton", "newton_direction"]


def newton_direction(g: torch.Tensor, H: torch.Tensor, damping: float = 0.0) -> torch.Tensor:
    """d = -(H + damping I)^{-1} g for each row; NaN where the system is singular."""
    eye = torch.eye(g.shape[-1], dtype=g.dtype, device=g.device)
    system = H + damping * eye
    solution, info = torch.linalg.solve_ex(system, g.unsqueeze(-1))
    d = -solution.squeeze(-1)
    return torch.where((info == 0).unsqueeze(-1), d, torch.full_like(d, float("nan")))


class Newton:
    """Newton's method theta <- theta - lr (H + damping I)^{-1} g."""

    def __init__(self, damping: float = 0.0, lr: float = 1.0):
        self.damping = check_positive("damping", damping, allow_zero=True)
        self.lr = check_positive("lr", lr)

    def step(self, landscape, x):
        d = newton_direction(landscape.gradient(x), landscape.hessian(x), self.damping)
        return x + self.lr * d, {"gradient": 1, "hessian": 1}

    def __repr__(self) -> str:
        return f"Newton(damping={self.damping}, lr={self.lr})"
