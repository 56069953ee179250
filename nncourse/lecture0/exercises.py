"""Checkers for gradient descent by hand (lecture 0: from hand-written gradients to torch.optim).

Exercise 0.1 asks for the gradient of the cubic fit by hand, 0.2 for the largest stable
learning rate, 0.3 to predict from the Hessian how many steps GD needs to shrink the excess loss
by a factor, 0.4 to predict the step at which a run with too large a learning rate blows up.
"""

from __future__ import annotations

import math

import torch

from nncourse.grading import Case, CheckResult, Misconception, check
from nncourse.lecture0 import cubic_fit
from nnlib.optim import rates

__all__ = [
    "check_cubic_gradient",
    "check_divergence_step",
    "check_largest_stable_lr",
    "check_loss_steps",
]


def _gradient_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(1)
    cases = []
    for n, label in ((1, "a single point"), (5, "five random points"), (50, "fifty random points")):
        x = torch.randn(n, generator=generator, dtype=torch.float64)
        y = torch.randn(n, generator=generator, dtype=torch.float64)
        coeffs = torch.randn(4, generator=generator, dtype=torch.float64)
        cases.append(Case(label, coeffs, x, y))
    x, y = cubic_fit.sine_data(200)
    cases.append(
        Case("the sine data at the notebook's start", cubic_fit.initial_coefficients(0), x, y)
    )
    cases.append(
        Case(
            "at the least-squares optimum (gradient 0)",
            cubic_fit.least_squares_coefficients(x, y),
            x,
            y,
        )
    )
    return cases


def check_cubic_gradient(student_fn) -> CheckResult:
    """Exercise 0.1: the gradient of the mean squared error of a cubic, by hand."""
    return check(
        student_fn,
        cubic_fit.cubic_gradient,
        _gradient_cases(),
        name="cubic_gradient",
        misconceptions=[
            Misconception(
                "the factor 2 from differentiating the square is missing",
                lambda c, x, y: cubic_fit.cubic_gradient(c, x, y) / 2,
            ),
            Misconception(
                "you summed over the points instead of averaging (the loss is a mean)",
                lambda c, x, y: cubic_fit.cubic_gradient(c, x, y) * len(x),
            ),
            Misconception(
                "the sign is flipped: the residual is prediction - target, not target - prediction",
                lambda c, x, y: -cubic_fit.cubic_gradient(c, x, y),
            ),
        ],
        forbid=[cubic_fit.cubic_gradient, torch.autograd.grad, torch.autograd.backward],
        atol=1e-8,
        hint="d(loss)/d(coefficient k) averages 2 * residual * x**k over the points.",
    )


def _stable_lr_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(2)
    cases = [
        Case(f"{n} evenly spaced points on [-pi, pi]", cubic_fit.sine_data(n)[0])
        for n in (10, 2000)
    ]
    cases += [
        Case(
            f"{n} random points on [-2, 2]",
            torch.rand(n, generator=generator, dtype=torch.float64) * 4 - 2,
        )
        for n in (8, 100)
    ]
    return cases


def _eigenvalues(x):
    return torch.linalg.eigvalsh(cubic_fit.cubic_hessian(x))


def check_largest_stable_lr(student_fn) -> CheckResult:
    """Exercise 0.2: the learning-rate limit 2 / lambda_max(H) of the cubic fit."""
    return check(
        student_fn,
        cubic_fit.largest_stable_lr,
        _stable_lr_cases(),
        name="largest_stable_lr",
        misconceptions=[
            Misconception(
                "you returned 1/L: the limit is 2/L", lambda x: 1 / _eigenvalues(x).max()
            ),
            Misconception(
                "you used the smallest eigenvalue: the largest one limits the step",
                lambda x: 2 / _eigenvalues(x).min(),
            ),
            Misconception(
                "you left out the constant in front of Phi^T Phi: H = (2/n) Phi^T Phi",
                lambda x: (
                    2
                    / torch.linalg.eigvalsh(
                        cubic_fit.cubic_features(x).T @ cubic_fit.cubic_features(x)
                    ).max()
                ),
            ),
            Misconception(
                "you used the covariance Phi^T Phi / n as the Hessian: the square brings down "
                "a factor 2",
                lambda x: 4 / _eigenvalues(x).max(),
            ),
        ],
        forbid=[cubic_fit.largest_stable_lr, cubic_fit.cubic_hessian],
        rtol=1e-6,
        hint="the error along eigenvector k is multiplied by 1 - lr * lambda_k at every step.",
    )


def _reference_loss_steps(x, lr, tol):
    return rates.steps_to_shrink(_eigenvalues(x), lr, tol, of="loss")


