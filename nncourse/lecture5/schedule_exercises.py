"""Checkers for lecture 5b (learning-rate schedules) and 5c (sharpness and reparametrization)."""

from __future__ import annotations

import math

import torch

from nncourse.grading import Case, CheckResult, Misconception, check, with_prediction
from nnlib import schedules

__all__ = [
    "check_cosine_schedule",
    "check_grid_close_probability",
    "check_largest_linear_batch",
    "check_mean_cyclic_lr",
    "check_plateau_lrs",
    "check_rescaled_sharpness",
    "check_top_eigenvalue",
    "check_weighted_test_error",
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
                "your rate goes negative: you used cos(π t / T_max) without the (1 + ...) / 2",
                lambda t, lr0, T, lo: lo + (lr0 - lo) * math.cos(math.pi * t / T),
            ),
            Misconception(
                "you used half a cosine period too few: cos(π t / (2 T_max)) stops at the middle",
                lambda t, lr0, T, lo: lo + (lr0 - lo) * (1 + math.cos(math.pi * t / (2 * T))) / 2,
            ),
        ],
        forbid=[schedules.cosine_lr, torch.optim.lr_scheduler.CosineAnnealingLR],
        rtol=1e-12,
        atol=1e-15,
        hint="start at lr0 (t = 0), end at eta_min (t = T_max), half a cosine period between.",
    )


def _mean_cyclic_lr(base_lr, max_lr, cycles):
    """The average of torch's CyclicLR in mode "triangular2" over its first ``cycles`` full
    cycles: each triangle averages half its height, and the heights halve cycle by cycle."""
    return base_lr + (max_lr - base_lr) * (1 - 2.0**-cycles) / cycles


def check_mean_cyclic_lr(student_fn) -> CheckResult:
    """Exercise 5b.2: the average learning rate of "triangular2" over its first ``cycles``
    cycles, predicted."""
    return check(
        student_fn,
        _mean_cyclic_lr,
        [
            Case("one cycle, 0.01 to 0.1", 0.01, 0.1, 1),
            Case("two cycles, 0.01 to 0.1", 0.01, 0.1, 2),
            Case("five cycles, 0.001 to 0.05", 0.001, 0.05, 5),
            Case("twenty cycles, base 0", 0.0, 0.3, 20),
        ],
        name="mean_cyclic_lr",
        misconceptions=[
            Misconception(
                "you averaged the peaks, max_lr included; a triangle averages half its height",
                lambda lo, hi, n: lo + (hi - lo) * 2 * (1 - 2.0**-n) / n,
            ),
            Misconception(
                "you kept the height constant (plain 'triangular'); it halves every cycle",
                lambda lo, hi, n: lo + (hi - lo) / 2,
            ),
            Misconception(
                "you halved the whole rate, base_lr included; only the part above base_lr halves",
                lambda lo, hi, n: (lo + (hi - lo) / 2) * 2 * (1 - 2.0**-n) / n,
            ),
            Misconception(
                "you used only the last cycle's height; the average runs over every cycle",
                lambda lo, hi, n: lo + (hi - lo) / 2**n,
            ),
        ],
        rtol=1e-9,
        atol=1e-12,
    )


def _plateau_reference(values, lr0, factor, patience):
    return schedules.plateau_lrs(values, lr0, factor=factor, patience=patience, threshold=0.0)


def check_plateau_lrs(student_fn, prediction=None) -> CheckResult:
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

    result = check(
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
        forbid=[
            schedules.plateau_lrs,
            schedules.ReduceLROnPlateau,
            torch.optim.lr_scheduler.ReduceLROnPlateau,
        ],
        rtol=1e-12,
        hint="keep the best value so far and a count of epochs without improvement.",
    )
    if prediction is None:
        return result
    return with_prediction(
        result,
        prediction,
        lambda: _plateau_reference(PLATEAU_PREDICTION_LOSSES, 0.1, 0.5, 2)[-1],
        name="predicted_last_rate",
        misconceptions={
            "your value is what the broken version sets (it compares with the previous loss and "
            "reduces at patience)": _broken_plateau(PLATEAU_PREDICTION_LOSSES, 0.1, 0.5, 2)[-1],
        },
    )


PLATEAU_PREDICTION_LOSSES = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]


def _broken_plateau(losses, lr0, factor, patience):
    """The task's broken rule (compares with the previous loss, reduces at patience, never
    resets the count)."""
    lr, previous, bad, rates = lr0, math.inf, 0, []
    for loss in losses:
        bad = 0 if loss < previous else bad + 1
        previous = loss
        if bad >= patience:
            lr = lr * factor
        rates.append(lr)
    return rates


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
                "you counted a whole interval around each of the three grid values: the end "
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


