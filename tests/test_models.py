import pytest
import torch
from torch import nn

from nnlib import models


def test_mlp_layout_and_shapes():
    net = models.mlp([40, 100, 50, 10], activation="tanh", norm="batch", dropout=0.1)
    kinds = [type(m).__name__ for m in net]
    assert kinds == [
        "Linear", "BatchNorm1d", "Tanh", "Dropout",
        "Linear", "BatchNorm1d", "Tanh", "Dropout",
        "Linear",
    ]  # fmt: skip
    assert net(torch.randn(7, 40)).shape == (7, 10)


def test_mlp_without_hidden_layers_is_linear():
    net = models.mlp([3, 2])
    assert len(net) == 1 and isinstance(net[0], nn.Linear)


def test_mlp_accepts_a_norm_factory():
    net = models.mlp([4, 8, 2], norm=lambda width: nn.LayerNorm(width))
    assert isinstance(net[1], nn.LayerNorm) and net[1].normalized_shape == (8,)


@pytest.mark.parametrize("name", sorted(models.ACTIVATIONS))
def test_every_activation_builds(name):
    net = models.mlp([2, 3, 1], activation=name)
    assert net(torch.randn(4, 2)).shape == (4, 1)


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation: 'relu6'"):
        models.mlp([2, 3], activation="relu6")
    with pytest.raises(ValueError, match="widths"):
        models.mlp([2])
    with pytest.raises(ValueError, match="widths"):
        models.mlp([2, 0, 1])
    with pytest.raises(ValueError, match="norm"):
        models.mlp([2, 3, 1], norm="weird")
    with pytest.raises(ValueError, match="dropout"):
        models.mlp([2, 3, 1], dropout=1.0)


def test_small_cnn_on_digit_images():
    net = models.small_cnn(channels=(8, 16), norm="batch")
    assert net(torch.randn(5, 1, 8, 8)).shape == (5, 10)
    assert isinstance(net[1], nn.BatchNorm2d)
    with pytest.raises(ValueError, match="image_size"):
        models.small_cnn(channels=(4, 4, 4, 4), image_size=8)
    with pytest.raises(ValueError, match="activation"):
        models.small_cnn(activation="nope")
