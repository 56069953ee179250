"""Checkers for lecture 0 (from hand-written gradients to torch.optim)."""

from __future__ import annotations

import torch

from nnlib.exercises.core import CheckResult, check
from nnlib.studies import cubic_fit

__all__ = ["check_cubic_gradient", "check_largest_stable_lr"]


def _gradient_cases() -> list[tuple]:
    generator = torch.Generator().manual_seed(1)
    cases = []
    for n in (1, 5, 50):
        x = torch.randn(n, generator=generator, dtype=torch.float64)
        y = torch.randn(n, generator=generator, dtype=torch.float64)
        coeffs = torch.randn(4, generator=generator, dtype=torch.float64)
        cases.append((coeffs, x, y))
    x, y = cubic_fit.sine_data(200)
    cases.append((cubic_fit.initial_coefficients(0), x, y))
    cases.append((cubic_fit.least_squares_coefficients(x, y), x, y))  # gradient ~ 0 at the optimum
    return cases


def check_cubic_gradient(student_fn) -> CheckResult:
    """Exercise 0.1: the gradient of the mean squared error of a cubic, by hand."""
    return check(
        student_fn,
        cubic_fit.cubic_gradient,
        _gradient_cases(),
        name="cubic_gradient",
        atol=1e-8,
        hint="the loss is a mean, so each component carries a factor 2/n; d(pred)/dc = x**2.",
    )


def _stable_lr_cases() -> list[tuple]:
    generator = torch.Generator().manual_seed(2)
    cases = [(cubic_fit.sine_data(n)[0],) for n in (10, 2000)]
    cases += [(torch.rand(n, generator=generator, dtype=torch.float64) * 4 - 2,) for n in (8, 100)]
    return cases


def check_largest_stable_lr(student_fn) -> CheckResult:
    """Exercise 0.2: the learning-rate limit 2 / lambda_max(H) of the cubic fit."""
    return check(
        student_fn,
        cubic_fit.largest_stable_lr,
        _stable_lr_cases(),
        name="largest_stable_lr",
        rtol=1e-6,
        hint="H = (2/n) Phi^T Phi, Phi = [1, x, x^2, x^3]; eigvalsh gives its eigenvalues.",
    )
