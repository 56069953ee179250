"""Lecture 0 checkers: solutions pass, stubs are "not implemented yet", mistakes are named."""

import math

import pytest
import torch
from exercise_helpers import assert_named, assert_solves

from nncourse.lecture0 import cubic_fit
from nncourse.lecture0.exercises import (
    check_cubic_gradient,
    check_divergence_step,
    check_largest_stable_lr,
    check_loss_steps,
)


def cubic_gradient(coeffs, x, y):
    a, b, c, d = coeffs
    residual = a + b * x + c * x**2 + d * x**3 - y
    return torch.stack([2 * (residual * x**k).mean() for k in range(4)])


def _hessian(x):
    features = torch.stack([x**0, x, x**2, x**3], dim=1)
    return 2 * features.T @ features / len(x)


def largest_stable_lr(x):
    return 2 / torch.linalg.eigvalsh(_hessian(x)).max()


def predicted_loss_steps(x, lr, tol):
    rho = (1 - lr * torch.linalg.eigvalsh(_hessian(x))).abs().max().item()
    if rho >= 1:
        return math.inf
    return math.ceil(math.log(tol) / (2 * math.log(rho)))


def predicted_divergence_step(x, y, coeffs0, lr, limit=1e12):
    features = torch.stack([x**0, x, x**2, x**3], dim=1)
    best = torch.linalg.lstsq(features, y.unsqueeze(-1)).solution.squeeze(-1)
    eigenvalues, Q = torch.linalg.eigh(_hessian(x))
    c = Q.T @ (coeffs0 - best)
    floor = ((features @ best - y) ** 2).mean()
    t = 0
    while floor + 0.5 * (eigenvalues * c**2 * (1 - lr * eigenvalues) ** (2 * t)).sum() <= limit:
        t += 1
    return t


SOLUTIONS = [
    (check_cubic_gradient, cubic_gradient),
    (check_largest_stable_lr, largest_stable_lr),
    (check_loss_steps, predicted_loss_steps),
    (check_divergence_step, predicted_divergence_step),
]


@pytest.mark.parametrize(("checker", "solution"), SOLUTIONS)
def test_solution_passes_and_stub_is_not_implemented(checker, solution):
    assert_solves(checker, solution)


def test_cubic_gradient_mistakes_are_named():
    assert_named(check_cubic_gradient(lambda c, x, y: cubic_gradient(c, x, y) / 2), "factor 2")
    assert_named(check_cubic_gradient(lambda c, x, y: cubic_gradient(c, x, y) * len(x)), "summed")
    assert_named(check_cubic_gradient(lambda c, x, y: -cubic_gradient(c, x, y)), "sign")


def test_calling_the_reference_or_autograd_is_caught():
    assert "calls" in check_cubic_gradient(cubic_fit.cubic_gradient).message

    def with_autograd(coeffs, x, y):
        coeffs = coeffs.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(cubic_fit.cubic_loss(coeffs, x, y), coeffs)
        return grad

    assert "torch.autograd" in check_cubic_gradient(with_autograd).message


def test_largest_stable_lr_mistakes_are_named():
    assert_named(check_largest_stable_lr(lambda x: largest_stable_lr(x) / 2), "1/L")
    assert_named(
        check_largest_stable_lr(lambda x: 2 / torch.linalg.eigvalsh(_hessian(x)).min()),
        "smallest eigenvalue",
    )
    assert_named(
        check_largest_stable_lr(lambda x: largest_stable_lr(x) * 2),
        "covariance Phi^T Phi / n as the Hessian",
    )
    assert_named(
        check_largest_stable_lr(lambda x: largest_stable_lr(x) * 2 / len(x)),
        "constant in front of Phi^T Phi",
    )


def test_loss_steps_mistakes_are_named():
    def for_the_error(x, lr, tol):
        steps = predicted_loss_steps(x, lr, tol)
        rho = (1 - lr * torch.linalg.eigvalsh(_hessian(x))).abs().max().item()
        return steps if steps == math.inf else math.ceil(math.log(tol) / math.log(rho))

    def flat_end(x, lr, tol):
        rho = 1 - lr * torch.linalg.eigvalsh(_hessian(x)).min().item()
        return math.ceil(math.log(tol) / (2 * math.log(rho)))

    def no_ceiling(x, lr, tol):
        rho = (1 - lr * torch.linalg.eigvalsh(_hessian(x))).abs().max().item()
        return math.log(tol) / (2 * math.log(rho)) if rho < 1 else math.inf

    assert_named(check_loss_steps(for_the_error), "half as many")
    assert_named(check_loss_steps(flat_end), "flattest direction")
    assert_named(check_loss_steps(no_ceiling), "round up")


def test_divergence_step_mistake_is_named():
    def error_growth(x, y, coeffs0, lr):
        return 2 * predicted_divergence_step(x, y, coeffs0, lr) - 1

    assert_named(check_divergence_step(error_growth), "(1 - lr L)**2")
