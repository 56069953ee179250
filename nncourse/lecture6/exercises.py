"""Checkers for lecture 6 (regularization).

Each checker compares a student's function with the nnlib reference on named cases and, on a
mismatch, says which known mistake the answer looks like.
"""

from __future__ import annotations

import torch
from torch import nn

from nncourse.grading import Case, CheckResult, Misconception, check, check_value
from nnlib import models
from nnlib import regularization as R
from nnlib.regularization.dropout import dropout as reference_dropout
from nnlib.utils import model_mode

__all__ = [
    "check_dropout_noise_variance",
    "check_elastic_net_prox_step",
    "check_inverted_dropout",
    "check_mixup_pairs",
    "check_update_bn",
    "measured_dropout_variance",
]


def _reference_dropout(x, keep_mask, p, training):
    """Inverted dropout with a given keep mask (1 = keep), the formula of ``R.dropout``."""
    if not training:
        return x
    return torch.zeros_like(x) if p == 1.0 else x * keep_mask / (1.0 - p)


def check_inverted_dropout(student_fn) -> CheckResult:
    """Exercise 6.1: inverted dropout given the keep mask, in training and in eval mode."""
    g = torch.Generator().manual_seed(61)
    cases = []
    for label, shape, p, training in (
        ("training, p = 0.5", (4, 5), 0.5, True),
        ("training, p = 0.2", (3, 2), 0.2, True),
        ("training, p = 0.9", (6,), 0.9, True),
        ("eval mode, p = 0.5", (4, 5), 0.5, False),
        ("training, p = 0 (nothing dropped)", (2, 3), 0.0, True),
    ):
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        mask = (torch.rand(shape, generator=g) >= p).double()
        cases.append(Case(label, x, mask, p, training))
    mistakes = [
        Misconception(
            "you scaled at test time instead of at training time (the original, non-inverted "
            "dropout: inverted dropout divides the kept units by 1 - p during training and "
            "leaves the test-time network alone)",
            lambda x, m, p, training: x * m if training else x * (1 - p),
        ),
        Misconception(
            "you multiplied the kept units by 1 - p instead of dividing by it",
            lambda x, m, p, training: x * m * (1 - p) if training else x,
        ),
        Misconception(
            "you divided by p, the drop probability, instead of the keep probability 1 - p",
            lambda x, m, p, training: x * m / p if training else x,
        ),
        Misconception(
            "you dropped units in eval mode too",
            lambda x, m, p, training: x * m / (1 - p),
        ),
    ]
    return check(
        student_fn,
        _reference_dropout,
        cases,
        name="inverted_dropout",
        misconceptions=mistakes,
        forbid=[reference_dropout, nn.functional.dropout],
        rtol=1e-12,
        hint="the expected output of a unit in training must equal its output at test time.",
    )


def check_mixup_pairs(student_fn) -> CheckResult:
    """Exercise 6.2: mix each example (and its one-hot target) with its partner perm[i]."""
    g = torch.Generator().manual_seed(62)
    cases = []
    for label, n, lam in (
        ("four examples, ratio 0.3", 4, 0.3),
        ("six examples, ratio 0.9", 6, 0.9),
        ("ratio 1 (no mixing)", 5, 1.0),
        ("ratio 0 (all partner)", 3, 0.0),
    ):
        x = torch.randn(n, 2, generator=g, dtype=torch.float64)
        y = nn.functional.one_hot(torch.randint(0, 3, (n,), generator=g), 3).double()
        cases.append(Case(label, x, y, lam, torch.randperm(n, generator=g)))
    mistakes = [
        Misconception(
            "you mixed the inputs but not the targets",
            lambda x, y, lam, perm: (lam * x + (1 - lam) * x[perm], y),
        ),
        Misconception(
            "you put the weight lam on the partner perm[i] instead of on example i",
            lambda x, y, lam, perm: ((1 - lam) * x + lam * x[perm], (1 - lam) * y + lam * y[perm]),
        ),
    ]
    return check(
        student_fn,
        R.mix_pairs,
        cases,
        name="mixup_pairs",
        misconceptions=mistakes,
        forbid=[R.mix_pairs, R.mixup],
        rtol=1e-12,
        hint="the same convex combination for the inputs and for the targets.",
    )


# The unit of exercise 6.3: weights, inputs and drop probability, stated in the exercise.
NOISE_W = (1.0, -2.0, 0.5, 3.0)
NOISE_X = (2.0, 1.0, 4.0, -1.0)
NOISE_P = 0.25


