"""The lecture 5 checkers accept the reference answers, say "not implemented yet" to a stub,
name each misconception they know when fed it, and catch a call to the reference."""

import math

import pytest
import torch
from exercise_helpers import assert_solves

from nncourse.lecture5 import optimizer_exercises as ex5a
from nncourse.lecture5 import schedule_exercises as ex5b
from nncourse.lecture5.optimizers import adam_bias_steps
from nnlib import models, optim, schedules


def _momentum(theta, buffer, g, lr, momentum):
    buffer = momentum * buffer + g
    return theta - lr * buffer, buffer


def _adam(theta, m, v, g, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps), m, v


def _nesterov(theta, v, grad, lr, momentum):
    v = momentum * v + lr * grad(theta - momentum * v)
    return theta - v, v


def _heavy_ball(lr, momentum, eigenvalues):
    worst = 0.0
    for lam in eigenvalues:
        R = torch.tensor([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]], dtype=torch.float64)
        worst = max(worst, torch.linalg.eigvals(R).abs().max().item())
    return worst


def _bias_steps(beta1, beta2, tol):
    t, last = 0, 0
    while True:
        t += 1
        ratio = (1 - beta1**t) / math.sqrt(1 - beta2**t)
        if abs(ratio - 1) > tol:
            last = t
        elif beta2**t < 1e-3 * tol and beta1**t < 1e-3 * tol:
            return last


def _cosine(t, lr0, T_max, eta_min):
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def _cyclic2(t, lo, hi, half):
    cycle = math.floor(1 + t / (2 * half))
    x = abs(t / half - 2 * cycle + 1)
    return lo + (hi - lo) * max(0.0, 1 - x) / 2 ** (cycle - 1)


def _plateau(values, lr0, factor, patience):
    lr, best, bad, out = lr0, math.inf, 0, []
    for value in values:
        if value < best:
            best, bad = value, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
        out.append(lr)
    return out


