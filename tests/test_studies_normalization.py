"""Lecture 4's batched study set-ups agree with the one-network-at-a-time computations."""

import pytest
import torch
from torch import nn

from nncourse.lecture4 import normalization as study
from nnlib import data, loss_slices, models, norm, preprocessing, train
from nnlib.losses import per_model_loss
from nnlib.optim import rates


def _small_bn_mlp():
    return nn.Sequential(nn.Linear(6, 8), norm.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_stacked_models_with_scaled_gradients_train_like_separate_runs():
    lrs, seeds = [0.05, 0.3], [0, 1]
    stack = models.StackedModels(_small_bn_mlp, seeds)
    singles = [stack.unstack(s) for s in range(2)]
    study.scale_gradients(stack, lrs)
    optimizer = torch.optim.SGD(stack.parameters(), lr=1.0, momentum=0.9)
    single_optimizers = [
        torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        for net, lr in zip(singles, lrs, strict=True)
    ]
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(10, 6, generator=g), torch.randint(0, 3, (10,), generator=g))]
    batches = batches * 4
    train.fit_batched(stack, optimizer, batches, 1, progress=False)
    for net, opt in zip(singles, single_optimizers, strict=True):
        for x, y in batches:
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
    for s, net in enumerate(singles):
        stacked = stack.unstack(s).state_dict()
        for name, value in net.state_dict().items():
            torch.testing.assert_close(stacked[name].float(), value.float(), atol=1e-5, rtol=1e-5)


def test_stacked_networks_start_like_the_seeded_single_network():
    stack = models.StackedModels(_small_bn_mlp, [3])
    torch.manual_seed(3)
    alone = _small_bn_mlp()
    for name, value in alone.state_dict().items():
        assert torch.equal(stack.unstack(0).state_dict()[name], value)


def test_batched_probe_matches_the_single_network_probe():
    stack = models.StackedModels(_small_bn_mlp, [0, 1])
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)
    etas = torch.tensor([0.1, 0.4])
    before = {k: v.clone() for k, v in stack.state_dict().items()}
    probe = loss_slices.loss_along_gradient(stack, per_model_loss, x, y, etas)
    for s in range(2):
        alone = loss_slices.loss_along_gradient(stack.unstack(s), nn.CrossEntropyLoss(), x, y, etas)
        for key, value in alone.items():
            torch.testing.assert_close(probe[key][s], value, atol=1e-5, rtol=1e-5)
    for key, value in stack.state_dict().items():
        assert torch.equal(value, before[key]), f"{key} changed"


def test_gd_steps_follow_the_condition_number():
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = x * torch.tensor([1.0, 10.0], dtype=torch.float64)
    y = x @ torch.tensor([1.0, -0.5], dtype=torch.float64)
    kappa = torch.linalg.cond(x.T @ x).item()
    assert 1 < study.gd_steps(x, y) <= rates.steps_to_tolerance(kappa)
    assert study.gd_steps(preprocessing.ZCAWhitener().fit_transform(x), y - y.mean()) == 1


def test_lr_sweep_shapes_and_divergence_flag():
    splits = data.mnist1d()
    result = study.bn_lr_sweep(splits, [0.01, 100.0], [0], use_bn=False, epochs=1, batch_size=400)
    assert result["accuracy"].shape == (2, 1) and result["diverged"].shape == (2, 1)
    assert not result["diverged"][0, 0] and result["diverged"][1, 0]


def _x(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 40, generator=torch.Generator().manual_seed(seed)) * 2 + 1


def test_every_cnn_arm_maps_mnist1d_inputs_to_logits_and_stacks():
    for name in study.CONV_NORMALIZATIONS:
        torch.manual_seed(0)
        assert study.small_cnn1d(name)(_x(5)).shape == (5, 10), name
    stack = models.StackedModels(lambda: study.small_cnn1d("instance norm"), [0, 1, 2])
    assert stack(_x(4)).shape == (3, 4, 10)


def test_cnn_arms_use_nnlib_layers_on_channels_and_positions():
    expected = {
        "batch norm": norm.BatchNorm1d,
        "batch renorm": norm.BatchRenorm1d,
        "group norm (4 groups)": norm.GroupNorm,
        "layer norm (1 group)": norm.GroupNorm,
        "instance norm": norm.InstanceNorm1d,
    }
    for name, kind in expected.items():
        layers = [m for m in study.small_cnn1d(name) if isinstance(m, kind)]
        assert len(layers) == 2, name
    assert study.small_cnn1d("layer norm (1 group)")[2].num_groups == 1
    assert not any(isinstance(m, nn.Conv1d) and m.bias is None for m in study.small_cnn1d("none"))


