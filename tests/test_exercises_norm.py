"""Lecture 4's checkers: the reference passes, a stub is "not implemented yet", every known
mistake is named, and calling the reference is caught."""

import math

import pytest
import torch
from exercise_helpers import assert_named, assert_solves

from nncourse.lecture4 import exercises as ex
from nnlib import norm


def _batchnorm_forward(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    if training:
        mean, var = x.mean(dim=0), x.var(dim=0, unbiased=False)
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / torch.sqrt(var + eps) + delta


def _update_running_stats(running_mean, running_var, x, momentum):
    batch_size = x.shape[0]
    new_mean = (1 - momentum) * running_mean + momentum * x.mean(dim=0)
    unbiased = x.var(dim=0, unbiased=False) * batch_size / (batch_size - 1)
    return new_mean, (1 - momentum) * running_var + momentum * unbiased


def _batchnorm_backward(dy, x, gamma, eps=1e-5):
    batch_size = x.shape[0]
    sigma = torch.sqrt(x.var(dim=0, unbiased=False) + eps)
    x_hat = (x - x.mean(dim=0)) / sigma
    dgamma, ddelta = (dy * x_hat).sum(dim=0), dy.sum(dim=0)
    dx = gamma / (batch_size * sigma) * (batch_size * dy - ddelta - x_hat * dgamma)
    return dx, dgamma, ddelta


def _unbiased_factor(batch_size):
    return ((batch_size - 1) / batch_size) ** 0.5


def _group_norm(x, num_groups, gamma, delta, eps=1e-5):
    grouped = x.reshape(x.shape[0], num_groups, -1)
    mean = grouped.mean(dim=2, keepdim=True)
    var = grouped.var(dim=2, unbiased=False, keepdim=True)
    y = ((grouped - mean) / torch.sqrt(var + eps)).reshape(x.shape)
    shape = [1, -1] + [1] * (x.dim() - 2)
    return y * gamma.view(shape) + delta.view(shape)


SOLUTIONS = [
    (ex.check_batchnorm_forward, _batchnorm_forward),
    (ex.check_running_stats, _update_running_stats),
    (ex.check_batchnorm_backward, _batchnorm_backward),
    (ex.check_unbiased_factor, _unbiased_factor),
    (ex.check_group_norm, _group_norm),
    (ex.check_running_average, lambda r, b, m: (1 - m) * r + m * b),
    (
        ex.check_layer_norm,
        lambda x, g, b, eps=1e-5: (
            g
            * (x - x.mean(-1, keepdim=True))
            / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + eps)
            + b
        ),
    ),
]


@pytest.mark.parametrize("checker, solution", SOLUTIONS)
def test_solution_passes_and_stub_is_not_implemented(checker, solution):
    assert_solves(checker, solution)


def test_batchnorm_forward_names_each_mistake():
    def unbiased(x, gamma, delta, rm, rv, training, eps=1e-5):
        if not training:
            return _batchnorm_forward(x, gamma, delta, rm, rv, training, eps)
        return gamma * (x - x.mean(0)) / torch.sqrt(x.var(0) + eps) + delta

    assert_named(ex.check_batchnorm_forward(unbiased), "unbiased variance")

    def running_always(x, gamma, delta, rm, rv, training, eps=1e-5):
        return _batchnorm_forward(x, gamma, delta, rm, rv, False, eps)

    assert_named(ex.check_batchnorm_forward(running_always), "running statistics in training mode")

    def batch_always(x, gamma, delta, rm, rv, training, eps=1e-5):
        return _batchnorm_forward(x, gamma, delta, rm, rv, True, eps)

    assert_named(ex.check_batchnorm_forward(batch_always), "batch statistics in eval mode")

    def eps_outside(x, gamma, delta, rm, rv, training, eps=1e-5):
        mean, var = (x.mean(0), x.var(0, unbiased=False)) if training else (rm, rv)
        return gamma * (x - mean) / (torch.sqrt(var) + eps) + delta

    assert_named(ex.check_batchnorm_forward(eps_outside), "eps outside the square root")

    def no_affine(x, gamma, delta, rm, rv, training, eps=1e-5):
        return _batchnorm_forward(
            x, torch.ones_like(gamma), torch.zeros_like(delta), rm, rv, training, eps
        )

    assert_named(ex.check_batchnorm_forward(no_affine), "gamma and the shift")


def test_batchnorm_forward_catches_the_reference():
    def cheat(x, gamma, delta, rm, rv, training, eps=1e-5):
        return norm.batch_norm(x, x.mean(0), x.var(0, unbiased=False), gamma, delta, eps)

    result = ex.check_batchnorm_forward(cheat)
    assert not result and "batch_norm" in result.message


