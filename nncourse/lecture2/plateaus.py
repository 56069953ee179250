"""Lecture 2, plateaus and their cures: one deep MLP, stuck or freed by its set-up.

The network (``depth`` hidden layers of ``width`` units on MNIST-1D) is trained with SGD and
momentum from several seeds in each configuration. A configuration names the hidden activation,
the weight scale (hidden and output weights drawn from N(0, scale^2 / d_in), biases zero) and an
optional normalization before the activation; the output layer is always drawn at the normal
scale N(0, 1 / d_in), so the stuck network's logits start small and its loss near ln 10 (chance).
With tanh and scale 10 the hidden pre-activations are about ten times too large, almost every
unit sits in tanh's flat tails and the gradient that reaches the early layers vanishes: a
plateau. The cures change one thing each: the initialization, the activation, a normalization,
or the optimizer (``"optimizer": "adam"``: Adam rescales each weight's step by its own running
gradient size, so a vanishing gradient still gives a step of about the learning rate). A control
(``"output_only": True``) trains only the output layer of the stuck network: what the stuck
network can learn without its hidden layers.
"""

from __future__ import annotations

import torch
from torch import nn

from nncourse.parallel import parallel_map
from nnlib import data, init, models, train, utils

__all__ = ["ADAM", "CONFIGURATIONS", "adam_sweep", "build", "run", "saturated_fraction"]

CONFIGURATIONS: dict[str, dict] = {
    "tanh, weights 10x too large": {"activation": "tanh", "scale": 10.0},
    "better init: tanh, std 1/sqrt(d_in)": {"activation": "tanh", "scale": 1.0},
    "non-saturating: ReLU, std sqrt(2/d_in)": {"activation": "relu", "scale": 2**0.5},
    "normalization: tanh, 10x weights, batch norm": {
        "activation": "tanh",
        "scale": 10.0,
        "norm": "batch",
    },
    "control: tanh, 10x weights, only the output layer trains": {
        "activation": "tanh",
        "scale": 10.0,
        "output_only": True,
    },
    "gradient scaling: tanh, 10x weights, Adam": {
        "activation": "tanh",
        "scale": 10.0,
        "optimizer": "adam",
    },
}
ADAM = "gradient scaling: tanh, 10x weights, Adam"


def build(
    activation: str,
    scale: float,
    norm: str | None = None,
    seed: int = 0,
    depth=6,
    width=64,
    optimizer: str = "sgd",
    output_only: bool = False,
) -> nn.Sequential:
    """The MLP [40, width x depth, 10]: hidden weights N(0, scale^2 / d_in), output weights
    N(0, 1 / d_in), zero biases (``optimizer`` and ``output_only`` are read by :func:`run`)."""
    net = models.mlp([40] + [width] * depth + [10], activation=activation, norm=norm)
    generator = utils.generator(seed)
    linears = [layer for layer in net if isinstance(layer, nn.Linear)]
    for k, layer in enumerate(linears):
        d_in = layer.weight.shape[1]
        std = (scale if k < len(linears) - 1 else 1.0) / d_in**0.5
        init.normal_(layer.weight, 0.0, std, generator=generator)
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
    adam_lr: float = 1e-3,
) -> dict[str, torch.Tensor]:
    """Per configuration, the minibatch loss at every step for every seed: shape (seeds, steps).
    SGD with momentum, or Adam (PyTorch's defaults, lr ``adam_lr`` or the configuration's
    ``"lr"``) where the configuration says ``"optimizer": "adam"``; every configuration sees the
    same minibatches for a given seed. The runs are spread over the CPU cores
    (:func:`nncourse.parallel.parallel_map`)."""
    configurations = configurations or CONFIGURATIONS
    x, y = splits.train.tensors

    def one_run(item: tuple[str, int]) -> torch.Tensor:
        name, seed = item
        config = configurations[name]
        net = build(**{k: v for k, v in config.items() if k != "lr"}, seed=seed)
        trained = net[-1].parameters() if config.get("output_only") else net.parameters()
        if config.get("optimizer", "sgd") == "adam":
            optimizer = torch.optim.Adam(trained, lr=config.get("lr", adam_lr))
        else:
            optimizer = torch.optim.SGD(trained, lr=lr, momentum=momentum)
        loader = data.TensorBatches(x, y, batch_size, seed=seed)
        history = train.fit_steps(net, optimizer, loader, steps)
        losses = torch.tensor(history.step_loss)
        return torch.cat([losses, torch.full((steps - len(losses),), float("nan"))])

    items = [(name, seed) for name in configurations for seed in range(seeds)]
    runs = iter(parallel_map(one_run, items))  # every core, one run each
    return {name: torch.stack([next(runs) for _ in range(seeds)]) for name in configurations}


def adam_sweep(
    splits: data.Splits,
    rates=(1e-4, 1e-3, 1e-2, 1e-1),
    seeds: int = 3,
    steps: int = 300,
    batch_size: int = 100,
) -> dict[float, torch.Tensor]:
    """Adam from the saturated start of :data:`ADAM` at each learning rate in ``rates``: per rate,
    the (seeds, steps) minibatch losses of :func:`run`, on the same minibatches for a given seed."""
    configs = {f"{ADAM}, lr {rate:g}": CONFIGURATIONS[ADAM] | {"lr": rate} for rate in rates}
    curves = run(splits, configs, seeds, steps, batch_size=batch_size)
    return {rate: curves[name] for rate, name in zip(rates, configs, strict=True)}
