"""Lecture 5's study set-ups measure what they say (small sizes, closed forms)."""

import math

import pytest
import torch

from nncourse.lecture5 import optimizers as study
from nncourse.lecture5 import search, sharpness
from nnlib import analytic_surfaces, curvature, models, optim, schedules, train


def test_heavy_ball_rates_match_the_spectral_radius():
    lrs, betas = [0.005, 0.015, 0.045], [0.0, 0.5, 0.9]
    measured = study.heavy_ball_rates(lrs, betas, [1.0, 100.0], steps=300, tail=100)
    for i, beta in enumerate(betas):
        for j, lr in enumerate(lrs):
            radius = optim.momentum_rate(lr, beta, [1.0, 100.0])
            if abs(radius - 1) > 0.01:
                assert (measured[i, j] > 1) == (radius > 1)
            if radius < 0.99:
                assert abs(measured[i, j] - radius) < 0.02


def test_steps_to_tolerance_refuses_a_run_that_never_got_there():

    surface = analytic_surfaces.Quadratic((1.0, 100.0))
    with pytest.raises(RuntimeError, match="not reached"):
        study.steps_to_reach(surface, lambda p: optim.SGD(p, lr=1e-4), [1.0, 1.0], max_steps=20)


def test_adam_step_lengths_from_optim_adam():
    lengths = study.adam_step_lengths((0.999,), 3)[0.999]
    assert torch.allclose(lengths["corrected"], torch.ones(3, dtype=torch.float64), atol=1e-6)
    assert lengths["uncorrected"][0].item() == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-6)


def test_effective_steps_read_the_optimizer_state():
    steps = study.effective_steps({"Adagrad": lambda p: optim.Adagrad(p, lr=0.1)}, steps=5)
    assert steps["Adagrad"].shape == (5, 2)
    assert bool((steps["Adagrad"][1:] <= steps["Adagrad"][:-1] + 1e-12).all())  # never grows


def test_seed_batches_give_each_network_its_own_order():
    x = torch.arange(12.0).view(6, 2)
    y = torch.arange(6)
    batches = list(study.SeedBatches(x, y, 3, n_models=2, seed=0))
    assert len(batches) == 2 and batches[0][0].shape == (2, 3, 2) and batches[0][1].shape == (2, 3)
    seen = torch.cat([b[1] for b in batches], dim=1)
    assert all(sorted(row.tolist()) == list(range(6)) for row in seen)
    assert not torch.equal(seen[0], seen[1])


def test_fit_batched_with_one_batch_per_network_equals_separate_runs():
    torch.manual_seed(0)
    x, y = torch.randn(20, 4), torch.randint(0, 3, (20,))
    loader = study.SeedBatches(x, y, 5, n_models=2, seed=0)
    model = models.stacked_mlp([4, 6, 3], n_models=2, seed=0)
    train.fit_batched(model, optim.SGD(model.parameters(), lr=0.1), loader, 2, progress=False)
    for s in range(2):
        single = models.stacked_mlp([4, 6, 3], n_models=1, seed=s)
        own = study.SeedBatches(x, y, 5, n_models=1, seed=s)
        train.fit_batched(single, optim.SGD(single.parameters(), lr=0.1), own, 2, progress=False)
        assert torch.allclose(
            single.stacked_params()["0.weight"][0], model.stacked_params()["0.weight"][s], atol=1e-6
        )


def test_state_bytes_counts_adam_and_lbfgs_state():
    w = torch.zeros(10, requires_grad=True)
    adam = optim.Adam([w])
    w.grad = torch.ones(10)
    adam.step()
    assert study.state_bytes(adam) >= 2 * 10 * 4


def test_grid_vs_random_and_the_grid_distance():
    result = search.grid_vs_random(repetitions=200, per_axis=3, seed=1)
    assert result["grid_best"].shape == (200,)
    assert bool((result["random_distinct"] == 9).all())
    fraction = search.distance_to_grid_fraction(result, 0.25)
    assert abs(fraction - 0.25) < 0.1


def test_grid_vs_random_when_both_hyperparameters_matter():
    one = search.grid_vs_random(repetitions=200, per_axis=3, seed=1)
    both = search.grid_vs_random(repetitions=200, per_axis=3, seed=1, both_matter=True)
    assert torch.equal(one["optimum"], both["optimum"])  # paired: the same first optimum
    # the second hyperparameter only adds a non-negative penalty, and adds one somewhere
    assert bool((both["grid_best"] >= one["grid_best"] - 1e-12).all())
    assert bool((both["grid_best"] > one["grid_best"] + 1e-6).any())


