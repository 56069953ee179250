"""Checkers for lecture 5b (learning-rate schedules) and 5c (sharpness and reparametrization)."""

from __future__ import annotations

import math

import torch
from torch import nn

from nncourse.grading import Case, CheckResult, Misconception, check
from nnlib import models, schedules

__all__ = [
    "check_adaptive_test_error",
    "check_cosine_schedule",
    "check_cyclic_schedule",
    "check_grid_close_probability",
    "check_plateau_lrs",
    "check_rescale_relu",
    "check_same_noise_lr",
    "check_second_layer_factor",
]


def check_cosine_schedule(student_fn) -> CheckResult:
    """Exercise 5b.1: cosine annealing from lr0 to eta_min over T_max steps."""
    cases = [
        Case("the start", 0, 0.1, 100, 0.0),
        Case("the first step", 1, 0.1, 100, 0.0),
        Case("half-way", 50, 0.1, 100, 0.0),
        Case("the step before the end", 99, 0.1, 100, 0.0),
        Case("the end", 100, 0.1, 100, 0.0),
        Case("a floor eta_min = 0.01, a quarter of the way", 15, 1.0, 60, 0.01),
        Case("a floor eta_min = 0.01, three quarters of the way", 45, 1.0, 60, 0.01),
    ]
    return check(
        student_fn,
        schedules.cosine_lr,
        cases,
        name="cosine_schedule",
        misconceptions=[
            Misconception(
                "you ignored eta_min: the schedule should end at eta_min, not 0",
                lambda t, lr0, T, lo: lr0 * (1 + math.cos(math.pi * t / T)) / 2,
            ),
            Misconception(
                "you used cos(π t / T_max) without the (1 + ...) / 2: the rate goes negative",
                lambda t, lr0, T, lo: lo + (lr0 - lo) * math.cos(math.pi * t / T),
            ),
            Misconception(
                "you used half a cosine period too few: cos(π t / (2 T_max)) stops at the middle",
                lambda t, lr0, T, lo: lo + (lr0 - lo) * (1 + math.cos(math.pi * t / (2 * T))) / 2,
            ),
        ],
        forbid=[schedules.cosine_lr],
        rtol=1e-12,
        atol=1e-15,
        hint="start at lr0 (t = 0), end at eta_min (t = T_max), half a cosine period between.",
    )


def check_cyclic_schedule(student_fn) -> CheckResult:
    """Exercise 5b.2: torch's CyclicLR in "triangular2" mode (the amplitude halves every cycle)."""
    cases = [
        Case("the start", 0, 0.01, 0.1, 10),
        Case("the first peak", 10, 0.01, 0.1, 10),
        Case("going down in the first cycle", 14, 0.01, 0.1, 10),
        Case("the second peak", 30, 0.01, 0.1, 10),
        Case("rising in the third cycle", 43, 0.01, 0.1, 10),
        Case("the fourth peak, half-period 4", 28, 0.001, 0.01, 4),
    ]

    def triangular(t, lo, hi, half):
        return schedules.cyclic_lr(t, lo, hi, half)

    def halved_each_half_cycle(t, lo, hi, half):
        x = abs(t / half - 2 * math.floor(1 + t / (2 * half)) + 1)
        return lo + (hi - lo) * max(0.0, 1 - x) / 2 ** math.floor(t / half)

    def whole_rate_halved(t, lo, hi, half):
        cycle = math.floor(1 + t / (2 * half))
        return schedules.cyclic_lr(t, lo, hi, half) / 2 ** (cycle - 1)

    return check(
        student_fn,
        lambda t, lo, hi, half: schedules.cyclic_lr(t, lo, hi, half, mode="triangular2"),
        cases,
        name="cyclic_schedule",
        misconceptions=[
            Misconception(
                "you kept the amplitude constant (torch's plain 'triangular')", triangular
            ),
            Misconception(
                "you halved the amplitude every half-cycle; it halves once per full cycle "
                "(up and down)",
                halved_each_half_cycle,
            ),
            Misconception(
                "you halved the whole rate, base_lr included; only the part above base_lr halves",
                whole_rate_halved,
            ),
        ],
        forbid=[schedules.cyclic_lr],
        rtol=1e-12,
        atol=1e-15,
        hint="first find which cycle t is in and where in that cycle it lies.",
    )


