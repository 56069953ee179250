"""Model builders: a configurable MLP and a small CNN.

``mlp([40, 100, 100, 10], activation="relu")`` builds Linear -> [norm] -> activation -> [dropout]
for each hidden layer and a plain Linear output layer, as an ``nn.Sequential`` so every layer can
be inspected by index. Normalization may be named ("batch", "layer") or given as a factory
``width -> nn.Module`` so that lectures can plug in their own from-scratch layers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from torch import nn

from nnlib.utils import check_fraction, check_positive_int

__all__ = ["ACTIVATIONS", "make_activation", "mlp", "small_cnn"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "identity": nn.Identity,
}

_NORMS_1D: dict[str, Callable[[int], nn.Module]] = {
    "batch": nn.BatchNorm1d,
    "layer": nn.LayerNorm,
}
_NORMS_2D: dict[str, Callable[[int], nn.Module]] = {
    "batch": nn.BatchNorm2d,
    "group": lambda c: nn.GroupNorm(min(4, c), c),
}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by name (one of ``ACTIVATIONS``)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"Invalid activation: {name!r} (choose from {sorted(ACTIVATIONS)})")
    return ACTIVATIONS[name]()


def _norm_factory(norm, table: dict) -> Callable[[int], nn.Module] | None:
    if norm is None or callable(norm):
        return norm
    if norm not in table:
        raise ValueError(f"Invalid norm: {norm!r} (choose from None, {sorted(table)} or a factory)")
    return table[norm]


def mlp(
    widths: Sequence[int],
    activation: str = "relu",
    norm: str | Callable[[int], nn.Module] | None = None,
    dropout: float = 0.0,
    bias: bool = True,
    norm_position: str = "before",
) -> nn.Sequential:
    """A multilayer perceptron with layer widths ``widths = [d_in, h_1, ..., h_L, d_out]``.

    Hidden layer l computes ``h_l = dropout(act(norm(W_l h_{l-1} + b_l)))``, or with
    ``norm_position="after"`` ``dropout(norm(act(W_l h_{l-1} + b_l)))``; the output layer is
    ``W_out h_L + b_out`` (logits, no activation).
    """
    if norm_position not in ("before", "after"):
        raise ValueError(f"Invalid norm_position: {norm_position!r} (must be 'before' or 'after')")
    if len(widths) < 2:
        raise ValueError(f"Invalid widths: {list(widths)!r} (need at least input and output)")
    widths = [check_positive_int("widths", w) for w in widths]
    make_activation(activation)  # validate the name before building anything
    make_norm = _norm_factory(norm, _NORMS_1D)
    check_fraction("dropout", dropout)
    layers: list[nn.Module] = []
    for d_in, d_out in itertools.pairwise(widths[:-1]):
        layers.append(nn.Linear(d_in, d_out, bias=bias))
        pair = [make_activation(activation)]
        if make_norm is not None:
            pair.insert(0 if norm_position == "before" else 1, make_norm(d_out))
        layers += pair
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(widths[-2], widths[-1], bias=bias))
    return nn.Sequential(*layers)


def small_cnn(
    in_channels: int = 1,
    n_classes: int = 10,
    channels: Sequence[int] = (16, 32),
    image_size: int = 8,
    activation: str = "relu",
    norm: str | Callable[[int], nn.Module] | None = None,
) -> nn.Sequential:
    """A small CNN: per stage conv3x3 (padding 1) -> [norm] -> activation -> 2x2 max-pool,
    then flatten and one linear classifier. Sized for 8x8 digits by default.
    """
    check_positive_int("in_channels", in_channels)
    check_positive_int("n_classes", n_classes)
    check_positive_int("image_size", image_size)
    channels = [check_positive_int("channels", c) for c in channels]
    make_activation(activation)
    if image_size % 2 ** len(channels):
        raise ValueError(
            f"Invalid image_size: {image_size} (must be divisible by 2**{len(channels)} "
            f"for {len(channels)} pooling stages)"
        )
    make_norm = _norm_factory(norm, _NORMS_2D)
    layers: list[nn.Module] = []
    c_in = in_channels
    for c_out in channels:
        layers.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=make_norm is None))
        if make_norm is not None:
            layers.append(make_norm(c_out))
        layers += [make_activation(activation), nn.MaxPool2d(2)]
        c_in = c_out
    side = image_size // 2 ** len(channels)
    layers += [nn.Flatten(), nn.Linear(c_in * side * side, n_classes)]
    return nn.Sequential(*layers)
