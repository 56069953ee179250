"""Activation functions and their derivatives, written out (lecture 2).

Each entry is (f, f') as plain tensor functions:

* sign: f' = 0 almost everywhere, so no gradient flows through it;
* sigmoid s(x) = 1 / (1 + e^-x), s' = s (1 - s) <= 1/4: saturates for |x| large, outputs not
  zero-centred (always positive);
* tanh, tanh' = 1 - tanh^2 <= 1: zero-centred, still saturates;
* ReLU max(0, x), f' = 1[x > 0]: no saturation for x > 0, zero gradient for x < 0;
* leaky ReLU max(a x, x), f' = 1 or a: a small gradient everywhere.
"""

from __future__ import annotations

import torch

__all__ = ["ACTIVATIONS", "derivative", "leaky_relu", "relu", "sigmoid", "sign", "tanh"]


def sign(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x)


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-x))


def tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x)


def relu(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(x, min=0)


def leaky_relu(x: torch.Tensor, slope: float = 0.01) -> torch.Tensor:
    return torch.where(x > 0, x, slope * x)


def _sigmoid_prime(x):
    s = sigmoid(x)
    return s * (1 - s)


ACTIVATIONS = {
    "sign": (sign, lambda x: torch.zeros_like(x)),
    "sigmoid": (sigmoid, _sigmoid_prime),
    "tanh": (tanh, lambda x: 1 - torch.tanh(x) ** 2),
    "relu": (relu, lambda x: (x > 0).to(x.dtype)),
    "leaky_relu": (leaky_relu, lambda x: torch.where(x > 0, 1.0, 0.01).to(x.dtype)),
}


def derivative(name: str, x: torch.Tensor) -> torch.Tensor:
    """f'(x) for the activation ``name`` (the value at a kink is that of the right-hand side...
    except ReLU's f'(0) = 0, which is what PyTorch uses too)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"Invalid activation: {name!r} (choose from {sorted(ACTIVATIONS)})")
    return ACTIVATIONS[name][1](x)
