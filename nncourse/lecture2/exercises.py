"""Checkers for curvature: Hessians, critical points and saddles (lecture 2).

* :func:`check_hessian_vector_product` (2.1): H v without forming H;
* :func:`check_classify_critical_point` (2.2): the second-order test;
* :func:`check_power_iteration` (2.3): the largest-magnitude eigenvalue from products only;
* :func:`check_tiny_hessian_at_origin` (2.4): the tiny network's Hessian at w = 0 for any (x, t),
  derived by hand (reference: ``analytic_surfaces.TinyMLP(x, t).origin_hessian()``);
* :func:`check_escape_steps` (2.5): GD's steps to leave a saddle, predicted from lambda_min
  (reference: ``optim.predicted_escape_steps``).

Each names its cases and recognises the common wrong answers listed with it.
"""

from __future__ import annotations

import math

import torch

from nncourse.grading import Case, CheckResult, Misconception, check, named, with_prediction
from nnlib import analytic_surfaces, curvature, optim

__all__ = [
    "check_classify_critical_point",
    "check_escape_steps",
    "check_hessian_vector_product",
    "check_power_iteration",
    "check_tiny_hessian_at_origin",
]

F64 = torch.float64


def _reference_hvp(f, x, v):
    return torch.func.jvp(torch.func.grad(f), (x,), (v,))[1]


def _gradient_only(f, x, v):
    return torch.func.grad(f)(x)


def _hessian_times_x(f, x, v):
    return _reference_hvp(f, x, x) + torch.func.grad(f)(x)  # d/dx (g(x) @ x) = H x + g


def check_hessian_vector_product(student_fn) -> CheckResult:
    """Exercise 2.1: H v by differentiating the gradient (no dense Hessian)."""
    g = torch.Generator().manual_seed(7)
    A = torch.randn(6, 6, generator=g, dtype=F64)
    A = A + A.T
    quadratic = named(lambda x: 0.5 * x @ A @ x, "the quadratic 0.5 x^T A x (A symmetric 6 x 6)")
    cases = [
        Case(
            "a quadratic, whose Hessian is A",
            quadratic,
            torch.randn(6, generator=g, dtype=F64),
            torch.randn(6, generator=g, dtype=F64),
        ),
        Case(
            "Rosenbrock at (-1, 1.5)",
            named(lambda p: analytic_surfaces.Rosenbrock().value(p), "the Rosenbrock function"),
            torch.tensor([-1.0, 1.5], dtype=F64),
            torch.tensor([1.0, 0.0], dtype=F64),
        ),
        Case(
            "the tiny tanh network near its saddle",
            named(lambda p: analytic_surfaces.TinyMLP().value(p), "the tiny network's loss"),
            torch.tensor([0.3, -0.2], dtype=F64),
            torch.tensor([0.6, 0.8], dtype=F64),
        ),
        Case(
            "a product of sines in 3-D",
            named(lambda x: torch.sin(x).prod(), "prod(sin(x))"),
            torch.tensor([0.5, 1.0, 1.5], dtype=F64),
            torch.tensor([1.0, -1.0, 2.0], dtype=F64),
        ),
    ]
    return check(
        student_fn,
        _reference_hvp,
        cases,
        name="hessian_vector_product",
        rtol=1e-9,
        atol=1e-10,
        misconceptions=[
            Misconception("you returned the gradient g(x), not the product H v", _gradient_only),
            Misconception("you differentiated g(x) @ x instead of g(x) @ v", _hessian_times_x),
        ],
        forbid=[
            torch.func.hessian,
            torch.autograd.functional.hessian,
            torch.autograd.functional.hvp,
            torch.autograd.functional.vhp,
            curvature.hessian,
        ],
        hint="H v is the directional derivative of the gradient along v.",
    )


def _classify_by_diagonal(H):
    return curvature.classify(torch.diag(torch.diagonal(H)))


def _classify_ignoring_zeros(H):
    eigenvalues = torch.linalg.eigvalsh(H)
    if (eigenvalues >= 0).all():
        return "minimum"
    if (eigenvalues <= 0).all():
        return "maximum"
    return "saddle"


def _classify_by_determinant(H):
    det = torch.linalg.det(H).item()
    if det == 0:
        return "degenerate"
    return "minimum" if det > 0 else "saddle"


