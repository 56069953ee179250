"""Lecture 7 checkers: a correct solution passes, a wrong one fails with a useful message, and
a stub is told that it is not implemented yet."""

import pytest
import torch

from nnlib import transfer
from nnlib.exercises import check_extract_codes, check_freeze_all_but_head, check_layerwise_lrs


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize(
    "checker", [check_freeze_all_but_head, check_extract_codes, check_layerwise_lrs]
)
def test_stubs_are_not_implemented_yet(checker):
    result = checker(_stub)
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

    def freezes_everything(model):
        model.requires_grad_(False)
        return model

    assert check_freeze_all_but_head(right)
    half = check_freeze_all_but_head(forgets_to_unfreeze_head)
    assert not half and "case 2 of 2" in half.message and "hint" in half.message
    assert not check_freeze_all_but_head(freezes_everything)


def test_extract_codes():
    def right(model, x, upto):
        model.eval()
        with torch.no_grad():
            for name, block in model.named_children():
                x = block(x)
                if name == upto:
                    return x.flatten(1)

    def train_mode(model, x, upto):
        with torch.no_grad():
            for name, block in model.named_children():
                x = block(x)
                if name == upto:
                    return x.flatten(1)

    def one_block_too_far(model, x, upto):
        names = [n for n, _ in model.named_children()]
        nxt = names[min(names.index(upto) + 1, len(names) - 1)]
        return transfer.extract_features(model, x, nxt)

    assert check_extract_codes(right)
    wrong = check_extract_codes(train_mode)
    assert not wrong and "values differ" in wrong.message and "model.eval()" in wrong.message
    shape = check_extract_codes(one_block_too_far)
    assert not shape and "shape" in shape.message


def test_layerwise_lrs():
    def right(model, base_lr, decay):
        groups, lr = [], base_lr
        for _, block in reversed(list(model.named_children())):
            params = [p for p in block.parameters() if p.requires_grad]
            if params:
                groups.append({"params": params, "lr": lr})
                lr *= decay
        return groups[::-1]

    def counts_frozen_blocks(model, base_lr, decay):
        groups, lr = [], base_lr
        for _, block in reversed(list(model.named_children())):
            params = [p for p in block.parameters() if p.requires_grad]
            if params:
                groups.append({"params": params, "lr": lr})
            lr *= decay
        return groups[::-1]

    def one_rate(model, base_lr, decay):
        return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": base_lr}]

    assert check_layerwise_lrs(right)
    frozen = check_layerwise_lrs(counts_frozen_blocks)
    assert not frozen and "case 4 of 4" in frozen.message
    assert not check_layerwise_lrs(one_rate)
