r"""Calibration (lecture 6): does a classifier's confidence match its accuracy?

The confidence of a prediction is its largest class probability. Sort the n predictions into
``n_bins`` equal-width confidence bins B₁, ..., B_M of [0, 1]; a calibrated classifier is right
in a fraction acc(B_m) of each bin equal to the bin's mean confidence conf(B_m). The **expected
calibration error** (Guo et al., 2017) is the weighted gap::

    ECE = ∑ₘ₌₁..M (|B_m| / n) |acc(B_m) - conf(B_m)|.

A **reliability diagram** plots acc against conf per bin: bars below the diagonal are
over-confident, above it under-confident. Bins are half-open on the left, (lo, hi], the first
one closed, as in the paper's reference code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nnlib.utils import check_positive_int

__all__ = ["Reliability", "expected_calibration_error", "reliability"]


@dataclass(frozen=True)
class Reliability:
    """Per-bin statistics of a reliability diagram (tensors of length ``n_bins``; empty bins
    have count 0 and NaN confidence and accuracy)."""

    edges: torch.Tensor
    confidence: torch.Tensor
    accuracy: torch.Tensor
    count: torch.Tensor

    @property
    def ece(self) -> float:
        """Expected calibration error: the count-weighted mean of |accuracy - confidence|."""
        filled = self.count > 0
        gaps = (self.accuracy[filled] - self.confidence[filled]).abs()
        return float((gaps * self.count[filled]).sum() / self.count.sum())


def _check(probs: torch.Tensor, targets: torch.Tensor) -> None:
    if probs.ndim != 2:
        raise ValueError(f"Invalid probs: expected shape (n, C), got {tuple(probs.shape)}")
    if targets.shape != probs.shape[:1]:
        raise ValueError(
            f"Invalid targets: expected shape {tuple(probs.shape[:1])}, got {tuple(targets.shape)}"
        )
    if probs.shape[0] == 0:
        raise ValueError("Invalid probs: no predictions")
    if (probs < 0).any() or not torch.allclose(
        probs.sum(dim=1), torch.ones(len(probs), dtype=probs.dtype), atol=1e-4
    ):
        raise ValueError("Invalid probs: rows must be probabilities (non-negative, summing to 1)")


@torch.no_grad()
def reliability(probs: torch.Tensor, targets: torch.Tensor, n_bins: int = 10) -> Reliability:
    """Bin the predictions ``probs`` (n, C) of labels ``targets`` (n,) by confidence."""
    _check(probs, targets)
    n_bins = check_positive_int("n_bins", n_bins)
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == targets).double()
    edges = torch.linspace(0.0, 1.0, n_bins + 1, dtype=torch.float64)
    index = (torch.bucketize(confidence.double(), edges, right=False) - 1).clamp(0, n_bins - 1)
    count = torch.bincount(index, minlength=n_bins).double()
    conf_sum = torch.bincount(index, weights=confidence.double(), minlength=n_bins)
    correct_sum = torch.bincount(index, weights=correct, minlength=n_bins)
    return Reliability(edges, conf_sum / count, correct_sum / count, count)


def expected_calibration_error(
    probs: torch.Tensor, targets: torch.Tensor, n_bins: int = 10
) -> float:
    """ECE of the predictions ``probs`` (n, C) for labels ``targets`` (n,)."""
    return reliability(probs, targets, n_bins).ece