def test_plateau_lrs_follow_the_class():
    assert schedules.plateau_lrs([1.0, 1.0, 1.0, 1.0], 1.0, factor=0.5, patience=1) == [
        1.0,
        1.0,
        0.5,
        0.5,
    ]


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_modes_match_torch(mode):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.01)
    sched = torch.optim.lr_scheduler.CyclicLR(
        opt, 0.01, 0.1, step_size_up=5, mode=mode, gamma=0.97, cycle_momentum=False
    )
    for t in range(30):
        expected = opt.param_groups[0]["lr"]
        assert schedules.cyclic_lr(t, 0.01, 0.1, 5, mode=mode, gamma=0.97) == pytest.approx(
            expected
        )
        opt.step()
        sched.step()


def test_train_to_loss_and_sharpness_small():
    torch.manual_seed(0)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    run = sharpness.train_to_loss(
        x, y, 8, 0.1, widths=(4, 8, 2), seeds=2, target=0.5, max_steps=400, check_every=16
    )
    assert run["train_loss"].shape == (2,)
    lam = sharpness.sharpness(run["model"], x, y, steps=5)
    assert lam.shape == (2,) and bool((lam > 0).all())


def test_train_to_losses_keeps_each_seed_at_each_level():
    torch.manual_seed(0)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    run = sharpness.train_to_losses(
        x, y, 8, 0.1, targets=(0.6, 0.4), widths=(4, 8, 2), seeds=2, max_steps=2000
    )
    assert run["reached"]
    for level in (0.6, 0.4):
        kept = run[level]
        assert bool((kept["train_loss"] < level).all())
        for net, loss in zip(kept["nets"], kept["train_loss"], strict=True):
            assert abs(torch.nn.functional.cross_entropy(net(x), y).item() - loss) < 1e-5
    assert bool((run[0.4]["steps"] >= run[0.6]["steps"]).all())


def test_top_direction_is_an_eigenvector_and_the_walk_is_quadratic_near_zero():
    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randint(0, 3, (64,))
    net = models.mlp([3, 6, 3])
    lam, v = sharpness.top_direction(net, x, y, steps=60)
    dense = curvature.dense_hessian(net, torch.nn.CrossEntropyLoss(), x, y, dtype=torch.float64)
    assert abs(lam - torch.linalg.eigvalsh(dense)[-1].item()) < 1e-6 * max(1.0, lam)
    assert torch.allclose(dense @ v, lam * v, atol=1e-6)
    t = torch.tensor([-0.01, 0.0, 0.01])
    loss = sharpness.loss_along(net, x, y, v, t)
    assert abs((loss[0] + loss[2] - 2 * loss[1]).item() / (lam * 1e-4) - 1) < 0.05


def test_spectrum_ends_match_the_dense_hessian_and_its_blocks():
    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randint(0, 3, (64,))
    net = models.mlp([3, 6, 3])  # W1 18, b1 6, then W2 18 (the block 24:42), b2 3
    dense = curvature.dense_hessian(net, torch.nn.CrossEntropyLoss(), x, y, dtype=torch.float64)
    for block in (slice(None), slice(0, 24), slice(24, 42)):
        low, high = sharpness.spectrum_ends(net, x, y, block, steps=60)
        values = torch.linalg.eigvalsh(dense[block, block])
        assert abs(high - values[-1].item()) < 1e-6 * max(1.0, high)
        assert abs(low - values[0].item()) < 1e-6 * max(1.0, abs(low))
    top_block = sharpness.spectrum_ends(net, x, y, slice(24, 42), steps=60)[1]
    # after 3 steps the top Ritz value is off the eigenvalue by at most its residual
    top = torch.linalg.eigvalsh(dense)[-1].item()
    _, theta, r = sharpness.spectrum_ends(net, x, y, steps=3, residual=True)
    assert r > 1e-8 and abs(theta - top) <= r
    assert sharpness.spectrum_ends(net, x, y, steps=60, residual=True)[2] < 1e-6
    models.rescale_relu_layers(net, 0, 2, 5.0)  # the second layer's block times 25
    assert sharpness.spectrum_ends(net, x, y, steps=60)[1] >= 25 * top_block * (1 - 1e-6)


def test_wilson_construction_separates_gd_from_adaptive_methods():
    from nncourse.lecture5 import adaptive_generalization as wilson

    x, y = wilson.wilson_problem(40, seed=0)
    assert x.shape == (40, 3 + 5 * 40) and torch.equal(x[:, 0], y)
    new_x, new_y = wilson.wilson_test_set(500, x.shape[1], seed=1)
    assert new_x[:, 3:].abs().sum() == 0
    errors = {}
    for name, make in {
        "gd": lambda p: optim.SGD(p, lr=0.05),
        "adam": lambda p: optim.Adam(p, lr=0.01),
    }.items():
        w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
        opt = make([w])
        for _ in range(2000):
            opt.zero_grad()
            ((x @ w - y) ** 2).mean().backward()
            opt.step()
        assert (torch.sign(x @ w) == y).all()  # both fit the training set
        errors[name] = (torch.sign(new_x @ w) != new_y).double().mean().item()
    assert errors["gd"] == 0.0
    assert errors["adam"] == pytest.approx(
        (new_y < 0).double().mean().item()
    )  # predicts the majority