def measured_dropout_variance(n_masks: int = 400_000, seed: int = 63) -> float:
    """The variance of the inverted-dropout unit z = sum_i w_i m_i x_i / (1 - p) of exercise 6.3,
    measured over ``n_masks`` masks drawn by nnlib's dropout (``R.dropout``, torch's masks)."""
    w = torch.tensor(NOISE_W, dtype=torch.float64)
    x = torch.tensor(NOISE_X, dtype=torch.float64)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        z = R.dropout(x.expand(n_masks, -1), NOISE_P, training=True) @ w
    return z.var().item()


def check_dropout_noise_variance(prediction) -> CheckResult:
    """Exercise 6.3: the variance over the masks of one inverted-dropout unit, predicted with
    pen and paper (``prediction()`` returns it) and graded against the variance measured over
    400 000 masks drawn by nnlib's dropout (sampling error about 0.3 %, tolerance 3 %)."""
    terms = sum((w * x) ** 2 for w, x in zip(NOISE_W, NOISE_X, strict=True))
    mean = sum(w * x for w, x in zip(NOISE_W, NOISE_X, strict=True))
    p = NOISE_P
    return check_value(
        prediction,
        measured_dropout_variance,
        name="predicted_variance",
        misconceptions={
            "you left out the rescaling by 1 / (1 - p): the kept terms are scaled up": p
            * (1 - p)
            * terms,
            "you gave the second moment E[z^2], not the variance around the mean": p
            / (1 - p)
            * terms
            + mean**2,
            "you squared the sum; the masks are independent, so the variances of the terms add": p
            / (1 - p)
            * mean**2,
            "you used the keep probability where the drop probability belongs": (1 - p) / p * terms,
            "you gave the standard deviation, not the variance": (p / (1 - p) * terms) ** 0.5,
        },
        rtol=0.03,
        hint="write z as a sum of independent terms and add their variances.",
    )


def _bn_problem(seed: int, n_batches: int, batch: int):
    """A small BN network with stale running statistics, and batches of inputs whose
    statistics differ from the stale ones."""
    torch.manual_seed(seed)
    model = models.mlp([6, 8, 8, 3], norm="batch")
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm1d):
                layer.running_mean.copy_(torch.randn(layer.num_features, generator=g))
                layer.running_var.copy_(0.1 + torch.rand(layer.num_features, generator=g))
                layer.num_batches_tracked.fill_(50)
    batches = [2.0 + 3.0 * torch.randn(batch, 6, generator=g) for _ in range(n_batches)]
    return model.eval(), batches


def _bn_outcome(model: nn.Module) -> tuple:
    layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    means = torch.cat([m.running_mean for m in layers]).detach().clone()
    variances = torch.cat([m.running_var for m in layers]).detach().clone()
    momenta = torch.tensor([-1.0 if m.momentum is None else m.momentum for m in layers])
    return means, variances, momenta, torch.tensor(model.training)


def _run_update(update, seed, n_batches, batch):
    model, batches = _bn_problem(seed, n_batches, batch)
    with torch.no_grad():
        update(batches, model)
    return _bn_outcome(model)


def _mistaken_update(reset: bool, momentum, train_mode: bool = True, restore: bool = True):
    def update(batches, model):
        layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
        saved = [m.momentum for m in layers]
        for m in layers:
            if reset:
                m.reset_running_stats()
            m.momentum = momentum
        with model_mode(model, train_mode):
            for x in batches:
                model(x)
        if restore:
            for m, value in zip(layers, saved, strict=True):
                m.momentum = value

    return update


