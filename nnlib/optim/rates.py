"""Convergence rates of gradient descent on quadratics (lecture 1).

On f = 1/2 x^T A x, one GD step maps the error x to (I - lr A) x, so along eigenvector k the
error shrinks by |1 - lr lambda_k| per step and the slowest direction sets the rate
rho = max_k |1 - lr lambda_k|. GD converges iff rho < 1, i.e. 0 < lr < 2 / lambda_max. The best
fixed step lr = 2 / (lambda_min + lambda_max) gives rho = (kappa - 1) / (kappa + 1).
"""

from __future__ import annotations

import math

import torch

from nnlib.utils import check_positive, check_positive_int

__all__ = [
    "best_rate",
    "check_eigenvalues",
    "measured_rate",
    "predicted_rate",
    "steps_to_shrink",
    "steps_to_tolerance",
]


def predicted_rate(eigenvalues, lr: float) -> float:
    """rho = max_k |1 - lr lambda_k|: the factor by which GD shrinks the error per step."""
    check_positive("lr", lr)
    eigenvalues = check_eigenvalues(eigenvalues)
    return (1 - lr * eigenvalues).abs().max().item()


def check_eigenvalues(eigenvalues) -> torch.Tensor:
    eigenvalues = torch.as_tensor(eigenvalues, dtype=torch.float64).reshape(-1)
    if eigenvalues.numel() == 0 or not torch.isfinite(eigenvalues).all():
        raise ValueError(f"Invalid eigenvalues: {eigenvalues.tolist()} (need finite values)")
    return eigenvalues


def best_rate(kappa: float) -> float:
    """(kappa - 1) / (kappa + 1): the rate of GD with the best fixed step 2 / (mu + L)."""
    if not kappa >= 1:
        raise ValueError(f"Invalid kappa: {kappa} (must be >= 1)")
    return (kappa - 1) / (kappa + 1)


def measured_rate(errors, tail: int = 10) -> float:
    """Per-step shrink factor of a run, (e_T / e_{T-tail})^(1/tail), from its error norms.

    Uses the last ``tail`` steps before the errors reach round-off (1e-300), where the slowest
    direction dominates.
    """
    check_positive_int("tail", tail)
    errors = [e for e in torch.as_tensor(errors, dtype=torch.float64).tolist() if e > 1e-300]
    if len(errors) < 2:
        return 0.0
    tail = min(tail, len(errors) - 1)
    return (errors[-1] / errors[-1 - tail]) ** (1 / tail)


def steps_to_tolerance(kappa: float, tol: float = 1e-6) -> int:
    """Steps the best fixed-step GD needs to shrink the error by ``tol``: ceil(log tol/log rho)."""
    if not 0 < tol < 1:
        raise ValueError(f"Invalid tol: {tol} (must be in (0, 1))")
    rho = best_rate(kappa)
    if rho == 0:
        return 1
    return math.ceil(math.log(tol) / math.log(rho))


def steps_to_shrink(eigenvalues, lr: float, tol: float = 1e-6, of: str = "error") -> float:
    """Steps after which GD with step ``lr`` is guaranteed to have shrunk the ``error``
    ||x_k - x*|| (or the excess ``loss`` f(x_k) - f*) by the factor ``tol`` on a quadratic with
    these Hessian eigenvalues, from any start: the smallest k with rho^k <= tol (rho^(2k) <= tol
    for the loss, which is quadratic in the error), rho = max_k |1 - lr lambda_k|.

    ``math.inf`` when rho >= 1 (no guarantee: the step is too large); 1 when rho = 0.
    """
    if of not in ("error", "loss"):
        raise ValueError(f"Invalid of: {of!r} (choose 'error' or 'loss')")
    if not 0 < tol < 1:
        raise ValueError(f"Invalid tol: {tol} (must be in (0, 1))")
    rho = predicted_rate(eigenvalues, lr)
    if rho >= 1:
        return math.inf
    if rho == 0:
        return 1
    power = 2 if of == "loss" else 1
    return math.ceil(math.log(tol) / (power * math.log(rho)))
