"""nnlib.activations against autograd and torch's own functions."""

import pytest
import torch

from nnlib import activations


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_activation_derivatives_match_autograd(name):
    f, _ = activations.ACTIVATIONS[name]
    x = torch.linspace(-4, 4, 81, dtype=torch.float64) + 0.013  # avoid the kink at 0
    expected = torch.func.vmap(torch.func.grad(f))(x)
    torch.testing.assert_close(activations.derivative(name, x), expected)
    torch_version = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": torch.nn.functional.leaky_relu,
    }[name]
    torch.testing.assert_close(f(x), torch_version(x))
    with pytest.raises(ValueError, match="activation"):
        activations.derivative("swish", x)
