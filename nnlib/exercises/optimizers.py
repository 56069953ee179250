"""Checkers for lecture 5 (optimizers and learning rates)."""

from __future__ import annotations

import torch

from nnlib import optim, schedules
from nnlib.exercises.core import CheckResult, check

__all__ = ["check_adam_step", "check_cosine_schedule", "check_momentum_step"]


def _reference_momentum(theta, buffer, g, lr, momentum):
    """One torch-convention heavy-ball step; returns (new theta, new buffer)."""
    return optim.sgd_update(theta, g, buffer, lr=lr, momentum=momentum)


def check_momentum_step(student_fn) -> CheckResult:
    """Exercise 5.1: b <- momentum b + g, theta <- theta - lr b."""
    g = torch.Generator().manual_seed(8)
    cases = [
        (
            torch.randn(5, generator=g, dtype=torch.float64),
            torch.randn(5, generator=g, dtype=torch.float64),
            torch.randn(5, generator=g, dtype=torch.float64),
            lr,
            m,
        )
        for lr, m in ((0.1, 0.9), (0.01, 0.3), (1.0, 0.5))
    ]
    return check(
        student_fn,
        _reference_momentum,
        cases,
        name="momentum_step",
        rtol=1e-12,
        hint="update the buffer first, then step with the new buffer.",
    )


def _reference_adam(theta, m, v, g, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """Adam's step t; returns (new theta, m, v)."""
    theta, m, v, _ = optim.adam_update(theta, g, m, v, t, lr=lr, betas=betas, eps=eps)
    return theta, m, v


def check_adam_step(student_fn) -> CheckResult:
    """Exercise 5.2: Adam step t (t = 1 is the first) with bias correction."""
    g = torch.Generator().manual_seed(9)
    cases = []
    for t in (1, 2, 10, 1000):
        theta, gr = (torch.randn(4, generator=g, dtype=torch.float64) for _ in range(2))
        m = torch.randn(4, generator=g, dtype=torch.float64) * 0.1 * (t > 1)
        v = torch.rand(4, generator=g, dtype=torch.float64) * 0.01 * (t > 1)
        cases.append((theta, m, v, gr, t))
    return check(
        student_fn,
        _reference_adam,
        cases,
        name="adam_step",
        rtol=1e-10,
        hint="m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t); eps outside the sqrt.",
    )


def check_cosine_schedule(student_fn) -> CheckResult:
    """Exercise 5.3: cosine annealing from lr0 to eta_min over T_max steps."""
    cases = [(t, 0.1, 100, 0.0) for t in (0, 1, 50, 99, 100)] + [(30, 1.0, 60, 0.01)]
    return check(
        student_fn,
        schedules.cosine_lr,
        cases,
        name="cosine_schedule",
        rtol=1e-12,
        hint="eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2.",
    )
