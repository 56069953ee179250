"""Checkers for lecture 1 (convexity and gradient descent).

Exercise 1.1 asks for the exact step on a quadratic, 1.2 for Armijo backtracking along any
descent direction (the notebook shows it only along -g), 1.3 to predict GD's step count for any
step size from the two ends of the spectrum, 1.4 for early stopping with patience.
"""

from __future__ import annotations

import math

import torch

from nncourse.grading import Case, CheckResult, Misconception, check, named
from nnlib import analytic_surfaces, optim
from nnlib.optim import linesearch, rates
from nnlib.train import EarlyStopping

__all__ = [
    "check_backtracking_step",
    "check_early_stopping",
    "check_exact_quadratic_step",
    "check_predicted_steps",
]


# Exercise 1.1 -------------------------------------------------------------------------------


def _reference_exact(g, d, H):
    return (-(g @ d) / (d @ H @ d)).item()


def _exact_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(5)
    H2 = torch.diag(torch.tensor([2.0, 8.0], dtype=torch.float64))
    g2 = torch.tensor([3.0, 8.0], dtype=torch.float64)
    cases = [
        Case("running example at (1.5, 1.0), along -g", g2, -g2, H2),
        Case("running example, along -x1 only", g2, torch.tensor([-1.0, 0.0]).double(), H2),
        Case("running example, along Newton's direction -H^-1 g", g2, -(g2 / H2.diagonal()), H2),
    ]
    for dim in (5, 20):
        A = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
        H = A @ A.T + 0.1 * torch.eye(dim, dtype=torch.float64)
        g = torch.randn(dim, generator=generator, dtype=torch.float64)
        d = -g + torch.randn(dim, generator=generator, dtype=torch.float64)
        d = d if g @ d < 0 else -d  # a descent direction
        cases.append(Case(f"random positive definite H in {dim} dimensions", g, d, H))
    return cases


def check_exact_quadratic_step(student_fn) -> CheckResult:
    """Exercise 1.1: the exact step along a descent direction d, eta* = -g^T d / d^T H d."""
    return check(
        student_fn,
        _reference_exact,
        _exact_cases(),
        name="exact_quadratic_step",
        misconceptions=[
            Misconception(
                "the ratio is upside down", lambda g, d, H: 1 / _reference_exact(g, d, H)
            ),
            Misconception(
                "you returned the exact step along -g; the step here moves along d",
                lambda g, d, H: ((g @ g) / (g @ H @ g)).item(),
            ),
            Misconception(
                "the sign: along a descent direction g^T d < 0, and the step is positive",
                lambda g, d, H: -_reference_exact(g, d, H),
            ),
        ],
        forbid=[optim.exact_step],
        rtol=1e-9,
        hint="write q(eta) = f(x + eta d) with the Taylor model and set q'(eta) = 0.",
    )


# Exercise 1.2 -------------------------------------------------------------------------------


def _backtracking_cases() -> list[Case]:
    cases = []
    bowl = analytic_surfaces.running_example()
    rosenbrock = analytic_surfaces.Rosenbrock()
    f_bowl = named(lambda p: bowl.value(p), "f = x1² + 4x2²")
    f_rosen = named(lambda p: rosenbrock.value(p), "f = Rosenbrock")
    x = torch.tensor([1.5, 1.0], dtype=torch.float64)
    g = bowl.gradient(x)
    cases.append(Case("bowl, steepest descent d = -g", f_bowl, x, g, -g))
    newton = optim.newton_direction(g.unsqueeze(0), bowl.hessian(x).unsqueeze(0))[0]
    cases.append(Case("bowl, Newton direction (accepted at once)", f_bowl, x, g, newton))
    x = torch.tensor([-1.5, 2.0], dtype=torch.float64)
    g = rosenbrock.gradient(x)
    cases.append(Case("Rosenbrock, d = -g (many halvings)", f_rosen, x, g, -g))
    scaled = -g / torch.tensor([100.0, 1.0], dtype=torch.float64)
    cases.append(Case("Rosenbrock, a diagonally scaled direction", f_rosen, x, g, scaled))
    x = torch.tensor([0.5, 0.5], dtype=torch.float64)
    g = rosenbrock.gradient(x)
    cases.append(
        Case(
            "Rosenbrock, d = -g / 10, lr = 0.3, shrink = 0.8, c = 0.3",
            f_rosen,
            x,
            g,
            -g / 10,
            0.3,
            0.8,
            0.3,
        )
    )
    return cases