def _power(matvec, n, steps):
    v = torch.randn(n, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for _ in range(steps):
        v = matvec(v)
        v = v / v.norm()
    return float(v @ matvec(v))


CHECKERS = [
    (ex5a.check_momentum_step, _momentum, ex5a._MOMENTUM_MISTAKES),
    (ex5a.check_adam_step, _adam, ex5a._ADAM_MISTAKES),
    (ex5a.check_heavy_ball_rate, _heavy_ball, None),
    (ex5a.check_adam_bias_steps, _bias_steps, None),
    (ex5a.check_nesterov_step, _nesterov, ex5a._NESTEROV_MISTAKES),
    (ex5b.check_cosine_schedule, _cosine, None),
    (ex5b.check_mean_cyclic_lr, lambda lo, hi, n: lo + (hi - lo) * (1 - 0.5**n) / n, None),
    (
        ex5b.check_rescaled_sharpness,
        lambda w1, w2, x, c: x * x * (c * c * w1 * w1 + w2 * w2 / c**2),
        None,
    ),
    (
        ex5b.check_largest_linear_batch,
        lambda b0, lr0, lam: math.ceil(2 * b0 / (lr0 * lam)) - 1,
        None,
    ),
    (
        ex5b.check_weighted_test_error,
        lambda a, b, p: p * (a + 2 * b <= 0) + (1 - p) * (2 * b >= a),
        None,
    ),
    (ex5b.check_plateau_lrs, _plateau, None),
    (ex5b.check_top_eigenvalue, _power, None),
]


@pytest.mark.parametrize("checker, right, _", CHECKERS, ids=lambda c: getattr(c, "__name__", ""))
def test_reference_answers_pass_and_stubs_are_not_implemented(checker, right, _):
    assert_solves(checker, right)


def _named_by(checker, fn, words):
    result = checker(fn)
    assert not result and words in result.message, result.message


# Wrong answers written out here, independently of the checker's own table of mistakes, so a
# wrong formula in that table (a misconception the checker would then fail to recognise) fails.
MOMENTUM_MISTAKES = [
    (lambda th, b, g, lr, beta: (th - lr * b, beta * b + g), "stepped with the old buffer"),
    (
        lambda th, b, g, lr, beta: (
            th - lr * (beta * b + (1 - beta) * g),
            beta * b + (1 - beta) * g,
        ),
        "averaged the gradient",
    ),
    (lambda th, b, g, lr, beta: (th - (beta * b + lr * g), beta * b + lr * g), "velocity form"),
    (lambda th, b, g, lr, beta: (th - (beta * b + g), beta * b + g), "forgot the learning rate"),
]


@pytest.mark.parametrize(("wrong", "words"), MOMENTUM_MISTAKES, ids=lambda x: str(x)[:24])
def test_momentum_misconceptions_are_named(wrong, words):
    _named_by(ex5a.check_momentum_step, wrong, words)


def _adam_with(m_hat, v_hat, denominator):
    """An Adam step with the bias corrections and the denominator given as functions."""

    def step(theta, m, v, g, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return theta - lr * m_hat(m, beta1, t) / denominator(v_hat(v, beta2, t), eps), m, v

    return step


def _corrected(x, beta, t):
    return x / (1 - beta**t)


def _raw(x, beta, t):
    return x


def _one_step_ahead(x, beta, t):
    return x / (1 - beta ** (t + 1))


def _plus_eps(v_hat, eps):
    return v_hat.sqrt() + eps


ADAM_MISTAKES = [
    (_adam_with(_raw, _raw, _plus_eps), "no bias correction"),
    (_adam_with(_raw, _corrected, _plus_eps), "corrected v but not m"),
    (_adam_with(_corrected, _raw, _plus_eps), "corrected m but not v"),
    (_adam_with(_corrected, _corrected, lambda v, eps: (v + eps).sqrt()), "inside the square root"),
    (
        _adam_with(
            lambda m, b, t: m / (1 - b ** (t + 1)),
            lambda v, b, t: v / (1 - b ** (t + 1)),
            _plus_eps,
        ),
        "counts steps from the wrong place",
    ),
]


@pytest.mark.parametrize(("wrong", "words"), ADAM_MISTAKES, ids=lambda x: str(x)[:24])
def test_adam_misconceptions_are_named(wrong, words):
    _named_by(ex5a.check_adam_step, wrong, words)


def test_the_written_out_adam_is_right_when_it_corrects_both_moments():
    assert_solves(ex5a.check_adam_step, _adam_with(_corrected, _corrected, _plus_eps))


def test_adam_without_bias_correction_is_named():
    result = ex5a.check_adam_step(ex5a._adam_variant(correct_m=False, correct_v=False))
    assert "no bias correction" in result.message and "3.2 times too large" in result.message


def test_heavy_ball_misconceptions_are_named():
    _named_by(ex5a.check_heavy_ball_rate, ex5a._rate_without_momentum, "ignored the momentum")
    _named_by(ex5a.check_heavy_ball_rate, ex5a._rate_distill, "Distill's 2√β")
    _named_by(ex5a.check_heavy_ball_rate, ex5a._rate_real_part, "real part")
    _named_by(ex5a.check_heavy_ball_rate, ex5a._rate_largest_only, "largest eigenvalue")


def test_bias_steps_misconceptions_are_named():
    _named_by(
        ex5a.check_adam_bias_steps, lambda b1, b2, tol: round(1 / (1 - b2)), "without measuring"
    )

    def first_inside(beta1, beta2, tol):
        t = 1
        while abs((1 - beta1**t) / math.sqrt(1 - beta2**t) - 1) > tol:
            t += 1
        return t

    _named_by(ex5a.check_adam_bias_steps, first_inside, "first step inside")


def test_schedule_misconceptions_are_named():
    _named_by(
        ex5b.check_cosine_schedule,
        lambda t, lr0, T, lo: lr0 * (1 + math.cos(math.pi * t / T)) / 2,
        "ignored eta_min",
    )
    _named_by(
        ex5b.check_mean_cyclic_lr, lambda lo, hi, n: lo + (hi - lo) / 2, "kept the height constant"
    )
    _named_by(ex5b.check_mean_cyclic_lr, lambda lo, hi, n: lo + (hi - lo) / 2**n, "last cycle")


def test_lecture_5c_predictions_name_their_mistakes():
    _named_by(
        ex5b.check_rescaled_sharpness,
        lambda w1, w2, x, c: x * x * (c * c * w1 * w1 + w2 * w2),
        "second weight shrinks",
    )
    _named_by(
        ex5b.check_largest_linear_batch,
        lambda b0, lr0, lam: math.ceil(b0 / (lr0 * lam)) - 1,
        "1 / lambda_max",
    )
    _named_by(ex5b.check_weighted_test_error, lambda a, b, p: 1 - p, "whatever the weights")


def test_mean_cyclic_lr_reference_is_the_average_of_torch_triangular2():
    for lo, hi, cycles, half in ((0.01, 0.1, 3, 7), (0.001, 0.05, 5, 4)):
        rates = [
            schedules.cyclic_lr(t, lo, hi, half, mode="triangular2")
            for t in range(2 * half * cycles)
        ]
        assert sum(rates) / len(rates) == pytest.approx(ex5b._mean_cyclic_lr(lo, hi, cycles))


def test_rescaled_sharpness_reference_is_the_hessian_eigenvalue():
    w1, w2, x, c = 0.7, -1.3, 1.5, 2.0

    def loss(w):
        return 0.5 * (w[1] * torch.relu(w[0] * x) - w2 * w1 * x) ** 2

    w = torch.tensor([c * w1, w2 / c], dtype=torch.float64)
    top = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss, w))[-1].item()
    assert top == pytest.approx(ex5b._rescaled_sharpness(w1, w2, x, c))


