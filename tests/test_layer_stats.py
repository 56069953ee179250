"""nnlib.layer_stats: per-layer activation and gradient statistics, against a backward pass."""

import pytest
import torch
from torch import nn

from nnlib import init, layer_stats, models


def test_layer_statistics_leave_the_model_unchanged_and_measure_saturation():
    torch.manual_seed(0)
    net = init.init_model(models.mlp([20, 32, 32, 4], activation="tanh"), "normal")
    x, y = torch.randn(64, 20) * 3, torch.randint(0, 4, (64,))
    before = [p.detach().clone() for p in net.parameters()]
    net.eval()
    rows = layer_stats.layer_statistics(net, x, y, lr=0.5)
    assert not net.training and not net[1]._forward_hooks
    assert all(p.grad is None for p in net.parameters())
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))
    assert len(rows) == 2 and rows[0].saturated > 0.5
    hidden = torch.tanh(net[0](x))
    assert rows[0].activation_std == pytest.approx(hidden.std().item(), rel=1e-5)
    nn.functional.cross_entropy(net(x), y).backward()
    ratio = 0.5 * net[0].weight.grad.norm() / net[0].weight.norm()
    assert rows[0].update_ratio == pytest.approx(ratio.item(), rel=1e-5)


def test_layer_statistics_gradients_match_a_backward_pass_and_can_be_left_out():
    torch.manual_seed(1)
    net = init.init_model(models.mlp([6, 16, 16, 3], activation="relu"), "kaiming")
    net[2].weight.requires_grad_(False)  # a frozen layer: its weight gradient counts as zero
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    rows = layer_stats.layer_statistics(net, x, y)
    lean = layer_stats.layer_statistics(net, x, y, weight_gradients=False)
    h1 = torch.relu(net[0](x))
    h1.retain_grad()
    h2 = torch.relu(net[2](h1))
    h2.retain_grad()
    nn.functional.cross_entropy(net[4](h2), y).backward()
    for row, h in zip(rows, (h1, h2), strict=True):
        assert row.activation_grad_std == pytest.approx(h.grad.std().item(), rel=1e-5)
    assert rows[0].weight_grad_std == pytest.approx(net[0].weight.grad.std().item(), rel=1e-5)
    assert rows[1].weight_grad_std == 0.0 and rows[1].update_ratio == 0.0
    for full, part in zip(rows, lean, strict=True):
        assert part.weight_grad_std is None and part.update_ratio is None
        assert part.activation_grad_std == full.activation_grad_std
        assert part.activation_std == full.activation_std
    assert layer_stats.layer_statistics(nn.Linear(6, 3), x, y) == []  # no hidden layer
