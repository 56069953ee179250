"""Lecture 2, the loss as a plateau cure: a saturated sigmoid output under two losses.

One sigmoid unit p = sigmoid(w x + b) learns the labels y = [x > 0] of inputs drawn from two
clusters at -1 and +1. It starts saturated and wrong: w = ``w0`` < 0 puts every input's logit
near w0 * x, so p is near 0 for the positives and near 1 for the negatives. Gradient descent
then moves z through dL/dz, which the loss decides (p' = p (1 - p)):

* mean squared error (p - y)^2: dL/dz = 2 (p - y) p (1 - p), tiny where p saturates;
* cross-entropy -y log p - (1 - y) log(1 - p): dL/dz = p - y, largest where p is most wrong.

:func:`steps_to_learn` runs one learning rate per row, all at once, with a given dL/dz.
"""

from __future__ import annotations

import math

import torch

from nnlib import utils

__all__ = ["clusters", "steps_to_learn"]


def clusters(n: int = 200, spread: float = 0.25, seed: int = 0):
    """Inputs x = ±1 + N(0, spread^2) (half each, signs drawn at random) and labels y = [x > 0]."""
    generator = utils.generator(seed)
    sign = torch.randint(0, 2, (n,), generator=generator).double() * 2 - 1
    x = sign + spread * torch.randn(n, generator=generator, dtype=torch.float64)
    return x, (x > 0).double()


def steps_to_learn(logit_gradient, rates, x, y, w0: float = -6.0, steps: int = 3000, tol=0.05):
    """Per learning rate: the first step at which fewer than ``tol`` of the points are
    misclassified (``math.inf`` if not within ``steps``), training (w, b) from (w0, 0) by
    gradient descent whose gradient on the logits is ``logit_gradient(p, y)``."""
    lr = torch.as_tensor(rates, dtype=torch.float64)[:, None]
    w, b = torch.full_like(lr, w0), torch.zeros_like(lr)
    reached = [math.inf] * len(rates)
    for t in range(steps + 1):
        p = torch.sigmoid(w * x + b)
        error = ((p > 0.5).double() != y).double().mean(dim=1)
        for i in (error < tol).nonzero().flatten().tolist():
            reached[i] = min(reached[i], t)
        if math.inf not in reached:
            break
        dz = logit_gradient(p, y) / len(x)  # d(mean loss)/dz, per point
        w = w - lr * (dz * x).sum(dim=1, keepdim=True)
        b = b - lr * dz.sum(dim=1, keepdim=True)
    return reached
