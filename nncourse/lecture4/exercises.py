"""Checkers for lecture 4 (normalization).

Every reference is nnlib's own layer (``nnlib.norm``), run on the case's inputs; each checker
knows the usual wrong answers for its exercise and names the one it sees.
"""

from __future__ import annotations

import math

import torch

from nncourse.grading import Case, CheckResult, Misconception, check
from nnlib import norm

__all__ = [
    "check_batch_renorm",
    "check_batchnorm_backward",
    "check_batchnorm_forward",
    "check_direction_norm_after_step",
    "check_expected_batch_std",
    "check_group_norm",
    "check_layer_norm",
    "check_running_average",
    "check_running_stats",
    "check_unbiased_factor",
]

_F64 = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _layer(x, gamma, delta, running_mean, running_var, eps):
    layer = norm.BatchNorm1d(x.shape[1], eps=eps).double()
    with torch.no_grad():
        layer.weight.copy_(gamma)
        layer.bias.copy_(delta)
        layer.running_mean.copy_(running_mean)
        layer.running_var.copy_(running_var)
    return layer


# ---- exercise 4.1: the forward pass ------------------------------------------------------


def _reference_batchnorm(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    layer = _layer(x, gamma, delta, running_mean, running_var, eps)
    layer.train(training)
    with torch.no_grad():
        return layer(x)


def _normalize(x, mean, var, gamma, delta, eps):
    return gamma * (x - mean) / torch.sqrt(var + eps) + delta


def _bn_cases():
    g = _gen(4)
    cases = []
    for label, n, c, training in (
        ("training mode, 8 examples x 3 features", 8, 3, True),
        ("training mode, 32 examples x 5 features", 32, 5, True),
        ("eval mode, 4 examples x 2 features", 4, 2, False),
        ("eval mode, 16 examples x 6 features", 16, 6, False),
        ("training mode, a batch of 2", 2, 1, True),
    ):
        x = torch.randn(n, c, generator=g, dtype=_F64) * 3 + 1
        gamma = torch.rand(c, generator=g, dtype=_F64) + 0.5
        delta = torch.randn(c, generator=g, dtype=_F64)
        mean = torch.randn(c, generator=g, dtype=_F64)
        var = torch.rand(c, generator=g, dtype=_F64) + 0.5
        cases.append(Case(label, x, gamma, delta, mean, var, training))
    return cases


def _bn_unbiased(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    if not training:
        return _normalize(x, running_mean, running_var, gamma, delta, eps)
    return _normalize(x, x.mean(0), x.var(0, unbiased=True), gamma, delta, eps)


def _bn_running_in_training(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    return _normalize(x, running_mean, running_var, gamma, delta, eps)


def _bn_batch_in_eval(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    return _normalize(x, x.mean(0), x.var(0, unbiased=False), gamma, delta, eps)


def _bn_eps_outside(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    mean, var = (x.mean(0), x.var(0, unbiased=False)) if training else (running_mean, running_var)
    return gamma * (x - mean) / (torch.sqrt(var) + eps) + delta


def _bn_no_affine(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    mean, var = (x.mean(0), x.var(0, unbiased=False)) if training else (running_mean, running_var)
    return (x - mean) / torch.sqrt(var + eps)


def _bn_std_as_var(x, gamma, delta, running_mean, running_var, training, eps=1e-5):
    mean, std = (x.mean(0), x.std(0, unbiased=False)) if training else (running_mean, running_var)
    return gamma * (x - mean) / (std + eps) + delta


def check_batchnorm_forward(student_fn) -> CheckResult:
    """Exercise 4.1: batch norm's forward pass in training (batch statistics) and eval (running)."""
    return check(
        student_fn,
        _reference_batchnorm,
        _bn_cases(),
        name="batchnorm_forward",
        misconceptions=[
            Misconception(
                "you normalized with the unbiased variance (divided by B - 1); batch norm "
                "normalizes with the biased one (divides by B)",
                _bn_unbiased,
            ),
            Misconception(
                "you used the running statistics in training mode", _bn_running_in_training
            ),
            Misconception(
                "you used the batch statistics in eval mode (eval mode must not depend on the "
                "batch)",
                _bn_batch_in_eval,
            ),
            Misconception("you added eps outside the square root", _bn_eps_outside),
            Misconception("you forgot the scale gamma and the shift delta", _bn_no_affine),
            Misconception(
                "you divided by the standard deviation in training but by the running "
                "variance (not its square root) in eval mode",
                _bn_std_as_var,
            ),
        ],
        forbid=[norm.BatchNorm1d, norm.batch_norm, torch.nn.functional.batch_norm],
        rtol=1e-9,
        hint="training normalizes with the batch mean and the biased batch variance; eval uses "
        "running_mean and running_var; both add eps inside the square root.",
    )


# ---- exercise 4.2: the running statistics --------------------------------------------------


def _reference_running_stats(running_mean, running_var, x, momentum):
    layer = norm.BatchNorm1d(x.shape[1], momentum=momentum).double()
    with torch.no_grad():
        layer.running_mean.copy_(running_mean)
        layer.running_var.copy_(running_var)
        layer.train()(x)
    return layer.running_mean.clone(), layer.running_var.clone()


def _running_biased(running_mean, running_var, x, momentum):
    return (
        (1 - momentum) * running_mean + momentum * x.mean(0),
        (1 - momentum) * running_var + momentum * x.var(0, unbiased=False),
    )


def _running_swapped(running_mean, running_var, x, momentum):
    return (
        momentum * running_mean + (1 - momentum) * x.mean(0),
        momentum * running_var + (1 - momentum) * x.var(0, unbiased=True),
    )


def _running_std(running_mean, running_var, x, momentum):
    return (
        (1 - momentum) * running_mean + momentum * x.mean(0),
        (1 - momentum) * running_var + momentum * x.std(0, unbiased=False),
    )


def _running_cases():
    g = _gen(5)
    cases = []
    for label, batch, momentum in (
        ("momentum 0.1, 8 examples", 8, 0.1),
        ("momentum 0.01, 32 examples", 32, 0.01),
        ("momentum 0.1, a batch of 2", 2, 0.1),
        ("momentum 0.5, 4 examples", 4, 0.5),
    ):
        running_mean = torch.randn(3, generator=g, dtype=_F64)
        running_var = torch.rand(3, generator=g, dtype=_F64) + 0.5
        x = torch.randn(batch, 3, generator=g, dtype=_F64) * 2 + 1
        cases.append(Case(label, running_mean, running_var, x, momentum))
    return cases


def check_running_stats(student_fn) -> CheckResult:
    """Exercise 4.2: one training step's update of ``running_mean`` and ``running_var``, as
    torch.nn.BatchNorm1d does it; returns the pair (new_mean, new_var)."""
    return check(
        student_fn,
        _reference_running_stats,
        _running_cases(),
        name="update_running_stats",
        misconceptions=[
            Misconception(
                "you averaged the biased batch variance; torch keeps the unbiased one, "
                "B/(B-1) times larger",
                _running_biased,
            ),
            Misconception(
                "momentum weighs the old value in your update; in torch it weighs the new batch",
                _running_swapped,
            ),
            Misconception(
                "you averaged the batch standard deviation (the decks' convention); torch "
                "averages the variance",
                _running_std,
            ),
        ],
        forbid=[norm.BatchNorm1d, torch.nn.functional.batch_norm],
        rtol=1e-9,
    )


# ---- exercise 4.3: the backward pass -------------------------------------------------------


def _reference_backward(dy, x, gamma, eps=1e-5):
    layer = norm.BatchNorm1d(x.shape[1], eps=eps).double()
    with torch.no_grad():
        layer.weight.copy_(gamma)
    x = x.clone().requires_grad_(True)
    layer(x).backward(dy)
    return x.grad, layer.weight.grad, layer.bias.grad


def _backward_parts(dy, x, gamma, eps):
    sigma = torch.sqrt(x.var(0, unbiased=False) + eps)
    x_hat = (x - x.mean(0)) / sigma
    return sigma, x_hat, (dy * x_hat).sum(0), dy.sum(0)


def _backward_constant_stats(dy, x, gamma, eps=1e-5):
    sigma, _x_hat, dgamma, ddelta = _backward_parts(dy, x, gamma, eps)
    return gamma * dy / sigma, dgamma, ddelta


def _backward_mean_only(dy, x, gamma, eps=1e-5):
    sigma, _x_hat, dgamma, ddelta = _backward_parts(dy, x, gamma, eps)
    return gamma * (dy - dy.mean(0)) / sigma, dgamma, ddelta


def _backward_dgamma_without_xhat(dy, x, gamma, eps=1e-5):
    dx = norm.batch_norm_input_grad(dy, x, gamma, eps)
    return dx, dy.sum(0), dy.sum(0)


def _backward_mean_over_batch(dy, x, gamma, eps=1e-5):
    _sigma, _x_hat, dgamma, ddelta = _backward_parts(dy, x, gamma, eps)
    dx = norm.batch_norm_input_grad(dy, x, gamma, eps)
    return dx, dgamma / len(x), ddelta / len(x)


def _backward_cases():
    g = _gen(7)
    cases = []
    for label, n, c in (
        ("8 examples x 3 features", 8, 3),
        ("32 examples x 5 features", 32, 5),
        ("a batch of 2", 2, 4),
    ):
        dy = torch.randn(n, c, generator=g, dtype=_F64)
        x = torch.randn(n, c, generator=g, dtype=_F64) * 2 - 1
        gamma = torch.rand(c, generator=g, dtype=_F64) + 0.5
        cases.append(Case(label, dy, x, gamma))
    return cases


def check_batchnorm_backward(student_fn) -> CheckResult:
    """Exercise 4.3: the gradients (dL/dx, dL/dgamma, dL/ddelta) of training-mode batch norm,
    given dL/dy; checked against autograd through nnlib's layer."""
    return check(
        student_fn,
        _reference_backward,
        _backward_cases(),
        name="batchnorm_backward",
        misconceptions=[
            Misconception(
                "you treated mu_B and sigma_B as constants: dL/dx = gamma dL/dy / sigma misses "
                "the paths through the batch statistics",
                _backward_constant_stats,
            ),
            Misconception(
                "you followed the path through mu_B but not the one through sigma_B",
                _backward_mean_only,
            ),
            Misconception(
                "your dL/dgamma sums dL/dy; it must sum dL/dy times x_hat",
                _backward_dgamma_without_xhat,
            ),
            Misconception(
                "you averaged dL/dgamma and dL/ddelta over the batch; they are sums",
                _backward_mean_over_batch,
            ),
        ],
        forbid=[norm.batch_norm_input_grad, torch.autograd.grad, torch.Tensor.backward],
        rtol=1e-8,
        atol=1e-10,
    )


# ---- exercise 4.4: predict what the unbiased variance changes ------------------------------


def _reference_unbiased_factor(batch_size: int):
    """Measured with nnlib: outputs normalized with the unbiased variance over outputs normalized
    with the biased one (eps = 0, no affine), on a random batch of ``batch_size``."""
    x = torch.randn(batch_size, 3, generator=_gen(batch_size), dtype=_F64)
    mean = x.mean(0)
    unbiased = norm.batch_norm(x, mean, x.var(0, unbiased=True), None, None, eps=0.0)
    biased = norm.batch_norm(x, mean, x.var(0, unbiased=False), None, None, eps=0.0)
    return (unbiased / biased).mean().item()


def check_unbiased_factor(student_fn) -> CheckResult:
    """Exercise 4.4: the factor by which batch norm's training-mode outputs change at batch size B
    when the unbiased variance replaces the biased one (eps = 0, gamma = 1, delta = 0)."""
    return check(
        student_fn,
        _reference_unbiased_factor,
        [Case(f"B = {b}", b) for b in (2, 4, 32, 1000)],
        name="unbiased_factor",
        misconceptions=[
            Misconception(
                "your factor is inverted: a larger variance makes the outputs smaller",
                lambda b: (b / (b - 1)) ** 0.5,
            ),
            Misconception(
                "you forgot the square root: outputs are divided by the standard deviation",
                lambda b: (b - 1) / b,
            ),
            Misconception(
                "you predicted no change: the unbiased variance is B/(B-1) times the biased",
                lambda b: 1.0,
            ),
        ],
        rtol=1e-9,
    )


# ---- exercise 4.5: group norm --------------------------------------------------------------


def _reference_group_norm(x, num_groups, gamma, delta, eps=1e-5):
    layer = norm.GroupNorm(num_groups, x.shape[1], eps=eps).double()
    with torch.no_grad():
        layer.weight.copy_(gamma)
        layer.bias.copy_(delta)
        return layer(x)


def _affine(y, gamma, delta):
    shape = [1, -1] + [1] * (y.dim() - 2)
    return y * gamma.view(shape) + delta.view(shape)


def _standardize(x, dims, eps, unbiased=False):
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=unbiased, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def _gn_instance(x, num_groups, gamma, delta, eps=1e-5):
    return _affine(_standardize(x, tuple(range(2, x.dim())), eps), gamma, delta)


def _gn_layer(x, num_groups, gamma, delta, eps=1e-5):
    return _affine(_standardize(x, tuple(range(1, x.dim())), eps), gamma, delta)


def _gn_batch(x, num_groups, gamma, delta, eps=1e-5):
    dims = (0, *range(2, x.dim()))
    return _affine(_standardize(x, dims, eps), gamma, delta)


def _gn_unbiased(x, num_groups, gamma, delta, eps=1e-5):
    grouped = x.reshape(x.shape[0], num_groups, -1)
    return _affine(_standardize(grouped, (2,), eps, unbiased=True).reshape(x.shape), gamma, delta)


def _gn_interleaved(x, num_groups, gamma, delta, eps=1e-5):
    # groups formed from every num_groups-th channel instead of consecutive channels
    n, c = x.shape[:2]
    moved = x.reshape(n, c // num_groups, num_groups, *x.shape[2:]).transpose(1, 2)
    y = _standardize(moved.reshape(n, num_groups, -1), (2,), eps).reshape(moved.shape)
    return _affine(y.transpose(1, 2).reshape(x.shape), gamma, delta)


def _group_cases():
    g = _gen(8)
    cases = []
    for label, shape, groups in (
        ("4 examples, 6 channels of length 5, 3 groups", (4, 6, 5), 3),
        ("2 examples, 8 channels of length 3, 2 groups", (2, 8, 3), 2),
        ("a single example, 4 channels of length 7, 4 groups", (1, 4, 7), 4),
        ("3 examples, 6 channels, 4 x 4 images, 2 groups", (3, 6, 4, 4), 2),
    ):
        c = shape[1]
        x = torch.randn(shape, generator=g, dtype=_F64) * 2 + torch.arange(c, dtype=_F64).view(
            1, -1, *[1] * (len(shape) - 2)
        )
        gamma = torch.rand(c, generator=g, dtype=_F64) + 0.5
        delta = torch.randn(c, generator=g, dtype=_F64)
        cases.append(Case(label, x, groups, gamma, delta))
    return cases


def check_group_norm(student_fn) -> CheckResult:
    """Exercise 4.5: group norm for inputs (N, C, *spatial) with consecutive groups of channels."""
    return check(
        student_fn,
        _reference_group_norm,
        _group_cases(),
        name="group_norm",
        misconceptions=[
            Misconception("you normalized each channel on its own (instance norm)", _gn_instance),
            Misconception(
                "you normalized all channels of an example together (layer norm, one group)",
                _gn_layer,
            ),
            Misconception("you normalized each channel over the batch (batch norm)", _gn_batch),
            Misconception(
                "you normalized with the unbiased variance (divided by n - 1)", _gn_unbiased
            ),
            Misconception(
                "your groups take every G-th channel; group norm groups consecutive channels",
                _gn_interleaved,
            ),
        ],
        forbid=[norm.GroupNorm, torch.nn.functional.group_norm],
        rtol=1e-9,
    )


# ---- lecture 4b: batch renormalization -----------------------------------------------------


def _reference_renorm(x, running_mean, running_var, r_max, d_max, eps=1e-5):
    layer = norm.BatchRenorm1d(x.shape[1], eps=eps, r_max=r_max, d_max=d_max, affine=False)
    layer = layer.double()
    with torch.no_grad():
        layer.running_mean.copy_(running_mean)
        layer.running_var.copy_(running_var)
        return layer.train()(x)


def _renorm_parts(x, running_mean, running_var, eps):
    mean = x.mean(0)
    std = torch.sqrt(x.var(0, unbiased=False) + eps)
    running_std = torch.sqrt(running_var + eps)
    return mean, std, running_std


def _renorm_unclipped(x, running_mean, running_var, r_max, d_max, eps=1e-5):
    mean, std, running_std = _renorm_parts(x, running_mean, running_var, eps)
    r, d = std / running_std, (mean - running_mean) / running_std
    return (x - mean) / std * r + d


def _renorm_inverted(x, running_mean, running_var, r_max, d_max, eps=1e-5):
    mean, std, running_std = _renorm_parts(x, running_mean, running_var, eps)
    r = (running_std / std).clamp(1 / r_max, r_max)
    d = ((mean - running_mean) / running_std).clamp(-d_max, d_max)
    return (x - mean) / std * r + d


def _renorm_plain_bn(x, running_mean, running_var, r_max, d_max, eps=1e-5):
    mean, std, _ = _renorm_parts(x, running_mean, running_var, eps)
    return (x - mean) / std


def _renorm_cases():
    g = _gen(9)
    cases = []
    for label, n, r_max, d_max, scale in (
        ("8 examples, r_max = 3, d_max = 5", 8, 3.0, 5.0, 1.5),
        ("a batch of 2, r_max = 1.5, d_max = 0.5 (clipping bites)", 2, 1.5, 0.5, 4.0),
        ("16 examples, r_max = 1, d_max = 0 (plain batch norm)", 16, 1.0, 0.0, 2.0),
    ):
        x = torch.randn(n, 3, generator=g, dtype=_F64) * scale + 1
        running_mean = torch.randn(3, generator=g, dtype=_F64) * 0.3
        running_var = torch.rand(3, generator=g, dtype=_F64) + 0.5
        cases.append(Case(label, x, running_mean, running_var, r_max, d_max))
    return cases


def check_batch_renorm(student_fn) -> CheckResult:
    """Exercise 4b.2: batch renormalization's training-mode output (no affine), checked against
    nnlib's ``BatchRenorm1d``."""
    return check(
        student_fn,
        _reference_renorm,
        _renorm_cases(),
        name="batch_renorm",
        misconceptions=[
            Misconception(
                "you did not clip r to [1/r_max, r_max] and d to [-d_max, d_max] (unclipped, "
                "the output is the same as normalizing with the running statistics alone)",
                _renorm_unclipped,
            ),
            Misconception(
                "your r is inverted: r = sigma_B / sigma (batch over running)", _renorm_inverted
            ),
            Misconception("you returned plain batch norm (r = 1, d = 0)", _renorm_plain_bn),
        ],
        forbid=[norm.BatchRenorm1d],
        rtol=1e-9,
    )


# ---- lecture 4b: weight normalization ------------------------------------------------------


def _direction_norm_after_step(v_norm, g, grad_w_perp, lr):
    """||v|| after one SGD step on v under weight normalization w = g v / ||v||: the gradient
    with respect to v is (g / ||v||) times the part of dL/dw orthogonal to w, so it is
    orthogonal to v, and the squared norm grows by lr^2 times its squared length."""
    return math.sqrt(v_norm**2 + (lr * g * grad_w_perp / v_norm) ** 2)


def check_direction_norm_after_step(student_fn) -> CheckResult:
    """Exercise 4b.3: the norm of weight normalization's direction v after one SGD step."""
    return check(
        student_fn,
        _direction_norm_after_step,
        [
            Case("||v|| = 1, g = 1, gradient 1, lr = 0.1", 1.0, 1.0, 1.0, 0.1),
            Case("||v|| = 2, g = 3, gradient 0.5, lr = 0.5", 2.0, 3.0, 0.5, 0.5),
            Case("||v|| = 0.1, g = 1, gradient 2, lr = 0.05", 0.1, 1.0, 2.0, 0.05),
            Case("||v|| = 5, g = 0.2, gradient 4, lr = 1", 5.0, 0.2, 4.0, 1.0),
        ],
        name="direction_norm_after_step",
        misconceptions=[
            Misconception(
                "you kept ||v|| unchanged; orthogonal to v is not zero change of the norm",
                lambda v, g, d, lr: v,
            ),
            Misconception(
                "you left out the factor g / ||v|| that the chain rule puts on the gradient",
                lambda v, g, d, lr: math.sqrt(v**2 + (lr * d) ** 2),
            ),
            Misconception(
                "you let the norm shrink; a step orthogonal to v can only lengthen it",
                lambda v, g, d, lr: math.sqrt(max(v**2 - (lr * g * d / v) ** 2, 0.0)),
            ),
            Misconception(
                "you added the lengths; orthogonal steps add in squares (Pythagoras)",
                lambda v, g, d, lr: v + lr * g * d / v,
            ),
        ],
        rtol=1e-6,
        hint="differentiate w = g v / ||v|| with respect to v, and look at the direction of "
        "what you get.",
    )


# ---- lecture 4b: predict the average batch standard deviation ------------------------------


def _measured_batch_std(batch_size: int, samples: int = 400_000) -> float:
    """E[sigma_B] for standard normal inputs, measured: the mean of the biased batch standard
    deviation over many batches (the statistic the decks' running average keeps)."""
    x = torch.randn(samples, batch_size, generator=_gen(batch_size), dtype=_F64)
    return x.std(dim=1, unbiased=False).mean().item()


def check_expected_batch_std(student_fn) -> CheckResult:
    """Exercise 4b.4: predict E[sigma_B] for inputs of variance 1 as a function of B; compared
    with a measurement over 400 000 batches (1 % tolerance)."""
    return check(
        student_fn,
        _measured_batch_std,
        [Case(f"B = {b}", b) for b in (2, 3, 8)],
        name="expected_batch_std",
        misconceptions=[
            Misconception(
                "you took the square root of the mean variance: E[sigma_B^2] = (B-1)/B, and "
                "the mean of a square root is smaller than the square root of the mean",
                lambda b: ((b - 1) / b) ** 0.5,
            ),
            Misconception(
                "that is E[sigma_B^2], the variance, not the standard deviation",
                lambda b: (b - 1) / b,
            ),
            Misconception(
                "the batch standard deviation is biased: its mean is below 1", lambda b: 1.0
            ),
        ],
        rtol=0.01,
        atol=0.0,
    )


# ---- kept for other callers: the running average and layer norm -----------------------------


def _reference_running(running, batch_value, momentum):
    return norm.running_average(running, batch_value, momentum, num_batches=1)


def check_running_average(student_fn) -> CheckResult:
    """The exponential running average batch norm keeps for evaluation (torch's convention)."""
    g = _gen(5)
    cases = [
        Case(
            f"momentum {m}",
            torch.randn(4, generator=g, dtype=_F64),
            torch.randn(4, generator=g, dtype=_F64),
            m,
        )
        for m in (0.1, 0.01, 1.0, 0.0)
    ]
    return check(
        student_fn,
        _reference_running,
        cases,
        name="running_average",
        misconceptions=[
            Misconception(
                "momentum weighs the old value in your update; in torch it weighs the new batch",
                lambda running, batch_value, momentum: (
                    momentum * running + (1 - momentum) * batch_value
                ),
            )
        ],
        rtol=1e-12,
    )


def _reference_layer_norm(x, gamma, delta, eps=1e-5):
    layer = norm.LayerNorm(x.shape[-1], eps=eps).double()
    with torch.no_grad():
        layer.weight.copy_(gamma)
        layer.bias.copy_(delta)
        return layer(x)


def check_layer_norm(student_fn) -> CheckResult:
    """Layer norm over the last dimension."""
    g = _gen(6)
    cases = []
    for shape in ((5, 8), (1, 3), (2, 4, 6)):
        d = shape[-1]
        cases.append(
            Case(
                f"input of shape {shape}",
                torch.randn(shape, generator=g, dtype=_F64) * 2 + 3,
                torch.rand(d, generator=g, dtype=_F64) + 0.5,
                torch.randn(d, generator=g, dtype=_F64),
            )
        )
    return check(
        student_fn,
        _reference_layer_norm,
        cases,
        name="layer_norm",
        misconceptions=[
            Misconception(
                "you normalized over the batch (dim 0) instead of each example's features",
                lambda x, gamma, delta, eps=1e-5: gamma * _standardize(x, (0,), eps) + delta,
            ),
            Misconception(
                "you normalized with the unbiased variance",
                lambda x, gamma, delta, eps=1e-5: (
                    gamma * _standardize(x, (-1,), eps, unbiased=True) + delta
                ),
            ),
        ],
        forbid=[norm.LayerNorm, torch.nn.functional.layer_norm],
        rtol=1e-9,
    )
