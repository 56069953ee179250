"""Lecture 7 checkers: the reference passes, a stub is told "not implemented yet", and each known
wrong answer is named by its misconception."""

import pytest
import torch
from exercise_helpers import assert_named, distillation_loss_by_hand, stub

from nncourse.lecture7 import exercises as ex
from nnlib import transfer
from nnlib.transfer.distill import distillation_loss

CHEAP = [
    ex.check_probe_parameters,
    ex.check_extract_codes,
    ex.check_layerwise_lrs,
    ex.check_stale_bn_output,
    ex.check_distillation_loss,
]


@pytest.mark.parametrize("checker", CHEAP)
def test_stubs_are_not_implemented_yet(checker):
    result = checker(stub)
    assert not result and "not implemented yet" in result.message


def test_probe_parameters():
    def right(c, n, k, s, p, m):
        return (c * ((n + 2 * p - k) // s + 1) ** 2 + 1) * m

    assert ex.check_probe_parameters(right)
    assert_named(
        ex.check_probe_parameters(lambda c, n, k, s, p, m: right(c, n, k, s, p, m) - m), "biases"
    )
    assert_named(
        ex.check_probe_parameters(lambda c, n, k, s, p, m: (c * n * n + 1) * m), "input's size"
    )


def test_probe_parameters_reference_counts_a_real_probe():
    conv = torch.nn.Conv2d(3, 32, 3, stride=2, padding=1)
    codes = conv(torch.zeros(1, 3, 14, 14)).flatten(1)
    probe = torch.nn.Linear(codes.shape[1], 10)
    assert sum(p.numel() for p in probe.parameters()) == ex._probe_parameters(32, 14, 3, 2, 1, 10)


@torch.no_grad()
def _codes(model, x, upto, flatten=True, mode="eval", extra=0):
    model.train(mode == "train")
    names = [n for n, _ in model.named_children()]
    stop = names[names.index(upto) + extra]
    for name, block in model.named_children():
        x = block(x)
        if name == stop:
            return x.flatten(1) if flatten else x


def test_extract_codes():
    assert ex.check_extract_codes(_codes)
    assert_named(
        ex.check_extract_codes(lambda m, x, u: _codes(m, x, u, mode="train")), "train mode"
    )
    assert_named(ex.check_extract_codes(lambda m, x, u: _codes(m, x, u, extra=1)), "one block past")
    assert_named(ex.check_extract_codes(lambda m, x, u: _codes(m, x, u, flatten=False)), "flatten")
    caught = ex.check_extract_codes(lambda m, x, u: transfer.extract_features(m, x, u))
    assert not caught and "extract_features" in caught.message


def test_layerwise_lrs():
    def right(model, base_lr, decay):
        groups, lr = [], base_lr
        for _, block in reversed(list(model.named_children())):
            params = [p for p in block.parameters() if p.requires_grad]
            if params:
                groups.append({"params": params, "lr": lr})
                lr *= decay
        return groups[::-1]

    assert ex.check_layerwise_lrs(right)
    assert_named(ex.check_layerwise_lrs(ex._groups_counting_frozen), "frozen block still counted")
    assert_named(ex.check_layerwise_lrs(ex._groups_upside_down), "wrong way")

    def one_rate(model, base_lr, decay):
        return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": base_lr}]

    assert_named(ex.check_layerwise_lrs(one_rate), "same rate")


def test_stale_bn_output():
    def right(ms, vs, mt, vt, g, b, e):
        scale = g / (vs + e) ** 0.5
        return scale * (mt - ms) + b, abs(scale) * vt**0.5

    assert ex.check_stale_bn_output(right)

    def target_statistics(ms, vs, mt, vt, g, b, e):
        return b, abs(g) * (vt / (vt + e)) ** 0.5

    assert_named(ex.check_stale_bn_output(target_statistics), "target's own")


def test_stale_bn_reference_matches_torch_eval_mode():
    bn = torch.nn.BatchNorm1d(1).double().eval()
    with torch.no_grad():
        bn.running_mean.fill_(0.5)
        bn.running_var.fill_(0.25)
        bn.weight.fill_(-1.5)
        bn.bias.fill_(0.2)
    x = -0.3 + 0.2 * torch.randn(
        100_000, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    with torch.no_grad():
        y = bn(x)
    mean, std = ex._stale_bn_output(0.5, 0.25, x.mean().item(), x.var().item(), -1.5, 0.2, bn.eps)
    assert y.mean().item() == pytest.approx(mean, rel=1e-6)
    assert y.std().item() == pytest.approx(std, rel=1e-6)


def test_distillation_loss():
    right = distillation_loss_by_hand
    assert ex.check_distillation_loss(right)
    assert_named(ex.check_distillation_loss(lambda s, t, T: right(s, t, T) / T**2), "T²")
    assert_named(ex.check_distillation_loss(lambda s, t, T: len(s) * right(s, t, T)), "summed")
    assert_named(ex.check_distillation_loss(lambda s, t, T: right(t, s, T)), "swapped")

    def teacher_raw(s, t, temperature):
        log_s = torch.log_softmax(s / temperature, 1)
        log_t = torch.log_softmax(t, 1)
        return temperature**2 * (log_t.exp() * (log_t - log_s)).sum(1).mean()

    assert_named(ex.check_distillation_loss(teacher_raw), "only the student")
    caught = ex.check_distillation_loss(distillation_loss)
    assert not caught and "distillation_loss" in caught.message


def _probes(pretrained, train_xy, test_xy, k, seeds, invert_train=True, invert_test=True):
    train = (1 - train_xy[0] if invert_train else train_xy[0], train_xy[1])
    test = (1 - test_xy[0] if invert_test else test_xy[0], test_xy[1])
    return {
        cut: torch.tensor(
            [
                transfer.linear_probe(
                    pretrained, transfer.few_shot_subset(*train, k, seed=s), test, cut, seed=s
                )
                for s in seeds
            ]
        )
        for cut in ex.PROBE_CUTS
    }


def test_probe_inverted_passes_the_reference_names_its_mistakes_and_reports_the_prediction():
    right = ex.check_probe_inverted(_probes, prediction="fc")
    assert (
        right and "Best cut measured" in right.message and "not what you predicted" in right.message
    )
    assert "not implemented yet" in ex.check_probe_inverted(stub).message
    assert_named(
        ex.check_probe_inverted(lambda *a: _probes(*a, invert_train=False, invert_test=False)),
        "original digits",
    )
    assert_named(
        ex.check_probe_inverted(lambda *a: _probes(*a, invert_test=False)), "tested on the original"
    )


def _keep_bn_eval(model):
    def hook(module, inputs):
        module.train(False)

    for bn in ex._bn_layers(model):
        bn.eval()
        bn.register_forward_pre_hook(hook)
    return model


def test_freeze_bn_stats():
    assert ex.check_freeze_bn_stats(_keep_bn_eval)
    assert "not implemented yet" in ex.check_freeze_bn_stats(stub).message
    assert_named(ex.check_freeze_bn_stats(ex._eval_once), "undoes a one-time eval()")
    assert_named(ex.check_freeze_bn_stats(ex._bn_params_frozen), "requires_grad freezes only")
    # the colleague's version of the task, and the fix that still freezes the scale and shift
    assert_named(ex.check_freeze_bn_stats(ex._colleagues_freeze), "no longer train")
    assert_named(ex.check_freeze_bn_stats(ex._frozen_and_fixed), "your statistics stay fixed")
    caught = ex.check_freeze_bn_stats(transfer.freeze_bn_statistics)
    assert not caught and "freeze_bn_statistics" in caught.message


def test_hint_loss():
    def right(r, h):
        return 0.5 * ((r - h) ** 2).sum(dim=(1, 2, 3)).mean()

    assert ex.check_hint_loss(right)
    assert "not implemented yet" in ex.check_hint_loss(stub).message
    assert_named(ex.check_hint_loss(lambda r, h: 0.5 * ((r - h) ** 2).mean()), "mse_loss")
    called = ex.check_hint_loss(lambda r, h: 0.5 * torch.nn.functional.mse_loss(r, h))
    assert not called and "calls `torch.nn.functional.mse_loss`" in called.message
    assert_named(ex.check_hint_loss(lambda r, h: 2 * right(r, h)), "1/2")
    assert_named(ex.check_hint_loss(lambda r, h: len(r) * right(r, h)), "summed over the batch")
    assert_named(
        ex.check_hint_loss(lambda r, h: 0.5 * (r - h).flatten(1).norm(dim=1).mean()), "square"
    )


def test_the_gradient_factor_is_graded_with_the_distillation_loss():
    right = distillation_loss_by_hand
    assert ex.check_distillation_loss(right, prediction=lambda: 16.0)
    assert_named(ex.check_distillation_loss(right, prediction=lambda: 4.0), "carries it twice")
