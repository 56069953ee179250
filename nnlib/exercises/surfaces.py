"""Checkers for lecture 2 (non-convex surfaces and saddle points)."""

from __future__ import annotations

import torch

from nnlib import analytic_surfaces, curvature
from nnlib.exercises.core import CheckResult, check

__all__ = ["check_classify_critical_point", "check_hessian_vector_product", "check_power_iteration"]


def _reference_hvp(f, x, v):
    return torch.func.jvp(torch.func.grad(f), (x,), (v,))[1]


def check_hessian_vector_product(student_fn) -> CheckResult:
    """Exercise 2.1: H v by differentiating the gradient (no dense Hessian)."""
    g = torch.Generator().manual_seed(7)
    A = torch.randn(6, 6, generator=g, dtype=torch.float64)
    A = A + A.T
    cases = [
        (
            lambda x: 0.5 * x @ A @ x,
            torch.randn(6, generator=g, dtype=torch.float64),
            torch.randn(6, generator=g, dtype=torch.float64),
        ),
        (
            analytic_surfaces.Rosenbrock().value,
            torch.tensor([-1.0, 1.5], dtype=torch.float64),
            torch.tensor([1.0, 0.0], dtype=torch.float64),
        ),
        (
            analytic_surfaces.TinyMLP().value,
            torch.tensor([0.3, -0.2], dtype=torch.float64),
            torch.tensor([0.6, 0.8], dtype=torch.float64),
        ),
        (
            lambda x: torch.sin(x).prod(),
            torch.tensor([0.5, 1.0, 1.5], dtype=torch.float64),
            torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64),
        ),
    ]
    return check(
        student_fn,
        _reference_hvp,
        cases,
        name="hessian_vector_product",
        rtol=1e-9,
        hint="take g = grad(f(x)) with create_graph=True, then the gradient of g @ v.",
    )


def check_classify_critical_point(student_fn) -> CheckResult:
    """Exercise 2.2: minimum, maximum, saddle or degenerate from the Hessian's eigenvalues."""

    def diag(*values):
        return torch.diag(torch.tensor(values, dtype=torch.float64))

    rotation = torch.linalg.qr(
        torch.randn(3, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    ).Q
    cases = [
        (diag(2.0, 8.0),),
        (diag(-1.0, -3.0),),
        (diag(2.0, -2.0),),
        (diag(0.0, 1.0),),
        (rotation @ diag(1.0, -0.5, 3.0) @ rotation.T,),
        (rotation @ diag(4.0, 1.0, 0.2) @ rotation.T,),
    ]
    return check(
        student_fn,
        curvature.classify,
        cases,
        name="classify_critical_point",
        hint="use torch.linalg.eigvalsh(H); a zero eigenvalue leaves the test undecided.",
    )


def _reference_power(matvec, n, steps=500, seed=0):
    return curvature.power_iteration(matvec, n, steps, seed)


def check_power_iteration(student_fn) -> CheckResult:
    """Exercise 2.3: the largest-magnitude eigenvalue from matrix-vector products only."""
    g = torch.Generator().manual_seed(11)
    cases = []
    for values in ([5.0, 1.0, 0.5], [-4.0, 1.0, 2.0, 0.1], [10.0, 3.0, -2.0, 1.0, 0.5]):
        Q = torch.linalg.qr(
            torch.randn(len(values), len(values), generator=g, dtype=torch.float64)
        ).Q
        H = Q @ torch.diag(torch.tensor(values, dtype=torch.float64)) @ Q.T
        cases.append((lambda v, H=H: H @ v, len(values)))
    return check(
        student_fn,
        _reference_power,
        cases,
        name="power_iteration",
        rtol=1e-6,
        hint="normalise v after every product; return the Rayleigh quotient v @ H v.",
    )