def test_instance_norm_arm_normalises_each_example_and_channel_over_positions():
    torch.manual_seed(0)
    net = study.small_cnn1d("instance norm")
    layer = net[2]
    assert isinstance(layer, norm.InstanceNorm1d)
    seen = []
    layer.register_forward_hook(lambda module, inputs, output: seen.append((inputs[0], output)))
    net(_x(6))
    before, after = seen[0]
    assert after.shape == (6, 8, 20)  # (n, c, positions)
    var, mean = torch.var_mean(after, dim=2, correction=0)
    torch.testing.assert_close(mean, torch.zeros_like(mean), atol=1e-5, rtol=0)
    torch.testing.assert_close(var, torch.ones_like(var), atol=1e-3, rtol=0)
    # the input of the layer was not normalized per (n, c): the check above is not vacuous
    assert before.mean(dim=2).abs().max() > 0.1


def test_per_example_arms_give_an_example_the_same_output_in_any_batch():
    x = _x(8)
    for name in ("group norm (4 groups)", "layer norm (1 group)", "instance norm"):
        torch.manual_seed(0)
        net = study.small_cnn1d(name).train()
        torch.testing.assert_close(net(x)[:2], net(x[:2]), atol=1e-5, rtol=1e-5)
    torch.manual_seed(0)
    net = study.small_cnn1d("batch norm").train()
    assert (net(x)[:2] - net(x[:2])).abs().max() > 1e-3  # batch norm's depends on the batch


