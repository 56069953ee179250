"""The lecture 3 checkers accept correct answers, wait for stubs and name known mistakes."""

import math

import pytest
import torch
from exercise_helpers import assert_named, assert_solves

from nncourse.lecture3.exercises import (
    check_default_init_rms,
    check_kaiming_normal,
    check_leaky_relu_gain,
    check_predicted_std,
    check_relu_std,
)
from nnlib import init


def _fan_in(shape):
    return shape[1] * math.prod(shape[2:])


def _kaiming(tensor, generator, fan=_fan_in, std=None):
    std = std or (lambda f: math.sqrt(2 / f))
    return tensor.normal_(0.0, std(fan(tensor.shape)), generator=generator)


def _fan_out(shape):
    return shape[0] * math.prod(shape[2:])


RIGHT = {
    check_kaiming_normal: _kaiming,
    check_default_init_rms: lambda k, x: x * 3**-0.5 * 6 ** (-(k - 1) / 2),
    check_predicted_std: lambda k, s, w, x: x * (s * math.sqrt(w)) ** k,
    check_relu_std: lambda k, s, w, x: x * s * math.sqrt(w) * (s * math.sqrt(w / 2)) ** (k - 1),
    check_leaky_relu_gain: lambda a: math.sqrt(2 / (1 + a * a)),
}

MISTAKES = [
    (check_kaiming_normal, lambda t, g: _kaiming(t, g, fan=_fan_out), "fan_out"),
    (check_kaiming_normal, lambda t, g: _kaiming(t, g, std=lambda f: 2 / f), "variance"),
    (check_kaiming_normal, lambda t, g: _kaiming(t, g, std=lambda f: f**-0.5), "LeCun"),
    (check_kaiming_normal, lambda t, g: _kaiming(t, g, fan=lambda s: s[1]), "kernel"),
    (check_default_init_rms, lambda k, x: x * 2 ** (-(k - 1) / 2), "variance b^2/3"),
    (check_default_init_rms, lambda k, x: x * 3 ** (-k / 2), "factor 1/2"),
    (check_default_init_rms, lambda k, x: x * 6 ** (-k / 2), "before the first layer"),
    (check_predicted_std, lambda k, s, w, x: x * (w * s * s) ** k, "variance"),
    (check_predicted_std, lambda k, s, w, x: (s * math.sqrt(w)) ** k, "input's own"),
    (check_predicted_std, lambda k, s, w, x: x * (s * math.sqrt(w)) ** (k - 1), "k - 1"),
    (check_relu_std, init.predicted_linear_std, "linear network"),
    (check_relu_std, lambda k, s, w, x: x * (s * math.sqrt(w / 2)) ** k, "layer 1 too"),
    (
        check_relu_std,
        lambda k, s, w, x: x * s * w**0.5 * (s * w**0.5 / 2) ** (k - 1),
        "halved the standard deviation",
    ),
    (check_leaky_relu_gain, lambda a: math.sqrt(2 / (1 + a)), "square"),
    (check_leaky_relu_gain, lambda a: 2 / (1 + a * a), "factor for the variance"),
    (check_leaky_relu_gain, lambda a: math.sqrt(2), "negative slope"),
]


@pytest.mark.parametrize("checker", RIGHT, ids=lambda c: c.__name__)
def test_right_answers_pass_and_stubs_wait(checker):
    assert_solves(checker, RIGHT[checker])


@pytest.mark.parametrize("checker, wrong, words", MISTAKES)
def test_known_mistakes_are_named(checker, wrong, words):
    assert_named(checker(wrong), words)


def test_calling_the_reference_is_caught():
    result = check_kaiming_normal(
        lambda t, g: init.kaiming_normal_(t, nonlinearity="relu", generator=g)
    )
    assert not result and "calls" in result.message
    assert not check_relu_std(init.predicted_relu_std)


def test_default_init_rms_reference_matches_torch_default_convolutions():
    """The reference is what a stack of default-initialized convolutions does (biases zeroed)."""
    from nncourse.lecture3.exercises import _default_init_rms

    torch.manual_seed(0)
    x = 0.5 * torch.randn(64, 16, 12, 12)
    h = x
    for depth in range(1, 5):
        if depth > 1:
            h = torch.relu(h)
        conv = torch.nn.Conv2d(16, 16, 3, padding=1)
        torch.nn.init.zeros_(conv.bias)
        with torch.no_grad():
            h = conv(h)
        rms = h.pow(2).mean().sqrt().item()
        assert rms == pytest.approx(_default_init_rms(depth, 0.5), rel=0.1)
