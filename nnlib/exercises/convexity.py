"""Checkers for lecture 1 (convexity and gradient descent)."""

from __future__ import annotations

import torch

from nnlib import analytic_surfaces, optim
from nnlib.exercises.core import CheckResult, check

__all__ = ["check_backtracking_step", "check_exact_quadratic_step", "check_predicted_steps"]


def _reference_backtracking(f, x, g, lr=1.0, shrink=0.5, c=1e-4):
    t, _ = optim.armijo_step(f, x.unsqueeze(0), g.unsqueeze(0), lr, shrink, c)
    return t[0].item()


def _backtracking_cases():
    cases = []
    for surface, point in [
        (analytic_surfaces.running_example(), [1.5, 1.0]),
        (analytic_surfaces.running_example(), [0.1, -0.05]),
        (analytic_surfaces.Rosenbrock(), [-1.5, 2.0]),
        (analytic_surfaces.Rosenbrock(), [0.5, 0.5]),
        (analytic_surfaces.Himmelblau(), [0.0, 0.0]),
    ]:
        x = torch.tensor(point, dtype=torch.float64)
        cases.append((surface.value, x, surface.gradient(x)))
    surface = analytic_surfaces.Rosenbrock()
    x = torch.tensor([-1.0, 1.5], dtype=torch.float64)
    cases.append((surface.value, x, surface.gradient(x), 0.01, 0.8, 0.3))
    return cases


def check_backtracking_step(student_fn) -> CheckResult:
    """Exercise 1.1: the Armijo backtracking step size for one point."""
    return check(
        student_fn,
        _reference_backtracking,
        _backtracking_cases(),
        name="backtracking_step",
        rtol=1e-9,
        hint="accept t as soon as f(x - t g) <= f(x) - c t ||g||^2; otherwise t = shrink * t.",
    )


def _reference_exact(g, H):
    return optim.exact_step(g.unsqueeze(0), H.unsqueeze(0))[0].item()


def _exact_cases():
    generator = torch.Generator().manual_seed(5)
    cases = []
    for dim in (2, 2, 5, 20):
        A = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
        H = A @ A.T + 0.1 * torch.eye(dim, dtype=torch.float64)
        g = torch.randn(dim, generator=generator, dtype=torch.float64)
        cases.append((g, H))
    cases.append(
        (
            torch.tensor([1.0, 0.0], dtype=torch.float64),
            torch.diag(torch.tensor([2.0, 8.0], dtype=torch.float64)),
        )
    )
    return cases


def check_exact_quadratic_step(student_fn) -> CheckResult:
    """Exercise 1.2: the exact step alpha* = g^T g / g^T H g."""
    return check(
        student_fn,
        _reference_exact,
        _exact_cases(),
        name="exact_quadratic_step",
        rtol=1e-9,
        hint="minimise q(alpha) = f - alpha g^T g + alpha^2/2 g^T H g over alpha.",
    )


def check_predicted_steps(student_fn) -> CheckResult:
    """Exercise 1.3: GD steps to shrink the error by tol, from the condition number."""
    cases = [(kappa, tol) for kappa in (2.0, 10.0, 100.0, 1000.0) for tol in (1e-3, 1e-6)]
    cases.append((1.0, 1e-6))
    return check(
        student_fn,
        optim.steps_to_tolerance,
        cases,
        name="predicted_steps",
        atol=0,
        rtol=0,
        hint="the error shrinks by rho = (kappa-1)/(kappa+1) per step; solve rho^k <= tol for k.",
    )
