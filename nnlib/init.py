"""Weight initialization schemes, with torch.nn.init's names, signatures and fan computation
(lecture 3).

Why the scales: for a layer y = W v with independent zero-mean weights and inputs,
Var(y_i) = d_in Var(w) Var(v). Keeping the variance of activations constant through the forward
pass asks for Var(w) = 1 / d_in (LeCun), through the backward pass for Var(w) = 1 / d_out; Xavier
(Glorot) compromises on Var(w) = 2 / (d_in + d_out). ReLU zeroes half of its inputs, so Kaiming (He)
doubles the variance: Var(w) = 2 / d_in. A nonlinearity's ``gain`` folds such factors in.

========================  ==========================================================
scheme                    distribution
========================  ==========================================================
``xavier_uniform_``       U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))
``xavier_normal_``        N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out))
``kaiming_uniform_``      U(-b, b), b = gain sqrt(3 / fan)
``kaiming_normal_``       N(0, std^2), std = gain / sqrt(fan)
``lecun_normal_``         N(0, 1 / fan_in)
``fan_in_uniform_``       U(-1 / sqrt(fan_in), 1 / sqrt(fan_in)) (the classic heuristic)
``orthogonal_``           a (semi-)orthogonal matrix from the QR decomposition of a Gaussian one
``sparse_``               N(0, std^2) with a fraction ``sparsity`` of each column set to zero
``defazio_bottou_``       N(0, c / sqrt(fan_in fan_out))
``trunc_normal_``         N(mean, std^2) truncated to [a, b] (small-scale "fuzz")
========================  ==========================================================

Fans follow torch: for a weight of shape (out, in, *kernel), fan_in = in * prod(kernel) and
fan_out = out * prod(kernel). Every function fills its tensor in place (no gradient recorded)
and returns it; with the same ``generator`` state the random ones draw exactly the numbers
torch.nn.init draws, except ``trunc_normal_`` (torch samples by rejection, we invert the CDF: the
same distribution, other numbers) and ``sparse_`` (torch does not pass the generator to its
permutations).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nnlib import models, utils
from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = [
    "SCHEMES",
    "calculate_gain",
    "constant_",
    "defazio_bottou_",
    "fan_in_and_fan_out",
    "fan_in_uniform_",
    "init_model",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "normal_",
    "ones_",
    "orthogonal_",
    "output_bias_from_priors",
    "predicted_linear_std",
    "predicted_relu_std",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_GAIN_ONE = {
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``: 1 (linear, conv, sigmoid), 5/3 (tanh),
    sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu, default slope 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR_GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, int | float):
            raise ValueError(f"Invalid negative_slope: {slope!r} (must be a number)")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Invalid nonlinearity: {nonlinearity!r}")


def fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if tensor.dim() < 2:
        raise ValueError(
            f"Invalid tensor with {tensor.dim()} dimension(s): fan in and fan out need at least 2"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor: torch.Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Invalid mode: {mode!r} (must be 'fan_in' or 'fan_out')")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


@torch.no_grad()
def zeros_(tensor: torch.Tensor) -> torch.Tensor:
    """W = 0: every unit computes the same thing, so symmetry is never broken."""
    return tensor.zero_()


@torch.no_grad()
def ones_(tensor: torch.Tensor) -> torch.Tensor:
    """W = 1."""
    return tensor.fill_(1.0)


@torch.no_grad()
def constant_(tensor: torch.Tensor, val: float) -> torch.Tensor:
    """W = val."""
    return tensor.fill_(val)


@torch.no_grad()
def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None) -> torch.Tensor:
    """W ~ U(a, b)."""
    if not a <= b:
        raise ValueError(f"Invalid bounds: a={a} > b={b}")
    return tensor.uniform_(a, b, generator=generator)


@torch.no_grad()
def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> torch.Tensor:
    """W ~ N(mean, std^2)."""
    check_positive("std", std, allow_zero=True)
    return tensor.normal_(mean, std, generator=generator)


@torch.no_grad()
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None) -> torch.Tensor:
    """N(mean, std^2) conditioned on [a, b], by inverting the normal CDF on a uniform draw."""
    check_positive("std", std)
    if not a < b:
        raise ValueError(f"Invalid bounds: a={a} must be below b={b}")

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    tensor.uniform_(2 * low - 1, 2 * high - 1, generator=generator)
    tensor.erfinv_()
    tensor.mul_(std * math.sqrt(2.0))
    tensor.add_(mean)
    return tensor.clamp_(min=a, max=b)


@torch.no_grad()
def xavier_uniform_(tensor, gain: float = 1.0, generator=None) -> torch.Tensor:
    """W ~ U(-b, b), b = gain sqrt(6 / (fan_in + fan_out)): Var W = gain^2 2 / (fan_in + fan_out)
    (Glorot and Bengio 2010)."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return tensor.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def xavier_normal_(tensor, gain: float = 1.0, generator=None) -> torch.Tensor:
    """W ~ N(0, gain^2 2 / (fan_in + fan_out)) (Glorot and Bengio 2010)."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return tensor.normal_(0.0, std, generator=generator)


@torch.no_grad()
def kaiming_uniform_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
) -> torch.Tensor:
    """W ~ U(-b, b), b = gain sqrt(3 / fan): Var W = gain^2 / fan, gain sqrt(2) for ReLU
    (He et al. 2015)."""
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(tensor, mode))
    return tensor.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def kaiming_normal_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
) -> torch.Tensor:
    """W ~ N(0, gain^2 / fan), gain sqrt(2) for ReLU (He et al. 2015)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return tensor.normal_(0.0, std, generator=generator)


