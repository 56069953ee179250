"""Checkers for lecture 3 (weight initialization)."""

from __future__ import annotations

import torch

from nnlib import init
from nnlib.exercises.core import CheckResult, check

__all__ = ["check_fan_in", "check_kaiming_normal", "check_predicted_std"]


def _run_initializer(fn, shape, seed):
    tensor = torch.empty(shape)
    fn(tensor, torch.Generator().manual_seed(seed))
    return tensor


def check_kaiming_normal(student_fn) -> CheckResult:
    """Exercise 3.1: Kaiming normal for ReLU, fan_in mode, drawing with the given generator."""

    def reference(shape, seed):
        return _run_initializer(
            lambda t, g: init.kaiming_normal_(t, nonlinearity="relu", generator=g), shape, seed
        )

    def student(shape, seed):
        return _run_initializer(student_fn, shape, seed)

    cases = [((64, 32), 0), ((10, 200), 1), ((16, 3, 5, 5), 2), ((1, 1), 3)]
    return check(
        student,
        reference,
        cases,
        name="kaiming_normal",
        rtol=1e-6,
        hint="std = sqrt(2 / fan_in); fill with tensor.normal_(0, std, generator=generator).",
    )


def check_fan_in(student_fn) -> CheckResult:
    """Exercise 3.2: fan_in of a weight shape (out, in, *kernel)."""
    shapes = [(64, 32), (10, 200), (16, 3, 5, 5), (8, 4, 3), (32, 16, 3, 3, 3)]
    return check(
        lambda s: student_fn(s),
        lambda s: init.fan_in_and_fan_out(torch.empty(s))[0],
        [(s,) for s in shapes],
        name="fan_in",
        atol=0,
        rtol=0,
        hint="a convolution kernel adds its spatial size: in_channels * prod(kernel).",
    )


def check_predicted_std(student_fn) -> CheckResult:
    """Exercise 3.3: activation std after k linear layers."""
    cases = [
        (1, 0.1, 100, 1.0),
        (10, 0.1, 100, 1.0),
        (10, 0.12, 100, 2.0),
        (50, 1 / 16, 256, 1.0),
        (20, 0.05, 256, 0.5),
    ]
    return check(
        student_fn,
        init.predicted_linear_std,
        cases,
        name="predicted_std",
        rtol=1e-9,
        hint="each layer multiplies the variance by width * sigma**2.",
    )