def _loss_steps_cases() -> list[Case]:
    x = cubic_fit.sine_data(2000)[0]
    limit = cubic_fit.largest_stable_lr(x)
    return [
        Case("the notebook's run: lr = 0.005, tol = 1e-6", x, 5e-3, 1e-6),
        Case("a small step, lr = 0.001, tol = 1e-3", x, 1e-3, 1e-3),
        Case("just below the limit, lr = 0.95 * 2/L, tol = 1e-6", x, 0.95 * limit, 1e-6),
        Case("a hair below the limit, lr = 0.999 * 2/L, tol = 1e-6", x, 0.999 * limit, 1e-6),
        Case("above the limit, lr = 1.05 * 2/L: no guarantee (math.inf)", x, 1.05 * limit, 1e-6),
        Case("twenty points, lr = 0.003, tol = 1e-4", cubic_fit.sine_data(20)[0], 3e-3, 1e-4),
    ]


def _error_steps(x, lr, tol):
    return rates.steps_to_shrink(_eigenvalues(x), lr, tol, of="error")


def _flat_end_only(x, lr, tol):
    rho = abs(1 - lr * _eigenvalues(x).min().item())
    return math.ceil(math.log(tol) / (2 * math.log(rho)))


def _no_ceiling(x, lr, tol):
    rho = rates.predicted_rate(_eigenvalues(x), lr)
    return math.log(tol) / (2 * math.log(rho)) if rho < 1 else math.inf


def check_loss_steps(student_fn) -> CheckResult:
    """Exercise 0.3: steps after which GD has shrunk the excess loss by ``tol``, from any start."""
    return check(
        student_fn,
        _reference_loss_steps,
        _loss_steps_cases(),
        name="predicted_loss_steps",
        misconceptions=[
            Misconception(
                "you counted steps for the error ||theta - theta*||; the excess loss is quadratic "
                "in the error, so it shrinks by rho**2 per step and needs half as many",
                _error_steps,
            ),
            Misconception(
                "you used only the flattest direction, |1 - lr * lambda_min|; near the limit the "
                "steepest direction, |1 - lr * lambda_max|, is the slower one",
                _flat_end_only,
            ),
            Misconception("the count of steps must be a whole number: round up", _no_ceiling),
        ],
        forbid=[rates.steps_to_shrink, rates.steps_to_tolerance],
        atol=0,
        rtol=1e-9,  # whole numbers: any gap of one step fails; round-off in a float answer does not
        hint="rho = max_k |1 - lr * lambda_k|; the excess loss shrinks at least by rho**2 a step.",
    )


def _divergence_cases() -> list[Case]:
    x, y = cubic_fit.sine_data(2000)
    theta0 = cubic_fit.initial_coefficients(0)
    limit = cubic_fit.largest_stable_lr(x)
    return [
        Case("the notebook's run: lr = 1.05 * 2/L", x, y, theta0, 1.05 * limit),
        Case("further above: lr = 1.5 * 2/L", x, y, theta0, 1.5 * limit),
        Case("barely above: lr = 1.01 * 2/L", x, y, theta0, 1.01 * limit),
        Case(
            "another start: lr = 1.2 * 2/L",
            x,
            y,
            cubic_fit.initial_coefficients(3),
            1.2 * limit,
        ),
    ]


def _error_not_loss(x, y, theta0, lr):
    """The loss grows like |1 - lr L|^(2t); using |1 - lr L|^t doubles the count."""
    eigenvalues, Q = torch.linalg.eigh(cubic_fit.cubic_hessian(x))
    c = Q.T @ (theta0 - cubic_fit.least_squares_coefficients(x, y))
    growth = abs(1 - lr * eigenvalues[-1].item())
    start = 0.5 * eigenvalues[-1].item() * c[-1].item() ** 2
    return math.floor(math.log(1e12 / start) / math.log(growth)) + 1


def check_divergence_step(student_fn) -> CheckResult:
    """Exercise 0.4: the step at which a run above the limit passes a loss of 1e12."""
    return check(
        student_fn,
        lambda x, y, theta0, lr: cubic_fit.divergence_step(x, y, theta0, lr),
        _divergence_cases(),
        name="predicted_divergence_step",
        misconceptions=[
            Misconception(
                "you let the loss grow by |1 - lr L| per step; it is quadratic in the error, so it "
                "grows by (1 - lr L)**2",
                _error_not_loss,
            ),
        ],
        forbid=[cubic_fit.divergence_step, cubic_fit.fit_by_hand, cubic_fit.fit_in_closed_form],
        atol=1,
        rtol=0,
        fresh=False,  # a learning rate 1.01 times the limit: a perturbation could cross it
        hint="write L(theta_t) - L* along the eigenvectors of H; one term dominates.",
    )