def _gradient_norm_test(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4):
    """Sufficient decrease written with ||g||^2 (right only for d = -g)."""
    eta = lr
    for _ in range(60):
        if f(x + eta * d) <= f(x) - c * eta * (g @ g):
            break
        eta *= shrink
    return eta


def _shrink_first(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4):
    return shrink * linesearch.backtracking_along(f, x, g, d, lr, shrink, c)


def _any_decrease(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4):
    """Accepts as soon as f decreases at all (c = 0)."""
    eta = lr
    for _ in range(60):
        if f(x + eta * d) < f(x):
            break
        eta *= shrink
    return eta


def check_backtracking_step(student_fn) -> CheckResult:
    """Exercise 1.2: Armijo backtracking along a descent direction d."""
    return check(
        student_fn,
        linesearch.backtracking_along,
        _backtracking_cases(),
        name="backtracking_step",
        misconceptions=[
            Misconception(
                "your test uses -c eta ||g||^2, which is right only for d = -g; along another "
                "direction the predicted decrease is c eta g^T d",
                _gradient_norm_test,
            ),
            Misconception(
                "you shrink before the first test: lr itself must be tried first", _shrink_first
            ),
            Misconception(
                "you accept any decrease; Armijo asks for a sufficient decrease, a fraction c of "
                "what the slope g^T d promises",
                _any_decrease,
            ),
        ],
        forbid=[linesearch.backtracking_along, optim.armijo_step],
        rtol=1e-9,
        hint="accept eta once f(x + eta d) <= f(x) + c eta g^T d; otherwise eta = shrink * eta.",
    )


# Exercise 1.3 -------------------------------------------------------------------------------


def _reference_steps(mu, L, lr, tol):
    return rates.steps_to_shrink((mu, L), lr, tol)


def _flat_end_only(mu, L, lr, tol):
    rho = abs(1 - lr * mu)
    return math.ceil(math.log(tol) / math.log(rho)) if rho < 1 else math.inf


def _best_step_rate(mu, L, lr, tol):
    return rates.steps_to_tolerance(L / mu, tol)


def _loss_not_error(mu, L, lr, tol):
    rho = rates.predicted_rate((mu, L), lr)
    return math.ceil(math.log(tol) / (2 * math.log(rho))) if rho < 1 else math.inf


def check_predicted_steps(student_fn) -> CheckResult:
    """Exercise 1.3: steps for GD with step lr to shrink the error by tol, from mu and L."""
    cases = [
        Case("lr = 1/L, kappa = 10, tol = 1e-6", 1.0, 10.0, 0.1, 1e-6),
        Case("the best step 2/(mu + L), kappa = 100, tol = 1e-6", 1.0, 100.0, 2 / 101, 1e-6),
        Case("lr = 1.9/L, kappa = 10: the steep direction is the slow one", 1.0, 10.0, 0.19, 1e-6),
        Case("a small step, lr = 0.1/L, mu = 0.5, L = 2, tol = 1e-3", 0.5, 2.0, 0.05, 1e-3),
        Case("lr = 2.1/L: no guarantee (math.inf)", 1.0, 10.0, 0.21, 1e-6),
        Case("kappa = 1 with lr = 1/L: one step", 3.0, 3.0, 1 / 3, 1e-6),
    ]
    return check(
        student_fn,
        _reference_steps,
        cases,
        name="predicted_steps",
        misconceptions=[
            Misconception(
                "you used only the flat direction |1 - lr mu|; for large steps the steep "
                "direction |1 - lr L| shrinks more slowly",
                _flat_end_only,
            ),
            Misconception(
                "you used (kappa - 1)/(kappa + 1), the rate of the best step, whatever lr is",
                _best_step_rate,
            ),
            Misconception(
                "you counted steps for the loss (which shrinks by rho^2), not for the error",
                _loss_not_error,
            ),
        ],
        forbid=[rates.steps_to_shrink, rates.steps_to_tolerance, rates.predicted_rate],
        atol=0,
        rtol=1e-9,  # whole numbers: any gap of one step fails; round-off in a float answer does not
        hint="along eigenvector k the error is multiplied by |1 - lr lambda_k| at every step.",
    )


