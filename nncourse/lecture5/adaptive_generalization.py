"""Wilson et al. (2017)'s construction: where adaptive methods generalize worse (lecture 5b).

A linearly separable problem on which adaptive methods reach zero training loss with a solution
that generalizes badly, while gradient descent (which stays in the span of the data: the
minimum-norm solution) does not.
"""

from __future__ import annotations

import torch

from nnlib import utils
from nnlib.utils import check_fraction, check_positive_int

__all__ = ["wilson_problem", "wilson_test_set"]


def wilson_problem(n: int, p: float = 0.6, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n examples with labels y = +1 (probability p) or -1, and features
    [y, 1, 1, unique block]: one feature unique to the example when y = +1, five when y = -1.
    Only the first feature carries over to new examples; the rest can only be memorised."""
    check_positive_int("n", n)
    check_fraction("p", p)
    g = utils.generator(seed)
    y = torch.where(torch.rand(n, generator=g, dtype=torch.float64) < p, 1.0, -1.0).double()
    x = torch.zeros(n, 3 + 5 * n, dtype=torch.float64)
    x[:, 0] = y
    x[:, 1:3] = 1.0
    for i in range(n):
        width = 1 if y[i] > 0 else 5
        x[i, 3 + 5 * i : 3 + 5 * i + width] = 1.0
    return x, y


def wilson_test_set(n: int, n_features: int, p: float = 0.6, seed: int = 1):
    """New examples from the same distribution: their unique features were never seen in
    training, so only the first three columns are non-zero."""
    check_positive_int("n_features", n_features)
    if n_features < 3:
        raise ValueError(f"Invalid n_features: {n_features} (must be >= 3)")
    x, y = wilson_problem(n, p, seed)
    test = torch.zeros(n, n_features, dtype=torch.float64)
    test[:, :3] = x[:, :3]
    return test, y