def test_plateau_misconceptions_are_named():
    # a copy of _plateau with one condition changed, on purpose: the mistake under test
    def off_by_one(values, lr0, factor, patience):
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

    _named_by(ex5b.check_plateau_lrs, off_by_one, "equals patience")


def test_power_iteration_mistakes_are_named():
    _named_by(ex5b.check_top_eigenvalue, ex5b._unnormalized, "never normalized")
    _named_by(ex5b.check_top_eigenvalue, ex5b._norm_not_rayleigh, "sign is lost")
    _named_by(ex5b.check_top_eigenvalue, ex5b._ones_start, "vector of ones")


def test_calling_the_reference_is_caught():
    result = ex5a.check_heavy_ball_rate(lambda lr, b, lams: optim.momentum_rate(lr, b, lams))
    assert not result and "momentum_rate" in result.message
    result = ex5b.check_cosine_schedule(lambda t, lr0, T, lo: schedules.cosine_lr(t, lr0, T, lo))
    assert not result and "cosine_lr" in result.message


def test_adam_bias_steps_matches_the_closed_form():
    for beta1, beta2, tol in ((0.9, 0.99, 0.1), (0.9, 0.95, 0.05), (0.0, 0.9, 0.1)):
        assert adam_bias_steps(beta1, beta2, tol) == _bias_steps(beta1, beta2, tol)
    with pytest.raises(ValueError, match="betas"):
        adam_bias_steps(0.9, 1.0, 0.1)


def test_rescale_reference_keeps_the_function():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    x = torch.randn(5, 3)
    before = net(x)
    models.rescale_relu_layers(net, 0, 2, 5.0)
    assert torch.allclose(net(x), before, atol=1e-5)


def test_the_plateau_prediction_is_graded_with_the_function():
    def stub():
        raise NotImplementedError

    assert ex5b.check_plateau_lrs(_plateau, prediction=lambda: 0.025)
    wrong = ex5b.check_plateau_lrs(_plateau, prediction=lambda: 0.05)
    assert not wrong and "predicted_last_rate" in wrong.message
    broken = ex5b.check_plateau_lrs(_plateau, prediction=lambda: 0.1 * 0.5**6)
    assert not broken and "broken version" in broken.message
    waiting = ex5b.check_plateau_lrs(_plateau, prediction=stub)
    assert not waiting and "not implemented yet" in waiting.message
    # the prediction is what the rule itself gives on the task's losses
    assert _plateau(ex5b.PLATEAU_PREDICTION_LOSSES, 0.1, 0.5, 2)[-1] == 0.025


def test_the_adam_bias_prediction_is_graded_within_one_percent():
    assert ex5a.check_adam_bias_steps(_bias_steps, prediction=lambda: 1.75)
    steps = ex5a.check_adam_bias_steps(_bias_steps, prediction=lambda: 1750)
    assert not steps and "multiple of 1/(1 - beta2)" in steps.message
    # the closed form -ln(1 - 1/1.21) is within 1 % of the exact count for the defaults
    assert abs(-math.log(1 - 1 / 1.21) - _bias_steps(0.9, 0.999, 0.1) / 1000) < 0.0175


def _heavy_ball_step(theta, v, grad, lr, momentum):  # the exercise's buggy step
    g = grad(theta)
    v = momentum * v + lr * g
    return theta - v, v


def _nesterov_at(point):
    """A Nesterov step whose gradient is taken at point(theta, v, lr, momentum)."""

    def step(theta, v, grad, lr, momentum):
        v = momentum * v + lr * grad(point(theta, v, lr, momentum))
        return theta - v, v

    return step


NESTEROV_MISTAKES = [
    (_heavy_ball_step, "that is heavy ball"),
    (_nesterov_at(lambda th, v, lr, b: th + b * v), "wrong way"),
    (_nesterov_at(lambda th, v, lr, b: th - lr * b * v), "scaled the look-ahead"),
]


@pytest.mark.parametrize(("wrong", "words"), NESTEROV_MISTAKES, ids=lambda x: str(x)[:24])
def test_nesterov_misconceptions_are_named(wrong, words):
    _named_by(ex5a.check_nesterov_step, wrong, words)


def test_nesterov_checker_accepts_only_the_look_ahead_step():
    """The reference step reproduces optim.nesterov_lookahead's path on a quadratic."""
    hessian = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    x0 = torch.tensor([1.0, -1.0], dtype=torch.float64)
    thetas, _ = optim.nesterov_lookahead(lambda x: hessian @ x, x0, lr=0.1, momentum=0.8, steps=5)
    theta, v = x0.clone(), torch.zeros(2, dtype=torch.float64)
    for k in range(5):
        theta, v = _nesterov(theta, v, lambda x: hessian @ x, 0.1, 0.8)
        assert torch.allclose(theta, thetas[k + 1], atol=1e-12)
