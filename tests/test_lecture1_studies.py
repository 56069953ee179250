"""Lecture 1's additions: step counts, line search along any direction, the divergence step,
the Gram-matrix loss, sampling with replacement, and the study set-ups."""

import math

import numpy as np
import pytest
import torch

from nncourse.lecture0 import cubic_fit
from nncourse.lecture1 import early_stopping, gd_rates, newton_cost, sgd_least_squares
from nncourse.lecture1.stochastic import full_loss, minibatch_descent
from nnlib import analytic_surfaces, optim
from nnlib.optim import linesearch, rates


def test_steps_to_shrink_matches_the_closed_forms():
    assert rates.steps_to_shrink((1.0, 10.0), 2 / 11, 1e-6) == optim.steps_to_tolerance(10.0)
    assert rates.steps_to_shrink((1.0, 10.0), 0.1, 1e-6) == math.ceil(
        math.log(1e-6) / math.log(0.9)
    )
    assert rates.steps_to_shrink((1.0, 10.0), 0.19, 1e-6) == math.ceil(
        math.log(1e-6) / math.log(0.9)
    )  # the steep end: |1 - 1.9| = 0.9
    loss = rates.steps_to_shrink((1.0, 10.0), 0.1, 1e-6, of="loss")
    assert loss == math.ceil(math.log(1e-6) / (2 * math.log(0.9)))
    assert rates.steps_to_shrink((1.0, 10.0), 0.21, 1e-6) == math.inf
    assert rates.steps_to_shrink((2.0, 2.0), 0.5, 1e-6) == 1
    with pytest.raises(ValueError, match="of"):
        rates.steps_to_shrink((1.0, 2.0), 0.1, 1e-3, of="distance")
    with pytest.raises(ValueError, match="tol"):
        rates.steps_to_shrink((1.0, 2.0), 0.1, 2.0)


def test_backtracking_along_minus_g_equals_armijo_step():
    surface = analytic_surfaces.Rosenbrock()
    x = torch.tensor([-1.5, 2.0], dtype=torch.float64)
    g = surface.gradient(x)
    eta, _ = optim.armijo_step(surface.value, x[None], g[None])
    assert linesearch.backtracking_along(surface.value, x, g, -g) == eta.item()
    with pytest.raises(ValueError, match="direction"):
        linesearch.backtracking_along(surface.value, x, g, g)


def test_backtracking_along_accepts_the_newton_step_on_a_quadratic():
    bowl = analytic_surfaces.running_example()
    x = torch.tensor([1.5, 1.0], dtype=torch.float64)
    g = bowl.gradient(x)
    d = optim.newton_direction(g[None], bowl.hessian(x)[None])[0]
    assert linesearch.backtracking_along(bowl.value, x, g, d) == 1.0


def test_divergence_step_matches_the_run():
    x, y = cubic_fit.sine_data(500)
    theta0 = cubic_fit.initial_coefficients(0)
    for factor in (1.05, 1.3):
        lr = factor * cubic_fit.largest_stable_lr(x)
        run = cubic_fit.fit_by_hand(x, y, theta0, lr=lr, steps=3000)
        assert run.diverged is not None
        assert cubic_fit.divergence_step(x, y, theta0, lr) == run.diverged.step
    assert cubic_fit.divergence_step(x, y, theta0, 0.5 * cubic_fit.largest_stable_lr(x)) == -1


@pytest.mark.parametrize("factor", [0.01, 0.5, 0.9, 1.05, 1.3])
def test_closed_form_fit_is_the_loop(factor):
    x, y = cubic_fit.sine_data(500)
    theta0 = cubic_fit.initial_coefficients(1)
    lr = factor * cubic_fit.largest_stable_lr(x)
    loop = cubic_fit.fit_by_hand(x, y, theta0, lr=lr, steps=1500)
    closed = cubic_fit.fit_in_closed_form(x, y, theta0, lr=lr, steps=1500)
    assert len(closed.losses) == len(loop.losses)
    np.testing.assert_allclose(closed.losses, loop.losses, rtol=1e-8, atol=1e-12)
    torch.testing.assert_close(closed.coeffs, loop.coeffs, rtol=1e-7, atol=1e-9)
    assert (closed.diverged is None) == (loop.diverged is None)
    if loop.diverged is not None:
        assert str(closed.diverged) == str(loop.diverged)


def test_full_loss_equals_the_value():
    problem = analytic_surfaces.LeastSquares.random(n=300, d=20, seed=1)
    w = torch.randn(4, 20, dtype=torch.float64)
    torch.testing.assert_close(full_loss(problem)(w), problem.value(w))


def test_sampling_with_replacement_differs_but_converges():
    problem = analytic_surfaces.LeastSquares.random(n=200, d=10, noise=0.1, seed=0)
    kwargs = {"lr": 0.05, "batch_size": 20, "epochs": 20, "seed": 1}
    without = minibatch_descent(problem, **kwargs)
    with_ = minibatch_descent(problem, replacement=True, **kwargs)
    assert without.losses[-1] != with_.losses[-1]
    floor = problem.value(problem.solution()).item()
    assert with_.losses[-1] - floor < 0.1 * (with_.losses[0] - floor)