def test_running_stats_names_each_mistake():
    def biased(rm, rv, x, m):
        return (1 - m) * rm + m * x.mean(0), (1 - m) * rv + m * x.var(0, unbiased=False)

    assert_named(ex.check_running_stats(biased), "biased batch variance")

    def swapped(rm, rv, x, m):
        return m * rm + (1 - m) * x.mean(0), m * rv + (1 - m) * x.var(0)

    assert_named(ex.check_running_stats(swapped), "weighs the old value")

    def std(rm, rv, x, m):
        return (1 - m) * rm + m * x.mean(0), (1 - m) * rv + m * x.std(0, unbiased=False)

    assert_named(ex.check_running_stats(std), "standard deviation")


def test_batchnorm_backward_names_each_mistake():
    def constant_stats(dy, x, gamma, eps=1e-5):
        _dx, dgamma, ddelta = _batchnorm_backward(dy, x, gamma, eps)
        return gamma * dy / torch.sqrt(x.var(0, unbiased=False) + eps), dgamma, ddelta

    assert_named(ex.check_batchnorm_backward(constant_stats), "as constants")

    def mean_only(dy, x, gamma, eps=1e-5):
        _dx, dgamma, ddelta = _batchnorm_backward(dy, x, gamma, eps)
        sigma = torch.sqrt(x.var(0, unbiased=False) + eps)
        return gamma * (dy - dy.mean(0)) / sigma, dgamma, ddelta

    assert_named(ex.check_batchnorm_backward(mean_only), "not the one through sigma_B")

    def dgamma_sum(dy, x, gamma, eps=1e-5):
        dx, _, ddelta = _batchnorm_backward(dy, x, gamma, eps)
        return dx, dy.sum(0), ddelta

    assert_named(ex.check_batchnorm_backward(dgamma_sum), "times x_hat")

    def averaged(dy, x, gamma, eps=1e-5):
        dx, dgamma, ddelta = _batchnorm_backward(dy, x, gamma, eps)
        return dx, dgamma / len(x), ddelta / len(x)

    assert_named(ex.check_batchnorm_backward(averaged), "they are sums")


def test_batchnorm_backward_catches_autograd():
    def with_autograd(dy, x, gamma, eps=1e-5):
        x = x.clone().requires_grad_(True)
        gamma = gamma.clone().requires_grad_(True)
        delta = torch.zeros_like(gamma, requires_grad=True)
        y = gamma * (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps) + delta
        return torch.autograd.grad(y, (x, gamma, delta), dy)

    result = ex.check_batchnorm_backward(with_autograd)
    assert not result and "autograd.grad" in result.message


def test_unbiased_factor_names_each_mistake():
    assert_named(ex.check_unbiased_factor(lambda b: (b / (b - 1)) ** 0.5), "inverted")
    assert_named(ex.check_unbiased_factor(lambda b: (b - 1) / b), "square root")
    assert_named(ex.check_unbiased_factor(lambda b: 1.0), "no change")


def test_group_norm_names_each_mistake():
    def instance(x, groups, gamma, delta, eps=1e-5):
        return _group_norm(x, x.shape[1], gamma, delta, eps)

    assert_named(ex.check_group_norm(instance), "instance norm")

    def layer(x, groups, gamma, delta, eps=1e-5):
        return _group_norm(x, 1, gamma, delta, eps)

    assert_named(ex.check_group_norm(layer), "layer norm")

    def batch(x, groups, gamma, delta, eps=1e-5):
        dims = (0, *range(2, x.dim()))
        mean, var = x.mean(dims, keepdim=True), x.var(dims, unbiased=False, keepdim=True)
        shape = [1, -1] + [1] * (x.dim() - 2)
        return (x - mean) / torch.sqrt(var + eps) * gamma.view(shape) + delta.view(shape)

    assert_named(ex.check_group_norm(batch), "over the batch")

    def unbiased(x, groups, gamma, delta, eps=1e-5):
        grouped = x.reshape(x.shape[0], groups, -1)
        y = (grouped - grouped.mean(2, keepdim=True)) / torch.sqrt(
            grouped.var(2, keepdim=True) + eps
        )
        shape = [1, -1] + [1] * (x.dim() - 2)
        return y.reshape(x.shape) * gamma.view(shape) + delta.view(shape)

    assert_named(ex.check_group_norm(unbiased), "unbiased variance")

    def cheat(x, groups, gamma, delta, eps=1e-5):
        return torch.nn.functional.group_norm(x, groups, gamma, delta, eps)

    result = ex.check_group_norm(cheat)
    assert not result and "group_norm" in result.message


