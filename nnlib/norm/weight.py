"""Weight normalization (Salimans and Kingma 2016): w = g v / ||v||.

The direction v and the length g of each output unit's weight vector become separate parameters,
so gradient steps on g change the scale and steps on v only the direction. Implemented as a
``torch.nn.utils.parametrize`` parametrization, with the parameter names torch uses
(``parametrizations.weight.original0`` = g, ``original1`` = v).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = ["WeightNorm", "weight_norm"]


def _norm_except(v: torch.Tensor, dim: int | None) -> torch.Tensor:
    """||v|| over every dim except ``dim``; ``dim=None``: over the whole tensor (as torch)."""
    if dim is None:
        return torch.linalg.vector_norm(v)
    dims = [d for d in range(v.dim()) if d != dim % v.dim()]
    return torch.linalg.vector_norm(v, dim=dims, keepdim=True)


class WeightNorm(nn.Module):
    """The parametrization (g, v) -> g v / ||v||, norms taken over every dim except ``dim``."""

    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = dim

    def forward(self, g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return g * v / _norm_except(v, self.dim)

    def right_inverse(self, weight: torch.Tensor):
        return _norm_except(weight, self.dim), weight


def weight_norm(module: nn.Module, name: str = "weight", dim: int | None = 0) -> nn.Module:
    """Reparametrise ``module.<name>`` as g v / ||v|| in place; returns the module.

    ``dim`` is the dim that keeps one g per slice (0: one per output unit); ``dim=None`` one g for
    the whole tensor. Same signature as ``torch.nn.utils.parametrizations.weight_norm``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, torch.Tensor):
        raise ValueError(
            f"Invalid name: {name!r} is not a tensor attribute of {type(module).__name__}"
        )
    if dim is not None and not -weight.dim() <= dim < weight.dim():
        raise ValueError(f"Invalid dim: {dim} for a {weight.dim()}-D {name!r}")
    parametrize.register_parametrization(module, name, WeightNorm(dim), unsafe=True)
    return module