def test_convex_gaps_gd_meets_its_bound_and_nesterov_beats_it():
    gaps = study.convex_gaps(n=2000, steps=200)
    k = torch.arange(1, 201, dtype=torch.float64)
    # GD at step 1/L on a convex quadratic: f - f* <= L ||x0 - x*||^2 / (2k), L = 1
    start = (2000 / torch.arange(1, 2001, dtype=torch.float64)).sum()
    assert bool((gaps["GD"] <= start / (2 * k)).all())
    assert bool((gaps["Nesterov"][100:] < gaps["GD"][100:] / 10).all())


def test_convex_gaps_stiff_start_separates_the_look_ahead_from_the_schedule():
    """From the stiff half of the spectrum, GD shrinks its gap by (1 - lambda)^2 <= 1/4 per step,
    Nesterov by at most beta_k / 2, heavy ball at the same beta_k barely (moduli sqrt(beta_k))."""
    gaps = study.convex_gaps(n=500, steps=60, stiff=True)
    per_step = {n: (g[59] / g[39]).item() ** (1 / 20) for n, g in gaps.items()}
    assert per_step["GD"] <= 0.25
    assert per_step["Nesterov"] < 0.5
    assert per_step["heavy ball"] > 0.9


def test_log_log_slope_recovers_a_power_law():
    k = torch.arange(1, 101, dtype=torch.float64)
    assert study.log_log_slope(3 * k**-2.5, 10, 100) == pytest.approx(-2.5, abs=1e-9)


def test_newton_orders_are_quadratic_on_logistic_regression_and_track_the_norms():
    torch.manual_seed(0)
    x = torch.randn(200, 5, dtype=torch.float64)
    y = (x[:, 0] + 0.5 * torch.randn(200, dtype=torch.float64) > 0).long()
    norms, orders = study.newton_orders(x, y, starts=3)
    assert len(norms) == len(orders) == 3
    assert all(h[-1] < 1e-10 for h in norms)  # each run reached the round-off floor
    assert all(1.5 < p < 2.5 for p in orders)  # quadratic, not linear (p = 1)


def test_steps_per_rate_counts_each_rate_and_marks_a_run_that_never_got_there():
    bowl = analytic_surfaces.running_example()
    counts = study.steps_per_rate(
        bowl, lambda p, lr: optim.SGD(p, lr=lr), [0.2, 1e-4], max_steps=50
    )
    assert set(counts) == {0.2, 1e-4}
    assert 0 < counts[0.2] < 50 and counts[1e-4] == math.inf
    assert (
        study.best_steps(bowl, lambda p, lr: optim.SGD(p, lr=lr), [0.2, 1e-4], max_steps=50)
        == counts[0.2]
    )


def test_schedule_pairs_match_torch_schedulers():
    from nncourse.lecture5 import schedule_checks

    pairs = schedule_checks.schedule_pairs()
    assert len(pairs) == 9 and pairs["ReduceLROnPlateau"][1] is None
    make, ours = pairs["cosine"]
    theirs = schedule_checks.torch_rates(make, steps=20)
    assert max(abs(ours(t) - r) for t, r in enumerate(theirs)) < 1e-12
    # a wrong schedule is seen: the step schedule is not the cosine's
    assert max(abs(pairs["step"][1](t) - r) for t, r in enumerate(theirs)) > 1e-3


def test_segment_profiles_end_at_both_networks_and_the_control_is_as_long():
    torch.manual_seed(0)
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    a, b = models.mlp([4, 8, 3]), models.mlp([4, 8, 3])
    alphas = torch.tensor([0.0, 0.5, 1.0])
    profile = sharpness.segment_profiles(a, b, (x, y), (x, y), alphas, seed=0)
    loss = torch.nn.CrossEntropyLoss()
    assert torch.allclose(profile["train"][0], loss(a(x), y), atol=1e-5)
    assert torch.allclose(profile["train"][2], loss(b(x), y), atol=1e-5)
    assert torch.allclose(profile["test"], profile["train"])
    assert torch.allclose(profile["random"][0], profile["train"][0])
    assert not torch.allclose(profile["random"][2], profile["train"][2])