@torch.no_grad()
def lecun_normal_(tensor, generator=None) -> torch.Tensor:
    """N(0, 1 / fan_in) (LeCun et al. 1998): unit-variance outputs for unit-variance inputs."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    return tensor.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=generator)


@torch.no_grad()
def fan_in_uniform_(tensor, generator=None) -> torch.Tensor:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): the classic heuristic; variance 1 / (3 fan_in)."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    bound = 1.0 / math.sqrt(fan_in)
    return tensor.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def orthogonal_(tensor, gain: float = 1, generator=None) -> torch.Tensor:
    """A (semi-)orthogonal matrix (Saxe et al. 2014): W W^T = gain^2 I when rows <= columns."""
    if tensor.dim() < 2:
        raise ValueError("Invalid tensor: orthogonal_ needs at least 2 dimensions")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
    if rows < cols:
        flattened.t_()
    q, r = torch.linalg.qr(flattened)
    q *= torch.diag(r, 0).sign()  # make the decomposition unique, so q is uniformly distributed
    if rows < cols:
        q.t_()
    tensor.view_as(q).copy_(q)
    return tensor.mul_(gain)


@torch.no_grad()
def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None) -> torch.Tensor:
    """Martens (2010): Gaussian weights with ceil(sparsity * rows) zeros in every column."""
    if tensor.dim() != 2:
        raise ValueError("Invalid tensor: sparse_ takes a 2-D tensor")
    check_fraction("sparsity", sparsity, closed=True)
    check_positive("std", std, allow_zero=True)
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    tensor.normal_(0, std, generator=generator)
    # each column's zeros: the first num_zeros rows of a random permutation of its rows
    permutations = torch.rand(rows, cols, generator=generator).argsort(dim=0).to(tensor.device)
    return tensor.scatter_(0, permutations[:num_zeros], 0.0)


@torch.no_grad()
def defazio_bottou_(tensor, c: float = 2.0, generator=None) -> torch.Tensor:
    """N(0, c / sqrt(fan_in fan_out)) (Defazio and Bottou 2019): the geometric mean of the
    forward (c / fan_in) and backward (c / fan_out) variances."""
    check_positive("c", c)
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return tensor.normal_(0.0, math.sqrt(c / math.sqrt(fan_in * fan_out)), generator=generator)


SCHEMES = {
    "default": None,  # keep PyTorch's layer defaults
    "zeros": lambda w, g: zeros_(w),
    "constant": lambda w, g: constant_(w, 0.5),
    "tiny normal": lambda w, g: normal_(w, 0.0, 0.01, generator=g),
    "normal": lambda w, g: normal_(w, 0.0, 1.0, generator=g),
    "fan-in uniform": lambda w, g: fan_in_uniform_(w, generator=g),
    "lecun": lambda w, g: lecun_normal_(w, generator=g),
    "xavier": lambda w, g: xavier_normal_(w, generator=g),
    "xavier tanh": lambda w, g: xavier_normal_(w, gain=calculate_gain("tanh"), generator=g),
    "kaiming": lambda w, g: kaiming_normal_(w, nonlinearity="relu", generator=g),
    "orthogonal": lambda w, g: orthogonal_(w, generator=g),
    # Martens: few non-zero incoming weights, scaled so that the variance is preserved
    "sparse": lambda w, g: sparse_(w, sparsity=0.9, std=math.sqrt(10.0 / w.shape[1]), generator=g),
    "defazio-bottou": lambda w, g: defazio_bottou_(w, generator=g),
    "fuzz": lambda w, g: trunc_normal_(w, std=0.02, a=-0.04, b=0.04, generator=g),
}


def init_model(model: nn.Module, scheme: str, bias: float = 0.0, seed: int = 0) -> nn.Module:
    """Initialise every Linear and Conv weight of ``model`` with ``scheme`` (a key of ``SCHEMES``)
    and set every bias to ``bias``. The stacked weights (S, out, in) of
    :class:`nnlib.models.StackedModels` are initialised network by network."""
    if scheme not in SCHEMES:
        raise ValueError(f"Invalid scheme: {scheme!r} (choose from {sorted(SCHEMES)})")
    fill = SCHEMES[scheme]
    stacked = isinstance(model, models.StackedModels)
    generator = utils.generator(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.fill_(bias)
            elif fill is not None and p.dim() >= 2 + stacked:
                for w in p if stacked else [p]:
                    fill(w, generator)
    return model


@torch.no_grad()
def output_bias_from_priors(layer: nn.Linear, class_frequencies) -> nn.Linear:
    """Set the output bias to log p_k so that softmax(bias) reproduces the class frequencies:
    the initial prediction is the prior, and the initial loss is its entropy."""
    p = torch.as_tensor(class_frequencies, dtype=layer.bias.dtype)
    if p.shape != layer.bias.shape or (p <= 0).any():
        raise ValueError(f"Invalid class_frequencies: need {layer.bias.numel()} positive numbers")
    layer.bias.copy_(torch.log(p / p.sum()))
    return layer


def predicted_linear_std(k: int, sigma: float, width: int, input_std: float = 1.0) -> float:
    """Std of the activations after k linear layers of width ``width`` with N(0, sigma^2)
    weights and zero biases: each layer multiplies the variance by width * sigma^2, so
    std_k = input_std * (sigma sqrt(width))^k. Above 1 it explodes, below 1 it vanishes."""
    return input_std * (sigma * math.sqrt(width)) ** k


def predicted_relu_std(k: int, sigma: float, width: int, input_std: float = 1.0) -> float:
    """Std of the pre-activations of hidden layer k of a ReLU MLP whose layers (input included)
    all have ``width`` units, with N(0, sigma^2) weights, zero biases and zero-mean inputs of
    std ``input_std``.

    Layer 1 sees the raw inputs: Var(z_1) = width sigma^2 input_std^2. Every later layer sees
    ReLU outputs, whose second moment is E[relu(z)^2] = Var(z) / 2 for symmetric z, so
    Var(z_{l+1}) = width sigma^2 Var(z_l) / 2. Kaiming's sigma^2 = 2 / width makes the factor 1.
    """
    check_positive_int("k", k)
    variance = width * sigma**2 * input_std**2 * (width * sigma**2 / 2) ** (k - 1)
    return math.sqrt(variance)