def check_classify_critical_point(student_fn) -> CheckResult:
    """Exercise 2.2: minimum, maximum, saddle or degenerate from the Hessian's eigenvalues."""

    def diag(*values):
        return torch.diag(torch.tensor(values, dtype=F64))

    rotation = torch.linalg.qr(
        torch.randn(3, 3, generator=torch.Generator().manual_seed(3), dtype=F64)
    ).Q
    mixed = torch.tensor([[1.0, 3.0], [3.0, 1.0]], dtype=F64)  # positive diagonal, a saddle
    cases = [
        Case("a bowl diag(2, 8)", diag(2.0, 8.0)),
        Case("a cap diag(-1, -3)", diag(-1.0, -3.0)),
        Case("a saddle diag(2, -2)", diag(2.0, -2.0)),
        Case("a zero eigenvalue diag(0, 1)", diag(0.0, 1.0)),
        Case("a saddle hidden by a positive diagonal [[1, 3], [3, 1]]", mixed),
        Case("a rotated 3-D saddle", rotation @ diag(1.0, -0.5, 3.0) @ rotation.T),
        Case("a rotated 3-D bowl", rotation @ diag(4.0, 1.0, 0.2) @ rotation.T),
        Case("a 3-D saddle with two negative eigenvalues", diag(-1.0, -2.0, 3.0)),
    ]
    return check(
        student_fn,
        curvature.classify,
        cases,
        name="classify_critical_point",
        misconceptions=[
            Misconception(
                "you read the signs of the diagonal of H, not of its eigenvalues",
                _classify_by_diagonal,
            ),
            Misconception(
                "you counted a zero eigenvalue as positive or negative: a zero "
                "eigenvalue leaves the second-order test undecided",
                _classify_ignoring_zeros,
            ),
            Misconception(
                "you used the sign of det H alone: det > 0 also holds for a maximum "
                "in 2-D and for saddles with an even number of negative eigenvalues",
                _classify_by_determinant,
            ),
        ],
        forbid=[curvature.classify],
        hint="use torch.linalg.eigvalsh(H); a zero eigenvalue leaves the test undecided.",
    )


def _reference_power(matvec, n, steps=500, seed=0):
    return curvature.power_iteration(matvec, n, steps, seed)


def _power_magnitude(matvec, n, steps=500, seed=0):
    return abs(_reference_power(matvec, n, steps, seed))


def _power_unnormalised(matvec, n, steps=500, seed=0):
    """Exercise 2.3's broken version: v is never normalised, so it overflows; and the ratio of
    norms loses the sign."""
    from nnlib.utils import generator

    v = torch.randn(n, generator=generator(seed), dtype=F64)
    for _ in range(steps):
        v = matvec(v)
    return (matvec(v).norm() / v.norm()).item()


def check_power_iteration(student_fn) -> CheckResult:
    """Exercise 2.3: the largest-magnitude eigenvalue from matrix-vector products only."""
    g = torch.Generator().manual_seed(11)
    cases = []
    for label, values in (
        ("eigenvalues 5, 1, 0.5", [5.0, 1.0, 0.5]),
        ("the largest in magnitude is negative: -4, 1, 2, 0.1", [-4.0, 1.0, 2.0, 0.1]),
        ("eigenvalues 10, 3, -2, 1, 0.5", [10.0, 3.0, -2.0, 1.0, 0.5]),
    ):
        Q = torch.linalg.qr(torch.randn(len(values), len(values), generator=g, dtype=F64)).Q
        H = Q @ torch.diag(torch.tensor(values, dtype=F64)) @ Q.T
        matvec = named(lambda v, H=H: H @ v, f"v -> H v for a symmetric H with {label}")
        cases.append(Case(label, matvec, len(values)))
    return check(
        student_fn,
        _reference_power,
        cases,
        name="power_iteration",
        rtol=1e-6,
        misconceptions=[
            Misconception(
                "you returned the norm ||H v||, which loses the eigenvalue's sign; "
                "the Rayleigh quotient v^T H v keeps it",
                _power_magnitude,
            ),
            Misconception(
                "you never normalised v, so it overflows to inf and inf / inf is nan: divide v "
                "by its norm after every product",
                _power_unnormalised,
            ),
        ],
        forbid=[curvature.power_iteration, torch.linalg.eigvalsh, torch.linalg.eigh],
        hint="normalise v after every product.",
    )


def _tiny_reference(x, t):
    return analytic_surfaces.TinyMLP(x=x, t=t).origin_hessian()


def _tiny_without_factor_two(x, t):
    return _tiny_reference(x, t) / 2


def _tiny_wrong_sign(x, t):
    return -_tiny_reference(x, t)


def _tiny_gauss_newton(x, t):
    return torch.zeros(2, 2, dtype=F64)


def _tiny_on_the_diagonal(x, t):
    return torch.diag(torch.tensor([2 * t * x, -2 * t * x], dtype=F64))


