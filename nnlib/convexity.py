"""Convexity by definition: Jensen's inequality, checked numerically (lecture 1).

f is convex when for all a, b and alpha in [0, 1]

    f(alpha a + (1 - alpha) b) <= alpha f(a) + (1 - alpha) f(b),

i.e. the chord between two points of the graph never passes below it. :func:`jensen_gap` is the
right side minus the left; a convex function never makes it negative.
"""

from __future__ import annotations

import torch

from nnlib import utils
from nnlib.utils import check_positive, check_positive_int

__all__ = ["FUNCTIONS_1D", "convexity_violations", "jensen_gap"]

# name -> (function, convex?)
FUNCTIONS_1D = {
    "x²": (lambda x: x**2, True),
    "|x|": (lambda x: x.abs(), True),
    "exp(x)": (torch.exp, True),
    "softplus": (torch.nn.functional.softplus, True),
    "sin(x)": (torch.sin, False),
    "x⁴ - 2x²": (lambda x: x**4 - 2 * x**2, False),
}


def jensen_gap(f, a, b, alpha):
    """alpha f(a) + (1 - alpha) f(b) - f(alpha a + (1 - alpha) b); >= 0 for convex f."""
    a, b, alpha = (torch.as_tensor(v, dtype=torch.float64) for v in (a, b, alpha))
    if ((alpha < 0) | (alpha > 1)).any():
        raise ValueError("Invalid alpha: must lie in [0, 1]")
    return alpha * f(a) + (1 - alpha) * f(b) - f(alpha * a + (1 - alpha) * b)


def convexity_violations(f, dim: int = 1, trials: int = 10_000, scale: float = 3.0, seed: int = 0):
    """Fraction of random triples (a, b, alpha) that break Jensen's inequality (beyond round-off).

    Points are drawn uniformly from [-scale, scale]^dim; ``f`` maps (..., dim) to (...) when
    dim > 1 and works elementwise when dim = 1.
    """
    check_positive_int("trials", trials)
    check_positive_int("dim", dim)
    check_positive("scale", scale)
    g = utils.generator(seed)
    shape = (trials,) if dim == 1 else (trials, dim)
    a = (torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * scale
    b = (torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * scale
    alpha = torch.rand(trials, generator=g, dtype=torch.float64)
    if dim > 1:
        mixed = alpha[:, None] * a + (1 - alpha[:, None]) * b
        gap = alpha * f(a) + (1 - alpha) * f(b) - f(mixed)
    else:
        gap = jensen_gap(f, a, b, alpha)
    tolerance = 1e-9 * (1 + gap.abs())
    return (gap < -tolerance).double().mean().item()
