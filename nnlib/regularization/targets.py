r"""Regularizing the targets: label smoothing and mixup.

Label smoothing (Szegedy et al., 2016) trains against q = (1 - ε) onehot(y) + ε / K, so that::

    L = (1 - ε) (-log p_y) + (ε / K) ∑ₖ₌₁..K (-log pₖ),

which is ``F.cross_entropy(logits, y, label_smoothing=eps)`` and nnlib's one cross-entropy,
:func:`nnlib.losses.cross_entropy`. The model can no longer drive its
logits apart without bound.

Mixup (Zhang et al., 2018) trains on convex combinations of pairs of examples and their labels::

    x̃ = λ xᵢ + (1 - λ) xⱼ,   ỹ = λ onehot(yᵢ) + (1 - λ) onehot(yⱼ),   λ ~ Beta(α, α),

with j a random permutation of the batch; the loss is cross-entropy against the soft target ỹ
(``F.cross_entropy`` accepts class probabilities as targets).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nnlib import utils
from nnlib.losses import cross_entropy
from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = [
    "LabelSmoothingCrossEntropy",
    "Mixup",
    "mix_pairs",
    "mixup",
]


class LabelSmoothingCrossEntropy(nn.Module):
    """Cross-entropy against smoothed targets (:func:`nnlib.losses.cross_entropy` with
    ``label_smoothing=smoothing``). Soft (float) targets of shape (N, K), such as mixup's, are
    passed to plain cross-entropy unsmoothed, so validation losses and mixup batches both work."""

    def __init__(self, smoothing: float = 0.1) -> None:
        super().__init__()
        self.smoothing = check_fraction("smoothing", smoothing, closed=True)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        smoothing = 0.0 if targets.is_floating_point() else self.smoothing
        return cross_entropy(logits, targets, label_smoothing=smoothing)


def mixup(
    x: torch.Tensor,
    y: torch.Tensor,
    alpha: float,
    n_classes: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """One mixup batch: returns (mixed inputs, soft targets (N, K), lambda). One lambda per batch,
    as in the paper; ``generator`` makes the draw reproducible."""
    alpha = check_positive("alpha", alpha)
    n_classes = check_positive_int("n_classes", n_classes)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"Invalid y: shape {tuple(y.shape)}, expected ({len(x)},)")
    u = torch.rand(2, generator=generator, dtype=torch.float64)
    lam = float(_beta_from_uniforms(u, alpha))
    perm = torch.randperm(len(x), generator=generator)
    mixed_x, soft_y = mix_pairs(x, F.one_hot(y, n_classes).to(x.dtype), lam, perm)
    return mixed_x, soft_y, lam


def mix_pairs(
    x: torch.Tensor, soft_targets: torch.Tensor, lam: float, perm: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The mixup combination for a given lambda and pairing ``perm``: example i is mixed with
    example ``perm[i]``, inputs and (one-hot or soft) targets alike."""
    lam = check_fraction("lam", lam, closed=True)
    return lam * x + (1 - lam) * x[perm], lam * soft_targets + (1 - lam) * soft_targets[perm]


def _beta_from_uniforms(u: torch.Tensor, alpha: float) -> torch.Tensor:
    """A Beta(alpha, alpha) draw from two uniforms, via Gamma(alpha) quantiles
    (``torch.distributions`` has no generator argument, so the draw would not be seedable)."""
    from scipy.special import gammaincinv

    g = torch.as_tensor(gammaincinv(alpha, u.numpy()))
    return g[0] / g.sum() if g.sum() > 0 else torch.tensor(0.5, dtype=torch.float64)


class Mixup:
    """Mixup as a batch transform for ``nnlib.train.fit(batch_transform=...)``; seeded."""

    def __init__(self, alpha: float, n_classes: int, seed: int = 0) -> None:
        self.alpha = check_positive("alpha", alpha)
        self.n_classes = check_positive_int("n_classes", n_classes)
        self.generator = utils.generator(seed)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mixed_x, soft_y, _ = mixup(x, y, self.alpha, self.n_classes, self.generator)
        return mixed_x, soft_y
