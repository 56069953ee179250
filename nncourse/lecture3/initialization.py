"""Experiment set-ups of lecture 3 (weight initialization).

* :func:`train_mlps` trains S MLPs on MNIST-1D as one batched model
  (:class:`nnlib.models.StackedModels`),
  initialised with a named scheme of :data:`nnlib.init.SCHEMES` or with N(0, std^2) weights, and
  returns the per-network training loss and validation accuracy after every epoch.
* :func:`scaled_kaiming_stats` builds a deep ReLU MLP whose weights have variance
  ``c * 2 / d_in`` (``c = 1`` is Kaiming) and returns its per-layer statistics: ``c < 1``
  vanishes, ``c > 1`` explodes, by a factor ``c`` in variance per layer.
* :func:`train_deep_linear` trains S deep linear networks at once (weights N(0, c²/width)) on
  a linear regression, with or without gradient clipping, and returns the loss after every step.
* :func:`weight_variance` gives ``fan_in · Var(w)`` of a scheme of :data:`nnlib.init.SCHEMES`,
  and :func:`predicted_last_std` and :func:`predicted_saturation` turn it into predictions by the
  variance argument for wide layers: each pre-activation is Gaussian with variance
  ``fan_in · Var(w) · E[h²]`` of the layer below (the "mean-field" recursion), and the moments of
  ``tanh`` or ``relu`` of a Gaussian are computed by numerical integration on a dense grid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import torch

from nnlib import clipping, data, init, layer_stats, models, train, utils
from nnlib.utils import check_positive

__all__ = [
    "orthogonal_relu_profile",
    "predicted_gradient_ratio",
    "predicted_last_std",
    "predicted_relu_profile",
    "predicted_saturation",
    "scaled_kaiming_stats",
    "train_deep_linear",
    "train_mlps",
    "weight_variance",
    "zero_relu_outputs",
]

# E[f(z)] for z ~ N(0, 1) is sum(_WEIGHTS * f(_NODES)): a dense grid, because for wide Gaussians
# the integrands (tanh' = 1 - tanh² around 0) are narrow peaks that few quadrature nodes miss
_NODES = np.linspace(-8.0, 8.0, 4001)
_WEIGHTS = np.exp(-(_NODES**2) / 2)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


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
                if name.endswith("weight"):
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


def orthogonal_relu_profile(
    gain: float, seed: int, depth: int = 20, width: int = 256, d_in: int = 40, batch: int = 256
) -> torch.Tensor:
    """Mean square of the activations of each hidden layer (shape (depth,)) of a ReLU MLP
    ``[d_in] + [width] * depth`` with orthogonal weights times ``gain`` and zero biases, on
    standard Gaussian inputs; the draws of ``seed`` only."""
    check_positive("gain", gain)
    g = utils.generator(seed)
    net = models.mlp([d_in] + [width] * depth + [10], activation="relu")
    for layer in net[::2]:
        init.orthogonal_(layer.weight, gain=gain, generator=g)
        torch.nn.init.zeros_(layer.bias)
    h, squares = torch.randn(batch, d_in, generator=g), []
    with torch.no_grad():
        for module in net[:-1]:
            h = module(h)
            if isinstance(module, torch.nn.ReLU):
                squares.append(h.pow(2).mean())
    return torch.stack(squares)


def predicted_relu_profile(gain: float, depth: int = 20, width: int = 256, d_in: int = 40):
    """Kaiming's recursion for :func:`orthogonal_relu_profile`: the first layer spreads the
    input's squared norm over ``width`` units (mean square ``gain² d_in / width``), every later
    layer multiplies it by ``gain²``, and ReLU halves it after each: shape (depth,)."""
    first = gain**2 * d_in / width / 2
    return torch.tensor([first * (gain**2 / 2) ** k for k in range(depth)], dtype=torch.float64)


def weight_variance(scheme: str, fan_in: int, fan_out: int) -> float:
    """``fan_in · Var(w)`` of a layer initialised with ``scheme``: the factor by which it scales
    the second moment of its inputs (for ``orthogonal``, ``min(1, fan_in / fan_out)``: a matrix
    with orthonormal columns preserves ``||x||²`` and spreads it over ``fan_out`` units)."""
    # fuzz: N(0, 0.02²) truncated at two standard deviations keeps this share of the variance
    truncated = 1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(math.sqrt(2))
    xavier = 2 * fan_in / (fan_in + fan_out)
    table = {
        "tiny normal": fan_in * 0.01**2,
        "normal": float(fan_in),
        "fan-in uniform": 1 / 3,
        "lecun": 1.0,
        "xavier": xavier,
        "xavier tanh": 25 / 9 * xavier,
        "kaiming": 2.0,
        "orthogonal": min(1.0, fan_in / fan_out),
        "sparse": 1.0,
        "defazio-bottou": 2 * fan_in / math.sqrt(fan_in * fan_out),
        "fuzz": fan_in * 0.02**2 * truncated,
    }
    if scheme not in table:
        raise ValueError(f"Invalid scheme: {scheme!r} (choose from {sorted(table)})")
    return table[scheme]


def _moments(q: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """E[h] and E[h²] for h = activation(z), z ~ N(0, q) (q an array of variances)."""
    z = np.sqrt(np.asarray(q, dtype=float))[..., None] * _NODES
    h = np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)
    return (h * _WEIGHTS).sum(-1), (h**2 * _WEIGHTS).sum(-1)


def predicted_last_std(
    scheme: str, activation: str, depth: int = 20, width: int = 256, d_in: int = 40
) -> float:
    """Predicted std of the activations of the last of ``depth`` hidden layers of ``width`` units,
    for standard Gaussian inputs of dimension ``d_in`` and zero biases."""
    second = np.array(1.0)  # E[x²] of the inputs
    for layer in range(depth):
        q = weight_variance(scheme, d_in if layer == 0 else width, width) * second
        mean, second = _moments(q, activation)
    return float(np.sqrt(max(second - mean**2, 0.0)))


def predicted_saturation(scheme: str, x: torch.Tensor, widths: Sequence[int]) -> list[float]:
    """Predicted fraction of |tanh| > 0.99 in each hidden layer of a tanh MLP ``widths`` with zero
    biases, on the inputs ``x``: the pre-activations of one example are N(0, q), with q computed
    per example from ``||x||²`` through the layers."""
    threshold = math.atanh(0.99)
    second = x.double().pow(2).mean(dim=1).numpy()  # per example: E[x_i²] over its features
    fractions = []
    for fan_in, fan_out in itertools.pairwise(widths[:-1]):
        q = weight_variance(scheme, fan_in, fan_out) * second
        outside = np.array([math.erfc(threshold / math.sqrt(2 * v)) for v in q])
        fractions.append(float(outside.mean()))
        second = _moments(q, "tanh")[1]
    return fractions


def predicted_gradient_ratio(
    scheme: str, activation: str, depth: int = 20, width: int = 128, d_in: int = 40
) -> float:
    """Predicted std of the gradient reaching the first hidden layer's activations over that
    reaching the last one's: each of the ``depth - 1`` steps back through a square layer multiplies
    the gradient's variance by ``fan_in · Var(w) · E[activation'(z)²]``, z the layer's
    pre-activations (Gaussian, variance from the forward recursion)."""
    q = weight_variance(scheme, d_in, width)  # first layer, on inputs with E[x²] = 1
    growth = 1.0
    for _ in range(depth - 1):
        gain = weight_variance(scheme, width, width)
        q = gain * float(_moments(q, activation)[1])
        z = math.sqrt(q) * _NODES
        slope = 1 - np.tanh(z) ** 2 if activation == "tanh" else (z > 0).astype(float)
        growth *= gain * float((slope**2 * _WEIGHTS).sum())
    return math.sqrt(growth)


def train_deep_linear(
    c: float,
    clip: float | None,
    *,
    depth: int = 30,
    width: int = 32,
    steps: int = 200,
    lr: float = 0.01,
    n_seeds: int = 5,
    batch: int = 256,
    relative: bool = False,
) -> torch.Tensor:
    """Train ``n_seeds`` linear networks ``W_depth ... W_1 x`` (weights N(0, c²/width), one draw
    per seed) with full-batch gradient descent on ``mean ||W x - A x||²``, A a random rotation.

    With ``clip`` set, each network's gradient is rescaled to norm ``clip`` when it is larger
    (:func:`nnlib.clipping.clip_grad_norm_`, network by network). Returns the losses, shape
    (steps + 1, n_seeds): before each step and after the last; a diverged run shows non-finite
    values. Seed s draws from ``utils.generator(s)``, so the same s gives the same draws at
    every c. With ``relative`` each draw's losses are divided by ``mean ||A x||²``, the loss of
    predicting zero on that draw's data (about 1): below 1 the network beats predicting zero.
    """
    check_positive("c", c)
    nets, data_ = [], []
    for s in range(n_seeds):
        g = utils.generator(s)
        layers = [
            torch.randn(width, width, generator=g) * (c / math.sqrt(width)) for _ in range(depth)
        ]
        nets.append([w.requires_grad_() for w in layers])
        x = torch.randn(batch, width, generator=g)
        rotation = torch.linalg.qr(torch.randn(width, width, generator=g)).Q
        data_.append((x, x @ rotation.T))
    losses = torch.empty(steps + 1, n_seeds)
    for step in range(steps + 1):
        for s, (layers, (x, y)) in enumerate(zip(nets, data_, strict=True)):
            h = x
            for w in layers:
                h = h @ w.T
            loss = (h - y).pow(2).mean()
            scale = y.pow(2).mean() if relative else 1.0
            losses[step, s] = loss.detach() / scale
            if step == steps or not torch.isfinite(loss):
                continue
            for w in layers:
                w.grad = None
            loss.backward()
            if clip is not None:
                clipping.clip_grad_norm_(layers, clip)
            with torch.no_grad():
                for w in layers:
                    w -= lr * w.grad
    return losses


def zero_relu_outputs(model: torch.nn.Sequential, x: torch.Tensor) -> tuple[float, int]:
    """The share of zero outputs over all (example, unit) values of the ReLU layers of ``model``
    on the inputs ``x``, and the number of *dead* units: those whose output is zero for every
    example of ``x``."""
    zeros = total = dead = 0
    h = x
    with torch.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, torch.nn.ReLU):
                zeros += int((h == 0).sum())
                total += h.numel()
                dead += int((h == 0).all(dim=0).sum())
    return zeros / total, dead
