"""Lecture 2's experiment set-ups (plateaus, minima, cliffs) and their figures, on small inputs."""

import math

import pytest
import torch
from torch import nn

from nncourse.lecture2 import cliffs, figures, minima, output_loss, plateaus, spectra
from nnlib import analytic_surfaces, data, optim


def _tiny_splits(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(n, 40, generator=g), torch.randint(0, 10, (n,), generator=g)
    return data.split(x, y, fractions=(0.5, 0.25, 0.25), seed=seed)


def test_plateau_build_draws_the_named_scale_and_saturates_tanh():
    net = plateaus.build("tanh", 10.0, seed=0, depth=3, width=256)
    first = next(m for m in net if isinstance(m, nn.Linear))
    assert first.weight.std().item() == pytest.approx(10 / 40**0.5, rel=0.05)
    assert first.bias.abs().max() == 0
    x = torch.randn(200, 40)
    assert plateaus.saturated_fraction(net, x) > 0.7
    assert plateaus.saturated_fraction(plateaus.build("tanh", 1.0, depth=3, width=256), x) < 0.1
    assert plateaus.saturated_fraction(plateaus.build("relu", 1.0, depth=2), x) == 0.0


def test_plateau_output_layer_keeps_the_normal_scale():
    net = plateaus.build("tanh", 10.0, seed=0, depth=2, width=400)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert linears[1].weight.std().item() == pytest.approx(10 / 400**0.5, rel=0.05)
    assert linears[-1].weight.std().item() == pytest.approx(1 / 400**0.5, rel=0.1)


def test_plateau_control_trains_only_the_output_layer_and_adam_runs():
    configs = {
        "control": {"activation": "tanh", "scale": 10.0, "output_only": True},
        "adam": {"activation": "tanh", "scale": 10.0, "optimizer": "adam"},
    }
    splits = _tiny_splits()
    before = plateaus.build("tanh", 10.0, seed=0)
    curves = plateaus.run(splits, configs, seeds=1, steps=3, batch_size=8)
    assert all(torch.isfinite(c).all() for c in curves.values())
    net = plateaus.build("tanh", 10.0, seed=0)
    trained = [p for p in net[-1].parameters()]
    optimizer = torch.optim.SGD(trained, lr=0.5)
    x, y = splits.train.tensors
    nn.functional.cross_entropy(net(x), y).backward()
    optimizer.step()
    assert torch.equal(net[0].weight, before[0].weight)  # hidden layers untouched
    assert not torch.equal(net[-1].weight, before[-1].weight)


def test_spectrum_shares_match_an_exact_count_on_a_tiny_network():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))  # 51 parameters
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    shares = spectra.spectrum_shares(net, nn.CrossEntropyLoss(), x, y, steps=(51,), vectors=100)
    assert shares["lambda_max"] > shares["mean"] > shares["lambda_min"]
    # 51 Lanczos steps on 51 parameters find every eigenvalue; each probe weighs them by its
    # squared components, whose mean over 100 probes is close to the exact share
    for key in ("negative", "near"):
        assert abs(shares[key, 51] - shares[key]) < 0.05


def test_plateau_run_returns_one_curve_per_seed():
    configs = {"small": {"activation": "tanh", "scale": 1.0}}
    curves = plateaus.run(_tiny_splits(), configs, seeds=2, steps=5, batch_size=8)
    assert curves["small"].shape == (2, 5) and torch.isfinite(curves["small"]).all()


def test_adam_sweep_one_curve_per_rate_and_the_rate_matters():
    sweep = plateaus.adam_sweep(_tiny_splits(), rates=(1e-4, 1e-1), seeds=2, steps=5, batch_size=8)
    assert set(sweep) == {1e-4, 1e-1}
    assert all(c.shape == (2, 5) and torch.isfinite(c).all() for c in sweep.values())
    assert not torch.equal(sweep[1e-4], sweep[1e-1])  # each rate trains with its own step
    assert torch.equal(sweep[1e-4][:, 0], sweep[1e-1][:, 0])  # same start, same first batch


def test_minima_run_spread_and_parameter_count():
    results = minima.run(_tiny_splits(), widths=(3, 5), seeds=4, epochs=2, batch_size=16)
    assert set(results) == {3, 5}
    for result in results.values():
        for key in ("train_loss", "test_loss", "test_accuracy"):
            assert result[key].shape == (4,)
    assert minima.parameter_count([40, 256, 10]) == 13066
    s = minima.spread(torch.tensor([1.0, 2.0, 3.0]))
    assert s["mean"] == 2.0 and s["std"] == 1.0 and s["relative"] == 0.5 and s["range"] == 2.0


