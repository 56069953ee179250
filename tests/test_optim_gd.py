import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from nnlib import analytic_surfaces, optim


@settings(max_examples=20, deadline=None)
@given(lr=st.floats(1e-4, 1.0), seed=st.integers(0, 1000))
def test_gradient_descent_equals_torch_sgd(lr, seed):
    torch.manual_seed(seed)
    model_a = torch.nn.Linear(4, 3)
    model_b = torch.nn.Linear(4, 3)
    model_b.load_state_dict(model_a.state_dict())
    ours = optim.GradientDescent(model_a.parameters(), lr=lr)
    theirs = torch.optim.SGD(model_b.parameters(), lr=lr)
    x, y = torch.randn(16, 4), torch.randn(16, 3)
    for _ in range(5):
        for model, opt in ((model_a, ours), (model_b, theirs)):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    for a, b in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_gradient_descent_validates_and_supports_closures():
    with pytest.raises(ValueError, match="learning rate"):
        optim.GradientDescent([torch.zeros(1, requires_grad=True)], lr=0.0)
    with pytest.raises(ValueError, match="learning rate"):
        optim.GradientDescent([torch.zeros(1, requires_grad=True)])
    w = torch.tensor([3.0], requires_grad=True)
    opt = optim.GradientDescent([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 9.0
    assert w.item() == pytest.approx(3.0 - 0.25 * 6.0)


@pytest.mark.parametrize("seed", range(5))
def test_exact_step_is_the_line_minimum(seed):
    g_ = torch.Generator().manual_seed(seed)
    A = torch.randn(4, 4, generator=g_, dtype=torch.float64)
    surface_A = A @ A.T + torch.eye(4, dtype=torch.float64)
    x = torch.randn(4, generator=g_, dtype=torch.float64)

    def f(z):
        return 0.5 * z @ surface_A @ z

    g = surface_A @ x
    alpha = optim.exact_step(g.unsqueeze(0), surface_A.unsqueeze(0)).item()
    line = minimize_scalar(
        lambda a: f(x - a * g).item(), bounds=(0, 10), method="bounded", options={"xatol": 1e-12}
    )
    assert alpha == pytest.approx(line.x, rel=1e-6)


def test_exact_step_is_nan_without_positive_curvature():
    g = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    H = torch.diag(torch.tensor([2.0, -2.0], dtype=torch.float64)).unsqueeze(0)
    assert math.isnan(optim.exact_step(g, H).item())


def test_armijo_step_satisfies_sufficient_decrease_and_is_the_first_such():
    surface = analytic_surfaces.Rosenbrock()
    x = torch.tensor([[-1.5, 2.0], [0.5, 0.5], [1.2, 1.0]], dtype=torch.float64)
    g = surface.gradient(x)
    t, evals = optim.armijo_step(surface.value, x, g, lr=1.0, shrink=0.5, c=1e-4)
    decrease_ok = surface.value(x - t[:, None] * g) <= surface.value(x) - 1e-4 * t * (g * g).sum(-1)
    assert decrease_ok.all()
    longer = 2 * t
    too_long = surface.value(x - longer[:, None] * g) > surface.value(x) - 1e-4 * longer * (
        g * g
    ).sum(-1)
    assert too_long.all()
    assert (evals == 2 + torch.round(torch.log2(1 / t))).all()  # f(x), then one per trial


def test_newton_solves_a_quadratic_in_one_step_whatever_the_conditioning():
    for kappa in (1.0, 1e3, 1e6):
        surface = analytic_surfaces.Quadratic((1.0, kappa), angle=0.4)
        run = optim.run(surface, optim.Newton(), [1.5, -1.0], 1)
        assert run.points[-1, 0].norm() < 1e-9


def test_newton_step_closed_form_and_damping():
    g = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    H = torch.tensor([[[2.0, 0.5], [0.5, 1.0]]], dtype=torch.float64)
    torch.testing.assert_close(
        optim.newton_direction(g, H), -torch.linalg.solve(H, g.unsqueeze(-1)).squeeze(-1)
    )
    damped = optim.newton_direction(g, H, damping=3.0)
    expected = -torch.linalg.solve(
        H + 3.0 * torch.eye(2, dtype=torch.float64), g.unsqueeze(-1)
    ).squeeze(-1)
    torch.testing.assert_close(damped, expected)
    singular = optim.newton_direction(g, torch.zeros(1, 2, 2, dtype=torch.float64))
    assert torch.isnan(singular).all()
    with pytest.raises(ValueError, match="damping"):
        optim.Newton(damping=-1.0)


def test_rates_closed_forms():
    assert optim.best_rate(1.0) == 0.0
    assert optim.best_rate(9.0) == pytest.approx(0.8)
    assert optim.predicted_rate([1.0, 10.0], lr=2 / 11) == pytest.approx(9 / 11)
    assert optim.steps_to_tolerance(1.0) == 1
    assert optim.steps_to_tolerance(10.0, 1e-6) == math.ceil(math.log(1e-6) / math.log(9 / 11))
    assert optim.measured_rate([1.0, 0.5, 0.25, 0.125]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="kappa"):
        optim.best_rate(0.5)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 50.0])
def test_measured_rate_matches_prediction(kappa):
    surface = analytic_surfaces.Quadratic((1.0, kappa), angle=0.3)
    lr = 2 / (1 + kappa)
    run = optim.run(surface, lambda p: optim.GradientDescent(p, lr=lr), [1.0, 1.0], 60)
    errors = run.points[:, 0].norm(dim=-1)
    assert optim.measured_rate(errors) == pytest.approx(optim.best_rate(kappa), rel=1e-6)