# Exercise 1.4 -------------------------------------------------------------------------------


def _reference_early_stop(val_losses, patience):
    """(best step, stop step) of :class:`nnlib.train.EarlyStopping` fed one loss per step."""
    stopper = EarlyStopping(patience=patience, restore_best=False)
    values = torch.as_tensor(val_losses).tolist()
    for step, value in enumerate(values):
        if stopper.on_epoch_end(step, {"val_loss": value}, model=None):
            return stopper.best_epoch, step
    return stopper.best_epoch, len(values) - 1


def _first_increase(val_losses, patience):
    return _reference_early_stop(val_losses, 1)


def _waits_one_more(val_losses, patience):
    best, stop = _reference_early_stop(val_losses, patience + 1)
    return best, stop


def _stop_as_best(val_losses, patience):
    _, stop = _reference_early_stop(val_losses, patience)
    return stop, stop


def _ties_improve(val_losses, patience):
    values = torch.as_tensor(val_losses).tolist()
    best, best_step, wait = math.inf, 0, 0
    for step, value in enumerate(values):
        if value <= best:
            best, best_step, wait = value, step, 0
            continue
        wait += 1
        if wait >= patience:
            return best_step, step
    return best_step, len(values) - 1


def check_early_stopping(student_fn) -> CheckResult:
    """Exercise 1.4: early stopping with patience on a sequence of validation losses."""
    t = torch.arange(60, dtype=torch.float64)
    u_shape = 0.3 + 0.002 * (t - 20) ** 2
    generator = torch.Generator().manual_seed(0)
    noisy = u_shape + 0.03 * torch.randn(60, generator=generator, dtype=torch.float64)
    plateau = torch.tensor([1.0, 0.8, 0.6, 0.6, 0.6, 0.6, 0.5, 0.4, 0.45, 0.5, 0.55, 0.6])
    cases = [
        Case("a U-shaped curve, patience 5", u_shape, 5),
        Case("the same curve with noise, patience 3", noisy, 3),
        Case("always improving: never stops early", 1 / (1 + t), 5),
        Case("a plateau of equal values, patience 3", plateau, 3),
        Case("the noisy curve, patience 1", noisy, 1),
    ]
    return check(
        student_fn,
        _reference_early_stop,
        cases,
        name="early_stop",
        misconceptions=[
            Misconception(
                "you stop at the first step without improvement: patience is ignored",
                _first_increase,
            ),
            Misconception(
                "you wait one step too long: stop at the patience-th step without improvement",
                _waits_one_more,
            ),
            Misconception(
                "you returned the stopping step as the best step; the best step is where the "
                "validation loss was lowest",
                _stop_as_best,
            ),
            Misconception(
                "an equal loss is not an improvement: only a strictly lower one resets the wait",
                _ties_improve,
            ),
        ],
        forbid=[EarlyStopping.on_epoch_end],
        atol=0,
        rtol=1e-9,  # whole numbers: any gap of one step fails; round-off in a float answer does not
        hint="keep the best value, its step and a count of steps since it; stop when the count "
        "reaches patience.",
    )
