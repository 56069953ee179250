"""nnlib.losses against torch.nn.functional."""

import pytest
import torch

from nnlib import losses


def test_losses_match_torch():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(16, 5, generator=g, dtype=torch.float64) * 4
    targets = torch.randint(0, 5, (16,), generator=g)
    F = torch.nn.functional
    torch.testing.assert_close(losses.log_softmax(z), F.log_softmax(z, dim=1))
    for eps in (0.0, 0.1, 1.0):
        torch.testing.assert_close(
            losses.cross_entropy(z, targets, eps), F.cross_entropy(z, targets, label_smoothing=eps)
        )
    y_bin = torch.rand(16, 5, generator=g, dtype=torch.float64).round()
    torch.testing.assert_close(
        losses.binary_cross_entropy_with_logits(z * 10, y_bin),
        F.binary_cross_entropy_with_logits(z * 10, y_bin),
    )
    q = torch.softmax(torch.randn(16, 5, generator=g, dtype=torch.float64), 1)
    q[0] = torch.tensor([1.0, 0, 0, 0, 0], dtype=torch.float64)  # zeros in the target
    torch.testing.assert_close(
        losses.kl_divergence(F.log_softmax(z, 1), q),
        F.kl_div(F.log_softmax(z, 1), q, reduction="batchmean"),
    )
    torch.testing.assert_close(losses.mse_loss(z, q), F.mse_loss(z, q))
    torch.testing.assert_close(losses.l1_loss(z, q), F.l1_loss(z, q))
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.cross_entropy(z, targets, label_smoothing=1.5)
