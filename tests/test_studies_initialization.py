import math

import pytest
import torch

from nncourse.lecture3 import figures as init_viz
from nncourse.lecture3 import initialization as study
from nnlib import data


@pytest.mark.parametrize("c", [0.5, 1.0, 2.0])
def test_scaled_kaiming_gradients_change_by_c_per_layer(c):
    rows = study.scaled_kaiming_stats(c, depth=12, width=128)
    ratio = rows[0].activation_grad_std / rows[-1].activation_grad_std
    assert 0.5 < ratio / c ** (11 / 2) < 2


def test_train_mlps_returns_per_epoch_curves_per_seed():
    splits = data.mnist1d()
    small = data.Splits(
        torch.utils.data.TensorDataset(*[t[:200] for t in splits.train.tensors]),
        torch.utils.data.TensorDataset(*[t[:100] for t in splits.val.tensors]),
        splits.test,
        splits.n_classes,
    )
    curves = study.train_mlps([40, 16, 10], "relu", "kaiming", n_seeds=3, epochs=2, splits=small)
    assert curves["train_loss"].shape == (2, 3) and curves["eval_accuracy"].shape == (2, 3)
    curves = study.train_mlps([40, 16, 10], "tanh", std=0.1, n_seeds=2, epochs=1, splits=small)
    assert torch.isfinite(curves["train_loss"]).all()
    with pytest.raises(ValueError, match="exactly one"):
        study.train_mlps([40, 10], "relu", "kaiming", std=0.1, splits=small)
    with pytest.raises(ValueError, match="exactly one"):
        study.train_mlps([40, 10], "relu", splits=small)


@pytest.mark.parametrize(("std", "near_uniform"), [(1e-4, True), (1.0, False)])
def test_train_mlps_draws_the_weights_at_the_given_scale(std, near_uniform):
    """With lr = 0 the loss is that of the initial networks: ln 10 (a uniform guess) when the
    weights are tiny, far above it when they are N(0, 1) (zeroed weights would give ln 10 too)."""
    curves = study.train_mlps([40, 32, 10], "tanh", std=std, n_seeds=2, epochs=1, lr=0.0)
    gap = (curves["train_loss"][0] - math.log(10)).abs()
    assert bool((gap < 1e-3).all()) == near_uniform and bool((gap > 0.5).all()) != near_uniform


def test_lecture3_figures_draw():
    runs = {"c = 1": study.scaled_kaiming_stats(1.0, depth=3, width=16)}
    assert len(init_viz.regimes_figure(runs).axes) == 2
    curves = {"a": torch.rand(4, 3), "b": torch.rand(4, 3)}
    assert init_viz.training_bands_figure(curves, "loss", logy=True).axes[0].get_ylabel() == "loss"
    norms = {"λ_max = 1.1": ([1, 10], [1.1, 1.1**10], 1.1)}
    assert init_viz.matrix_power_figure(norms).axes[0].get_yscale() == "log"
    assert math.isfinite(rows_std := runs["c = 1"][0].activation_std) and rows_std > 0


def test_deep_linear_training_vanishes_trains_and_is_rescued_by_clipping():
    """c = 0.8 over 30 layers: the gradient is ~0.8^59 of c = 1's, so the loss does not move;
    c = 1 learns; c = 1.2 overflows unclipped and stays finite (and falls) clipped."""
    vanishing = study.train_deep_linear(0.8, None, steps=20, n_seeds=2)
    healthy = study.train_deep_linear(1.0, None, steps=20, n_seeds=2)
    exploding = study.train_deep_linear(1.2, None, steps=20, n_seeds=2)
    clipped = study.train_deep_linear(1.2, 1.0, steps=20, n_seeds=2)
    assert vanishing.shape == (21, 2)
    assert bool(((vanishing[-1] / vanishing[0] - 1).abs() < 1e-3).all())
    assert bool((healthy[-1] < 0.99 * healthy[0]).all())
    assert not bool(exploding[-1].isfinite().any())
    assert bool(clipped.isfinite().all()) and bool((clipped[-1] < clipped[0]).all())


def test_deep_linear_relative_losses_divide_by_the_zero_predictor_loss():
    """With relative=True every draw's losses are divided by mean ||A x||² (≈ 1, not exactly):
    the same runs, rescaled by one positive number per draw; c = 0.8 starts at the zero
    predictor (its output is ~0.8^30 of the input's size)."""
    plain = study.train_deep_linear(0.8, None, steps=2, n_seeds=3)
    relative = study.train_deep_linear(0.8, None, steps=2, n_seeds=3, relative=True)
    scale = plain / relative
    assert bool(((scale - scale[0]).abs() < 1e-5).all())  # one factor per draw
    assert not bool(((scale[0] - 1).abs() < 1e-6).all())  # and not 1: the data's own loss
    assert bool(((relative[0] - 1).abs() < 1e-3).all())


def test_zero_relu_outputs_counts_values_and_units_dead_for_every_input():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.copy_(torch.tensor([-1.0, 1.0, 0.0]))  # dead, alive, zero (dead)
        net[0].weight[2, 0] = 1.0  # unit 3 follows the first input: zero only when it is <= 0
    x = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    share, dead = study.zero_relu_outputs(net, x)
    assert dead == 1 and share == pytest.approx(3 / 6)


def test_layer_profile_and_deep_linear_figures_draw():
    rows = study.scaled_kaiming_stats(1.0, depth=3, width=16)
    fig = init_viz.layer_profile_figure({"a": rows, "b": rows}, picks=(1, 3))
    assert [ax.get_title() for ax in fig.axes] == ["means", "a", "b"]
    losses = {"x": torch.tensor([[1.0, 2.0], [0.5, float("nan")]])}
    assert init_viz.deep_linear_figure(losses).axes[0].get_yscale() == "log"


def test_orthogonal_relu_profile_follows_kaiming_and_the_gain_only_rescales():
    base = study.orthogonal_relu_profile(1.0, seed=3, depth=6, width=64)
    doubled = study.orthogonal_relu_profile(math.sqrt(2), seed=3, depth=6, width=64)
    assert base.shape == (6,)
    # relu(a z) = a relu(z): the same draws at gain sqrt 2 are gain 1 times 2 per layer
    assert torch.allclose(doubled, base * 2.0 ** torch.arange(1, 7), rtol=1e-4)
    predicted = study.predicted_relu_profile(1.0, depth=6, width=64)
    assert predicted[0] == pytest.approx(40 / 64 / 2)
    assert torch.allclose(
        predicted[1:] / predicted[:-1], torch.full((5,), 0.5, dtype=torch.float64)
    )
    # a different seed gives different draws
    assert not torch.allclose(base, study.orthogonal_relu_profile(1.0, seed=4, depth=6, width=64))


def test_relu_profile_and_training_panels_figures_draw():
    runs = {"a": torch.rand(2, 5) + 0.1, "b": torch.rand(2, 5) + 0.1}
    fig = init_viz.relu_profile_figure(runs, {k: torch.ones(5) for k in runs})
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_legend() is not None
    curves = {"x": torch.rand(3, 2), "y": torch.rand(3, 2)}
    panels = init_viz.training_panels_figure(
        {"p": (curves, "loss", True), "q": (curves, "acc", False)}
    )
    assert len(panels.axes) == 2 and len(panels.legends) == 1
    assert all(ax.get_legend() is None for ax in panels.axes)
