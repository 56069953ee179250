"""Gradient clipping, matching torch.nn.utils (lecture 3).

* by norm: if the total norm ||g|| = (sum over all parameters of ||g_p||^p)^(1/p) exceeds
  ``max_norm``, scale every gradient by max_norm / (||g|| + 1e-6). The direction is kept; only
  the step length is capped (Pascanu et al. 2013), which tames the huge steps taken at cliffs.
* by value: clamp every gradient entry to [-clip_value, clip_value] (changes the direction).
"""

from __future__ import annotations

import math

import torch

from nnlib.utils import check_positive

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@torch.no_grad()
def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> torch.Tensor:
    """Scale gradients in place so that their total norm is at most ``max_norm``; returns the
    total norm before clipping. ``norm_type`` may be ``inf``."""
    check_positive("max_norm", max_norm, allow_zero=True)
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    if norm_type == math.inf:
        total = torch.stack([g.abs().max() for g in grads]).max()
    else:
        total = torch.stack([g.norm(norm_type) for g in grads]).norm(norm_type)
    if error_if_nonfinite and not torch.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} of the gradients is non-finite")
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale)
    return total


@torch.no_grad()
def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value], in place."""
    check_positive("clip_value", clip_value, allow_zero=True)
    for g in _grads(parameters):
        g.clamp_(-clip_value, clip_value)
