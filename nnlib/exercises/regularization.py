"""Checkers for lecture 6 (regularization)."""

from __future__ import annotations

import torch

from nnlib import regularization as R
from nnlib.exercises.core import CheckResult, check

__all__ = ["check_inverted_dropout", "check_mixup_pairs", "check_swa_update"]


def _reference_dropout(x, keep_mask, p, training):
    """Inverted dropout with a given keep mask (1 = keep)."""
    return R.dropout_with_mask(x, keep_mask, p, training)


def check_inverted_dropout(student_fn) -> CheckResult:
    """Exercise 6.1: inverted dropout given the keep mask, in training and in eval mode."""
    g = torch.Generator().manual_seed(61)
    cases = []
    for shape, p, training in (
        ((4, 5), 0.5, True),
        ((3, 2), 0.2, True),
        ((6,), 0.9, True),
        ((4, 5), 0.5, False),
        ((2, 3), 0.0, True),
    ):
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        mask = (torch.rand(shape, generator=g) >= p).double()
        cases.append((x, mask, p, training))
    return check(
        student_fn,
        _reference_dropout,
        cases,
        name="inverted_dropout",
        rtol=1e-12,
        hint="in training keep x * mask and divide by the keep probability 1 - p; "
        "in eval mode return x unchanged.",
    )


def check_mixup_pairs(student_fn) -> CheckResult:
    """Exercise 6.2: mix each example (and its one-hot target) with its partner perm[i]."""
    g = torch.Generator().manual_seed(62)
    cases = []
    for n, lam in ((4, 0.3), (6, 0.9), (5, 1.0), (3, 0.0)):
        x = torch.randn(n, 2, generator=g, dtype=torch.float64)
        y = torch.nn.functional.one_hot(torch.randint(0, 3, (n,), generator=g), 3).double()
        cases.append((x, y, lam, torch.randperm(n, generator=g)))
    return check(
        student_fn,
        R.mix_pairs,
        cases,
        name="mixup_pairs",
        rtol=1e-12,
        hint="x_mixed = lam * x + (1 - lam) * x[perm], and the same for the targets.",
    )


def check_swa_update(student_fn) -> CheckResult:
    """Exercise 6.3: fold a new iterate into the running weight average of n iterates."""
    g = torch.Generator().manual_seed(63)
    average = R.get_swa_avg_fn()
    cases = [
        (
            torch.randn(5, generator=g, dtype=torch.float64),
            torch.randn(5, generator=g, dtype=torch.float64),
            n,
        )
        for n in (0, 1, 4, 99)
    ]
    return check(
        student_fn,
        average,
        cases,
        name="swa_update",
        rtol=1e-12,
        hint="the new average is (n * w_swa + w) / (n + 1); with n = 0 it is just w.",
    )