def _rescaled_sharpness(w1, w2, x, alpha):
    """lambda_max of the loss (w2 relu(w1 x) - y)^2 / 2 at zero residual after the rescaling
    w1 -> alpha w1, w2 -> w2 / alpha (w1 x > 0): the Hessian is J J^T with J = (w2 x, w1 x)."""
    return x**2 * ((alpha * w1) ** 2 + (w2 / alpha) ** 2)


def check_rescaled_sharpness(student_fn) -> CheckResult:
    """Exercise 5c.2: the largest Hessian eigenvalue of a one-unit ReLU network at a minimum,
    after Dinh et al.'s rescaling by alpha."""
    return check(
        student_fn,
        _rescaled_sharpness,
        [
            Case("w1 = 1, w2 = 1, x = 1, c = 1", 1.0, 1.0, 1.0, 1.0),
            Case("w1 = 1, w2 = 2, x = 1, c = 5", 1.0, 2.0, 1.0, 5.0),
            Case("w1 = 0.5, w2 = 3, x = 2, c = 0.2", 0.5, 3.0, 2.0, 0.2),
            Case("w1 = 2, w2 = -1, x = 0.5, c = 3", 2.0, -1.0, 0.5, 3.0),
        ],
        name="rescaled_sharpness",
        misconceptions=[
            Misconception(
                "you rescaled only the first layer's part; the second weight shrinks by c",
                lambda w1, w2, x, alpha: x**2 * ((alpha * w1) ** 2 + w2**2),
            ),
            Misconception(
                "you left out the input: both entries of the gradient of f carry a factor x",
                lambda w1, w2, x, alpha: (alpha * w1) ** 2 + (w2 / alpha) ** 2,
            ),
            Misconception(
                "you swapped the roles: df/dw1 is w2 x and df/dw2 is w1 x",
                lambda w1, w2, x, alpha: x**2 * ((w1 / alpha) ** 2 + (alpha * w2) ** 2),
            ),
            Misconception(
                "you returned the unrescaled sharpness; the function is the same, its Hessian "
                "is not",
                lambda w1, w2, x, alpha: x**2 * (w1**2 + w2**2),
            ),
        ],
        rtol=1e-6,
    )


def _largest_linear_batch(batch0, lr0, sharpness):
    """The largest batch size B >= 1 whose linearly scaled rate lr0 B / batch0 stays below 2 /
    sharpness (gradient descent's stability limit)."""
    return max(1, math.ceil(2 * batch0 / (lr0 * sharpness)) - 1)


def check_largest_linear_batch(student_fn) -> CheckResult:
    """Exercise 5c.3: how far the linear scaling rule (same eta / B) can go before the rate
    crosses 2 / lambda_max."""
    return check(
        student_fn,
        _largest_linear_batch,
        [
            Case("B0 = 32, lr0 = 0.02, sharpness 12", 32, 0.02, 12.0),
            Case("B0 = 128, lr0 = 0.1, sharpness 3.7", 128, 0.1, 3.7),
            Case("B0 = 64, lr0 = 0.05, sharpness 150", 64, 0.05, 150.0),
            Case("B0 = 8, lr0 = 0.013, sharpness 0.9", 8, 0.013, 0.9),
        ],
        name="largest_linear_batch",
        misconceptions=[
            Misconception(
                "you used the limit 1 / lambda_max; gradient descent is stable up to 2 / lambda",
                lambda batch0, lr0, sharpness: max(1, math.ceil(batch0 / (lr0 * sharpness)) - 1),
            ),
            Misconception(
                "you returned a batch size that is not an integer; round down to a batch below "
                "the limit",
                lambda batch0, lr0, sharpness: 2 * batch0 / (lr0 * sharpness),
            ),
            Misconception(
                "you scaled the rate with the square root of the batch ratio; eta / B fixed needs "
                "the full ratio",
                lambda batch0, lr0, sharpness: max(
                    1, math.ceil(batch0 * (2 / (lr0 * sharpness)) ** 2) - 1
                ),
            ),
        ],
        atol=0.0,
        rtol=0.0,
    )


def _weighted_test_error(a, b, p):
    """Test error of sign(a y + 2 b) (weight a on the label feature y, b on each of two constant
    features) when y = +1 with probability p: y = +1 is wrong when a + 2 b <= 0, y = -1 when
    -a + 2 b >= 0 (a score of 0 counts as wrong)."""
    return p * float(a + 2 * b <= 0) + (1 - p) * float(2 * b - a >= 0)


