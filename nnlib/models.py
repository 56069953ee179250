"""Model builders: a configurable MLP, a small CNN, and many MLPs stacked into one module.

``mlp([40, 100, 100, 10], activation="relu")`` builds Linear -> [norm] -> activation -> [dropout]
for each hidden layer and a plain Linear output layer, as an ``nn.Sequential`` so every layer can
be inspected by index. Normalization may be named ("batch", "layer") or given as a factory
``width -> nn.Module`` so that lectures can plug in their own from-scratch layers.

:class:`StackedModels` holds S networks of one architecture as stacked tensors, for
multi-seed experiments (lectures 2 to 5): a plain MLP runs with batched matrix products
(``torch.baddbmm``), one call doing the work of S small ones; any other network runs under
``torch.func.vmap``. Summing their losses before ``backward`` gives each network exactly the
gradient of its own loss, so any element-wise optimizer trains the S networks independently, as
S sequential runs would (the tests check this). :func:`stacked_mlp` builds S seeded MLPs.
:func:`rescale_relu_layers` is Dinh et al. (2017)'s reparametrization: multiplying one ReLU layer
by a and the next by 1/a leaves the function unchanged but changes the Hessian, so "sharpness" is
not a property of the function alone (lecture 5b).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from nnlib import utils
from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = [
    "ACTIVATIONS",
    "StackedModels",
    "make_activation",
    "mlp",
    "rescale_relu_layers",
    "small_cnn",
    "stacked_mlp",
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


_ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.ELU, nn.Identity)


class StackedModels(nn.Module):
    """S copies of an architecture, each with its own weights, run as one module.

    Network s is ``make_model()`` built after ``nnlib.utils.manual_seed(seeds[s])``, so it starts
    exactly like that network built alone. Parameters and buffers are stacked along a new first
    dim: parameter ``"0.weight"`` of the networks becomes ``"0__weight"`` of shape (S, ...).
    ``forward(x)`` takes inputs (B, ...) shared by all networks (or (S, B, ...) for an MLP) and
    returns outputs (S, B, ...).

    A plain MLP (Linear layers and element-wise activations) runs with one batched matrix
    product per layer, h <- h W^T + b for all S networks at once (``torch.baddbmm``); any other
    architecture runs each network's slice with ``torch.func.vmap`` over ``functional_call``, and
    in training mode updates each network's slice of the stacked buffers (batch norm's running
    statistics), as the network alone would. Summing the S losses before ``backward`` gives each
    network exactly the gradient of its own loss, so an element-wise optimizer trains the S
    networks independently, as S sequential runs would (``train.fit_batched`` does this).
    """

    def __init__(self, make_model: Callable[[], nn.Module], seeds: Sequence[int]):
        super().__init__()
        nets = []
        for seed in seeds:
            utils.manual_seed(seed)
            nets.append(make_model())
        if not nets:
            raise ValueError("Invalid seeds: none given (need one network per seed)")
        self._set_up(nets)

    @classmethod
    def from_models(cls, nets: Sequence[nn.Module]) -> StackedModels:
        """Stack existing networks of one architecture (their current weights, copied)."""
        stacked = cls.__new__(cls)
        nn.Module.__init__(stacked)
        shapes = {tuple((k, v.shape) for k, v in net.state_dict().items()) for net in nets}
        if len(shapes) != 1:
            raise ValueError("Invalid models: they must all have the same layers and shapes")
        stacked._set_up(list(nets))
        return stacked

    def _set_up(self, nets: list[nn.Module]) -> None:
        self._template = [copy.deepcopy(nets[0])]  # a list keeps it out of the module tree
        params, buffers = stack_module_state(nets)
        self.names, self.buffer_names = list(params), list(buffers)
        for name, value in params.items():
            self.register_parameter(name.replace(".", "__"), nn.Parameter(value.detach().clone()))
        for name, value in buffers.items():
            self.register_buffer(name.replace(".", "__"), value.clone())
        template = self._template[0]
        self.is_mlp = isinstance(template, nn.Sequential) and all(
            isinstance(m, _ELEMENTWISE) or (isinstance(m, nn.Linear) and m.bias is not None)
            for m in template
        )

    @property
    def n_models(self) -> int:
        return len(next(iter(self.stacked_params().values())))

    def stacked_params(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name.replace(".", "__")) for name in self.names}

    def stacked_buffers(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name.replace(".", "__")) for name in self.buffer_names}

    def call(self, params: dict, buffers: dict, x: torch.Tensor) -> torch.Tensor:
        """All networks at the given stacked parameters and buffers, in this module's mode."""
        template = self._template[0]
        template.train(self.training)

        def one(p, b):
            return functional_call(template, (p, b), (x,))

        return vmap(one, randomness="different")(params, buffers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.is_mlp:
            return self.call(self.stacked_params(), self.stacked_buffers(), x)
        h = x.expand(self.n_models, *x.shape) if x.dim() == 2 else x
        for index, layer in enumerate(self._template[0]):
            if isinstance(layer, nn.Linear):
                W, b = getattr(self, f"{index}__weight"), getattr(self, f"{index}__bias")
                h = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))  # h W^T + b, per network
            else:
                h = layer(h)
        return h

    def unstack(self, s: int) -> nn.Module:
        """Network s as an ordinary module (a copy of its parameters and buffers)."""
        net = copy.deepcopy(self._template[0])
        state = {n: v[s] for n, v in {**self.stacked_params(), **self.stacked_buffers()}.items()}
        net.load_state_dict({n: v.detach().clone() for n, v in state.items()})
        return net.train(self.training)


def stacked_mlp(
    widths: Sequence[int], n_models: int, activation: str = "relu", seed: int = 0
) -> StackedModels:
    """S = ``n_models`` MLPs ``mlp(widths, activation)`` stacked; network s is initialised like
    ``mlp(widths)`` after ``nnlib.utils.manual_seed(seed + s)``."""
    n_models = check_positive_int("n_models", n_models)
    make_activation(activation)
    return StackedModels(lambda: mlp(widths, activation=activation), range(seed, seed + n_models))


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
