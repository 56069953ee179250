"""Checkers for lecture 3 (weight initialization).

Each checker compares a student's function with the nnlib reference on named cases and, on a
mismatch, says which known mistake the answer looks like.
"""

from __future__ import annotations

import math

import torch

from nncourse.grading import Case, CheckResult, Misconception, check
from nnlib import init

__all__ = [
    "check_default_init_rms",
    "check_kaiming_normal",
    "check_leaky_relu_gain",
    "check_predicted_std",
    "check_relu_std",
]


def _fans(shape) -> tuple[int, int]:
    return init.fan_in_and_fan_out(torch.empty(shape))


def _normal(shape, seed, std):
    return torch.empty(shape).normal_(0.0, std, generator=torch.Generator().manual_seed(seed))


def check_kaiming_normal(student_fn) -> CheckResult:
    """Exercise 3.1: Kaiming normal for ReLU, fan_in mode, drawing with the given generator."""

    def reference(shape, seed):
        tensor = torch.empty(shape)
        generator = torch.Generator().manual_seed(seed)
        return init.kaiming_normal_(tensor, nonlinearity="relu", generator=generator)

    def student(shape, seed):
        tensor = torch.empty(shape)
        student_fn(tensor, torch.Generator().manual_seed(seed))
        return tensor

    mistakes = [
        Misconception(
            "you used fan_out (the number of outputs) where Kaiming's forward rule needs fan_in",
            lambda shape, seed: _normal(shape, seed, math.sqrt(2 / _fans(shape)[1])),
        ),
        Misconception(
            "you used the variance 2 / fan_in as the standard deviation",
            lambda shape, seed: _normal(shape, seed, 2 / _fans(shape)[0]),
        ),
        Misconception(
            "you left out ReLU's factor 2: N(0, 1 / fan_in) is LeCun's initialization",
            lambda shape, seed: _normal(shape, seed, math.sqrt(1 / _fans(shape)[0])),
        ),
        Misconception(
            "you ignored the kernel: a convolution's fan_in is in_channels times the kernel size",
            lambda shape, seed: _normal(shape, seed, math.sqrt(2 / shape[1])),
        ),
    ]
    cases = [
        Case("a linear layer, 48 x 32", (48, 32), 0),
        Case("a linear layer with a wide input, 10 x 200", (10, 200), 1),
        Case("a 5 x 5 convolution, 16 x 3 x 5 x 5", (16, 3, 5, 5), 2),
        Case("a single weight", (1, 1), 3),
    ]
    return check(
        student,
        reference,
        cases,
        name="kaiming_normal",
        misconceptions=mistakes,
        forbid=[init.kaiming_normal_, torch.nn.init.kaiming_normal_],
        rtol=1e-6,
        hint="draw with tensor.normal_(0, std, generator=generator); which std keeps the "
        "second moment of ReLU outputs constant?",
    )


def _default_init_rms(depth, input_rms):
    """RMS of layer ``depth``'s pre-activations in a conv -> ReLU stack with PyTorch's default
    weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (variance 1 / (3 fan_in)), zero biases: the first
    layer multiplies the second moment by 1/3, every later one (after a ReLU) by 1/6."""
    return input_rms * math.sqrt(1 / 3) * (1 / math.sqrt(6)) ** (depth - 1)


def check_default_init_rms(student_fn) -> CheckResult:
    """Exercise 3.2: the scale PyTorch's default initialization leaves after ``depth`` layers."""
    cases = [
        Case("one layer, unit inputs", 1, 1.0),
        Case("two layers, unit inputs", 2, 1.0),
        Case("five layers, inputs of RMS 0.5", 5, 0.5),
        Case("twenty layers, inputs of RMS 2", 20, 2.0),
    ]
    mistakes = [
        Misconception(
            "you took the bound 1/sqrt(fan_in) as the standard deviation; a uniform "
            "distribution on [-b, b] has variance b^2/3",
            lambda k, x: x * (1 / math.sqrt(2)) ** (k - 1),
        ),
        Misconception(
            "you left out ReLU's factor 1/2 on the second moment",
            lambda k, x: x * (1 / math.sqrt(3)) ** k,
        ),
        Misconception(
            "you applied ReLU's factor 1/2 before the first layer too; the inputs are not "
            "rectified",
            lambda k, x: x * (1 / math.sqrt(6)) ** k,
        ),
        Misconception(
            "you multiplied the standard deviations by the variance factors",
            lambda k, x: x * (1 / 3) * (1 / 6) ** (k - 1),
        ),
    ]
    return check(
        student_fn,
        _default_init_rms,
        cases,
        name="default_init_rms",
        misconceptions=mistakes,
        rtol=1e-6,
        hint="a uniform distribution on [-b, b] has variance b^2/3; the kernel and the channels "
        "enter only through fan_in.",
    )