def test_running_average_and_layer_norm_name_mistakes():
    assert_named(
        ex.check_running_average(lambda r, b, m: m * r + (1 - m) * b), "weighs the old value"
    )

    def over_batch(x, gamma, delta, eps=1e-5):
        mean, var = x.mean(0), x.var(0, unbiased=False)
        return gamma * (x - mean) / torch.sqrt(var + eps) + delta

    assert_named(ex.check_layer_norm(over_batch), "over the batch")


def _renorm(x, running_mean, running_var, r_max, d_max, eps=1e-5):
    mean = x.mean(dim=0)
    std = torch.sqrt(x.var(dim=0, unbiased=False) + eps)
    running_std = torch.sqrt(running_var + eps)
    r = (std / running_std).clamp(1 / r_max, r_max)
    d = ((mean - running_mean) / running_std).clamp(-d_max, d_max)
    return (x - mean) / std * r + d


def _direction_norm(v_norm, g, grad_w_perp, lr):
    return math.sqrt(v_norm**2 + (lr * g * grad_w_perp / v_norm) ** 2)


def _expected_std(batch_size):
    return math.sqrt(2 / batch_size) * math.gamma(batch_size / 2) / math.gamma((batch_size - 1) / 2)


@pytest.mark.parametrize(
    "checker, solution",
    [
        (ex.check_batch_renorm, _renorm),
        (ex.check_direction_norm_after_step, _direction_norm),
        (ex.check_expected_batch_std, _expected_std),
    ],
)
def test_lecture_4b_solutions_pass_and_stubs_wait(checker, solution):
    assert_solves(checker, solution)


def test_batch_renorm_names_each_mistake():
    def unclipped(x, rm, rv, r_max, d_max, eps=1e-5):
        return _renorm(x, rm, rv, float("inf"), float("inf"), eps)

    assert_named(ex.check_batch_renorm(unclipped), "did not clip")

    def inverted(x, rm, rv, r_max, d_max, eps=1e-5):
        mean = x.mean(0)
        std = torch.sqrt(x.var(0, unbiased=False) + eps)
        running_std = torch.sqrt(rv + eps)
        r = (running_std / std).clamp(1 / r_max, r_max)
        d = ((mean - rm) / running_std).clamp(-d_max, d_max)
        return (x - mean) / std * r + d

    assert_named(ex.check_batch_renorm(inverted), "inverted")

    def plain(x, rm, rv, r_max, d_max, eps=1e-5):
        return (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)

    assert_named(ex.check_batch_renorm(plain), "plain batch norm")

    def running(x, rm, rv, r_max, d_max, eps=1e-5):
        return (x - rm) / torch.sqrt(rv + eps)

    assert_named(ex.check_batch_renorm(running), "did not clip")


def test_direction_norm_prediction_matches_a_step_of_torch_weight_norm():
    """The reference is what one SGD step on torch's weight-normalized layer does to ||v||."""
    torch.manual_seed(0)
    layer = torch.nn.utils.weight_norm(torch.nn.Linear(5, 1, bias=False), dim=0)
    with torch.no_grad():
        layer.weight_g.fill_(2.5)
    loss = (layer(torch.randn(8, 5)) - torch.randn(8, 1)).pow(2).mean()
    (grad_w,) = torch.autograd.grad(loss, layer.weight, retain_graph=True)
    loss.backward()
    v, w = layer.weight_v.detach()[0], layer.weight.detach()[0]
    grad_perp = grad_w[0] - (grad_w[0] @ w) / (w @ w) * w
    lr = 0.3
    after = (v - lr * layer.weight_v.grad[0]).norm().item()
    predicted = ex._direction_norm_after_step(v.norm().item(), 2.5, grad_perp.norm().item(), lr)
    assert predicted == pytest.approx(after, rel=1e-5)
    assert after > v.norm().item()


def test_direction_norm_names_each_mistake():
    assert_named(ex.check_direction_norm_after_step(lambda v, g, d, lr: v), "unchanged")
    assert_named(
        ex.check_direction_norm_after_step(lambda v, g, d, lr: math.sqrt(v * v + (lr * d) ** 2)),
        "g / ||v||",
    )
    assert_named(
        ex.check_direction_norm_after_step(lambda v, g, d, lr: v + lr * g * d / v), "squares"
    )


def test_expected_batch_std_names_each_mistake():
    assert_named(
        ex.check_expected_batch_std(lambda b: ((b - 1) / b) ** 0.5),
        "square root of the mean variance",
    )
    assert_named(ex.check_expected_batch_std(lambda b: (b - 1) / b), "not the standard deviation")
    assert_named(ex.check_expected_batch_std(lambda b: 1.0), "biased")
