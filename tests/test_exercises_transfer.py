"""Lecture 7 checkers: the reference passes, a stub is told "not implemented yet", and each known
wrong answer is named by its misconception."""

import pytest
import torch
from exercise_helpers import assert_named, stub

from nncourse.lecture7 import exercises as ex
from nnlib import transfer
from nnlib.regularization.averaging import update_bn
from nnlib.transfer.distill import distillation_loss

CHEAP = [
    ex.check_freeze_all_but_head,
    ex.check_extract_codes,
    ex.check_layerwise_lrs,
    ex.check_reestimate_bn,
    ex.check_distillation_loss,
]


@pytest.mark.parametrize("checker", CHEAP)
def test_stubs_are_not_implemented_yet(checker):
    result = checker(stub)
    assert not result and "not implemented yet" in result.message


def test_freeze_all_but_head():
    def right(model):
        for name, block in model.named_children():
            for p in block.parameters():
                p.requires_grad = name == "head"

    def forgets_to_unfreeze_head(model):
        for name, block in model.named_children():
            if name != "head":
                block.requires_grad_(False)

    assert ex.check_freeze_all_but_head(right)
    half = ex.check_freeze_all_but_head(forgets_to_unfreeze_head)
    assert_named(half, "did not make the head trainable again")
    assert "head was frozen" in half.message  # the case is named
    assert_named(ex.check_freeze_all_but_head(lambda m: m.requires_grad_(False)), "head included")


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


def _reestimate(model, x):
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    with torch.no_grad():
        model(x)
    return model.eval()


def test_reestimate_bn():
    assert ex.check_reestimate_bn(_reestimate)
    assert_named(ex.check_reestimate_bn(ex._one_pass_with_momentum), "momentum")
    assert_named(ex.check_reestimate_bn(ex._biased_variance), "biased variance")
    assert_named(ex.check_reestimate_bn(ex._trained_a_step), "changed weights")
    caught = ex.check_reestimate_bn(lambda m, x: update_bn([(x,)], m))
    assert not caught and "update_bn" in caught.message


def test_distillation_loss():
    def right(s, t, temperature):
        log_s = torch.log_softmax(s / temperature, 1)
        log_t = torch.log_softmax(t / temperature, 1)
        return temperature**2 * (log_t.exp() * (log_t - log_s)).sum(1).mean()

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
    caught = ex.check_freeze_bn_stats(transfer.freeze_bn_statistics)
    assert not caught and "freeze_bn_statistics" in caught.message


def test_hint_loss():
    def right(r, h):
        return 0.5 * ((r - h) ** 2).sum(dim=(1, 2, 3)).mean()

    assert ex.check_hint_loss(right)
    assert "not implemented yet" in ex.check_hint_loss(stub).message
    assert_named(
        ex.check_hint_loss(lambda r, h: 0.5 * torch.nn.functional.mse_loss(r, h)), "mse_loss"
    )
    assert_named(ex.check_hint_loss(lambda r, h: 2 * right(r, h)), "1/2")
    assert_named(ex.check_hint_loss(lambda r, h: len(r) * right(r, h)), "summed over the batch")
    assert_named(
        ex.check_hint_loss(lambda r, h: 0.5 * (r - h).flatten(1).norm(dim=1).mean()), "square"
    )
