"""Lecture 2, plateaus and their cures: one deep MLP, stuck or freed by its set-up.

The network (``depth`` hidden layers of ``width`` units on MNIST-1D) is trained with SGD and
momentum from several seeds in each configuration. A configuration names the hidden activation,
the weight scale (hidden and output weights drawn from N(0, scale^2 / d_in), biases zero) and an
optional normalization before the activation. With tanh and scale 10 the pre-activations are
about ten times too large, almost every unit sits in tanh's flat tails and the gradient that
reaches the early layers vanishes: a plateau. The cures change one thing each.
"""

from __future__ import annotations

import torch
from torch import nn

from nnlib import data, init, models, train, utils

__all__ = ["CONFIGURATIONS", "build", "run", "saturated_fraction"]

CONFIGURATIONS: dict[str, dict] = {
    "tanh, weights 10x too large": {"activation": "tanh", "scale": 10.0},
    "better init: tanh, std 1/sqrt(d_in)": {"activation": "tanh", "scale": 1.0},
    "non-saturating: ReLU, std sqrt(2/d_in)": {"activation": "relu", "scale": 2**0.5},
    "normalization: tanh, 10x weights, batch norm": {
        "activation": "tanh",
        "scale": 10.0,
        "norm": "batch",
    },
}


def build(
    activation: str, scale: float, norm: str | None = None, seed: int = 0, depth=6, width=64
) -> nn.Sequential:
    """The MLP [40, width x depth, 10] with N(0, scale^2 / d_in) weights and zero biases."""
    net = models.mlp([40] + [width] * depth + [10], activation=activation, norm=norm)
    generator = utils.generator(seed)
    for layer in net:
        if isinstance(layer, nn.Linear):
            d_in = layer.weight.shape[1]
            init.normal_(layer.weight, 0.0, scale / d_in**0.5, generator=generator)
            init.zeros_(layer.bias)
    return net


@torch.no_grad()
def saturated_fraction(net: nn.Sequential, x: torch.Tensor, level: float = 0.99) -> float:
    """Share of the hidden tanh outputs with |h| > ``level`` on inputs x (tanh' < 1 - level^2)."""
    h, count, saturated = x, 0, 0
    for layer in net:
        h = layer(h)
        if isinstance(layer, nn.Tanh):
            count += h.numel()
            saturated += (h.abs() > level).sum().item()
    return saturated / count if count else 0.0


def run(
    splits: data.Splits,
    configurations: dict[str, dict] | None = None,
    seeds: int = 3,
    steps: int = 300,
    lr: float = 0.05,
    momentum: float = 0.9,
    batch_size: int = 100,
) -> dict[str, torch.Tensor]:
    """Per configuration, the minibatch loss at every step for every seed: shape (seeds, steps)."""
    configurations = configurations or CONFIGURATIONS
    x, y = splits.train.tensors
    curves = {}
    for name, config in configurations.items():
        runs = []
        for seed in range(seeds):
            net = build(**config, seed=seed)
            optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
            loader = data.TensorBatches(x, y, batch_size, seed=seed)
            history = train.fit_steps(net, optimizer, loader, steps)
            losses = torch.tensor(history.step_loss)
            runs.append(torch.cat([losses, torch.full((steps - len(losses),), float("nan"))]))
        curves[name] = torch.stack(runs)
    return curves
