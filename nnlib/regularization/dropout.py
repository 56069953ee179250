r"""Dropout (Srivastava et al., 2014): during training every unit is kept with probability
1 - p and zeroed otherwise.

*Inverted* dropout, PyTorch's convention, rescales at training time so that nothing changes at
test time::

    train: y = m ⊙ x / (1 - p),  mᵢ ~ Bernoulli(1 - p);    test: y = x.

The paper's original form keeps the training output unscaled, y = m ⊙ x, and multiplies by
1 - p at test time. Both give the test network the expected training activation, E[y] = x and
(1 - p) x respectively.

Ensemble view: each mask is a sub-network sharing weights with all others. For a single softmax
layer, the normalized geometric mean of all 2ⁿ sub-networks' predictions (weighted by the
masks' probabilities) is *exactly* the prediction of the scaled network
(:func:`subnetwork_geometric_mean`); for deeper networks it is an approximation, measured in the
lecture with :func:`mc_dropout_predict`.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from nnlib.utils import check_fraction, check_positive_int, model_mode

__all__ = [
    "Dropout",
    "dropout",
    "dropout_with_mask",
    "mc_dropout_predict",
    "subnetwork_geometric_mean",
]


def dropout_with_mask(
    x: torch.Tensor,
    mask: torch.Tensor | None,
    p: float,
    training: bool = True,
    scale_at_test: bool = False,
) -> torch.Tensor:
    r"""The dropout formula for a given keep mask m (1 = keep, 0 = drop)::

        train: y = m ⊙ x / (1 - p),    test: y = x

    (inverted dropout), or with ``scale_at_test=True`` the original form, y = m x in training
    and y = (1 - p) x at test time. ``mask`` is not used at test time (pass None).
    """
    if not training:
        return x * (1.0 - p) if scale_at_test else x
    if p == 1.0:
        return torch.zeros_like(x)
    return x * mask if scale_at_test else x * (mask / (1.0 - p))


def dropout(
    x: torch.Tensor, p: float = 0.5, training: bool = True, scale_at_test: bool = False
) -> torch.Tensor:
    """Functional dropout: draws the keep mask m ~ Bernoulli(1 - p) and applies
    :func:`dropout_with_mask`. With the default (inverted) convention it draws exactly the mask
    that ``torch.nn.functional.dropout`` draws from the same random state."""
    p = check_fraction("p", p, closed=True)
    mask = torch.empty_like(x).bernoulli_(1.0 - p) if training and p < 1.0 else None
    return dropout_with_mask(x, mask, p, training, scale_at_test)


class Dropout(nn.Module):
    """``torch.nn.Dropout``'s signature, from scratch; ``scale_at_test=True`` selects the
    original convention (no rescaling in training, multiply by 1 - p in eval mode)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, scale_at_test: bool = False):
        super().__init__()
        self.p = check_fraction("p", p, closed=True)
        self.inplace = inplace
        self.scale_at_test = scale_at_test

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = dropout(x, self.p, self.training, self.scale_at_test)
        return x.copy_(y) if self.inplace else y

    def extra_repr(self) -> str:
        extra = ", scale_at_test=True" if self.scale_at_test else ""
        return f"p={self.p}, inplace={self.inplace}{extra}"


def _dropout_modules(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.Dropout | Dropout)]


@torch.no_grad()
def mc_dropout_predict(model: nn.Module, x: torch.Tensor, n_samples: int = 100) -> torch.Tensor:
    """Average softmax probabilities of ``n_samples`` sampled sub-networks: dropout active, every
    other layer (BN included) in eval mode. Returns (N, classes); the modes are restored."""
    n_samples = check_positive_int("n_samples", n_samples)
    layers = _dropout_modules(model)
    if not layers:
        raise ValueError("Invalid model: it has no Dropout layers to sample")
    with model_mode(model, False):
        for layer in layers:
            layer.train()
        return sum(model(x).softmax(dim=-1) for _ in range(n_samples)) / n_samples


@torch.no_grad()
def subnetwork_geometric_mean(linear: nn.Linear, x: torch.Tensor, p: float) -> torch.Tensor:
    r"""Normalized geometric mean, over all 2ⁿ dropout masks on the ``n`` inputs of one softmax
    layer, of the sub-networks' class probabilities, each mask weighted by its probability
    (1 - p)^|m| p^(n - |m|); inputs are scaled by 1 / (1 - p) (inverted
    dropout). Exact enumeration, so ``n`` is limited to 16. Returns (N, classes)."""
    p = check_fraction("p", p)
    n = linear.in_features
    if n > 16:
        raise ValueError(f"Invalid linear: {n} inputs means 2**{n} masks (at most 16 inputs)")
    masks = torch.tensor(list(itertools.product((0.0, 1.0), repeat=n)), dtype=x.dtype)
    weights = (1 - p) ** masks.sum(1) * p ** (n - masks.sum(1))  # (2^n,)
    dropped = x.unsqueeze(0) * masks.unsqueeze(1) / (1 - p)  # (2^n, N, n)
    log_probs = linear(dropped).log_softmax(dim=-1)  # (2^n, N, classes)
    mean_log = (weights.view(-1, 1, 1) * log_probs).sum(0)
    return mean_log.softmax(dim=-1)
