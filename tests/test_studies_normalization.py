"""Lecture 4's batched study set-ups agree with the one-network-at-a-time computations."""

import torch
from torch import nn

from nnlib import data, loss_slices, norm, preprocessing, train
from nnlib.optim import rates
from nnlib.studies import normalization as study


def _small_bn_mlp():
    return nn.Sequential(nn.Linear(6, 8), norm.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_stacked_models_with_scaled_gradients_train_like_separate_runs():
    lrs, seeds = [0.05, 0.3], [0, 1]
    stack = study.StackedModels(_small_bn_mlp, seeds)
    singles = [stack.unstack(s) for s in range(2)]
    stack.scale_gradients(lrs)
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
    stack = study.StackedModels(_small_bn_mlp, [3])
    torch.manual_seed(3)
    alone = _small_bn_mlp()
    for name, value in alone.state_dict().items():
        assert torch.equal(stack.unstack(0).state_dict()[name], value)


def test_batched_probe_matches_the_single_network_probe():
    stack = study.StackedModels(_small_bn_mlp, [0, 1])
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)
    etas = torch.tensor([0.1, 0.4])
    before = {k: v.clone() for k, v in stack.state_dict().items()}
    probe = study.loss_along_gradient(stack, x, y, etas)
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
    result = study.lr_sweep(splits, [0.01, 100.0], [0], use_bn=False, epochs=1, batch_size=400)
    assert result["accuracy"].shape == (2, 1) and result["diverged"].shape == (2, 1)
    assert not result["diverged"][0, 0] and result["diverged"][1, 0]
