"""Checkers for lecture 4 (normalization)."""

from __future__ import annotations

import torch

from nnlib import norm
from nnlib.exercises.core import CheckResult, check

__all__ = ["check_batchnorm_forward", "check_layer_norm", "check_running_average"]


def _reference_batchnorm(x, gamma, beta, running_mean, running_var, training, eps=1e-5):
    layer = norm.BatchNorm1d(x.shape[1], eps=eps).double()
    with torch.no_grad():
        layer.weight.copy_(gamma)
        layer.bias.copy_(beta)
        layer.running_mean.copy_(running_mean)
        layer.running_var.copy_(running_var)
    layer.train(training)
    with torch.no_grad():
        return layer(x)


def _bn_cases():
    g = torch.Generator().manual_seed(4)
    cases = []
    for n, c, training in (
        (8, 3, True),
        (32, 5, True),
        (4, 2, False),
        (16, 6, False),
        (2, 1, True),
    ):
        x = torch.randn(n, c, generator=g, dtype=torch.float64) * 3 + 1
        gamma = torch.rand(c, generator=g, dtype=torch.float64) + 0.5
        beta = torch.randn(c, generator=g, dtype=torch.float64)
        mean = torch.randn(c, generator=g, dtype=torch.float64)
        var = torch.rand(c, generator=g, dtype=torch.float64) + 0.5
        cases.append((x, gamma, beta, mean, var, training))
    return cases


def check_batchnorm_forward(student_fn) -> CheckResult:
    """Exercise 4.1: batch norm's forward pass in training (batch statistics) and eval (running)."""
    return check(
        student_fn,
        _reference_batchnorm,
        _bn_cases(),
        name="batchnorm_forward",
        rtol=1e-9,
        hint="training normalises with the batch mean and the *biased* batch variance; "
        "eval uses running_mean and running_var; both add eps inside the square root.",
    )


def _reference_running(running, batch_value, momentum):
    return norm.running_average(running, batch_value, momentum, num_batches=1)


def check_running_average(student_fn) -> CheckResult:
    """Exercise 4.2: the exponential running average batch norm keeps for evaluation."""
    g = torch.Generator().manual_seed(5)
    cases = [
        (
            torch.randn(4, generator=g, dtype=torch.float64),
            torch.randn(4, generator=g, dtype=torch.float64),
            m,
        )
        for m in (0.1, 0.01, 1.0, 0.0)
    ]
    return check(
        student_fn,
        _reference_running,
        cases,
        name="running_average",
        rtol=1e-12,
        hint="momentum is the weight of the new batch value (PyTorch's convention).",
    )


def _reference_layer_norm(x, gamma, beta, eps=1e-5):
    layer = norm.LayerNorm(x.shape[-1], eps=eps).double()
    with torch.no_grad():
        layer.weight.copy_(gamma)
        layer.bias.copy_(beta)
        return layer(x)


def check_layer_norm(student_fn) -> CheckResult:
    """Exercise 4.3: layer norm over the last dimension."""
    g = torch.Generator().manual_seed(6)
    cases = []
    for shape in ((5, 8), (1, 3), (2, 4, 6)):
        d = shape[-1]
        cases.append(
            (
                torch.randn(shape, generator=g, dtype=torch.float64) * 2 + 3,
                torch.rand(d, generator=g, dtype=torch.float64) + 0.5,
                torch.randn(d, generator=g, dtype=torch.float64),
            )
        )
    return check(
        student_fn,
        _reference_layer_norm,
        cases,
        name="layer_norm",
        rtol=1e-9,
        hint="each example is normalised with its own mean and biased variance over the features.",
    )