def _plateau_reference(values, lr0, factor, patience):
    return schedules.plateau_lrs(values, lr0, factor=factor, patience=patience, threshold=0.0)


def check_plateau_lrs(student_fn) -> CheckResult:
    """Exercise 5b.3: the learning rates ReduceLROnPlateau sets after each validation loss."""
    flat_then_better = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    noisy = [2.0, 1.5, 1.6, 1.4, 1.45, 1.42, 1.41, 1.43, 1.39, 1.40, 1.40, 1.40, 1.40, 1.41]
    cases = [
        Case("a plateau then an improvement, patience 2", flat_then_better, 0.1, 0.5, 2),
        Case("noisy losses, patience 1", noisy, 1.0, 0.1, 1),
        Case("always improving", [5.0, 4.0, 3.0, 2.0, 1.0], 0.1, 0.1, 0),
        Case("never improving, patience 0", [1.0] * 5, 1.0, 0.5, 0),
    ]

    def off_by_one(values, lr0, factor, patience):  # reduces once bad == patience
        lr, best, bad, out = lr0, math.inf, 0, []
        for value in values:
            if value < best:
                best, bad = value, 0
            else:
                bad += 1
            if bad >= patience and bad > 0:
                lr, bad = lr * factor, 0
            out.append(lr)
        return out

    def no_reset(values, lr0, factor, patience):  # keeps counting after a reduction
        lr, best, bad, out = lr0, math.inf, 0, []
        for value in values:
            if value < best:
                best, bad = value, 0
            else:
                bad += 1
            if bad > patience:
                lr *= factor
            out.append(lr)
        return out

    def against_last(values, lr0, factor, patience):  # compares with the previous value
        lr, last, bad, out = lr0, math.inf, 0, []
        for value in values:
            bad = 0 if value < last else bad + 1
            last = value
            if bad > patience:
                lr, bad = lr * factor, 0
            out.append(lr)
        return out

    return check(
        student_fn,
        _plateau_reference,
        cases,
        name="plateau_lrs",
        misconceptions=[
            Misconception(
                "you reduce as soon as the count of bad epochs equals patience; torch waits "
                "until it exceeds patience",
                off_by_one,
            ),
            Misconception(
                "you did not reset the count of bad epochs after reducing the rate",
                no_reset,
            ),
            Misconception(
                "you compared each loss with the previous one; compare with the best so far",
                against_last,
            ),
        ],
        forbid=[schedules.plateau_lrs, schedules.ReduceLROnPlateau],
        rtol=1e-12,
        hint="keep the best value so far and a count of epochs without improvement.",
    )


def _rescale_reference(W1, b1, W2, alpha):
    net = nn.Sequential(nn.Linear(W1.shape[1], W1.shape[0]), nn.ReLU(), nn.Linear(*W2.shape[::-1]))
    with torch.no_grad():
        net[0].weight.copy_(W1)
        net[0].bias.copy_(b1)
        net[2].weight.copy_(W2)
    models.rescale_relu_layers(net, 0, 2, alpha)
    return net[0].weight.detach(), net[0].bias.detach(), net[2].weight.detach()


def check_rescale_relu(student_fn) -> CheckResult:
    """Exercise 5c.1: Dinh et al.'s rescaling of two ReLU layers (the function is unchanged)."""
    g = torch.Generator().manual_seed(5)
    cases = []
    for label, alpha, shape in (
        ("alpha = 5", 5.0, (4, 3, 2)),
        ("alpha = 0.2", 0.2, (4, 3, 2)),
        ("a wider layer, alpha = 3", 3.0, (8, 5, 3)),
    ):
        hidden, d_in, d_out = shape
        W1 = torch.randn(hidden, d_in, generator=g, dtype=torch.float64)
        b1 = torch.randn(hidden, generator=g, dtype=torch.float64)
        W2 = torch.randn(d_out, hidden, generator=g, dtype=torch.float64)
        cases.append(Case(label, W1, b1, W2, alpha))
    return check(
        student_fn,
        _rescale_reference,
        cases,
        name="rescale_relu",
        misconceptions=[
            Misconception(
                "you left the first layer's bias alone: ReLU(αWx + b) is not α ReLU(Wx + b)",
                lambda W1, b1, W2, a: (a * W1, b1, W2 / a),
            ),
            Misconception(
                "you multiplied the second layer by α too; it must undo the first: 1/α",
                lambda W1, b1, W2, a: (a * W1, a * b1, a * W2),
            ),
        ],
        forbid=[models.rescale_relu_layers],
        rtol=1e-12,
        hint="ReLU is positively homogeneous: ReLU(α z) = α ReLU(z) for α > 0.",
    )