def check_predicted_std(student_fn) -> CheckResult:
    """Exercise 3.3: activation std after k linear layers."""
    cases = [
        Case("one layer", 1, 0.1, 100, 1.0),
        Case("ten layers that keep the scale", 10, 0.1, 100, 1.0),
        Case("ten growing layers, input std 2", 10, 0.12, 100, 2.0),
        Case("fifty shrinking layers", 50, 1 / 20, 256, 1.0),
        Case("twenty layers, input std 0.5", 20, 0.05, 256, 0.5),
    ]
    mistakes = [
        Misconception(
            "you multiplied the standard deviation by width * sigma**2 per layer; that is the "
            "factor for the variance",
            lambda k, s, w, x: x * (w * s**2) ** k,
        ),
        Misconception(
            "you left out the input's own standard deviation",
            lambda k, s, w, x: (s * math.sqrt(w)) ** k,
        ),
        Misconception(
            "you counted k - 1 layers instead of k",
            lambda k, s, w, x: x * (s * math.sqrt(w)) ** (k - 1),
        ),
    ]
    return check(
        student_fn,
        init.predicted_linear_std,
        cases,
        name="predicted_std",
        misconceptions=mistakes,
        forbid=[init.predicted_linear_std],
        rtol=1e-9,
        hint="start from Var(w^T v) = d Var(w) Var(v) and apply it k times.",
    )


def check_relu_std(student_fn) -> CheckResult:
    """Exercise 3.4: std of the pre-activations of layer k of a ReLU MLP."""
    cases = [
        Case("layer 1 (it sees the raw inputs)", 1, 0.1, 100, 1.0),
        Case("layer 5 at Kaiming's variance", 5, math.sqrt(2 / 128), 128, 1.0),
        Case("layer 10 at LeCun's variance", 10, math.sqrt(1 / 128), 128, 1.0),
        Case("layer 20, weights too large, input std 0.5", 20, 0.15, 128, 0.5),
    ]

    def halved_everywhere(k, s, w, x):
        return math.sqrt(x**2 * (w * s**2 / 2) ** k)

    def halved_std(k, s, w, x):
        return x * s * math.sqrt(w) * (s * math.sqrt(w) / 2) ** (k - 1)

    mistakes = [
        Misconception(
            "you used the linear network's formula: ReLU halves the second moment at every layer "
            "after the first",
            init.predicted_linear_std,
        ),
        Misconception(
            "you halved at layer 1 too, but layer 1 sees the raw inputs, not ReLU outputs",
            halved_everywhere,
        ),
        Misconception(
            "you halved the standard deviation; ReLU halves the second moment (the variance)",
            halved_std,
        ),
    ]
    return check(
        student_fn,
        init.predicted_relu_std,
        cases,
        name="predicted_relu_std",
        misconceptions=mistakes,
        forbid=[init.predicted_relu_std],
        rtol=1e-9,
        hint="which layers see ReLU outputs, and what is E[relu(z)^2] for symmetric z?",
    )


def check_leaky_relu_gain(student_fn) -> CheckResult:
    """Exercise 3.5: the gain that keeps the variance of a leaky-ReLU network constant."""
    cases = [
        Case("slope 0 (plain ReLU)", 0.0),
        Case("slope 0.01 (torch's default)", 0.01),
        Case("slope 0.2", 0.2),
        Case("slope 1 (no nonlinearity)", 1.0),
    ]
    mistakes = [
        Misconception(
            "you used the slope, not its square: the negative half contributes a^2 Var(z) / 2",
            lambda a: math.sqrt(2 / (1 + a)),
        ),
        Misconception(
            "you returned the factor for the variance; the gain multiplies the standard deviation",
            lambda a: 2 / (1 + a**2),
        ),
        Misconception(
            "you ignored the negative slope: sqrt(2) is plain ReLU's gain", lambda a: 2**0.5
        ),
    ]
    return check(
        student_fn,
        lambda a: init.calculate_gain("leaky_relu", a),
        cases,
        name="leaky_relu_gain",
        misconceptions=mistakes,
        forbid=[init.calculate_gain, torch.nn.init.calculate_gain],
        rtol=1e-9,
        hint="compute E[leaky_relu(z)^2] for z ~ N(0, s^2), one half at a time.",
    )
