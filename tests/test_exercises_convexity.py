"""Lecture 1 checkers: solutions pass, stubs are "not implemented yet", mistakes are named."""

import math

import pytest
from exercise_helpers import assert_named, assert_solves

from nncourse.lecture1.exercises import (
    check_backtracking_step,
    check_early_stopping,
    check_exact_quadratic_step,
    check_predicted_steps,
)
from nnlib import optim


def exact_quadratic_step(g, d, H):
    return -(g @ d) / (d @ H @ d)


def backtracking_step(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4):
    eta, fx, slope = lr, f(x), g @ d
    while f(x + eta * d) > fx + c * eta * slope:
        eta *= shrink
    return eta


def predicted_steps(mu, L, lr, tol):
    rho = max(abs(1 - lr * mu), abs(1 - lr * L))
    if rho >= 1:
        return math.inf
    if rho == 0:
        return 1
    return math.ceil(math.log(tol) / math.log(rho))


def early_stop(val_losses, patience):
    best, best_step, wait = math.inf, 0, 0
    for step, value in enumerate(val_losses):
        if value < best:
            best, best_step, wait = value, step, 0
        else:
            wait += 1
            if wait == patience:
                return best_step, step
    return best_step, len(val_losses) - 1


SOLUTIONS = [
    (check_exact_quadratic_step, exact_quadratic_step),
    (check_backtracking_step, backtracking_step),
    (check_predicted_steps, predicted_steps),
    (check_early_stopping, early_stop),
]


@pytest.mark.parametrize(("checker", "solution"), SOLUTIONS)
def test_solution_passes_and_stub_is_not_implemented(checker, solution):
    assert_solves(checker, solution)


def test_exact_step_mistakes_are_named():
    upside_down = lambda g, d, H: (d @ H @ d) / -(g @ d)  # noqa: E731
    along_g = lambda g, d, H: (g @ g) / (g @ H @ g)  # noqa: E731
    negative = lambda g, d, H: (g @ d) / (d @ H @ d)  # noqa: E731
    assert_named(check_exact_quadratic_step(upside_down), "upside down")
    assert_named(check_exact_quadratic_step(along_g), "along -g")
    assert_named(check_exact_quadratic_step(negative), "the sign")
    assert (
        "calls"
        in check_exact_quadratic_step(lambda g, d, H: optim.exact_step(g[None], H[None])[0]).message
    )


def test_backtracking_mistakes_are_named():
    def gradient_norm(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4):
        eta = lr
        while f(x + eta * d) > f(x) - c * eta * (g @ g):
            eta *= shrink
        return eta

    def shrink_first(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4):
        return shrink * backtracking_step(f, x, g, d, lr, shrink, c)

    def any_decrease(f, x, g, d, lr=1.0, shrink=0.5, c=1e-4):
        eta = lr
        while not f(x + eta * d) < f(x):
            eta *= shrink
        return eta

    assert_named(check_backtracking_step(gradient_norm), "g^T d")
    assert_named(check_backtracking_step(shrink_first), "lr itself")
    assert_named(check_backtracking_step(any_decrease), "sufficient decrease")


def test_predicted_steps_mistakes_are_named():
    def flat_end(mu, L, lr, tol):
        return math.ceil(math.log(tol) / math.log(abs(1 - lr * mu)))

    def best_step(mu, L, lr, tol):
        kappa = L / mu
        return math.ceil(math.log(tol) / math.log((kappa - 1) / (kappa + 1)))

    def loss(mu, L, lr, tol):
        steps = predicted_steps(mu, L, lr, tol)
        rho = max(abs(1 - lr * mu), abs(1 - lr * L))
        return steps if rho >= 1 else math.ceil(math.log(tol) / (2 * math.log(rho)))

    assert_named(check_predicted_steps(flat_end), "flat direction")
    assert_named(check_predicted_steps(best_step), "(kappa - 1)/(kappa + 1)")
    assert_named(check_predicted_steps(loss), "for the loss")


def test_early_stopping_mistakes_are_named():
    def first_increase(val_losses, patience):
        return early_stop(val_losses, 1)

    def one_more(val_losses, patience):
        return early_stop(val_losses, patience + 1)

    def stop_as_best(val_losses, patience):
        stop = early_stop(val_losses, patience)[1]
        return stop, stop

    # a copy of early_stop with < made <=, on purpose: the mistake under test
    def ties(val_losses, patience):
        best, best_step, wait = math.inf, 0, 0
        for step, value in enumerate(val_losses):
            if value <= best:
                best, best_step, wait = value, step, 0
            else:
                wait += 1
                if wait == patience:
                    return best_step, step
        return best_step, len(val_losses) - 1

    assert_named(check_early_stopping(first_increase), "patience is ignored")
    assert_named(check_early_stopping(one_more), "one step too long")
    assert_named(check_early_stopping(stop_as_best), "stopping step as the best")
    assert_named(check_early_stopping(ties), "equal loss")
