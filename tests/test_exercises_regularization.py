"""The lecture 6 checkers accept correct answers, wait for stubs and name known mistakes."""

import pytest
from exercise_helpers import assert_named, assert_solves
from torch import nn

from nncourse.lecture6.exercises import (
    check_dropout_noise_variance,
    check_elastic_net_prox_step,
    check_inverted_dropout,
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


def _noise():
    # w x = (2, -2, 2, -3): p / (1 - p) * sum (w x)^2 = (1 / 3) * 21
    return 7.0


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


def _prox(w, grad, lr, l1, l2):
    return _soft(w - lr * grad, lr * l1) / (1 + lr * l2)


RIGHT = {
    check_inverted_dropout: _dropout,
    check_mixup_pairs: _mix,
    check_dropout_noise_variance: _noise,
    check_update_bn: _update_bn,
    check_elastic_net_prox_step: _prox,
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
    (check_dropout_noise_variance, lambda: 0.1875 * 21, "1 / (1 - p)"),
    (check_dropout_noise_variance, lambda: 8.0, "second moment"),
    (check_dropout_noise_variance, lambda: 1 / 3, "squared the sum"),
    (check_dropout_noise_variance, lambda: 63.0, "keep probability"),
    (check_dropout_noise_variance, lambda: 7.0**0.5, "standard deviation"),
    (check_update_bn, lambda b, m: _update_bn(b, m, reset=False), "did not reset"),
    (check_update_bn, lambda b, m: _update_bn(b, m, momentum=0.1), "momentum 0.1"),
    (check_update_bn, lambda b, m: _update_bn(b, m, mode=False), "eval mode"),
    (check_update_bn, lambda b, m: _update_bn(b, m, restore=False), "left momentum at None"),
    (
        check_elastic_net_prox_step,
        lambda w, g, lr, l1, l2: _soft(w - lr * (g + l2 * w), lr * l1),
        "gradient step",
    ),
    (
        check_elastic_net_prox_step,
        lambda w, g, lr, l1, l2: _soft(w - lr * g, lr * l1) * (1 - lr * l2),
        "multiplied",
    ),
    (
        check_elastic_net_prox_step,
        lambda w, g, lr, l1, l2: _soft((w - lr * g) / (1 + lr * l2), lr * l1),
        "before thresholding",
    ),
    (check_elastic_net_prox_step, lambda w, g, lr, l1, l2: _soft(w - lr * g, lr * l1), "L2"),
    (
        check_elastic_net_prox_step,
        lambda w, g, lr, l1, l2: w - lr * (g + l1 * w.sign() + l2 * w),
        "subgradient",
    ),
    (
        check_elastic_net_prox_step,
        lambda w, g, lr, l1, l2: _soft(w - lr * g, l1) / (1 + lr * l2),
        "instead of lr * l1",
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
    assert (
        "calls"
        in check_elastic_net_prox_step(
            lambda w, g, lr, l1, l2: R.l1_proximal_step(w, g, lr, l1) / (1 + lr * l2)
        ).message
    )


def test_the_measured_dropout_variance_is_the_formula():
    """The variance measured over nnlib's masks is p / (1 - p) sum (w x)^2 = 7 to sampling error
    (about 0.3 % over 400 000 masks), and another draw of masks measures it again."""
    from nncourse.lecture6.exercises import measured_dropout_variance

    assert measured_dropout_variance() == pytest.approx(7.0, rel=0.015)
    assert measured_dropout_variance(seed=5) == pytest.approx(7.0, rel=0.015)
    assert measured_dropout_variance(seed=5) != measured_dropout_variance()
