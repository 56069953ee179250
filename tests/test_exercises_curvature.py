"""The lecture 2 checkers accept correct solutions, wait for stubs and name known mistakes."""

import math

import pytest
import torch
from exercise_helpers import assert_named, assert_solves

from nncourse.lecture2.exercises import (
    check_classify_critical_point,
    check_escape_steps,
    check_hessian_vector_product,
    check_power_iteration,
    check_tiny_hessian_at_origin,
)
from nnlib import analytic_surfaces


# --- 2.1 Hessian-vector product (the wrong answers copy _hvp with one line changed, on purpose)
def _hvp(f, x, v):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (hv,) = torch.autograd.grad(g @ v, x)
    return hv


def _hvp_gradient(f, x, v):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)
    return g


def _hvp_times_x(f, x, v):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (hx,) = torch.autograd.grad(g @ x, x)
    return hx


def _hvp_dense(f, x, v):
    return torch.func.hessian(f)(x) @ v


# --- 2.2 classification
def _classify(H):
    eigenvalues = torch.linalg.eigvalsh(H)
    tol = 1e-8 * max(eigenvalues.abs().max().item(), 1.0)
    positive, negative = (eigenvalues > tol).sum(), (eigenvalues < -tol).sum()
    if positive and negative:
        return "saddle"
    if positive + negative < len(eigenvalues):
        return "degenerate"
    return "minimum" if positive else "maximum"


def _classify_diagonal(H):
    return _classify(torch.diag(torch.diagonal(H)))


def _classify_no_degenerate(H):
    eigenvalues = torch.linalg.eigvalsh(H)
    if (eigenvalues >= 0).all():
        return "minimum"
    if (eigenvalues <= 0).all():
        return "maximum"
    return "saddle"


def _classify_determinant(H):
    det = torch.linalg.det(H).item()
    return "degenerate" if det == 0 else ("minimum" if det > 0 else "saddle")


# --- 2.3 power iteration
def _power(matvec, n, steps=500, seed=0):
    v = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    for _ in range(steps):
        v = matvec(v)
        v = v / v.norm()
    return (v @ matvec(v)).item()


def _power_norm(matvec, n, steps=500, seed=0):
    v = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    for _ in range(steps):
        v = matvec(v)
        v = v / v.norm()
    return matvec(v).norm().item()


# --- 2.4 the tiny network's Hessian at the origin
def _tiny(x, t, factor=-2.0):
    c = factor * t * x
    return torch.tensor([[0.0, c], [c, 0.0]], dtype=torch.float64)


def _tiny_half(x, t):
    return _tiny(x, t, factor=-1.0)


def _tiny_sign(x, t):
    return _tiny(x, t, factor=2.0)


def _tiny_gauss_newton(x, t):
    return torch.zeros(2, 2, dtype=torch.float64)


def _tiny_diagonal(x, t):
    return torch.diag(torch.tensor([2 * t * x, -2 * t * x], dtype=torch.float64))


def _tiny_autograd(x, t):

    return analytic_surfaces.TinyMLP(x, t).hessian(torch.zeros(2, dtype=torch.float64))


# --- 2.5 escape steps
def _escape(offset, radius, lr, lambda_min, rate=None, rounding=math.ceil):
    if offset == 0:
        return math.inf
    if abs(offset) >= radius:
        return 0
    rate = rate(lr, lambda_min) if rate else math.log(1 + lr * abs(lambda_min))
    return rounding(math.log(radius / abs(offset)) / rate)


def _escape_continuous(*args):
    return _escape(*args, rate=lambda lr, lam: lr * abs(lam))


def _escape_floor(*args):
    return _escape(*args, rounding=math.floor)


def _escape_signed(*args):
    return _escape(*args, rate=lambda lr, lam: math.log(1 + lr * lam))


CHECKERS = {
    "hvp": (check_hessian_vector_product, _hvp),
    "classify": (check_classify_critical_point, _classify),
    "power": (check_power_iteration, _power),
    "tiny": (check_tiny_hessian_at_origin, _tiny),
    "escape": (check_escape_steps, _escape),
}


@pytest.mark.parametrize("name", CHECKERS)
def test_reference_passes_and_stub_waits(name):
    checker, solution = CHECKERS[name]
    result = assert_solves(checker, solution)
    assert "all" in result.message and "cases pass" in result.message


@pytest.mark.parametrize(
    "name, wrong, mistake",
    [
        ("hvp", _hvp_gradient, "returned the gradient"),
        ("hvp", _hvp_times_x, "g(x) @ x"),
        ("classify", _classify_diagonal, "diagonal of H"),
        ("classify", _classify_no_degenerate, "zero eigenvalue"),
        ("classify", _classify_determinant, "det H"),
        ("power", _power_norm, "loses the eigenvalue's sign"),
        ("tiny", _tiny_half, "factor 2"),
        ("tiny", _tiny_sign, "sign of the cross term"),
        ("tiny", _tiny_gauss_newton, "Gauss-Newton"),
        ("tiny", _tiny_diagonal, "on the diagonal"),
        ("escape", _escape_continuous, "continuous-time"),
        ("escape", _escape_floor, "rounded down"),
        ("escape", _escape_signed, "with its sign"),
    ],
)
def test_known_mistakes_are_named(name, wrong, mistake):
    checker, _ = CHECKERS[name]
    result = checker(wrong)
    assert_named(result, mistake)
    assert "case" in result.message and "(" in result.message  # the failing case is named


@pytest.mark.parametrize(
    "name, forbidden, called",
    [("hvp", _hvp_dense, "hessian"), ("tiny", _tiny_autograd, "hessian")],
)
def test_calling_the_reference_is_caught(name, forbidden, called):
    checker, _ = CHECKERS[name]
    result = checker(forbidden)
    assert not result and "your function calls" in result.message and called in result.message


def test_function_inputs_print_readably():
    result = check_power_iteration(lambda matvec, n, steps=500, seed=0: 0.0)
    assert "0x" not in result.message and "v -> H v" in result.message


def test_the_classmates_power_iteration_is_named():
    from nncourse.lecture2.exercises import _power_unnormalised

    result = check_power_iteration(_power_unnormalised)
    assert not result and "you never normalised v" in result.message, result.message


def test_the_escape_prediction_is_graded_within_one_step():
    assert check_escape_steps(_escape, prediction=lambda: 72)
    linearized = check_escape_steps(_escape, prediction=lambda: math.log(1000) / 0.1)
    assert not linearized and "ln(1 + x) = x" in linearized.message
    # the prediction is what the exercise's own function counts, per 1000-fold smaller offset
    assert abs((_escape(1e-9, 1.0, 0.1, -1.0) - _escape(1e-6, 1.0, 0.1, -1.0)) - 72.48) <= 1