def check_update_bn(student_fn) -> CheckResult:
    """Exercise 6.4: recompute the BN running statistics of a model with one pass over batches.

    The outcome compared is (running means, running variances, momenta, training flag) after
    ``student_fn(batches, model)``, for a model whose statistics are stale.
    """
    cases = [
        Case("one batch of 32", 0, 1, 32),
        Case("five batches of 16", 1, 5, 16),
        Case("twenty batches of 8", 2, 20, 8),
    ]

    def wrapped(fn):
        return lambda seed, n, b: _run_update(fn, seed, n, b)

    mistakes = [
        Misconception(
            "you did not reset the statistics, so the stale ones still count in the average",
            wrapped(_mistaken_update(reset=False, momentum=None)),
        ),
        Misconception(
            "you kept BN's momentum 0.1: an exponential average dominated by the last batches "
            "(and by the stale values when there are few), not the plain mean over all batches",
            wrapped(_mistaken_update(reset=True, momentum=0.1)),
        ),
        Misconception(
            "you ran the batches in eval mode, which uses the running statistics instead of "
            "updating them",
            wrapped(_mistaken_update(reset=True, momentum=None, train_mode=False)),
        ),
        Misconception(
            "you left momentum at None afterwards: restore each layer's momentum",
            wrapped(_mistaken_update(reset=True, momentum=None, restore=False)),
        ),
    ]
    return check(
        wrapped(student_fn),
        wrapped(R.update_bn),
        cases,
        name="update_bn",
        misconceptions=mistakes,
        forbid=[R.update_bn, torch.optim.swa_utils.update_bn],
        rtol=1e-5,
        atol=1e-6,
        hint="reset, average every batch equally (what does momentum=None do?), restore.",
    )


# --- the elastic net's proximal step --------------------------------------------------------


def _elastic_net_prox(w, grad, lr, l1, l2):
    """argmin_u (1/2)(u - v)^2 + lr l1 |u| + lr l2 u^2 / 2 per coordinate, v = w - lr grad: the
    soft threshold at lr l1, divided by 1 + lr l2."""
    return _soft(w - lr * grad, lr * l1) / (1 + lr * l2)


def check_elastic_net_prox_step(student_fn) -> CheckResult:
    """Exercise 6.5: one proximal gradient step on L(w) + l1 ||w||_1 + (l2 / 2) ||w||^2, the
    gradient step on the data loss L only, the proximal step on both penalties."""
    g = torch.Generator().manual_seed(65)

    def draw(n):
        return torch.randn(n, generator=g, dtype=torch.float64)

    cases = [
        Case("small weights end at zero", 0.05 * draw(8), 0.1 * draw(8), 0.1, 1.0, 0.5),
        Case("large weights shrink", 3 + draw(6).abs(), draw(6), 0.1, 0.5, 2.0),
        Case("mixed signs and sizes", draw(10), draw(10), 0.2, 2.0, 1.0),
        Case("no L1 term: L2's proximal step alone", draw(5), draw(5), 0.1, 0.0, 3.0),
        Case("no L2 term: L1's soft threshold", draw(5), draw(5), 0.1, 1.0, 0.0),
    ]
    mistakes = [
        Misconception(
            "you put the L2 term into the gradient step, w - lr (grad + l2 w), and "
            "soft-thresholded that: a valid algorithm, but not the proximal step of both "
            "penalties that the exercise asks for",
            lambda w, grad, lr, l1, l2: _soft(w - lr * (grad + l2 * w), lr * l1),
        ),
        Misconception(
            "you multiplied by 1 - lr l2 (an explicit decay step) where the minimiser divides",
            lambda w, grad, lr, l1, l2: _soft(w - lr * grad, lr * l1) * (1 - lr * l2),
        ),
        Misconception(
            "you divided before thresholding: the threshold must be applied to v itself",
            lambda w, grad, lr, l1, l2: _soft((w - lr * grad) / (1 + lr * l2), lr * l1),
        ),
        Misconception(
            "you left out the L2 term",
            lambda w, grad, lr, l1, l2: _soft(w - lr * grad, lr * l1),
        ),
        Misconception(
            "you took a subgradient step: it jumps over zero instead of stopping there",
            lambda w, grad, lr, l1, l2: w - lr * (grad + l1 * torch.sign(w) + l2 * w),
        ),
        Misconception(
            "you thresholded at l1 instead of lr * l1",
            lambda w, grad, lr, l1, l2: _soft(w - lr * grad, l1) / (1 + lr * l2),
        ),
    ]
    return check(
        student_fn,
        _elastic_net_prox,
        cases,
        name="elastic_net_prox_step",
        misconceptions=mistakes,
        forbid=[R.l1_proximal_step, R.soft_threshold_],
        rtol=1e-12,
        atol=1e-12,
        hint="minimise (1/2)(u - v)^2 + lr l1 |u| + lr l2 u^2 / 2 for u > 0 and u < 0 separately.",
    )


def _soft(v: torch.Tensor, threshold: float) -> torch.Tensor:
    return v.sign() * (v.abs() - threshold).clamp_min(0.0)