def test_gd_rate_measurement_respects_the_bound():
    A, eigenvalues = gd_rates.random_quadratic(10.0, dim=8, seed=0)
    assert eigenvalues.min().item() == pytest.approx(1.0)
    assert eigenvalues.max().item() == pytest.approx(10.0)
    torch.testing.assert_close(torch.linalg.eigvalsh(A), eigenvalues)
    bound = rates.steps_to_shrink((1.0, 10.0), 0.1, 1e-6)
    m = gd_rates.measure_gd_rate(A, 0.1, max_steps=bound + 10, starts=8)
    assert (m.steps <= bound).all()
    assert (m.tail_rates <= 0.9 + 1e-12).all()
    with pytest.raises(ValueError, match="kappa"):
        gd_rates.random_quadratic(0.5)


def test_loglog_slope_recovers_a_power():
    sizes = [10, 20, 40, 80]
    assert newton_cost.loglog_slope(sizes, [n**3 for n in sizes]) == pytest.approx(3.0)
    cost = newton_cost.measure_newton_cost(sizes=(8, 16), rows=8, repeats=3)
    assert cost.hessian_bytes == [8 * 8**2, 8 * 16**2]  # the storage torch allocated
    assert len(cost.slopes("solve")) == 3  # one slope per timing series
    # series r is repeat r at every size: here one series grows like N^3, the other like N^2
    synthetic = newton_cost.NewtonCost([10, 20], [[1.0, 1.0], [8.0, 4.0]], [[1.0, 3.0]] * 2, [0, 0])
    assert synthetic.slopes("form") == pytest.approx([3.0, 2.0])
    assert synthetic.slopes("solve") == pytest.approx([0.0, 0.0])
    assert synthetic.form_seconds == [1.0, 6.0]  # the median over repeats


def test_conditioned_problem_has_the_asked_condition_number():
    problem = sgd_least_squares.conditioned_problem(n=2000, d=50, kappa=100.0)
    eigenvalues = torch.linalg.eigvalsh(problem.hessian())
    assert 50 < (eigenvalues.max() / eigenvalues.min()).item() < 300


def test_armijo_sgd_full_batch_decreases_the_loss_every_step():
    problem = analytic_surfaces.LeastSquares.random(n=200, d=10, seed=0)
    run = sgd_least_squares.armijo_sgd(problem, batch_size=200, iterations=5)
    assert (run.full_change < 0).all()
    assert (run.evaluations >= 2).all()


def test_constant_sgd_walks_the_batches_of_armijo_sgd():
    problem = analytic_surfaces.LeastSquares.random(n=200, d=10, seed=0)
    # a small first step always passes the Armijo test: the search keeps it, a constant step
    run = sgd_least_squares.armijo_sgd(problem, batch_size=20, iterations=8, lr=0.01, seed=3)
    assert (run.steps == 0.01).all()
    losses = sgd_least_squares.constant_sgd(problem, [0.01, 0.02], 20, 8, seed=3, every=1)
    assert losses.shape == (8, 2)
    assert torch.allclose(losses[:, 0], run.full_after, rtol=1e-12)
    assert not torch.allclose(losses[:, 1], run.full_after)
    with pytest.raises(ValueError, match="lrs"):
        sgd_least_squares.constant_sgd(problem, [0.1, 0.0], 20, 8)


def test_early_stopping_run_finds_the_best_step():
    run = early_stopping.early_stopping_run(0, n_train=60, n_test=500, d=40, steps=2000)
    assert run.test_losses[run.best_step] == run.test_losses.min()
    assert run.best_step <= run.stop_step


def test_noisy_abs_sgd_follows_the_update_and_the_bound():
    from nncourse.lecture1 import subgradient

    run = subgradient.noisy_abs_sgd(seeds=[3], c=0.5, sigma=0.0, steps=4, chains=2, x0=1.0)
    # without noise: x1 = 1 - 0.5 = 0.5, x2 = 0.5 - 0.5/sqrt(2) > 0, x3 = x2 - 0.5/sqrt(3) < 0
    x = [1.0]
    for k in range(1, 5):
        x.append(x[-1] - 0.5 / math.sqrt(k) * math.copysign(1.0, x[-1]))
    assert run.last[:, 0].tolist() == pytest.approx([abs(v) for v in x[1:]])
    eta = [0.5 / math.sqrt(k) for k in range(1, 5)]
    weighted = sum(e * v for e, v in zip(eta, x[1:], strict=True)) / sum(eta)
    assert run.averaged[-1, 0].item() == pytest.approx(abs(weighted))
    assert run.bound[-1].item() == pytest.approx((1 + sum(e * e for e in eta)) / (2 * sum(eta)))
    noisy = subgradient.noisy_abs_sgd(seeds=[0, 1], steps=50, chains=3)
    assert noisy.last.shape == (50, 2) and not torch.equal(noisy.last[:, 0], noisy.last[:, 1])
    with pytest.raises(ValueError):
        subgradient.noisy_abs_sgd(c=0.0)
