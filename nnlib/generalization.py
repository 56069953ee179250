"""Experiments on "faster is not always better" (lecture 5).

* :func:`wilson_problem`: the construction of Wilson et al. (2017), a linearly separable problem
  on which adaptive methods reach zero training loss with a solution that generalizes badly,
  while gradient descent (which stays in the span of the data: the minimum-norm solution) does not.
* :func:`rescale_relu_layers`: Dinh et al. (2017)'s reparametrization: multiplying one ReLU layer
  by a and the next by 1/a leaves the function unchanged but changes the Hessian, so "sharpness"
  is not a property of the function alone.
"""

from __future__ import annotations

import torch
from torch import nn

from nnlib.utils import check_positive, check_positive_int

__all__ = ["rescale_relu_layers", "wilson_problem", "wilson_test_set"]


def wilson_problem(n: int, p: float = 0.6, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n examples with labels y = +1 (probability p) or -1, and features
    [y, 1, 1, unique block]: one feature unique to the example when y = +1, five when y = -1.
    Only the first feature carries over to new examples; the rest can only be memorised."""
    check_positive_int("n", n)
    check_positive("p", p)
    g = torch.Generator().manual_seed(seed)
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
    x, y = wilson_problem(n, p, seed)
    test = torch.zeros(n, n_features, dtype=torch.float64)
    test[:, :3] = x[:, :3]
    return test, y


@torch.no_grad()
def rescale_relu_layers(
    model: nn.Sequential, first: int, second: int, alpha: float
) -> nn.Sequential:
    """Multiply Linear layer ``first`` (weight and bias) by alpha and layer ``second``'s weight by
    1/alpha, in place: for a ReLU between them the network computes exactly the same function."""
    check_positive("alpha", alpha)
    model[first].weight.mul_(alpha)
    if model[first].bias is not None:
        model[first].bias.mul_(alpha)
    model[second].weight.div_(alpha)
    return model
