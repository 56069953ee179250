"""SGD with steps eta_k = c / sqrt(k) on a convex problem that is not strongly convex (lecture 1).

f(x) = |x| (minimum 0 at x* = 0), seen through a noisy subgradient g = sign(x) + sigma z with
z ~ N(0, 1), so E[g] is a subgradient and E[g^2] = G^2 = 1 + sigma^2. Many independent chains run
at once from x_0; the study records, per iteration k, the mean over the chains of the last
iterate's suboptimality f(x_k) and of the step-weighted average x~_k = sum eta_j x_j / sum eta_j,
and the textbook bound for the averaged iterate of a convex G-Lipschitz problem,
E f(x~_k) - f* <= (|x_0 - x*|^2 + G^2 sum eta_j^2) / (2 sum eta_j).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nnlib import utils

__all__ = ["SubgradientRun", "noisy_abs_sgd"]


@dataclass
class SubgradientRun:
    """Per iteration k = 1..steps (rows) and seed (columns): the chains' mean f(x_k) and f(x~_k).

    ``bound`` is the averaged iterate's bound at each k (the same for every seed).
    """

    k: torch.Tensor
    last: torch.Tensor
    averaged: torch.Tensor
    bound: torch.Tensor


def noisy_abs_sgd(
    seeds=range(5),
    c: float = 0.5,
    sigma: float = 1.0,
    steps: int = 4_000,
    chains: int = 200,
    x0: float = 1.0,
) -> SubgradientRun:
    """SGD x_{k+1} = x_k - (c / sqrt(k)) (sign(x_k) + sigma z_k) on f(x) = |x|.

    ``chains`` independent chains per seed, all seeds advanced together.
    """
    utils.check_positive("c", c)
    seeds = list(seeds)
    noise = torch.cat(
        [
            torch.randn(steps, chains, generator=utils.generator(s), dtype=torch.float64)
            for s in seeds
        ],
        dim=1,
    )
    k = torch.arange(1, steps + 1, dtype=torch.float64)
    eta = c / k.sqrt()
    total = eta.cumsum(0)
    x = torch.full((len(seeds) * chains,), x0, dtype=torch.float64)
    weighted_sum = torch.zeros_like(x)
    last = torch.empty(steps, len(seeds) * chains, dtype=torch.float64)
    averaged = torch.empty_like(last)
    for t in range(steps):
        x = x - eta[t] * (torch.sign(x) + sigma * noise[t])
        weighted_sum += eta[t] * x
        last[t] = x
        averaged[t] = weighted_sum
    averaged /= total.unsqueeze(1)
    per_seed = (steps, len(seeds), chains)
    bound = (x0**2 + (1 + sigma**2) * eta.pow(2).cumsum(0)) / (2 * total)
    return SubgradientRun(
        k,
        last.abs().view(per_seed).mean(2),
        averaged.abs().view(per_seed).mean(2),
        bound,
    )
