"""Input preprocessing with fit/transform (lecture 4).

Fit on the training set, then apply the same transform to every split:

* :class:`Standardizer`: x -> (x - mean) / std per feature;
* :class:`PCA`: rotate the centred data onto the eigenvectors of its covariance
  C = U diag(lambda) U^T (x -> (x - mean) U); with ``whiten=True`` also divide each coordinate by
  sqrt(lambda + eps), giving identity covariance;
* :class:`ZCAWhitener`: x -> (x - mean) U diag(1 / sqrt(lambda + eps)) U^T, the whitening that
  stays closest to the original coordinates.

For least squares the Hessian is X^T X / n, so these transforms change its condition number: the
loss contours become round after whitening.
"""

from __future__ import annotations

import torch

from nnlib.utils import check_positive

__all__ = ["PCA", "Standardizer", "ZCAWhitener"]


def _as_matrix(x) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.dim() != 2 or len(x) < 2:
        raise ValueError(f"Invalid x of shape {tuple(x.shape)}: need (n >= 2, features)")
    return x


class _Transform:
    def fit_transform(self, x) -> torch.Tensor:
        return self.fit(x).transform(x)

    def _check_fitted(self, x) -> torch.Tensor:
        if getattr(self, "mean", None) is None:
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit first")
        x = torch.as_tensor(x)
        if x.shape[-1] != self.mean.shape[-1]:
            raise ValueError(
                f"Invalid x with {x.shape[-1]} features: fitted on {self.mean.shape[-1]}"
            )
        return x


class Standardizer(_Transform):
    """Zero mean and unit variance per feature (features with zero variance are only centred)."""

    def __init__(self, eps: float = 0.0):
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.mean = self.std = None

    def fit(self, x) -> Standardizer:
        x = _as_matrix(x)
        self.mean = x.mean(dim=0)
        std = x.std(dim=0, unbiased=False)
        self.std = torch.where(std > 0, std + self.eps, torch.ones_like(std))
        return self

    def transform(self, x) -> torch.Tensor:
        return (self._check_fitted(x) - self.mean) / self.std


class _Eigen(_Transform):
    def __init__(self, eps: float = 1e-8):
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.mean = self.eigenvalues = self.components = None

    def fit(self, x):
        x = _as_matrix(x)
        self.mean = x.mean(dim=0)
        centred = x - self.mean
        covariance = centred.T @ centred / len(x)
        eigenvalues, vectors = torch.linalg.eigh(covariance)
        order = eigenvalues.argsort(descending=True)
        self.eigenvalues, self.components = eigenvalues[order], vectors[:, order]
        return self


class PCA(_Eigen):
    """Rotate onto the principal axes (largest variance first); ``whiten`` rescales them to 1."""

    def __init__(self, whiten: bool = False, eps: float = 1e-8):
        super().__init__(eps)
        self.whiten = whiten

    def transform(self, x) -> torch.Tensor:
        rotated = (self._check_fitted(x) - self.mean) @ self.components
        return rotated / torch.sqrt(self.eigenvalues + self.eps) if self.whiten else rotated


class ZCAWhitener(_Eigen):
    """Identity covariance with the least rotation: W = U diag(1/sqrt(lambda + eps)) U^T."""

    def transform(self, x) -> torch.Tensor:
        x = self._check_fitted(x)
        scale = 1.0 / torch.sqrt(self.eigenvalues + self.eps)
        W = self.components @ torch.diag(scale) @ self.components.T
        return (x - self.mean) @ W
