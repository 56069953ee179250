import pytest
import torch

from nnlib import regularization as R


def test_ece_of_a_hand_worked_example():
    # confidences 0.95 (right), 0.95 (wrong), 0.55 (right): bins (0.9, 1] and (0.5, 0.6]
    probs = torch.tensor([[0.95, 0.05], [0.95, 0.05], [0.45, 0.55]])
    targets = torch.tensor([0, 1, 1])
    diagram = R.reliability(probs, targets, n_bins=10)
    assert diagram.count.sum() == 3 and diagram.count[9] == 2 and diagram.count[5] == 1
    assert diagram.accuracy[9] == pytest.approx(0.5) and diagram.confidence[9] == pytest.approx(
        0.95
    )
    assert torch.isnan(diagram.accuracy[0])  # empty bins are NaN, not zero
    expected = (2 / 3) * abs(0.5 - 0.95) + (1 / 3) * abs(1.0 - 0.55)
    assert R.expected_calibration_error(probs, targets) == pytest.approx(expected)


def test_a_calibrated_classifier_has_small_ece_and_a_confident_wrong_one_large():
    g = torch.Generator().manual_seed(0)
    n = 200_000
    confidence = 0.5 + 0.5 * torch.rand(n, generator=g, dtype=torch.float64)
    right = torch.rand(n, generator=g, dtype=torch.float64) < confidence
    probs = torch.stack([confidence, 1 - confidence], dim=1)
    targets = torch.where(right, 0, 1)
    assert R.expected_calibration_error(probs, targets) < 0.01
    assert R.expected_calibration_error(probs, torch.ones(n, dtype=torch.long)) > 0.7


def test_confidence_zero_and_one_fall_in_the_end_bins():
    probs = torch.tensor([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    diagram = R.reliability(probs, torch.tensor([0, 2]), n_bins=4)
    assert diagram.count.tolist() == [0.0, 1.0, 0.0, 1.0]


def test_bad_inputs():
    with pytest.raises(ValueError, match="Invalid probs"):
        R.reliability(torch.ones(3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="Invalid targets"):
        R.reliability(torch.full((3, 2), 0.5), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="Invalid probs"):
        R.reliability(torch.ones(3, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="Invalid n_bins"):
        R.reliability(torch.full((3, 2), 0.5), torch.zeros(3, dtype=torch.long), n_bins=0)
