import math

import pytest
import torch

from nncourse import widgets
from nncourse.lecture2 import apps as lecture2_apps
from nncourse.lecture2 import figures
from nncourse.lecture3 import apps as lecture3_apps
from nnlib import activations, analytic_surfaces, losses, models, optim, train


def test_batched_mlp_initialises_like_single_models():
    stacked = models.BatchedMLP([5, 7, 3], n_models=3, seed=10)
    torch.manual_seed(11)
    single = models.mlp([5, 7, 3])
    for layer_s, layer_b in zip([single[0], single[2]], range(2), strict=True):
        torch.testing.assert_close(stacked.weights[layer_b][1], layer_s.weight)
    x = torch.randn(4, 5)
    torch.testing.assert_close(stacked(x)[1], single(x))
    torch.testing.assert_close(stacked.unstack(1)(x), single(x))


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: torch.optim.Adam(p, lr=1e-2),
    ],
)
def test_batched_training_equals_sequential_runs(make_optimizer):
    torch.manual_seed(0)
    x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
    singles = []
    for s in range(3):
        torch.manual_seed(s)
        singles.append(models.mlp([6, 8, 8, 3], activation="tanh"))
    stacked = models.BatchedMLP.from_models(singles, activation="tanh")
    train.fit_batched(
        stacked, make_optimizer(stacked.parameters()), batches, epochs=3, progress=False
    )
    for s, net in enumerate(singles):
        opt = make_optimizer(net.parameters())
        for _ in range(3):
            for xb, yb in batches:
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(xb), yb).backward()
                opt.step()
        torch.testing.assert_close(stacked(x)[s], net(x), rtol=1e-5, atol=1e-6)


def test_fit_batched_records_curves_and_validates():
    stacked = models.BatchedMLP([4, 6, 2], n_models=5)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    result = train.fit_batched(
        stacked,
        torch.optim.SGD(stacked.parameters(), lr=0.5),
        [(x, y)],
        4,
        eval_data=(x, y),
        progress=False,
    )
    assert result["train_loss"].shape == (4, 5) and result["eval_loss"].shape == (4, 5)
    assert (result["eval_loss"][-1] < result["train_loss"][0]).all()
    with pytest.raises(ValueError, match="n_models"):
        models.BatchedMLP([2, 2], n_models=0)
    with pytest.raises(ValueError, match="same layers"):
        models.BatchedMLP.from_models([models.mlp([2, 3, 2]), models.mlp([2, 2])])


def test_saddle_free_newton_escapes_where_newton_converges_to_the_saddle():
    valleys = analytic_surfaces.TwinValleys()
    newton = optim.run(valleys, optim.Newton(), [1.0, 1e-6], 200)
    assert newton.final()[0].norm() < 1e-6  # at the saddle
    sfn = optim.run(valleys, optim.SaddleFreeNewton(), [1.0, 1e-6], 200, grad_tol=1e-8)
    assert (sfn.final()[0].abs() - torch.tensor([0.0, 1.0], dtype=torch.float64)).abs().max() < 1e-6
    gd_on_manifold = optim.run(valleys, lambda p: optim.GradientDescent(p, lr=0.1), [1.0, 0.0], 500)
    assert gd_on_manifold.final()[0].norm() < 1e-9  # GD from y = 0 exactly converges to the saddle


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


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_activation_derivatives_match_autograd(name):
    f, _ = activations.ACTIVATIONS[name]
    x = torch.linspace(-4, 4, 81, dtype=torch.float64) + 0.013  # avoid the kink at 0
    expected = torch.func.vmap(torch.func.grad(f))(x)
    torch.testing.assert_close(activations.derivative(name, x), expected)
    torch_version = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": torch.nn.functional.leaky_relu,
    }[name]
    torch.testing.assert_close(f(x), torch_version(x))
    with pytest.raises(ValueError, match="activation"):
        activations.derivative("swish", x)


def test_losses_match_torch():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(16, 5, generator=g, dtype=torch.float64) * 4
    targets = torch.randint(0, 5, (16,), generator=g)
    F = torch.nn.functional
    torch.testing.assert_close(losses.log_softmax(z), F.log_softmax(z, dim=1))
    for eps in (0.0, 0.1, 1.0):
        torch.testing.assert_close(
            losses.cross_entropy(z, targets, eps), F.cross_entropy(z, targets, label_smoothing=eps)
        )
    y_bin = torch.rand(16, 5, generator=g, dtype=torch.float64).round()
    torch.testing.assert_close(
        losses.binary_cross_entropy_with_logits(z * 10, y_bin),
        F.binary_cross_entropy_with_logits(z * 10, y_bin),
    )
    q = torch.softmax(torch.randn(16, 5, generator=g, dtype=torch.float64), 1)
    q[0] = torch.tensor([1.0, 0, 0, 0, 0], dtype=torch.float64)  # zeros in the target
    torch.testing.assert_close(
        losses.kl_divergence(F.log_softmax(z, 1), q),
        F.kl_div(F.log_softmax(z, 1), q, reduction="batchmean"),
    )
    torch.testing.assert_close(losses.mse_loss(z, q), F.mse_loss(z, q))
    torch.testing.assert_close(losses.l1_loss(z, q), F.l1_loss(z, q))
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.cross_entropy(z, targets, label_smoothing=1.5)


def test_tiny_mlp_widget_survives_every_extreme():
    app = lecture2_apps.tiny_mlp()
    widgets.drive_to_extremes(app)
    assert figures.tiny_mlp_figure(x=0.0, t=1.5) is not None  # no ravine, flat in w2
    with pytest.raises(ValueError, match="view"):
        figures.tiny_mlp_figure(view="side")


def test_layer_stats_widget_survives_every_extreme():
    app = lecture3_apps.layer_stats()
    widgets.drive_to_extremes(app)
