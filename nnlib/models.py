"""Model builders: a configurable MLP, a small CNN, and many MLPs stacked into one module.

``mlp([40, 100, 100, 10], activation="relu")`` builds Linear -> [norm] -> activation -> [dropout]
for each hidden layer and a plain Linear output layer, as an ``nn.Sequential`` so every layer can
be inspected by index. Normalization may be named ("batch", "layer") or given as a factory
``width -> nn.Module`` so that lectures can plug in their own from-scratch layers.

:class:`BatchedMLP` holds S networks of the same shape as stacked tensors, weights
(S, d_out, d_in) and biases (S, d_out), run together with batched matrix products
(``torch.baddbmm``): one call does the work of S small ones, for multi-seed experiments
(lectures 2, 3 and 5). Summing their losses before ``backward`` gives each network exactly the
gradient of its own loss, so any element-wise optimizer trains the S networks independently, as
S sequential runs would (the tests check this).
:func:`rescale_relu_layers` is Dinh et al. (2017)'s reparametrization: multiplying one ReLU layer
by a and the next by 1/a leaves the function unchanged but changes the Hessian, so "sharpness" is
not a property of the function alone (lecture 5b).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import torch
from torch import nn

from nnlib import utils
from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = [
    "ACTIVATIONS",
    "BatchedMLP",
    "make_activation",
    "mlp",
    "rescale_relu_layers",
    "small_cnn",
]

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


class BatchedMLP(nn.Module):
    """S independent MLPs with widths [d_in, ..., d_out] and one activation, run as one module.

    ``forward(x)`` takes inputs (B, d_in), shared by all networks, or (S, B, d_in), and returns
    logits (S, B, d_out). Network s is initialised exactly like ``mlp(widths)`` after
    ``nnlib.utils.manual_seed(seed + s)`` (``torch.manual_seed(seed + s)`` in replication 0).
    """

    def __init__(
        self, widths: Sequence[int], n_models: int, activation: str = "relu", seed: int = 0
    ):
        super().__init__()
        n_models = check_positive_int("n_models", n_models)
        singles = []
        for s in range(n_models):
            utils.manual_seed(seed + s)
            singles.append(mlp(widths, activation=activation))
        self._stack(singles, activation)

    @classmethod
    def from_models(cls, models: Sequence[nn.Sequential], activation: str = "relu") -> BatchedMLP:
        """Stack existing ``nnlib.models.mlp`` networks (same widths, no norm or dropout)."""
        batched = cls.__new__(cls)
        nn.Module.__init__(batched)
        batched._stack(list(models), activation)
        return batched

    def _stack(self, singles: list[nn.Sequential], activation: str) -> None:
        linears = [[m for m in single if isinstance(m, nn.Linear)] for single in singles]
        if any(len(ls) != len(linears[0]) for ls in linears):
            raise ValueError("Invalid models: they must all have the same layers")
        self.activation = activation
        self.act = make_activation(activation)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].weight.detach() for ls in linears]).clone())
            for k in range(len(linears[0]))
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].bias.detach() for ls in linears]).clone())
            for k in range(len(linears[0]))
        )

    @property
    def n_models(self) -> int:
        return self.weights[0].shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.expand(self.n_models, *x.shape) if x.dim() == 2 else x
        last = len(self.weights) - 1
        for k, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))  # h W^T + b, per network
            if k < last:
                h = self.act(h)
        return h

    def unstack(self, s: int) -> nn.Sequential:
        """Network s as an ordinary ``nnlib.models.mlp`` (a copy)."""
        widths = [self.weights[0].shape[2]] + [W.shape[1] for W in self.weights]
        single = mlp(widths, activation=self.activation)
        linears = [m for m in single if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer, W, b in zip(linears, self.weights, self.biases, strict=True):
                layer.weight.copy_(W[s])
                layer.bias.copy_(b[s])
        return single


@torch.no_grad()
def rescale_relu_layers(
    model: nn.Sequential, first: int, second: int, alpha: float
) -> nn.Sequential:
    """Multiply Linear layer ``first`` (weight and bias) by alpha and layer ``second``'s weight by
    1/alpha, in place: for a ReLU between them the network computes exactly the same function."""
    check_positive("alpha", alpha)
    model[first].weight.mul_(alpha)
    if model[first].bias is not None:
        model[first].bias.mul_(alpha)
    model[second].weight.div_(alpha)
    return model
