"""The lecture 6 checkers accept correct solutions and explain wrong ones."""

import pytest

from nnlib.exercises import check_inverted_dropout, check_mixup_pairs, check_swa_update


def _dropout(x, keep_mask, p, training):
    if not training:
        return x
    return x * keep_mask / (1 - p) if p < 1 else x * 0


def _dropout_unscaled(x, keep_mask, p, training):
    return x * keep_mask if training else x


def _mix(x, y, lam, perm):
    return lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]


def _mix_inputs_only(x, y, lam, perm):
    return lam * x + (1 - lam) * x[perm], y


def _swa(w_swa, w, n):
    return (n * w_swa + w) / (n + 1)


def _swa_off_by_one(w_swa, w, n):
    return (n * w_swa + w) / n if n else w


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize(
    "checker, right, wrong, hint",
    [
        (check_inverted_dropout, _dropout, _dropout_unscaled, "divide by the keep probability"),
        (check_mixup_pairs, _mix, _mix_inputs_only, "the same for the targets"),
        (check_swa_update, _swa, _swa_off_by_one, "(n * w_swa + w) / (n + 1)"),
    ],
)
def test_checkers(checker, right, wrong, hint):
    assert checker(right)
    result = checker(wrong)
    assert not result and "is wrong" in result.message and hint in result.message
    assert "not implemented yet" in checker(_stub).message
