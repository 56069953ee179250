"""Saddle points: Newton is attracted to them, saddle-free Newton and noisy GD escape."""

import math

import pytest
import torch

from nnlib import analytic_surfaces, optim


def test_saddle_free_newton_escapes_where_newton_converges_to_the_saddle():
    valleys = analytic_surfaces.TwinValleys()
    newton = optim.run(valleys, optim.Newton(), [1.0, 1e-6], 200)
    assert newton.final()[0].norm() < 1e-6  # at the saddle
    sfn = optim.run(valleys, optim.SaddleFreeNewton(), [1.0, 1e-6], 200, grad_tol=1e-8)
    assert (sfn.final()[0].abs() - torch.tensor([0.0, 1.0], dtype=torch.float64)).abs().max() < 1e-6
    gd_on_manifold = optim.run(valleys, lambda p: optim.GradientDescent(p, lr=0.1), [1.0, 0.0], 500)
    assert gd_on_manifold.final()[0].norm() < 1e-9  # GD from y = 0 exactly converges to the saddle


def test_saddle_free_newton_trust_region_caps_every_step():
    valleys = analytic_surfaces.TwinValleys()
    plain = optim.run(valleys, optim.SaddleFreeNewton(damping=1e-3), [1.0, 1e-6], 60)
    capped = optim.run(valleys, optim.SaddleFreeNewton(damping=1e-3, max_step=0.5), [1.0, 1e-6], 60)
    assert plain.points.diff(dim=0).norm(dim=-1).max() > 10  # the jump past the inflection
    assert capped.points.diff(dim=0).norm(dim=-1).max() <= 0.5 + 1e-12
    assert (
        capped.final()[0].abs() - torch.tensor([0.0, 1.0], dtype=torch.float64)
    ).abs().max() < 1e-6
    with pytest.raises(ValueError, match="max_step"):
        optim.SaddleFreeNewton(max_step=0.0)


@pytest.mark.parametrize("lr, lambda_min, offset", [(0.1, -1.0, 1e-6), (0.3, -0.5, 1e-3)])
def test_predicted_escape_steps_equal_gd_on_the_quadratic_saddle(lr, lambda_min, offset):
    saddle = analytic_surfaces.Quadratic((2.0, lambda_min))
    run = optim.run(saddle, lambda p: optim.GradientDescent(p, lr=lr), [0.5, offset], 2000)
    reached = (run.points[:, 0, 1].abs() >= 0.5).nonzero()
    predicted = optim.predicted_escape_steps(offset, 0.5, lr, lambda_min)
    assert int(reached[0]) == predicted
    assert optim.predicted_escape_steps(0.0, 0.5, lr, lambda_min) == math.inf
    assert optim.predicted_escape_steps(0.7, 0.5, lr, lambda_min) == 0
    with pytest.raises(ValueError, match="lambda_min"):
        optim.predicted_escape_steps(offset, 0.5, lr, 1.0)
    with pytest.raises(ValueError, match="lr"):
        optim.predicted_escape_steps(offset, 0.5, 0.0, lambda_min)


def test_saddle_free_direction_is_newton_on_convex_problems():
    g = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    H = torch.tensor([[[3.0, 1.0], [1.0, 2.0]]], dtype=torch.float64)
    torch.testing.assert_close(optim.saddle_free_direction(g, H), optim.newton_direction(g, H))
    flipped = optim.saddle_free_direction(g, -H)  # negative curvature: move downhill, not up
    assert (flipped * g).sum() < 0


def test_noisy_gd_is_gd_without_noise_and_seeded_with_it():
    w1, w2 = (
        torch.tensor([1.0, 2.0], requires_grad=True),
        torch.tensor([1.0, 2.0], requires_grad=True),
    )
    w1.grad, w2.grad = torch.tensor([0.5, -1.0]), torch.tensor([0.5, -1.0])
    optim.NoisyGD([w1], lr=0.1, noise=0.0).step()
    optim.GradientDescent([w2], lr=0.1).step()
    assert torch.equal(w1, w2)
    runs = [
        optim.run(
            analytic_surfaces.TwinValleys(),
            lambda p: optim.NoisyGD(p, lr=0.1, noise=0.1, seed=3),
            [1.0, 0.0],
            50,
        ).final()
        for _ in range(2)
    ]
    assert torch.equal(runs[0], runs[1])
    with pytest.raises(ValueError, match="noise"):
        optim.NoisyGD([w1], lr=0.1, noise=-1.0)