def test_batch_renorm_on_channels_and_positions_is_torch_batch_norm_without_correction():
    ours = norm.BatchRenorm1d(4, momentum=0.1, r_max=1.0, d_max=0.0).double()
    x = torch.randn(3, 4, 7, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    expected = nn.functional.batch_norm(x, None, None, training=True)
    torch.testing.assert_close(ours(x), expected, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(ours.running_mean, 0.1 * x.mean(dim=(0, 2)))


def test_small_batch_study_shapes_and_same_numbers_per_seed():
    splits = data.mnist1d()
    names = ["batch norm", "instance norm"]
    kwargs = {"batch_sizes": [2, 8], "steps": 3, "model": study.small_cnn1d}
    first = study.small_batch_study(splits, names, seeds=[0, 1], **kwargs)
    repeat = study.small_batch_study(splits, names, seeds=[0, 1], **kwargs)
    other_stack = study.small_batch_study(splits, names, seeds=[1, 5], **kwargs)
    assert list(first) == names
    for name in names:
        assert first[name].shape == (2, 2)
        assert torch.equal(first[name], repeat[name]), name
        # seed 1 trains alike whatever it is stacked with (up to a prediction flipped by round-off)
        torch.testing.assert_close(first[name][:, 1], other_stack[name][:, 0], atol=2e-3, rtol=0)
    assert study.small_batch_study(splits, ["none"], [4], [0], steps=2)["none"].shape == (1, 1)


def test_lr_tuning_copies_train_like_the_study_at_their_own_rate():
    splits = data.mnist1d()
    names, lrs = ["none", "batch norm"], [0.02, 0.5]
    tuned = study.small_batch_lr_tuning(splits, names, lrs, batch_size=8, seed=3, steps=20)
    assert list(tuned) == names
    own = study.small_batch_study(
        splits, names, [8], [3], steps=20, lr={"none": 0.02, "batch norm": 0.5}
    )
    for name, k in (("none", 0), ("batch norm", 1)):
        assert tuned[name].shape == (2,)
        # the same network at the same rate (up to a prediction flipped by round-off)
        torch.testing.assert_close(tuned[name][k], own[name][0, 0], atol=2e-3, rtol=0)
    # the two rates train differently: the copies are not one run repeated
    assert not torch.equal(tuned["batch norm"][0], tuned["batch norm"][1])


def test_small_batch_figure_draws_one_panel_per_study_on_a_shared_accuracy_axis():
    from nncourse.lecture4 import figures as norm_studies

    g = torch.Generator().manual_seed(0)
    mlp = {"none": torch.rand(3, 2, generator=g), "batch norm": torch.rand(3, 2, generator=g)}
    cnn = {**mlp, "instance norm": torch.rand(3, 2, generator=g)}
    fig = norm_studies.small_batch_figure([2, 8, 32], mlp, cnn, titles=("MLP", "CNN"))
    left, right = fig.axes
    assert "chance (10 classes)" in [t.get_text() for t in left.get_legend().get_texts()]
    assert len(right.get_legend().get_texts()) == 4 and right.get_title() == "CNN"
    assert left.get_shared_y_axes().joined(left, right)
    assert len(norm_studies.small_batch_figure([2, 8, 32], mlp).axes) == 1
    with pytest.raises(ValueError, match="titles"):
        norm_studies.small_batch_figure([2, 8, 32], mlp, cnn, titles=("MLP",))


def test_small_batch_table_rows_and_columns():
    from nncourse.lecture4 import figures as norm_studies

    table = norm_studies.small_batch_table(
        [2, 8], {"instance norm": torch.tensor([[0.1, 0.3]] * 2)}
    )
    header, row = table.splitlines()
    assert "B = 2" in header and "B = 8" in header
    assert row.startswith("instance norm") and row.count("0.20 ± 0.14") == 2


def test_noisy_batch_norm_shifts_in_training_only():
    torch.manual_seed(0)
    noisy, plain = study.NoisyBatchNorm1d(4), norm.BatchNorm1d(4)
    x = torch.randn(16, 4) * 3 + 2
    assert (noisy(x) - plain(x)).abs().max() > 0.1  # a random scale and shift
    noisy.eval(), plain.eval()
    assert torch.allclose(noisy(x), plain(x))  # same running statistics, no noise


def test_mechanisms_as_trained_is_the_small_batch_study_run():
    splits = data.mnist1d()
    ways = study.small_batch_bn_mechanisms(splits, [0, 1], batch_size=8, steps=20)
    table = study.small_batch_study(splits, ["batch norm"], [8], [0, 1], steps=20)
    assert torch.allclose(ways["as trained"], table["batch norm"][0])
    assert set(ways) == {"as trained", "recomputed", "train mode, B = 500"}


def test_renorm_recipe_limits_take_effect_after_the_warm_up():
    """Held at r_max = 1 and d_max = 0 the recipe is batch norm throughout; raised (after the
    first 10 % of the steps) the correction changes the trained networks."""
    splits = data.mnist1d()
    held = study.renorm_recipe_study(splits, [8], [0, 1], steps=30, r_max=1.0, d_max=0.0)
    raised = study.renorm_recipe_study(splits, [8], [0, 1], steps=30)
    assert held.shape == (1, 2)
    assert torch.equal(
        held, study.renorm_recipe_study(splits, [8], [0, 1], steps=30, r_max=1.0, d_max=0.0)
    )
    assert not torch.equal(held, raised)


def test_noise_injection_study_runs_the_noisy_arm_per_learning_rate():
    splits = data.mnist1d()
    noisy = study.noise_injection_study(splits, [0], lrs=[0.01, 0.1], epochs=1)
    assert noisy["accuracy"].shape == (2, 1) and noisy["train_loss"].shape == (2, 1)
    plain_bn = study.bn_lr_sweep(splits, [0.01, 0.1], [0], use_bn=True, epochs=1)
    assert not torch.allclose(noisy["train_loss"], plain_bn["train_loss"])


def test_tune_rates_picks_each_names_best_mean_validation_rate_and_the_study_scores_test():
    splits = data.mnist1d()
    names, lrs = ["none", "batch norm"], [0.02, 0.5]
    chosen, means = study.tune_rates(splits, names, lrs, batch_size=8, seeds=(3, 4), steps=20)
    for name in names:
        runs = [
            study.small_batch_lr_tuning(splits, [name], lrs, 8, seed, steps=20)[name]
            for seed in (3, 4)
        ]
        torch.testing.assert_close(means[name], (runs[0] + runs[1]) / 2)
        assert chosen[name] == lrs[int(means[name].argmax())]
    val = study.small_batch_study(splits, ["none"], [8], [3], steps=20)["none"]
    test = study.small_batch_study(splits, ["none"], [8], [3], steps=20, evaluate="test")["none"]
    # the same network scored on another split: 800 validation, 1000 test signals
    assert not torch.equal(val, test)
    with pytest.raises(ValueError, match="evaluate"):
        study.small_batch_study(splits, ["none"], [8], [3], steps=2, evaluate="train")
