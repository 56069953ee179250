"""Helpers shared by the exercise-checker tests (pytest puts tests/ on the import path)."""

import torch


def stub(*args, **kwargs):
    """A student's untouched exercise: it still raises NotImplementedError."""
    raise NotImplementedError


def assert_solves(checker, solution):
    """``checker`` accepts ``solution`` and tells an untouched :func:`stub` it is not implemented
    yet; returns the solution's result for further checks."""
    result = checker(solution)
    assert result, result.message
    waiting = checker(stub)
    assert not waiting and "not implemented yet" in waiting.message, waiting.message
    return result


def assert_named(result, words):
    """The check failed and its feedback names a known mistake containing ``words``."""
    assert not result
    assert "known mistake" in result.message and words in result.message, result.message


def distillation_loss_by_hand(student_logits, teacher_logits, temperature):
    """Exercise 7b.2's answer written out: the KL divergence between the softened teacher and
    student distributions, scaled by the temperature squared."""
    log_s = torch.log_softmax(student_logits / temperature, 1)
    log_t = torch.log_softmax(teacher_logits / temperature, 1)
    return temperature**2 * (log_t.exp() * (log_t - log_s)).sum(1).mean()
