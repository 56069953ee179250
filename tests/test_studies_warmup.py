"""Lecture 5b's warm-up study: the sharp start, the warm-up ramp and full-batch gradient descent."""

from __future__ import annotations

import math

import torch

from nncourse.lecture5 import warmup
from nnlib import models


def test_sharp_start_scales_the_weights_and_leaves_the_biases():
    plain = models.stacked_mlp([4, 6, 3], n_models=2, seed=0)
    sharp = warmup.sharp_start([4, 6, 3], seeds=2, scale=3.0)
    for (name, a), (_, b) in zip(plain.named_parameters(), sharp.named_parameters(), strict=True):
        factor = 3.0 if name.endswith("weight") else 1.0
        assert torch.allclose(b, factor * a), name


def test_linear_warmup_ramps_from_the_start_factor_then_holds():
    lr_at = warmup.linear_warmup(2.0, 10, start_factor=0.01)
    assert math.isclose(lr_at(0), 0.02)
    assert math.isclose(lr_at(5), 2.0 * (0.01 + 0.99 * 0.5))
    assert lr_at(10) == lr_at(50) == 2.0


def test_gradient_descent_marks_a_diverged_network_and_trains_the_others():
    torch.manual_seed(0)
    x, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
    small = warmup.gradient_descent(
        warmup.sharp_start([4, 16, 3], seeds=2, scale=1.0), x, y, lambda t: 0.1, 30
    )
    assert small.shape == (30, 2) and bool(torch.isfinite(small).all())
    assert bool((small[-1] < small[0]).all())  # a small rate lowers the loss
    huge = warmup.gradient_descent(
        warmup.sharp_start([4, 16, 3], seeds=2, scale=3.0), x, y, lambda t: 1e4, 30
    )
    assert huge.shape == (30, 2) and bool(torch.isinf(huge[-1]).all())