def test_clipping_caps_the_step_and_plain_gd_falls_off_the_cliff():
    rnn = analytic_surfaces.LinearRecurrence()
    plain, norms = cliffs.descend(rnn, [0.8, 0.02], lr=0.1, steps=50)
    assert plain.diverged_at[0] > 0 and norms.max() > 1e9
    clipped, _ = cliffs.descend(rnn, [0.8, 0.02], lr=0.1, steps=50, max_norm=1.0)
    assert clipped.diverged_at[0] < 0
    assert (clipped.points.diff(dim=0).norm(dim=-1) <= 0.1 + 1e-9).all()  # lr * max_norm
    with pytest.raises(ValueError, match="one start"):
        cliffs.descend(rnn, [[0.8, 0.02], [0.5, 0.1]], lr=0.1, steps=2)


def test_lecture2_figures_draw_labelled_shared_axes():
    valleys = analytic_surfaces.TwinValleys()
    runs = {
        "GD": optim.run(valleys, lambda p: optim.GradientDescent(p, lr=0.1), [1.0, 0.1], 30),
        "two noisy": optim.run(
            valleys, lambda p: optim.NoisyGD(p, lr=0.1, seed=0), [[1.0, 0.0]] * 2, 30
        ),
    }
    fig = figures.escape_figure(valleys, runs)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel()
    bands = figures.seed_bands_figure({"a": torch.rand(3, 40), "b": torch.rand(3, 40)})
    assert bands.axes[0].get_xlabel() == "step"
    fake = {w: {"train_loss": torch.rand(5), "test_loss": torch.rand(5)} for w in (4, 16)}
    fig = figures.minima_figure(fake)
    left, right = fig.axes
    assert left.get_shared_y_axes().joined(left, right)
    values, slopes = figures.activations_figure().axes  # two panels, every activation in each
    assert len(values.lines) == len(slopes.lines) == 5 and slopes.get_ylim()[1] == 1.1


def test_tiny_mlp_figure_draws_a_surface_without_a_ravine_and_rejects_unknown_views():
    from nncourse.lecture2 import figures

    assert figures.tiny_mlp_figure(x=0.0, t=1.5) is not None  # no ravine, flat in w2
    with pytest.raises(ValueError, match="view"):
        figures.tiny_mlp_figure(view="side")


def test_saddle_sequence_gradients_levels_and_saddle_curvature():
    from nncourse.lecture2 import saddle_sequence

    T = saddle_sequence.target((3.0, 1.0), seed=1)
    assert torch.linalg.svdvals(T).tolist() == pytest.approx([3.0, 1.0])
    assert saddle_sequence.levels((3.0, 1.0)) == [5.0, 0.5, 0.0]
    run = saddle_sequence.run(T, seeds=[0, 1], hidden=3, init=0.1, lr=0.01, batch_size=4, steps=3)
    # the written-out gradient of f = 1/2 ||W2 W1 - T||^2 matches autograd's
    w1, w2 = run.w1[2, 1].clone().requires_grad_(), run.w2[2, 1].clone().requires_grad_()
    f = 0.5 * (w2 @ w1 - T).pow(2).sum()
    f.backward()
    assert run.loss[2, 1].item() == pytest.approx(f.item())
    norm = torch.cat([w1.grad.flatten(), w2.grad.flatten()]).norm().item()
    assert run.grad_norm[2, 1].item() == pytest.approx(norm)
    # W = 0 is a saddle with eigenvalues +-s_1 at the bottom of the spectrum
    zero1, zero2 = torch.zeros(3, 2, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64)
    assert saddle_sequence.hessian_min_eigenvalue(T, zero1, zero2) == pytest.approx(-3.0)
    # from a small start the loss passes the level 0.5 (mode 1 learned) on its way to zero
    slow = saddle_sequence.run(T, seeds=[0], hidden=3, init=1e-4, lr=0.05, steps=400)
    steps = saddle_sequence.plateau_steps(slow, (3.0, 1.0))
    assert slow.loss[steps[0, 0], 0].item() == pytest.approx(0.5, rel=0.05)
    eigen = saddle_sequence.plateau_eigenvalues(T, slow, steps)
    assert eigen[0, 0].item() == pytest.approx(-1.0, rel=0.05)
    assert slow.loss[-1, 0].item() < 1e-6
    fig = figures.saddle_sequence_figure(slow, steps, saddle_sequence.levels((3.0, 1.0)), eigen)
    top, bottom = fig.axes
    assert (
        top.get_yscale() == bottom.get_yscale() == "log" and len(top.lines) == 2 + 2
    )  # curve, dots; two levels


def test_cross_entropy_leaves_a_saturated_start_faster_than_squared_error():
    x, y = output_loss.clusters(n=100, seed=0)
    assert torch.equal(y, (x > 0).double()) and 0 < y.sum() < 100
    mse = output_loss.steps_to_learn(lambda p, t: 2 * (p - t) * p * (1 - p), (1.0,), x, y)
    ce = output_loss.steps_to_learn(lambda p, t: p - t, (1.0,), x, y)
    assert ce[0] < mse[0] < math.inf
    # a zero gradient never leaves the wrong start
    assert output_loss.steps_to_learn(lambda p, t: 0 * p, (1.0,), x, y, steps=10) == [math.inf]
