r"""Batch normalization (Ioffe and Szegedy 2015) and batch renormalization (Ioffe 2017).

For each feature (channel) c, over the m values of the batch (and the spatial positions)::

    μ_B = (1/m) ∑ᵢ xᵢ,   σ_B² = (1/m) ∑ᵢ (xᵢ - μ_B)²,   x̂ᵢ = (xᵢ - μ_B) / √(σ_B² + ε),
    yᵢ = γ x̂ᵢ + δ

(:func:`batch_norm`; gamma and delta are torch's ``weight`` and ``bias``).

In training mode the batch statistics are used and running averages are updated
(:func:`running_average`), ``running = (1 - momentum) running + momentum batch_stat``, with the
*unbiased* variance
m / (m - 1) sigma_B^2 (``momentum=None``: a cumulative average over all batches seen). In eval
mode the running statistics replace the batch ones, so an example's output no longer depends on
the rest of its batch. Parameter and buffer names match torch's, so state dicts load either way.
"""

from __future__ import annotations

import torch
from torch import nn

from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchRenorm1d",
    "batch_norm",
    "batch_norm_input_grad",
    "checked_statistics_args",
    "register_affine",
    "register_running_stats",
    "running_average",
    "scale_shift",
]


def register_affine(
    module: nn.Module, num_features, affine: bool, bias: bool = True, **factory
) -> None:
    """Per-feature scale ``weight`` (ones) and shift ``bias`` (zeros), or None, as torch's
    normalization layers register them (so state dicts line up). ``bias=False`` keeps the scale
    alone; ``factory`` is torch's ``device`` and ``dtype``."""
    if affine:
        module.weight = nn.Parameter(torch.ones(num_features, **factory))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = nn.Parameter(torch.zeros(num_features, **factory))
    else:
        module.register_parameter("bias", None)


def register_running_stats(
    module: nn.Module, num_features: int, track_running_stats: bool, device=None, dtype=None
) -> None:
    """Buffers ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (0),
    or None for all three, as torch's batch and instance norm register them."""
    if track_running_stats:
        module.register_buffer(
            "running_mean", torch.zeros(num_features, device=device, dtype=dtype)
        )
        module.register_buffer("running_var", torch.ones(num_features, device=device, dtype=dtype))
        module.register_buffer("num_batches_tracked", torch.tensor(0, device=device))
    else:
        module.register_buffer("running_mean", None)
        module.register_buffer("running_var", None)
        module.register_buffer("num_batches_tracked", None)


def checked_statistics_args(num_features: int, eps: float, momentum: float | None):
    """(num_features, eps, momentum) checked as torch's batch and instance norm accept them."""
    num_features = check_positive_int("num_features", num_features)
    eps = check_positive("eps", eps, allow_zero=True)
    if momentum is not None:
        momentum = check_fraction("momentum", momentum, closed=True)
    return num_features, eps, momentum


def batch_norm(x, mean, var, weight, bias, eps: float, channel_dim: int = 1) -> torch.Tensor:
    r"""Normalize with the given statistics, then scale and shift::

        x̂ = (x - μ) / √(σ² + ε),    y = γ x̂ + δ

    ``mean`` and ``var`` (shape (C,)) broadcast along ``channel_dim``; ``weight`` (gamma) and
    ``bias`` (delta) may each be None (no scale, no shift).
    """
    shape = [1] * x.dim()
    shape[channel_dim] = -1
    x_hat = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + eps)
    return scale_shift(x_hat, weight, bias, channel_dim)


def scale_shift(x_hat, weight, bias, channel_dim: int = 1) -> torch.Tensor:
    """gamma x_hat + delta per channel along ``channel_dim``; a None ``weight`` or ``bias`` is
    left out (``affine=False``, ``bias=False``)."""
    shape = [1] * x_hat.dim()
    shape[channel_dim] = -1
    if weight is not None and bias is not None:
        return torch.addcmul(bias.view(shape), x_hat, weight.view(shape))  # delta + gamma x_hat
    if weight is not None:
        return x_hat * weight.view(shape)
    if bias is not None:
        return x_hat + bias.view(shape)
    return x_hat


def running_average(
    running: torch.Tensor,
    batch_value: torch.Tensor,
    momentum: float | None,
    num_batches: int | torch.Tensor,
) -> torch.Tensor:
    r"""The running statistic after one more batch: returns the new running value::

        rₜ = (1 - ρₜ) rₜ₋₁ + ρₜ sₜ,    ρₜ = momentum, or 1 / t when momentum is None

    where s_t is the batch's statistic and t = ``num_batches`` counts the batches seen, this one
    included. ``momentum=None`` makes r_t the plain mean of s_1 .. s_t (a cumulative average; what
    ``torch.optim.swa_utils.update_bn`` uses). Note: torch's momentum is the weight of the *new*
    value, the opposite of an optimizer's momentum.
    """
    rho = 1.0 / num_batches if momentum is None else momentum
    return (1 - rho) * running + rho * batch_value


