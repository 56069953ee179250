"""nnlib.clipping against torch.nn.utils' clipping."""

import math

import pytest
import torch
from torch import nn

from nnlib import clipping, models


def test_clipping_matches_torch():
    for norm_type, max_norm in ((2.0, 0.5), (1.0, 3.0), (math.inf, 0.1), (2.0, 1e6)):
        torch.manual_seed(0)
        a, b = models.mlp([5, 7, 3]), models.mlp([5, 7, 3])
        b.load_state_dict(a.state_dict())
        x = torch.randn(16, 5) * 10
        for net in (a, b):
            net(x).pow(2).sum().backward()
        ours = clipping.clip_grad_norm_(a.parameters(), max_norm, norm_type)
        theirs = nn.utils.clip_grad_norm_(b.parameters(), max_norm, norm_type)
        torch.testing.assert_close(ours, theirs)
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad)
    clipping.clip_grad_value_(a.parameters(), 0.01)
    nn.utils.clip_grad_value_(b.parameters(), 0.01)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad)
    with pytest.raises(ValueError, match="max_norm"):
        clipping.clip_grad_norm_(a.parameters(), -1.0)
    a[0].weight.grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError, match="non-finite"):
        clipping.clip_grad_norm_(a.parameters(), 1.0, error_if_nonfinite=True)
