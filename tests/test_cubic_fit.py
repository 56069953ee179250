import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nncourse.lecture0 import cubic_fit

LEVELS = [
    cubic_fit.fit_by_hand,
    cubic_fit.fit_with_autograd,
    cubic_fit.fit_with_nn,
    cubic_fit.fit_with_optim,
]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 50))
def test_hand_gradient_matches_autograd(seed, n):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=g, dtype=torch.float64)
    y = torch.randn(n, generator=g, dtype=torch.float64)
    coeffs = torch.randn(4, generator=g, dtype=torch.float64)
    expected = torch.func.grad(cubic_fit.cubic_loss)(coeffs, x, y)
    torch.testing.assert_close(cubic_fit.cubic_gradient(coeffs, x, y), expected)


def test_hessian_matches_autograd_and_is_constant():
    x, y = cubic_fit.sine_data(50)
    for seed in (0, 1):
        theta = cubic_fit.initial_coefficients(seed)
        expected = torch.func.hessian(cubic_fit.cubic_loss)(theta, x, y)
        torch.testing.assert_close(cubic_fit.cubic_hessian(x), expected)


def test_four_levels_take_identical_steps():
    x, y = cubic_fit.sine_data(300)
    theta0 = cubic_fit.initial_coefficients(3)
    results = [fit(x, y, theta0, lr=4e-3, steps=300) for fit in LEVELS]
    for result in results[1:]:
        torch.testing.assert_close(result.coeffs, results[0].coeffs, rtol=0, atol=1e-10)
        assert result.losses == pytest.approx(results[0].losses, rel=1e-10)
    assert torch.equal(theta0, cubic_fit.initial_coefficients(3))  # the start was not modified


def test_gradient_descent_reaches_the_least_squares_cubic():
    x, y = cubic_fit.sine_data()
    result = cubic_fit.fit_by_hand(x, y, cubic_fit.initial_coefficients(0), lr=5e-3, steps=4000)
    exact = cubic_fit.least_squares_coefficients(x, y)
    torch.testing.assert_close(result.coeffs, exact, rtol=0, atol=1e-5)
    # the exact cubic: sin is odd, so the even coefficients vanish
    assert abs(exact[0]) < 1e-12 and abs(exact[2]) < 1e-12


def test_learning_rate_limit_is_two_over_the_largest_eigenvalue():
    x, y = cubic_fit.sine_data()
    limit = cubic_fit.largest_stable_lr(x)
    theta0 = cubic_fit.initial_coefficients(0)
    below = cubic_fit.fit_by_hand(x, y, theta0, lr=0.98 * limit, steps=3000)
    above = cubic_fit.fit_by_hand(x, y, theta0, lr=1.02 * limit, steps=3000)
    assert below.diverged is None and below.losses[-1] < below.losses[0]
    assert above.diverged is not None and above.diverged.step < 3000


@pytest.mark.parametrize("fit", LEVELS)
def test_every_level_detects_divergence_and_validates(fit):
    x, y = cubic_fit.sine_data(100)
    result = fit(x, y, cubic_fit.initial_coefficients(0), lr=0.1, steps=500)
    assert result.diverged is not None
    assert len(result.losses) == result.diverged.step
    assert "diverged" in cubic_fit.format_fit("run", result)
    with pytest.raises(ValueError, match="lr"):
        fit(x, y, cubic_fit.initial_coefficients(0), lr=0.0)
    with pytest.raises(ValueError, match="steps"):
        fit(x, y, cubic_fit.initial_coefficients(0), steps=-1)


def test_format_fit_rounds_and_never_prints_negative_zero():
    result = cubic_fit.FitResult(torch.tensor([-1e-9, 0.5, -0.00004, 1.0]), losses=[0.25])
    assert (
        cubic_fit.format_fit("x", result)
        == "x            a=+0.0000 b=+0.5000 c=+0.0000 d=+1.0000  loss=0.250000"
    )
