import math

import pytest
import torch

from nnlib import analytic_surfaces, convexity, curvature


def test_hessian_and_eigen_of_a_known_quadratic():
    H = curvature.hessian(lambda p: p[0] ** 2 + 4 * p[1] ** 2, torch.tensor([0.3, -1.0]))
    torch.testing.assert_close(H, torch.diag(torch.tensor([2.0, 8.0])))
    values, vectors = curvature.eigen(H)
    torch.testing.assert_close(values, torch.tensor([2.0, 8.0]))
    torch.testing.assert_close(vectors @ torch.diag(values) @ vectors.T, H)
    assert curvature.condition_number(H).item() == pytest.approx(4.0)


@pytest.mark.parametrize(
    "surface, point, kind",
    [
        (analytic_surfaces.running_example(), [0.0, 0.0], "minimum"),
        (analytic_surfaces.saddle(), [0.0, 0.0], "saddle"),
        (analytic_surfaces.MonkeySaddle(), [0.0, 0.0], "degenerate"),
        (analytic_surfaces.Himmelblau(), [-0.270845, -0.923039], "maximum"),
        (analytic_surfaces.TinyMLP(), [0.0, 0.0], "saddle"),
    ],
)
def test_classify_critical_points(surface, point, kind):
    H = surface.hessian(torch.tensor(point, dtype=torch.float64))
    assert curvature.classify(H) == kind


def test_condition_number_is_infinite_for_singular_matrices():
    assert math.isinf(curvature.condition_number(torch.diag(torch.tensor([0.0, 3.0]))).item())


def test_curvature_rejects_bad_shapes():
    with pytest.raises(ValueError, match="square"):
        curvature.eigen(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="single point"):
        curvature.hessian(lambda p: p.sum(), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="one matrix"):
        curvature.classify(torch.zeros(4, 2, 2))


def test_jensen_gap_closed_form_for_a_quadratic():
    # for f = x^2 the gap is alpha (1 - alpha) (a - b)^2
    gap = convexity.jensen_gap(lambda x: x**2, 2.0, -1.0, 0.25)
    assert gap.item() == pytest.approx(0.25 * 0.75 * 9.0)
    with pytest.raises(ValueError, match="alpha"):
        convexity.jensen_gap(torch.sin, 0.0, 1.0, 1.5)


@pytest.mark.parametrize("name", list(convexity.FUNCTIONS_1D))
def test_random_jensen_test_agrees_with_theory(name):
    f, is_convex = convexity.FUNCTIONS_1D[name]
    share = convexity.convexity_violations(f, trials=4000)
    assert (share == 0.0) == is_convex


def test_two_dimensional_convexity_checks():
    assert convexity.convexity_violations(analytic_surfaces.running_example().value, dim=2) == 0.0
    assert convexity.convexity_violations(lambda p: p.norm(dim=-1), dim=2) == 0.0
    assert convexity.convexity_violations(analytic_surfaces.Rosenbrock().value, dim=2) > 0.0


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"trials": 0}, "trials"), ({"dim": 0}, "dim"), ({"scale": 0.0}, "scale")]
)
def test_convexity_violations_rejects_empty_or_degenerate_samples(kwargs, name):
    with pytest.raises(ValueError, match=name):
        convexity.convexity_violations(lambda t: t**2, **kwargs)
