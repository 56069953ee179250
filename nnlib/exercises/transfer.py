"""Checkers for lecture 7 (transfer learning).

Each checker builds fresh glyph networks (random weights, so nothing needs the shipped file),
hands them to the student's function, and compares what comes back with nnlib's reference.
"""

from __future__ import annotations

import torch

from nnlib.exercises.core import CheckResult, check
from nnlib.regularization.averaging import update_bn
from nnlib.transfer import extract_features, freeze, glyph_cnn, layerwise_param_groups
from nnlib.transfer.distill import distillation_loss

__all__ = [
    "check_distillation_loss",
    "check_extract_codes",
    "check_freeze_all_but_head",
    "check_layerwise_lrs",
    "check_probe_inverted",
    "check_reestimate_bn",
]


def _model(seed: int, n_classes: int = 10):
    torch.manual_seed(seed)
    return glyph_cnn(n_classes)


def _flags(model) -> torch.Tensor:
    return torch.tensor([float(p.requires_grad) for p in model.parameters()])


def _student_flags(student_fn):
    def run(seed, pre_frozen):
        model = _model(seed)
        if pre_frozen:
            freeze(model, ["head"])  # the head must come back trainable
        returned = student_fn(model)
        return _flags(model if returned is None else returned)

    return run


def _reference_flags(seed, pre_frozen):
    model = _model(seed)
    for name, block in model.named_children():
        block.requires_grad_(name == "head")
    return _flags(model)


def check_freeze_all_but_head(student_fn) -> CheckResult:
    """Exercise 7.1: ``freeze_all_but_head(model)`` leaves only the head's parameters trainable.

    Compared: ``requires_grad`` of every parameter, in ``model.parameters()`` order (1 = trains).
    """
    return check(
        _student_flags(student_fn),
        _reference_flags,
        [(0, False), (1, True)],
        name="freeze_all_but_head",
        hint="loop over model.named_children(); set requires_grad on each block's parameters "
        "(the head's to True, even if it was frozen before).",
    )


def _cases_features():
    g = torch.Generator().manual_seed(71)
    return [(torch.rand(5, 1, 8, 8, generator=g), upto) for upto in ("conv1", "conv3", "fc")]


def check_extract_codes(student_fn) -> CheckResult:
    """Exercise 7.2: ``extract_codes(model, x, upto)``: run the blocks up to and including
    ``upto`` in eval mode without gradients and flatten to (N, features)."""

    def student(x, upto):
        model = _model(3)
        model.train()
        return student_fn(model, x, upto)

    def reference(x, upto):
        return extract_features(_model(3), x, upto)

    return check(
        student,
        reference,
        _cases_features(),
        name="extract_codes",
        atol=1e-5,
        hint="model.eval() first (batch norm must use its running statistics), stop after the "
        "block named upto, then .flatten(1).",
    )


def _group_summary(groups) -> torch.Tensor:
    """(lr, number of parameter tensors, number of weights) per group, first to last."""
    rows = []
    for group in groups:
        params = list(group["params"])
        rows.append([float(group["lr"]), float(len(params)), float(sum(p.numel() for p in params))])
    return torch.tensor(rows, dtype=torch.float64)


def check_layerwise_lrs(student_fn) -> CheckResult:
    """Exercise 7.3: ``layerwise_lrs(model, base_lr, decay)``: one optimizer param group per
    block with trainable parameters, first to last; the last gets ``base_lr`` and each earlier
    one ``decay`` times the next; frozen parameters are left out."""

    def build(frozen):
        model = _model(5)
        if frozen:
            freeze(model, frozen)
        return model

    def student(base_lr, decay, frozen):
        return _group_summary(student_fn(build(frozen), base_lr, decay))

    def reference(base_lr, decay, frozen):
        return _group_summary(layerwise_param_groups(build(frozen), base_lr, decay))

    cases = [(1e-2, 0.5, ()), (3e-3, 0.1, ()), (1e-3, 1.0, ()), (1e-2, 0.3, ("conv1", "fc"))]
    return check(
        student,
        reference,
        cases,
        name="layerwise_lrs",
        rtol=1e-9,
        hint="columns are (lr, parameter tensors, weights) per group; walk the blocks from the "
        "head backwards, multiplying the rate by decay at each block that still trains.",
    )


