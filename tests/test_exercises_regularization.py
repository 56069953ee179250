"""The lecture 6 checkers accept correct answers, wait for stubs and name known mistakes."""

import pytest
from exercise_helpers import assert_named, assert_solves
from torch import nn

from nncourse.lecture6.exercises import (
    check_dropout_noise_variance,
    check_inverted_dropout,
    check_l1_prox_step,
    check_mixup_pairs,
    check_update_bn,
)
from nnlib import regularization as R


def _dropout(x, keep_mask, p, training):
    if not training:
        return x
    return x * keep_mask / (1 - p) if p < 1 else x * 0


def _mix(x, y, lam, perm):
    return lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]


def _noise(w, x, p):
    return float(p / (1 - p) * (w * x).pow(2).sum())


def _update_bn(batches, model, reset=True, momentum=None, mode=True, restore=True):
    layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    saved = [m.momentum for m in layers]
    for m in layers:
        if reset:
            m.reset_running_stats()
        m.momentum = momentum
    was = model.training
    model.train(mode)
    for x in batches:
        model(x)
    if restore:
        for m, value in zip(layers, saved, strict=True):
            m.momentum = value
    model.train(was)


def _soft(v, t):
    return v.sign() * (v.abs() - t).clamp_min(0)


def _prox(w, grad, lr, l1):
    return _soft(w - lr * grad, lr * l1)


RIGHT = {
    check_inverted_dropout: _dropout,
    check_mixup_pairs: _mix,
    check_dropout_noise_variance: _noise,
    check_update_bn: _update_bn,
    check_l1_prox_step: _prox,
}

MISTAKES = [
    (check_inverted_dropout, lambda x, m, p, t: x * m if t else x * (1 - p), "at test time"),
    (check_inverted_dropout, lambda x, m, p, t: x * m * (1 - p) if t else x, "multiplied"),
    (check_inverted_dropout, lambda x, m, p, t: x * m / p if t else x, "divided by p"),
    (check_inverted_dropout, lambda x, m, p, t: x * m / (1 - p), "eval mode too"),
    (
        check_mixup_pairs,
        lambda x, y, lam, perm: (lam * x + (1 - lam) * x[perm], y),
        "not the targets",
    ),
    (check_mixup_pairs, lambda x, y, lam, perm: _mix(x, y, 1 - lam, perm), "partner"),
    (
        check_dropout_noise_variance,
        lambda w, x, p: float(p * (1 - p) * (w * x).pow(2).sum()),
        "1 / (1 - p)",
    ),
    (
        check_dropout_noise_variance,
        lambda w, x, p: float(p / (1 - p) * (w * x).sum() ** 2),
        "squared the sum",
    ),
    (check_update_bn, lambda b, m: _update_bn(b, m, reset=False), "did not reset"),
    (check_update_bn, lambda b, m: _update_bn(b, m, momentum=0.1), "momentum 0.1"),
    (check_update_bn, lambda b, m: _update_bn(b, m, mode=False), "eval mode"),
    (check_update_bn, lambda b, m: _update_bn(b, m, restore=False), "left momentum at None"),
    (check_l1_prox_step, lambda w, g, lr, l1: w - lr * (g + l1 * w.sign()), "subgradient"),
    (check_l1_prox_step, lambda w, g, lr, l1: _soft(w - lr * g, l1), "instead of lr * l1"),
    (check_l1_prox_step, lambda w, g, lr, l1: _soft(w, lr * l1) - lr * g, "before the gradient"),
    (
        check_l1_prox_step,
        lambda w, g, lr, l1: (w - lr * g) * ((w - lr * g).abs() > lr * l1),
        "hard",
    ),
]


@pytest.mark.parametrize("checker", RIGHT, ids=lambda c: c.__name__)
def test_right_answers_pass_and_stubs_wait(checker):
    assert_solves(checker, RIGHT[checker])


@pytest.mark.parametrize("checker, wrong, words", MISTAKES)
def test_known_mistakes_are_named(checker, wrong, words):
    assert_named(checker(wrong), words)


def test_calling_the_reference_is_caught():
    assert "calls" in check_update_bn(R.update_bn).message
    assert "calls" in check_l1_prox_step(R.l1_proximal_step).message


def test_dropout_noise_reference_matches_sampled_masks():
    """The predicted variance is what many sampled masks give."""
    import torch

    from nncourse.lecture6.exercises import _dropout_noise_variance

    g = torch.Generator().manual_seed(0)
    w, x, p = torch.randn(6, generator=g), torch.randn(6, generator=g), 0.3
    masks = (torch.rand(200_000, 6, generator=g) >= p).float()
    outputs = (masks * w * x / (1 - p)).sum(dim=1)
    predicted = _dropout_noise_variance(w.double(), x.double(), p)
    assert outputs.var().item() == pytest.approx(predicted, rel=0.02)
    assert outputs.mean().item() == pytest.approx((w * x).sum().item(), abs=0.02)
