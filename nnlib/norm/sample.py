"""Normalizations that use each example's own statistics (lecture 4), so their output does not
depend on the batch: layer norm (Ba et al. 2016), group norm (Wu and He 2018) and instance norm
(Ulyanov et al. 2016). For an input (N, C, *spatial) they average over

* ``LayerNorm``: all of C and the spatial positions (the last ``len(normalized_shape)`` dims);
* ``GroupNorm``: each group of C / G channels and the spatial positions;
* ``InstanceNorm``: each channel's spatial positions alone.

All normalise with the biased variance and behave the same in training and evaluation, except
instance norm with ``track_running_stats=True``, which (as torch's) keeps running averages of the
per-example statistics and uses them in evaluation.
"""

from __future__ import annotations

import torch
from torch import nn

from nnlib.norm.batch import (
    _BatchNorm,
    batch_norm,
    register_affine,
    running_average,
    scale_shift,
)
from nnlib.utils import check_positive, check_positive_int

__all__ = ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "LayerNorm"]


def _normalize(x: torch.Tensor, dims, eps: float) -> torch.Tensor:
    """(x - mean) / sqrt(var + eps), statistics over ``dims`` of each example (biased var)."""
    var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
    return (x - mean) * torch.rsqrt(var + eps)


class LayerNorm(nn.Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last dims ``normalized_shape``."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(
            check_positive_int("normalized_shape", n) for n in normalized_shape
        )
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.elementwise_affine = elementwise_affine
        register_affine(
            self, self.normalized_shape, elementwise_affine, bias, device=device, dtype=dtype
        )

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

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        self.num_groups = check_positive_int("num_groups", num_groups)
        self.num_channels = check_positive_int("num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(
                f"Invalid num_groups: {num_groups} does not divide num_channels={num_channels}"
            )
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.affine = affine
        register_affine(self, num_channels, affine, bias, device=device, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: expected {self.num_channels} channels"
            )
        grouped = x.reshape(x.shape[0], self.num_groups, -1)
        y = _normalize(grouped, (2,), self.eps).reshape(x.shape)
        return scale_shift(y, self.weight, self.bias)


class _InstanceNorm(nn.modules.instancenorm._InstanceNorm):
    """Shared code of InstanceNorm1d and InstanceNorm2d (torch's base class only for isinstance
    checks; everything is written here)."""

    expected_dims = 3

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        # the same attributes, parameters and buffers as batch norm; off by default here
        _BatchNorm.__init__(
            self, num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != self.expected_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: expected {self.expected_dims}-D input "
                f"with {self.num_features} channels"
            )
        dims = tuple(range(2, x.dim()))
        if self.track_running_stats and not self.training:
            return batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, self.eps
            )
        if self.track_running_stats:
            self._update_running(x, dims)
        return scale_shift(_normalize(x, dims, self.eps), self.weight, self.bias)

    @torch.no_grad()
    def _update_running(self, x: torch.Tensor, dims) -> None:
        """Running averages of the per-example statistics, averaged over the batch (the variance
        unbiased over each example's positions), as torch's instance norm keeps them.

        Note, as in torch: ``num_batches_tracked`` stays 0 and ``momentum=None`` means 0 (the
        statistics never move), not a cumulative average."""
        var, mean = torch.var_mean(x, dim=dims, correction=1)
        rho = self.momentum or 0.0
        self.running_mean.copy_(running_average(self.running_mean, mean.mean(0), rho, 1))
        self.running_var.copy_(running_average(self.running_var, var.mean(0), rho, 1))


class InstanceNorm1d(_InstanceNorm):
    """Instance norm for (N, C, L): each example's channel normalised over L."""

    expected_dims = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance norm for (N, C, H, W): each example's channel normalised over H and W."""

    expected_dims = 4
