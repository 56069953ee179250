"""Normalizations that use each example's own statistics (lecture 4), so their output does not
depend on the batch: layer norm (Ba et al. 2016), group norm (Wu and He 2018) and instance norm
(Ulyanov et al. 2016). For an input (N, C, *spatial) they average over

* ``LayerNorm``: all of C and the spatial positions (the last ``len(normalized_shape)`` dims);
* ``GroupNorm``: each group of C / G channels and the spatial positions;
* ``InstanceNorm``: each channel's spatial positions alone.

All use the biased variance and behave the same in training and evaluation.
"""

from __future__ import annotations

import torch
from torch import nn

from nnlib.norm.batch import register_affine
from nnlib.utils import check_positive, check_positive_int

__all__ = ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm"]


def _normalize(x: torch.Tensor, dims, eps: float) -> torch.Tensor:
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


class LayerNorm(nn.Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last dims ``normalized_shape``."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(
            check_positive_int("normalized_shape", n) for n in normalized_shape
        )
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))
            self.bias = nn.Parameter(torch.zeros(self.normalized_shape)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = len(self.normalized_shape)
        if tuple(x.shape[-k:]) != self.normalized_shape:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: "
                f"its last dims must be {self.normalized_shape}"
            )
        y = _normalize(x, tuple(range(-k, 0)), self.eps)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y


class GroupNorm(nn.Module):
    """Normalise each of ``num_groups`` groups of channels of each example; per-channel affine."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        self.num_groups = check_positive_int("num_groups", num_groups)
        self.num_channels = check_positive_int("num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(
                f"Invalid num_groups: {num_groups} does not divide num_channels={num_channels}"
            )
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.affine = affine
        register_affine(self, num_channels, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: expected {self.num_channels} channels"
            )
        n = x.shape[0]
        grouped = x.reshape(n, self.num_groups, -1)
        y = _normalize(grouped, (2,), self.eps).reshape(x.shape)
        if self.affine:
            shape = [1, -1] + [1] * (x.dim() - 2)
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


class _InstanceNorm(nn.Module):
    expected_dims = 3

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
    ):
        super().__init__()
        if track_running_stats:
            raise ValueError(
                "Invalid track_running_stats: True is not supported by nnlib's instance norm"
            )
        self.num_features = check_positive_int("num_features", num_features)
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.affine = affine
        register_affine(self, num_features, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != self.expected_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: expected {self.expected_dims}-D input "
                f"with {self.num_features} channels"
            )
        y = _normalize(x, tuple(range(2, x.dim())), self.eps)
        if self.affine:
            shape = [1, -1] + [1] * (x.dim() - 2)
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


class InstanceNorm1d(_InstanceNorm):
    """Instance norm for (N, C, L): each example's channel normalised over L."""

    expected_dims = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance norm for (N, C, H, W): each example's channel normalised over H and W."""

    expected_dims = 4