def check_weighted_test_error(student_fn) -> CheckResult:
    """Exercise 5c.4: the test error of weights (a, b, b) on (label, constant, constant) when
    each new example's label is +1 with probability ``p``."""
    return check(
        student_fn,
        _weighted_test_error,
        [
            Case("equal weights a = b = 1, p = 0.75", 1.0, 1.0, 0.75),
            Case("the label feature only, a = 1, b = 0.1, p = 0.6", 1.0, 0.1, 0.6),
            Case("a = 3, b = 1, p = 0.9", 3.0, 1.0, 0.9),
            Case("a = 0.5, b = -1, p = 0.7", 0.5, -1.0, 0.7),
            Case("a = -2, b = 0.3, p = 0.4", -2.0, 0.3, 0.4),
        ],
        name="weighted_test_error",
        misconceptions=[
            Misconception(
                "you returned 1 - p whatever the weights; equal weights are one case of many",
                lambda a, b, p: 1 - p,
            ),
            Misconception(
                "you counted one constant feature; the examples carry two",
                lambda a, b, p: p * float(a + b <= 0) + (1 - p) * float(b - a >= 0),
            ),
            Misconception(
                "you returned the accuracy, not the error",
                lambda a, b, p: 1 - _weighted_test_error(a, b, p),
            ),
        ],
        atol=1e-9,
        rtol=0.0,
    )


class MatVec:
    """``H v`` for a fixed symmetric matrix ``H`` (what a Hessian-vector product gives; the
    matrix itself stays hidden from the function under test)."""

    def __init__(self, H: torch.Tensor) -> None:
        self._H = H

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        return self._H @ v


def _largest_magnitude(matvec, n, steps):
    values = torch.linalg.eigvalsh(matvec._H)
    return values[values.abs().argmax()].item()


def _rotated(values, seed):
    """Q diag(values) Q^T with a random orthogonal Q."""
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(len(values), len(values), generator=g, dtype=torch.float64))
    return Q @ torch.diag(torch.tensor(values, dtype=torch.float64)) @ Q.T


def _unnormalized(matvec, n, steps):
    v = torch.ones(n, dtype=torch.float64)
    for _ in range(steps):
        v = matvec(v)
    return v.norm().item()


def _norm_not_rayleigh(matvec, n, steps):
    v = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for _ in range(steps):
        v = matvec(v)
        v = v / v.norm()
    return matvec(v).norm().item()


def _ones_start(matvec, n, steps):
    v = torch.ones(n, dtype=torch.float64)
    for _ in range(steps):
        v = matvec(v)
        v = v / v.norm()
    return float(v @ matvec(v))


def check_top_eigenvalue(student_fn) -> CheckResult:
    """Exercise 5c.1: power iteration for the eigenvalue of largest magnitude, with its sign."""
    pair = torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=torch.float64) / math.sqrt(2)
    # eigenvalue 4 along (1, -1), 1 along (1, 1): a start at the vector of ones never sees 4
    hidden = pair @ torch.diag(torch.tensor([1.0, 4.0], dtype=torch.float64)) @ pair.T
    cases = [
        Case("H = diag(3, 1)", MatVec(torch.diag(torch.tensor([3.0, 1.0]).double())), 2, 100),
        Case(
            "a negative eigenvalue of largest magnitude, diag(-5, 2, 1)",
            MatVec(torch.diag(torch.tensor([-5.0, 2.0, 1.0]).double())),
            3,
            100,
        ),
        Case("top eigenvector orthogonal to the vector of ones", MatVec(hidden), 2, 100),
        Case(
            "a rotated 6 x 6 matrix", MatVec(_rotated([10.0, 3.0, 2.0, 1.0, -1.0, -2.0], 3)), 6, 100
        ),
    ]
    return check(
        student_fn,
        _largest_magnitude,
        cases,
        name="top_eigenvalue",
        misconceptions=[
            Misconception(
                "v is never normalized: it grows like |λ|^steps, so its norm is no eigenvalue "
                "(and overflows on a large matrix)",
                _unnormalized,
            ),
            Misconception(
                "you returned |H v| for a unit v: that is |λ|, the sign is lost; the Rayleigh "
                "quotient v·Hv keeps it",
                _norm_not_rayleigh,
            ),
            Misconception(
                "the start is the vector of ones: where it is orthogonal to the top eigenvector "
                "the iteration never finds it; start from a random vector",
                _ones_start,
            ),
        ],
        rtol=1e-6,
        atol=1e-8,
        fresh=False,
        hint="Normalize v after every product, start from a random vector, and return the "
        "Rayleigh quotient v·(H v) of the unit vector.",
    )