def batch_norm_input_grad(
    dy: torch.Tensor, x: torch.Tensor, gamma: torch.Tensor, eps: float = 1e-5
):
    r"""dL/dx of training-mode batch norm for inputs (B, C), derived by hand.

    Every output depends on every input of its channel through mu_B and sigma_B, which gives::

        ∂L/∂xᵢ = γ / (B σ) · (B gᵢ - ∑ⱼ gⱼ - x̂ᵢ ∑ⱼ gⱼ x̂ⱼ),    g = ∂L/∂y,  σ = √(σ_B² + ε).

    The two sums remove the components of the gradient that would only shift or rescale the batch,
    which normalization undoes anyway.
    """
    batch = x.shape[0]  # B
    sigma = torch.sqrt(x.var(dim=0, unbiased=False) + eps)
    x_hat = (x - x.mean(dim=0)) / sigma
    sum_g = dy.sum(dim=0)
    sum_g_xhat = (dy * x_hat).sum(dim=0)
    return gamma / (batch * sigma) * (batch * dy - sum_g - x_hat * sum_g_xhat)


class _BatchNorm(nn.modules.batchnorm._BatchNorm):
    """Shared code of BatchNorm1d and BatchNorm2d.

    It subclasses torch's ``_BatchNorm`` only so that tools that look for batch-norm layers by
    type (``torch.optim.swa_utils.update_bn``, ``nnlib.transfer.freeze_bn_statistics``) find it;
    registration, statistics and the forward pass are written here.
    """

    expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        nn.Module.__init__(self)
        self.num_features, self.eps, self.momentum = checked_statistics_args(
            num_features, eps, momentum
        )
        self.affine, self.track_running_stats = affine, track_running_stats
        # parameters weight (gamma, ones) and bias (delta, zeros); buffers running_mean (zeros),
        # running_var (ones) and num_batches_tracked, as torch registers them
        register_affine(self, num_features, affine, bias, device=device, dtype=dtype)
        register_running_stats(self, num_features, track_running_stats, device=device, dtype=dtype)

    def reset_running_stats(self) -> None:
        """Running mean 0, variance 1, no batches seen (what update_bn calls first)."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            nn.init.ones_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() not in self.expected_dims:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: expected {self.expected_dims}-D input"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: "
                f"expected {self.num_features} channels in dim 1"
            )

    def _check(self, x: torch.Tensor) -> tuple[int, ...]:
        self._check_input_dim(x)
        return (0, *range(2, x.dim()))

    @torch.no_grad()
    def _update_running(self, mean, var, count: int, unbiased: bool = True) -> None:
        self.num_batches_tracked += 1
        t = self.num_batches_tracked  # a tensor, not .item(): the layer also runs under vmap
        if unbiased:
            var = var * count / (count - 1)
        self.running_mean.copy_(running_average(self.running_mean, mean, self.momentum, t))
        self.running_var.copy_(running_average(self.running_var, var, self.momentum, t))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = self._check(x)
        use_batch_stats = self.training or not self.track_running_stats
        if not use_batch_stats:
            return batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, self.eps
            )
        count = x.numel() // self.num_features
        if self.training and count <= 1:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: batch norm needs more than one value "
                "per channel in training mode"
            )
        var, mean = torch.var_mean(x, dim=dims, correction=0)  # the biased variance normalises
        if self.training and self.track_running_stats:
            self._update_running(mean.detach(), var.detach(), count)
        return batch_norm(x, mean, var, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over inputs (N, C) or (N, C, L); statistics per channel C."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over images (N, C, H, W); statistics per channel over N, H and W."""

    expected_dims = (4,)


class BatchRenorm1d(BatchNorm1d):
    """Batch renormalization (Ioffe 2017) for inputs (N, C) or (N, C, L), per channel.

    Training uses x_hat = (x - mu_B) / sigma_B * r + d, with r = clip(sigma_B / sigma, 1/r_max,
    r_max) and d = clip((mu_B - mu) / sigma, -d_max, d_max) treated as constants (no gradient),
    where mu and sigma are the running statistics. With r = 1 and d = 0 (r_max = 1, d_max = 0) it
    is batch norm; as the running statistics settle, training and evaluation see the same
    normalization, which removes batch norm's dependence on small or unrepresentative batches.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.01,
        r_max: float = 3.0,
        d_max: float = 5.0,
        affine: bool = True,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats=True)
        if r_max < 1:
            raise ValueError(f"Invalid r_max: {r_max} (must be >= 1)")
        self.r_max = r_max
        self.d_max = check_positive("d_max", d_max, allow_zero=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        dims = self._check(x)
        count = x.numel() // self.num_features
        if count <= 1:
            raise ValueError(
                f"Invalid input of shape {tuple(x.shape)}: need more than one value per channel"
            )
        mean = x.mean(dim=dims)
        std = torch.sqrt(x.var(dim=dims, unbiased=False) + self.eps)
        with torch.no_grad():
            running_std = torch.sqrt(self.running_var + self.eps)
            r = (std / running_std).clamp(1 / self.r_max, self.r_max)
            d = ((mean - self.running_mean) / running_std).clamp(-self.d_max, self.d_max)
        # averages the biased sigma_B^2 itself, no unbiasing (Ioffe 2017's Algorithm 1 averages
        # sigma_B; the two differ at small B, see lecture 4b)
        self._update_running(mean.detach(), std.detach() ** 2 - self.eps, count, unbiased=False)
        shape = [1, -1] + [1] * (x.dim() - 2)
        x_hat = (x - mean.view(shape)) / std.view(shape) * r.view(shape) + d.view(shape)
        return scale_shift(x_hat, self.weight, self.bias)
