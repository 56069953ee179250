"""Output losses and their matching output activations, written out (lecture 2).

=====================  =====================  ==========================================
task                   output activation      loss
=====================  =====================  ==========================================
regression             identity               MSE mean (y_hat - y)^2, or L1 mean |y_hat - y|
binary classification  sigmoid                BCE -[y log p + (1 - y) log(1 - p)]
K classes              softmax                cross-entropy -log p_y (= KL to a one-hot target)
a target distribution  softmax                KL(q || p) = sum q (log q - log p)
=====================  =====================  ==========================================

Losses that take logits fold the output activation in, for numerical stability
(log-sum-exp instead of log(softmax)). Label smoothing replaces the one-hot target by
q = (1 - eps) one_hot(y) + eps / K.
"""

from __future__ import annotations

import torch

from nnlib.utils import check_fraction

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "kl_divergence",
    "l1_loss",
    "log_softmax",
    "mse_loss",
    "per_model_loss",
]


def _check_same_shape(prediction: torch.Tensor, target: torch.Tensor) -> None:
    """No silent broadcasting: (N,) against (N, 1) would average an N x N table of errors."""
    if prediction.shape != target.shape:
        raise ValueError(
            f"Invalid shapes: prediction {tuple(prediction.shape)} and target "
            f"{tuple(target.shape)} must be equal"
        )


def mse_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean (y_hat - y)^2."""
    _check_same_shape(prediction, target)
    return ((prediction - target) ** 2).mean()


def l1_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean |y_hat - y|: less sensitive to outliers than MSE."""
    _check_same_shape(prediction, target)
    return (prediction - target).abs().mean()


def binary_cross_entropy_with_logits(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean -[y log s(z) + (1 - y) log(1 - s(z))].

    Computed stably as max(z, 0) - z y + log(1 + e^-|z|)."""
    _check_same_shape(logits, target)
    return (logits.clamp(min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).mean()


def log_softmax(logits: torch.Tensor) -> torch.Tensor:
    """log p_k = z_k - log sum_j e^{z_j}, with the maximum subtracted first (log-sum-exp)."""
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0):
    r"""Mean over examples of -sum_k q_k log p_k: the one cross-entropy of nnlib.

    ``target`` holds class indices (N,) or class probabilities (N, C). With label smoothing s
    (Szegedy et al. 2016; ``label_smoothing``), q = (1 - s) onehot(y) + s / C, which gives::

        L = (1 - s) (-log p_y) + (s / C) ∑ₖ₌₁..C (-log pₖ),

    equal to ``F.cross_entropy(logits, target, label_smoothing=s)`` (soft targets are smoothed
    the same way, as in torch).
    """
    label_smoothing = check_fraction("label_smoothing", label_smoothing, closed=True)
    if logits.ndim != 2 or target.shape not in (logits.shape[:1], logits.shape):
        raise ValueError(
            f"Invalid shapes: logits {tuple(logits.shape)} must be (N, C) and target "
            f"{tuple(target.shape)} must be (N,) or (N, C)"
        )
    classes = logits.shape[-1]
    if target.is_floating_point():
        q = target.to(logits.dtype)
    else:
        q = torch.nn.functional.one_hot(target, classes).to(logits.dtype)
    q = (1 - label_smoothing) * q + label_smoothing / classes
    return -(q * log_softmax(logits)).sum(dim=-1).mean()


def kl_divergence(log_p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(q || p) = sum q (log q - log p), summed over classes and averaged over examples
    (terms with q = 0 contribute 0); ``log_p`` are the model's log-probabilities."""
    _check_same_shape(log_p, q)
    terms = torch.where(q > 0, q * (torch.log(q.clamp_min(1e-300)) - log_p), torch.zeros_like(q))
    return terms.sum(dim=-1).mean()


def per_model_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of each network: logits (S, B, C), targets (B,) shared by all networks
    or (S, B), one batch per network (e.g. a different data order per seed) -> losses (S,)."""
    if logits.ndim != 3 or targets.shape not in (logits.shape[1:2], logits.shape[:2]):
        raise ValueError(
            f"Invalid shapes: logits {tuple(logits.shape)} must be (S, B, C) and targets "
            f"{tuple(targets.shape)} must be (B,) or (S, B)"
        )
    n_models, batch, classes = logits.shape
    targets = targets.repeat(n_models) if targets.ndim == 1 else targets.reshape(-1)
    flat = torch.nn.functional.cross_entropy(logits.reshape(-1, classes), targets, reduction="none")
    return flat.view(n_models, batch).mean(dim=1)
