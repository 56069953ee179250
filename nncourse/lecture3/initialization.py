"""Experiment set-ups of lecture 3 (weight initialization).

* :func:`train_mlps` trains S MLPs on MNIST-1D as one batched model
  (:class:`nnlib.models.StackedModels`),
  initialised with a named scheme of :data:`nnlib.init.SCHEMES` or with N(0, std^2) weights, and
  returns the per-network training loss and validation accuracy after every epoch.
* :func:`scaled_kaiming_stats` builds a deep ReLU MLP whose weights have variance
  ``c * 2 / d_in`` (``c = 1`` is Kaiming) and returns its per-layer statistics: ``c < 1``
  vanishes, ``c > 1`` explodes, by a factor ``c`` in variance per layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from nnlib import data, init, layer_stats, models, train, utils
from nnlib.utils import check_positive

__all__ = ["scaled_kaiming_stats", "train_mlps"]


def train_mlps(
    widths: Sequence[int],
    activation: str,
    scheme: str | None = None,
    std: float | None = None,
    *,
    n_seeds: int = 5,
    epochs: int = 10,
    lr: float = 0.02,
    momentum: float = 0.9,
    batch_size: int = 100,
    splits: data.Splits | None = None,
) -> dict[str, torch.Tensor]:
    """Train ``n_seeds`` MLPs ``widths`` on MNIST-1D with SGD + momentum, all at once.

    Exactly one of ``scheme`` (a key of ``nnlib.init.SCHEMES``) and ``std`` (weights drawn from
    N(0, std^2), biases zero) chooses the initialization. Returns tensors of shape
    (epochs, n_seeds): ``train_loss`` (mean over each epoch), ``eval_loss`` and
    ``eval_accuracy`` (on the validation split after each epoch). A diverged network shows
    non-finite losses.
    """
    if (scheme is None) == (std is None):
        raise ValueError("Invalid arguments: give exactly one of scheme and std")
    splits = splits or data.mnist1d()
    many = models.stacked_mlp(widths, n_models=n_seeds, activation=activation, seed=0)
    if scheme is not None:
        init.init_model(many, scheme, seed=0)
    else:
        check_positive("std", std)
        generator = utils.generator(0)
        with torch.no_grad():
            for name, p in many.named_parameters():
                if name.startswith("weights"):
                    p.normal_(0.0, std, generator=generator)
                else:
                    p.zero_()
    optimizer = torch.optim.SGD(many.parameters(), lr=lr, momentum=momentum)
    loader = data.make_loader(splits.train, batch_size, seed=0)
    return train.fit_batched(
        many, optimizer, loader, epochs, eval_data=splits.val.tensors, progress=False
    )


def scaled_kaiming_stats(
    c: float, depth: int = 20, width: int = 128, seed: int = 0, batch: int = 256
) -> list[layer_stats.LayerStats]:
    """Per-layer statistics of a ReLU MLP [width] * (depth + 1) + [10] with weights
    N(0, c * 2 / d_in) and zero biases, on standard Gaussian inputs and random labels."""
    check_positive("c", c)
    utils.manual_seed(seed)
    model = models.mlp([width] * (depth + 1) + [10], activation="relu")
    generator = utils.generator(seed)
    with torch.no_grad():
        for module in model:
            if isinstance(module, torch.nn.Linear):
                std = math.sqrt(c * 2.0 / module.in_features)
                module.weight.normal_(0.0, std, generator=generator)
                module.bias.zero_()
    x = torch.randn(batch, width, generator=generator)
    y = torch.randint(0, 10, (batch,), generator=generator)
    return layer_stats.layer_statistics(model, x, y)
