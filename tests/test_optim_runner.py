import pytest
import torch

from nncourse.lecture1.stochastic import minibatch_descent
from nnlib import analytic_surfaces, optim


def _gd(lr):
    return lambda p: optim.GradientDescent(p, lr=lr)


@pytest.mark.parametrize(
    "method",
    [_gd(1e-3), optim.ExactQuadraticStep(), optim.Backtracking(), optim.Newton(damping=1.0)],
)
def test_batched_run_equals_one_by_one(method):
    surface = analytic_surfaces.Rosenbrock()
    starts = torch.tensor([[-1.5, 2.0], [0.0, 0.0], [1.5, 1.5], [-0.5, 2.5]], dtype=torch.float64)
    batched = optim.run(surface, method, starts, 200, grad_tol=1e-5)
    for b, start in enumerate(starts):
        single = optim.run(surface, method, start, 200, grad_tol=1e-5)
        steps = int(single.steps_taken[0])
        assert int(batched.steps_taken[b]) == steps
        torch.testing.assert_close(
            batched.points[: steps + 1, b], single.points[: steps + 1, 0], equal_nan=True
        )
        for key, counts in single.evaluations.items():
            assert batched.evaluations[key][b] == counts[0]


def test_divergence_is_detected_per_row_and_reported():
    surface = analytic_surfaces.running_example()  # L = 8, so lr > 0.25 diverges
    run = optim.run(surface, _gd(0.3), [[1.0, 1.0], [1.0, 0.0]], 500)
    assert run.diverged_at[0] > 0  # has an x2 component, which explodes
    assert run.diverged_at[1] == -1  # pure x1 start: rate |1 - 0.3 * 2| < 1
    assert "diverged at step" in optim.describe_run("GD", run, surface, row=0)
    frozen = run.points[int(run.diverged_at[0]) :, 0]
    assert (frozen == frozen[0]).all()


def test_stopping_criteria():
    surface = analytic_surfaces.running_example()
    by_grad = optim.run(surface, _gd(0.1), [1.0, 1.0], 1000, grad_tol=1e-6)
    t = int(by_grad.stopped_at[0])
    assert by_grad.grad_norms[t, 0] < 1e-6 <= by_grad.grad_norms[t - 1, 0]
    by_step = optim.run(surface, _gd(0.1), [1.0, 1.0], 1000, step_tol=1e-6)
    t = int(by_step.stopped_at[0])
    assert (by_step.points[t, 0] - by_step.points[t - 1, 0]).norm() < 1e-6
    never = optim.run(surface, _gd(0.1), [1.0, 1.0], 5)
    assert never.stopped_at[0] == -1 and never.steps_taken[0] == 5


def test_runner_takes_any_torch_optimizer():
    surface = analytic_surfaces.running_example()
    run = optim.run(surface, lambda p: torch.optim.Adam(p, lr=0.1), [1.0, 1.0], 300, grad_tol=1e-4)
    assert run.stopped_at[0] > 0
    assert run.method == "Adam"


def test_scipy_comparisons_converge_and_count_evaluations():
    surface = analytic_surfaces.Rosenbrock()
    for method in ("L-BFGS-B", "BFGS", "CG"):
        run = optim.run_scipy(surface, method, [-1.5, 2.0], 500, grad_tol=1e-8)
        assert (run.final()[0] - torch.tensor([1.0, 1.0], dtype=torch.float64)).norm() < 1e-4
        assert run.evaluations["gradient"][0] >= run.steps_taken[0]
    with pytest.raises(ValueError, match="method"):
        optim.run_scipy(surface, "Nelder-Mead", [0.0, 0.0], 10)


def test_runner_rejects_bad_inputs():
    surface = analytic_surfaces.running_example()
    with pytest.raises(ValueError, match="last dimension must be 2"):
        optim.run(surface, _gd(0.1), [1.0, 2.0, 3.0], 10)
    with pytest.raises(ValueError, match="steps"):
        optim.run(surface, _gd(0.1), [1.0, 2.0], 0)
    with pytest.raises(ValueError, match="grad_tol"):
        optim.run(surface, _gd(0.1), [1.0, 2.0], 10, grad_tol=-1.0)
    with pytest.raises(ValueError, match="method"):
        optim.run(surface, "adam", [1.0, 2.0], 10)
    with pytest.raises(ValueError, match="learning rate"):
        optim.run(surface, _gd(-0.1), [1.0, 2.0], 10)
    with pytest.raises(ValueError, match="shrink"):
        optim.Backtracking(shrink=1.0)


def test_minibatch_descent_full_batch_is_gradient_descent():
    problem = analytic_surfaces.LeastSquares.random(n=200, d=10, seed=0)
    lr = 0.5
    gd = minibatch_descent(problem, lr=lr, batch_size=200, epochs=5)
    w = torch.zeros(10, dtype=torch.float64)
    losses = [problem.value(w).item()]
    for _ in range(5):
        w = w - lr * problem.gradient(w)
        losses.append(problem.value(w).item())
    assert gd.losses == pytest.approx(losses, rel=1e-12)
    sgd = minibatch_descent(problem, lr=0.05, batch_size=20, epochs=3, seed=1)
    assert sgd.iterations[-1] == 30 and sgd.epochs[-1] == 3.0
    assert sgd.losses[-1] < sgd.losses[0]
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_descent(problem, lr=0.1, batch_size=500, epochs=1)


def test_polyak_average_is_the_running_mean_of_iterates_and_beats_the_last_iterate():
    problem = analytic_surfaces.LeastSquares.random(n=200, d=10, seed=0)
    full = minibatch_descent(problem, lr=0.5, batch_size=200, epochs=4, average_from=2)
    ws, w = [], torch.zeros(10, dtype=torch.float64)
    for _ in range(4):
        w = w - 0.5 * problem.gradient(w)
        ws.append(w)
    expected = problem.value(torch.stack(ws[1:]).mean(0)).item()
    assert full.averaged_losses[-1] == pytest.approx(expected, rel=1e-12)
    assert full.averaged_losses[1] == pytest.approx(full.losses[1])  # before averaging starts
    noisy = minibatch_descent(problem, lr=0.05, batch_size=5, epochs=40, seed=2, average_from=400)
    floor = problem.value(problem.solution()).item()
    assert noisy.averaged_losses[-1] - floor < 0.5 * (noisy.losses[-1] - floor)


def test_minimize_module_with_scipy_reaches_the_optimum():
    torch.manual_seed(0)
    x, y = torch.randn(50, 3), torch.randn(50)
    model = torch.nn.Linear(3, 1)

    def loss_of(module):
        return (module(x).squeeze(1) - y).pow(2).mean()

    for method in ("CG", "L-BFGS-B"):
        torch.manual_seed(1)
        model = torch.nn.Linear(3, 1)  # a fresh start for each method
        result = optim.minimize_module(model, loss_of, method=method, max_iter=200)
        design = torch.cat([x, torch.ones(50, 1)], 1).double()
        exact = torch.linalg.lstsq(design, y.double().unsqueeze(1)).solution.squeeze(1)
        got = torch.cat([model.weight.reshape(-1), model.bias]).double()
        torch.testing.assert_close(got, exact, atol=1e-3, rtol=0)  # float32 model
        assert result.nit > 0
    with pytest.raises(ValueError, match="method"):
        optim.minimize_module(model, loss_of, method="Powell")