def _grid_close(radius):
    """P(|x* - nearest of {-4, -2, 0}| <= radius) for x* ~ U(-4, 0), radius <= 1."""
    return (radius + 2 * radius + radius) / 4  # one side at -4 and 0, both sides at -2


def check_grid_close_probability(student_fn) -> CheckResult:
    """Exercise 5b.4: the probability that the grid's nearest value lies within ``radius`` of a
    uniform optimum on [-4, 0] (grid -4, -2, 0)."""
    return check(
        student_fn,
        _grid_close,
        [Case(f"radius {r}", r) for r in (0.25, 0.1, 0.5, 1.0)],
        name="grid_close_probability",
        misconceptions=[
            Misconception(
                "you counted a whole interval around each of the three grid values, but the end "
                "points -4 and 0 have the range on one side only",
                lambda r: 3 * 2 * r / 4,
            ),
            Misconception(
                "you counted a one-sided interval at every grid value: the middle one, -2, has "
                "the range on both sides",
                lambda r: 3 * r / 4,
            ),
        ],
        rtol=1e-6,
    )


def check_second_layer_factor(student_fn) -> CheckResult:
    """Exercise 5c.2: the factor on the second layer's Hessian block after rescaling by alpha."""
    return check(
        student_fn,
        lambda alpha: alpha**2,
        [Case(f"c = {a}", a) for a in (0.5, 2.0, 5.0, 1.0)],
        name="second_layer_factor",
        misconceptions=[
            Misconception(
                "your factor is linear in c: the block is quadratic in the activations",
                lambda alpha: alpha,
            ),
            Misconception(
                "your factor shrinks when c grows, but the activations grow with c",
                lambda alpha: alpha**-2,
            ),
        ],
        rtol=1e-9,
    )


def check_same_noise_lr(student_fn) -> CheckResult:
    """Exercise 5c.3: the learning rate at batch size ``batch`` with noise scale lr0 / batch0."""
    return check(
        student_fn,
        lambda batch0, lr0, batch: lr0 * batch / batch0,
        [
            Case("B = 32, lr = 0.02, to B = 512", 32, 0.02, 512),
            Case("B = 128, lr = 0.1, to B = 32", 128, 0.1, 32),
            Case("B = 64, lr = 0.05, to B = 64", 64, 0.05, 64),
        ],
        name="same_noise_lr",
        misconceptions=[
            Misconception(
                "you scaled with the square root of the batch ratio; eta/B needs the full ratio",
                lambda batch0, lr0, batch: lr0 * math.sqrt(batch / batch0),
            ),
            Misconception(
                "you divided by the batch ratio: a larger batch needs a larger eta",
                lambda batch0, lr0, batch: lr0 * batch0 / batch,
            ),
        ],
        rtol=1e-9,
    )


def check_adaptive_test_error(student_fn) -> CheckResult:
    """Exercise 5c.4: the test error of weights equal on (label, constant, constant) when each
    new example's label is +1 with probability ``p``."""
    return check(
        student_fn,
        lambda p: 1 - p,
        [Case(f"P(label +1) = {p}", p) for p in (0.6, 0.75, 0.9)],
        name="adaptive_test_error",
        misconceptions=[
            Misconception(
                "that is the probability of the majority class, not the error", lambda p: p
            )
        ],
        atol=1e-9,
        rtol=0.0,
    )