def _bn_summary(model, before) -> torch.Tensor:
    """Every BN layer's running means, then running variances (concatenated), then the
    largest change of any weight against the state dict ``before`` (0 when none moved)."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    means = torch.cat([bn.running_mean for bn in bns])
    variances = torch.cat([bn.running_var for bn in bns])
    moved = max((p.detach() - before[n]).abs().max().item() for n, p in model.named_parameters())
    return torch.cat([means, variances, torch.tensor([moved])])


def _bn_images(kind: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(72)
    if kind == "bright noise":
        return torch.rand(40, 1, 8, 8, generator=g)
    return 1 - 0.5 * torch.rand(25, 1, 8, 8, generator=g)  # "inverted, shifted"


def check_reestimate_bn(student_fn) -> CheckResult:
    """Exercise 7b.1: ``reestimate_bn(model, x)`` replaces every BN layer's running statistics
    by those of the images ``x`` (all at once: the mean, and the unbiased variance as torch
    stores it) and changes no weight.

    Compared: the running means of all BN layers, then their running variances, then the
    largest change of any weight (must be 0)."""

    def run(fn, kind, seed):
        model = _model(seed)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        returned = fn(model, _bn_images(kind))
        return _bn_summary(model if returned is None else returned, before)

    def reference(model, x):
        update_bn([(x,)], model)

    cases = [("bright noise", 7), ("inverted, shifted", 8)]
    return check(
        lambda kind, seed: run(student_fn, kind, seed),
        lambda kind, seed: run(reference, kind, seed),
        cases,
        name="reestimate_bn",
        atol=1e-4,
        rtol=1e-4,
        hint="a fresh glyph network stores mean 0 and variance 1; after your function they must "
        "be the statistics of x alone, not a blend with the old ones.",
    )


def _cases_distillation():
    g = torch.Generator().manual_seed(73)
    s, t = torch.randn(6, 10, generator=g), 3 * torch.randn(6, 10, generator=g)
    return [
        ("temperature 1", s, t, 1.0),
        ("temperature 4", s, t, 4.0),
        ("a confident teacher, temperature 2", s, 10 * t, 2.0),
    ]


def check_distillation_loss(student_fn) -> CheckResult:
    """Exercise 7b.2: ``distillation_loss(student_logits, teacher_logits, temperature)``, the
    batch-mean of T² KL(softmax(t/T) || softmax(s/T)) (Hinton et al. 2015)."""

    def student(label, s, t, temperature):
        return student_fn(s, t, temperature)

    def reference(label, s, t, temperature):
        return distillation_loss(s, t, temperature)

    return check(
        student,
        reference,
        _cases_distillation(),
        name="distillation_loss",
        atol=1e-5,
        rtol=1e-5,
        hint="soften both sets of logits by the temperature; the result must not depend on how "
        "many examples the batch holds, and its gradient not shrink as the temperature grows.",
    )


def _probe_case_data():
    """A small digits task (300 training, 100 test images) for the probe exercise."""
    from nnlib.studies.transfer import digit_tasks

    train, _, test = digit_tasks()["digits"]
    return (train[0][:300], train[1][:300]), (test[0][:100], test[1][:100])


def _probe_summary(probes) -> torch.Tensor:
    """Mean probe accuracy per cut, in the order pixels, conv1, conv2, conv3, fc."""
    return torch.tensor([float(torch.as_tensor(probes[cut]).mean()) for cut in PROBE_CUTS])


PROBE_CUTS = (None, "conv1", "conv2", "conv3", "fc")


def check_probe_inverted(student_fn, prediction=None) -> CheckResult:
    """Exercise 7.4: ``probe_inverted(pretrained, train_xy, test_xy, k, seeds)`` returns
    ``{cut: accuracies per seed}`` of linear probes on the contrast-inverted images (1 - x) at
    every cut (None = pixels), as ``transfer.linear_probe`` trains them, subsets drawn by
    ``transfer.few_shot_subset`` with each seed. ``prediction`` (the cut you expected to win) is
    reported next to the measured winner, not graded."""
    from nnlib.transfer import load_pretrained
    from nnlib.transfer.probing import best_cut, probe_layers

    pretrained = load_pretrained()
    train, test = _probe_case_data()

    memo: dict = {}
    cache: dict = {}  # codes of the inverted images, shared by every reference call

    def reference(k, seeds):
        if (k, seeds) not in memo:
            inverted = ((1 - train[0], train[1]), (1 - test[0], test[1]))
            probes = probe_layers(pretrained, *inverted, PROBE_CUTS, k, seeds, cache=cache)
            memo[k, seeds] = _probe_summary(probes)
        return memo[k, seeds]

    def student(k, seeds):
        return _probe_summary(student_fn(pretrained, train, test, k, tuple(seeds)))

    result = check(
        student,
        reference,
        [(5, (0,)), (3, (1,))],
        name="probe_inverted",
        atol=1e-6,
        hint="invert training and test images alike; for each seed draw one k-shot subset "
        "and use it at every cut, passing the same seed to linear_probe.",
    )
    if result and prediction is not None:
        measured = best_cut(dict(zip(PROBE_CUTS, reference(5, (0,)), strict=True)))
        verdict = "as you predicted" if prediction == measured else "not what you predicted"
        shown = measured or "pixels"
        result = CheckResult(True, f"{result.message} Best cut measured: {shown} ({verdict}).")
    return result
