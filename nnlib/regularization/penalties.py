r"""Explicit penalties on the weights: L2 (weight decay), L1 and the elastic net.

The regularized objective is L̃(w) = L(w) + Ω(w) with::

    Ω_L2(w) = (λ/2) ‖w‖₂²,    Ω_L1(w) = λ ‖w‖₁,    Ω_EN(w) = λ₁ ‖w‖₁ + (λ₂/2) ‖w‖₂².

The factor 1/2 on L2 makes its gradient λ w, so adding ``l2_penalty(params, lam)``
to the loss and training with SGD equals ``torch.optim.SGD(weight_decay=lam)``. Inside Adam the
two differ (the gradient term is rescaled by Adam's denominator); AdamW decays the weights
directly (Loshchilov and Hutter, 2019). L1's subgradient λ sign(w) pushes
every weight towards zero with the same force, which is why it produces sparse weights; its
proximal step, :func:`soft_threshold_`, sets small weights exactly to zero.

By convention only weight matrices and convolution kernels are penalized
(:func:`decay_parameters`), not biases or normalization gains.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from nnlib.utils import check_positive

__all__ = [
    "Penalty",
    "decay_parameters",
    "elastic_net_penalty",
    "l1_penalty",
    "l1_proximal_step",
    "l2_penalty",
    "soft_threshold_",
    "sparsity",
]

Params = nn.Module | Iterable[torch.Tensor]


def decay_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters that are conventionally penalized: those with two or more dimensions
    (linear weights, convolution kernels); biases and norm gains/shifts are left alone."""
    return [p for p in model.parameters() if p.ndim >= 2]


def _params(params: Params) -> list[torch.Tensor]:
    tensors = decay_parameters(params) if isinstance(params, nn.Module) else list(params)
    if not tensors:
        raise ValueError("Invalid params: there are no tensors to penalize")
    return tensors


def l2_penalty(params: Params, strength: float) -> torch.Tensor:
    r"""(λ/2) ∑ᵢ wᵢ² over ``params`` (a module: its weight tensors)."""
    strength = check_positive("strength", strength, allow_zero=True)
    return 0.5 * strength * sum(p.pow(2).sum() for p in _params(params))


def l1_penalty(params: Params, strength: float) -> torch.Tensor:
    r"""λ ∑ᵢ |wᵢ| over ``params`` (a module: its weight tensors)."""
    strength = check_positive("strength", strength, allow_zero=True)
    return strength * sum(p.abs().sum() for p in _params(params))


def elastic_net_penalty(params: Params, l1: float, l2: float) -> torch.Tensor:
    r"""λ₁ ‖w‖₁ + (λ₂/2) ‖w‖₂² (Zou and Hastie, 2005)."""
    tensors = _params(params)
    return l1_penalty(tensors, l1) + l2_penalty(tensors, l2)


class Penalty:
    """A penalty as a callable ``model -> tensor``, for ``nnlib.train.fit(penalty=...)``.

    ``Penalty(l1=0.0, l2=1e-3)`` adds the elastic-net term over ``decay_parameters(model)`` to the
    training loss only (validation losses stay the plain data loss).
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = check_positive("l1", l1, allow_zero=True)
        self.l2 = check_positive("l2", l2, allow_zero=True)

    def __call__(self, model: nn.Module) -> torch.Tensor:
        return elastic_net_penalty(model, self.l1, self.l2)

    def __repr__(self) -> str:
        return f"Penalty(l1={self.l1}, l2={self.l2})"


@torch.no_grad()
def soft_threshold_(params: Params, threshold: float) -> None:
    r"""The proximal step of the L1 penalty, in place:
    w ← sign(w) max(|w| - τ, 0) with τ = ηλ.
    After a gradient step on the data loss it completes one step of proximal gradient descent
    (ISTA); weights smaller than τ become exactly zero."""
    threshold = check_positive("threshold", threshold, allow_zero=True)
    for p in _params(params):
        p.copy_(p.sign() * (p.abs() - threshold).clamp_min(0.0))


def l1_proximal_step(w: torch.Tensor, grad: torch.Tensor, lr: float, l1: float) -> torch.Tensor:
    r"""One step of proximal gradient descent (ISTA) on L(w) + λ ‖w‖₁: a gradient step on the
    data loss, then the L1 proximal step (:func:`soft_threshold_`) with threshold ηλ. Returns a
    new tensor; ``w`` is left unchanged::

        v = w - η ∇L(w),    w⁺ = sign(v) max(|v| - ηλ, 0).
    """
    lr = check_positive("lr", lr)
    l1 = check_positive("l1", l1, allow_zero=True)
    v = (w - lr * grad).detach().clone()
    soft_threshold_([v], lr * l1)
    return v


@torch.no_grad()
def sparsity(params: Params, tol: float = 1e-3) -> float:
    """Fraction of weights with ``|w| <= tol``."""
    tol = check_positive("tol", tol, allow_zero=True)
    tensors = _params(params)
    small = sum(int((p.abs() <= tol).sum()) for p in tensors)
    return small / sum(p.numel() for p in tensors)
