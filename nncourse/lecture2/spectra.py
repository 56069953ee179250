"""Lecture 2, how well stochastic Lanczos quadrature resolves a Hessian spectrum.

On a network small enough for its dense Hessian (a few hundred parameters), the exact share of
eigenvalues in a set (below -``negative`` lambda_max; within ``near`` lambda_max of zero) is
compared with the share stochastic Lanczos quadrature (:func:`nnlib.curvature.spectral_density`)
estimates from a given number of Lanczos steps: the estimate's resolution bias, measured.
"""

from __future__ import annotations

import torch

from nnlib import curvature

__all__ = ["spectrum_shares"]


def spectrum_shares(
    model, loss_fn, x, y, steps=(40, 100), vectors: int = 4, negative=1e-3, near=0.05
) -> dict:
    """Exact and SLQ shares of the spectrum of the Hessian of ``model``'s loss on (x, y).

    Returns ``lambda_max``, ``lambda_min`` and ``mean`` (tr H / N) of the exact spectrum, the
    exact shares ``negative`` (eigenvalues below -negative * lambda_max) and ``near`` (|lambda|
    below near * lambda_max), and per number of Lanczos steps the SLQ estimates of both shares
    (mean over ``vectors`` probe vectors) under ``("negative", steps)`` and ``("near", steps)``.
    """
    H = curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
    eigenvalues = torch.linalg.eigvalsh(H)
    top = eigenvalues.max().item()
    result = {
        "lambda_max": top,
        "lambda_min": eigenvalues.min().item(),
        "mean": eigenvalues.mean().item(),
        "negative": (eigenvalues < -negative * top).double().mean().item(),
        "near": (eigenvalues.abs() < near * top).double().mean().item(),
    }
    for count in steps:
        density = curvature.spectral_density(model, loss_fn, x, y, vectors=vectors, steps=count)
        nodes = density["nodes"]
        below = curvature.probe_mass(density, nodes < -negative * top)
        close = curvature.probe_mass(density, nodes.abs() < near * top)
        result["negative", count] = below.mean().item()
        result["near", count] = close.mean().item()
    return result