def check_tiny_hessian_at_origin(student_fn) -> CheckResult:
    """Exercise 2.4: the Hessian of (t - tanh(w1 tanh(w2 x)))^2 at w = 0, for any (x, t)."""
    cases = [
        Case("x = 1.2, t = 0.3", 1.2, 0.3),
        Case("a negative target: x = 0.8, t = -0.6", 0.8, -0.6),
        Case("a negative input: x = -1.5, t = 0.9", -1.5, 0.9),
        Case("a target tanh cannot reach: x = 0.4, t = 1.7", 0.4, 1.7),
        Case("a zero target: x = 0.7, t = 0", 0.7, 0.0),
    ]
    tiny = analytic_surfaces.TinyMLP
    return check(
        student_fn,
        _tiny_reference,
        cases,
        name="tiny_hessian_at_origin",
        atol=1e-12,
        rtol=1e-9,
        misconceptions=[
            Misconception(
                "you dropped the factor 2 that the square in the loss brings down",
                _tiny_without_factor_two,
            ),
            Misconception(
                "the sign of the cross term is off: L = t^2 - 2 t x w1 w2 + ...", _tiny_wrong_sign
            ),
            Misconception(
                "you kept only the Gauss-Newton part 2 J^T J, which is zero at the "
                "origin (J = 0 there); the residual t - y_hat = t is not zero, and its "
                "term t * d2y_hat/dw1dw2 is the whole Hessian",
                _tiny_gauss_newton,
            ),
            Misconception(
                "you put the curvature on the diagonal: the loss has no w1^2 or w2^2 "
                "term near the origin, only w1 w2",
                _tiny_on_the_diagonal,
            ),
        ],
        forbid=[
            tiny.origin_hessian,
            tiny.gradient,
            analytic_surfaces.Landscape.hessian,
            torch.func.hessian,
            torch.autograd.functional.hessian,
            torch.autograd.grad,
        ],
        hint="expand tanh(w1 tanh(w2 x)) to second order in w around 0, square, differentiate.",
    )


def _escape_continuous(offset, radius, lr, lambda_min):
    if offset == 0:
        return math.inf
    if abs(offset) >= radius:
        return 0
    return math.ceil(math.log(radius / abs(offset)) / (lr * abs(lambda_min)))


def _escape_rounded_down(offset, radius, lr, lambda_min):
    if offset == 0:
        return math.inf
    if abs(offset) >= radius:
        return 0
    return math.floor(math.log(radius / abs(offset)) / math.log(1 + lr * abs(lambda_min)))


def _escape_signed(offset, radius, lr, lambda_min):
    if offset == 0:
        return math.inf
    if abs(offset) >= radius:
        return 0
    return math.ceil(math.log(radius / abs(offset)) / math.log(1 + lr * lambda_min))


def check_escape_steps(student_fn, prediction=None) -> CheckResult:
    """Exercise 2.5: steps for GD's offset along lambda_min < 0 to grow from offset to radius."""
    cases = [
        Case("the lecture's saddle: offset 1e-6 to 1, lr 0.1, lambda_min -1", 1e-6, 1.0, 0.1, -1.0),
        Case("a large step: offset 1e-3 to 0.5, lr 0.5, lambda_min -2", 1e-3, 0.5, 0.5, -2.0),
        Case("a negative offset: -1e-4 to 1, lr 0.01, lambda_min -3", -1e-4, 1.0, 0.01, -3.0),
        Case("exactly on the saddle's stable line: offset 0", 0.0, 1.0, 0.1, -1.0),
        Case("already outside: offset 0.7, radius 0.5", 0.7, 0.5, 0.1, -1.0),
    ]
    result = check(
        student_fn,
        optim.predicted_escape_steps,
        cases,
        name="escape_steps",
        atol=0.0,
        rtol=0.0,
        misconceptions=[
            Misconception(
                "you used the continuous-time rate e^(lr |lambda_min|) per step; GD "
                "multiplies the offset by 1 + lr |lambda_min|",
                _escape_continuous,
            ),
            Misconception(
                "you rounded down: after that many steps the offset is still short of the radius",
                _escape_rounded_down,
            ),
            Misconception(
                "you used lambda_min with its sign: 1 + lr lambda_min < 1 would shrink "
                "the offset; along negative curvature GD multiplies it by "
                "1 - lr lambda_min = 1 + lr |lambda_min|",
                _escape_signed,
            ),
        ],
        forbid=[optim.predicted_escape_steps],
        hint="how many times must the offset grow by the per-step factor to reach the radius?",
    )
    if prediction is None:
        return result
    return with_prediction(
        result,
        prediction,
        lambda: math.log(1000) / math.log(1.1),
        name="extra_steps_per_1000",
        misconceptions={
            "you used ln(1 + x) = x; at this rate the growth per step is 1.1, take its log": (
                math.log(1000) / 0.1
            ),
        },
        atol=1.0,
        rtol=0.0,
    )
