import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import analytic_surfaces

NAMED = [
    "running example",
    "saddle",
    "rosenbrock",
    "beale",
    "himmelblau",
    "monkey saddle",
    "tiny mlp",
]


def _points(seed: int, n: int = 6, dim: int = 2, scale: float = 1.5) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, dim, generator=g, dtype=torch.float64) * 2 - 1) * scale


@pytest.mark.parametrize("name", NAMED)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_analytic_derivatives_match_autograd(name, seed):
    surface = analytic_surfaces.get(name)
    p = _points(seed)
    grad = torch.vmap(torch.func.grad(surface.value))(p)
    hess = torch.vmap(torch.func.hessian(surface.value))(p)
    torch.testing.assert_close(surface.gradient(p), grad, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(surface.hessian(p), hess, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "name", [*NAMED, "quadratic", "twin valleys", "linear recurrence", "tilted double well"]
)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_gradient_at_a_point_of_floats_is_the_tensor_gradient(name, seed):
    """The optimizer race steps Python floats through the same partial derivatives. The linear
    recurrence and the double well have none: for them this checks only that the autograd
    fallback hands back the right number of Python floats."""
    surface = analytic_surfaces.get(name)
    points = _points(seed, dim=surface.dim)
    for point, grad in zip(points.tolist(), surface.gradient(points).tolist(), strict=True):
        at = surface.gradient_at(point)
        assert len(at) == surface.dim and all(type(g) is float for g in at)
        np.testing.assert_allclose(at, grad, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="coordinates"):
        surface.gradient_at([0.0] * (surface.dim + 1))


@pytest.mark.parametrize("name", NAMED)
def test_gradient_matches_central_differences(name):
    surface = analytic_surfaces.get(name)
    p = _points(1)
    h = 1e-6
    for k in range(2):
        step = torch.zeros(2, dtype=torch.float64)
        step[k] = h
        numeric = (surface.value(p + step) - surface.value(p - step)) / (2 * h)
        torch.testing.assert_close(surface.gradient(p)[:, k], numeric, rtol=1e-5, atol=1e-6)


def test_values_are_vectorised_over_any_batch_shape():
    surface = analytic_surfaces.Rosenbrock()
    grid = _points(2, n=12).reshape(3, 4, 2)
    assert surface.value(grid).shape == (3, 4)
    assert surface.gradient(grid).shape == (3, 4, 2)
    assert surface.hessian(grid).shape == (3, 4, 2, 2)
    flat = surface.value(grid.reshape(-1, 2)).reshape(3, 4)
    torch.testing.assert_close(surface.value(grid), flat)
    *_, grid_z = surface.grid(21)
    assert grid_z.shape == (21, 21)


@pytest.mark.parametrize(
    "surface",
    [analytic_surfaces.Rosenbrock(), analytic_surfaces.Beale(), analytic_surfaces.Himmelblau()],
)
def test_known_minima_are_critical_points_with_value_zero(surface):
    minima = torch.tensor(surface.minima, dtype=torch.float64)
    assert surface.value(minima).abs().max() < 1e-9
    assert surface.gradient(minima).norm(dim=-1).max() < 1e-4
    assert (torch.linalg.eigvalsh(surface.hessian(minima)) > 0).all()


def test_quadratic_eigenvalues_rotation_and_condition_number():
    surface = analytic_surfaces.Quadratic((1.0, 25.0), angle=0.7)
    H = surface.hessian(torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(
        torch.linalg.eigvalsh(H), torch.tensor([1.0, 25.0], dtype=torch.float64)
    )
    assert surface.condition_number == pytest.approx(25.0)
    assert surface.minima == ((0.0, 0.0),) and surface.saddles == ()
    assert (
        analytic_surfaces.saddle().saddles == ((0.0, 0.0),)
        and analytic_surfaces.saddle().minima == ()
    )
    running = analytic_surfaces.running_example()
    x = torch.tensor([0.3, -0.7], dtype=torch.float64)
    assert running.value(x).item() == pytest.approx(0.3**2 + 4 * 0.7**2)


def test_tiny_mlp_symmetry_and_saddle_at_zero():
    surface = analytic_surfaces.TinyMLP()
    p = _points(3)
    torch.testing.assert_close(surface.value(p), surface.value(-p))
    assert surface.gradient(torch.zeros(2, dtype=torch.float64)).abs().max() == 0
    eigenvalues = torch.linalg.eigvalsh(surface.hessian(torch.zeros(2, dtype=torch.float64)))
    assert eigenvalues[0] < 0 < eigenvalues[1]


@pytest.mark.parametrize(
    "x, t", [(0.5, 0.5), (1.0, 0.5), (-2.0, 0.3), (0.7, -1.2), (0.0, 0.9), (1.5, 0.0)]
)
def test_tiny_mlp_origin_hessian_closed_form_matches_autograd(x, t):
    surface = analytic_surfaces.TinyMLP(x=x, t=t)
    origin = torch.zeros(2, dtype=torch.float64)
    closed = surface.origin_hessian()
    autograd = torch.func.hessian(surface.value)(origin)
    torch.testing.assert_close(closed, autograd, atol=1e-12, rtol=0)
    assert closed[0, 1].item() == pytest.approx(-2 * t * x)
    assert closed.diagonal().abs().max() == 0


@pytest.mark.parametrize("x, t", [(0.5, 0.5), (-2.0, 0.3), (1.0, -0.9)])
def test_tiny_mlp_ravine_is_where_the_loss_is_zero(x, t):
    surface = analytic_surfaces.TinyMLP(x=x, t=t)
    w2 = torch.linspace(0.2, 3.0, 15, dtype=torch.float64)
    w1 = surface.ravine(w2)
    assert w1.shape == w2.shape and torch.isfinite(w1).all()
    losses = surface.value(torch.stack([w1, w2], dim=-1))
    assert losses.abs().max().item() < 1e-20
    assert torch.isnan(analytic_surfaces.TinyMLP(x=x, t=1.2).ravine(w2)).all()  # |t| >= 1
    assert torch.isnan(analytic_surfaces.TinyMLP(x=0.0, t=t).ravine(w2)).all()


def test_linear_recurrence_unrolls_and_has_a_cliff():
    rnn = analytic_surfaces.LinearRecurrence(steps=20, target=1.0)
    w, b = 0.5, 0.3
    h_T = b * (1 - w**20) / (1 - w)  # geometric sum
    point = torch.tensor([w, b], dtype=torch.float64)
    assert rnn.value(point).item() == pytest.approx(0.5 * (h_T - 1) ** 2, rel=1e-12)
    below, beyond = rnn.gradient(torch.tensor([[0.8, 0.05], [1.2, 0.05]], dtype=torch.float64))
    assert beyond.norm() > 100 * below.norm()  # the wall past |w| = 1
    grad = torch.func.grad(rnn.value)(point)
    torch.testing.assert_close(rnn.gradient(point), grad)
    with pytest.raises(ValueError, match="steps"):
        analytic_surfaces.LinearRecurrence(steps=0)


def test_tilted_double_well_in_one_dimension():
    well = analytic_surfaces.TiltedDoubleWell(tilt=0.5)
    minima = torch.tensor(well.minima, dtype=torch.float64)
    assert minima.shape == (2, 1)
    assert well.gradient(minima).abs().max() < 1e-9
    x = _points(4, dim=1)
    torch.testing.assert_close(well.hessian(x), torch.vmap(torch.func.hessian(well.value))(x))


def test_least_squares_closed_forms():
    problem = analytic_surfaces.LeastSquares.random(n=60, d=5, seed=1)
    w = torch.randn(5, dtype=torch.float64)
    torch.testing.assert_close(problem.gradient(w), torch.func.grad(problem.value)(w))
    torch.testing.assert_close(problem.hessian(), torch.func.hessian(problem.value)(w))
    assert problem.gradient(problem.solution()).norm() < 1e-10
    rows = torch.arange(10)
    sub = analytic_surfaces.LeastSquares(problem.X[rows], problem.y[rows])
    torch.testing.assert_close(problem.gradient(w, rows), sub.gradient(w))
    train, test = analytic_surfaces.LeastSquares.train_test(30, 20, d=4, seed=2)
    assert (train.n, test.n, train.dim) == (30, 20, 4)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="landscape name"):
        analytic_surfaces.get("everest")
    with pytest.raises(ValueError, match="last dimension must be 2"):
        analytic_surfaces.Rosenbrock().value(torch.zeros(3))
    with pytest.raises(ValueError, match="eigenvalues"):
        analytic_surfaces.Quadratic((1.0, 0.0))
    with pytest.raises(ValueError, match="eigenvalues"):
        analytic_surfaces.Quadratic((1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="Invalid shapes"):
        analytic_surfaces.LeastSquares(torch.zeros(5, 2), torch.zeros(4))


def test_least_squares_eigenvalues_are_the_hessians():
    g = torch.Generator().manual_seed(0)
    problem = analytic_surfaces.LeastSquares(
        torch.randn(30, 3, generator=g), torch.randn(30, generator=g)
    )
    eigenvalues = problem.eigenvalues()
    assert (eigenvalues[1:] >= eigenvalues[:-1]).all()
    torch.testing.assert_close(eigenvalues.sum(), torch.trace(problem.hessian()))
    torch.testing.assert_close(eigenvalues.prod(), torch.linalg.det(problem.hessian()))
