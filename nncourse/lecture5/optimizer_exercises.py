"""Checkers for lecture 5a (optimizers); the learning-rate checkers of 5b live in
:mod:`nncourse.lecture5.schedule_exercises` (``check_cosine_schedule`` is re-exported here)."""

from __future__ import annotations

import math

import torch

from nncourse.grading import Case, CheckResult, Misconception, check, named, with_prediction
from nncourse.lecture5.optimizers import adam_bias_steps
from nncourse.lecture5.schedule_exercises import check_cosine_schedule
from nnlib import optim

__all__ = [
    "check_adam_bias_steps",
    "check_adam_step",
    "check_cosine_schedule",
    "check_heavy_ball_rate",
    "check_momentum_step",
    "check_nesterov_step",
]


def _reference_momentum(theta, buffer, g, lr, momentum):
    """One torch-convention heavy-ball step with ``optim.SGD``; returns (new theta, new buffer)."""
    p = theta.clone().requires_grad_(True)
    opt = optim.SGD([p], lr=lr, momentum=momentum)
    opt.state[p]["momentum_buffer"] = buffer.clone()
    p.grad = g.clone()
    opt.step()
    return p.detach(), opt.state[p]["momentum_buffer"]


_MOMENTUM_MISTAKES = [
    Misconception(
        "you stepped with the old buffer: update b first (b <- momentum b + g), then step with it",
        lambda theta, b, g, lr, beta: (theta - lr * b, beta * b + g),
    ),
    Misconception(
        "you averaged the gradient (b <- momentum b + (1 - momentum) g); torch's buffer is a sum",
        lambda theta, b, g, lr, beta: (
            theta - lr * (beta * b + (1 - beta) * g),
            beta * b + (1 - beta) * g,
        ),
    ),
    Misconception(
        "you used the decks' velocity form (v <- momentum v + lr g) with torch's buffer as v",
        lambda theta, b, g, lr, beta: (theta - (beta * b + lr * g), beta * b + lr * g),
    ),
    Misconception(
        "you forgot the learning rate in the step",
        lambda theta, b, g, lr, beta: (theta - (beta * b + g), beta * b + g),
    ),
]


def check_momentum_step(student_fn) -> CheckResult:
    """Exercise 5a.1: b <- momentum b + g, theta <- theta - lr b."""
    g = torch.Generator().manual_seed(8)

    def draw():
        return torch.randn(5, generator=g, dtype=torch.float64)

    cases = [
        Case(f"{label} (lr {lr}, momentum {m})", draw(), draw(), draw(), lr, m)
        for label, lr, m in (
            ("usual setting", 0.1, 0.9),
            ("small momentum", 0.01, 0.3),
            ("large step", 1.0, 0.5),
        )
    ]
    return check(
        student_fn,
        _reference_momentum,
        cases,
        name="momentum_step",
        misconceptions=_MOMENTUM_MISTAKES,
        forbid=[optim.SGD, torch.optim.SGD],
        rtol=1e-12,
        hint="two lines: the buffer's update, then the parameter's.",
    )


def _reference_adam(theta, m, v, g, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """Step t of ``optim.Adam`` from state (m, v) after t - 1 steps; returns (theta, m, v)."""
    p = theta.clone().requires_grad_(True)
    opt = optim.Adam([p], lr=lr, betas=betas, eps=eps)
    opt.state[p].update(
        {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    )
    p.grad = g.clone()
    opt.step()
    return p.detach(), opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]


def _adam_variant(correct_m: bool, correct_v: bool, eps_inside: bool = False, shift: int = 0):
    """Adam with one known mistake: a bias correction left out, eps inside the root, or the
    correction counted from t - shift."""

    def step(theta, m, v, g, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        beta1, beta2 = betas
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        k = t - shift
        m_hat = m / (1 - beta1**k) if correct_m else m
        v_hat = v / (1 - beta2**k) if correct_v else v
        denominator = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
        return theta - lr * m_hat / denominator, m, v

    return step


_ADAM_MISTAKES = [
    Misconception(
        "your Adam has no bias correction: with the default betas its first step is "
        "(1 - β₁)/√(1 - β₂) ≈ 3.2 times too large",
        _adam_variant(correct_m=False, correct_v=False),
    ),
    Misconception(
        "you corrected v but not m: the first step is 1/(1 - β₁) = 10 times too small",
        _adam_variant(correct_m=False, correct_v=True),
    ),
    Misconception(
        "you corrected m but not v: the first step is 1/√(1 - β₂) ≈ 32 times too large",
        _adam_variant(correct_m=True, correct_v=False),
    ),
    Misconception(
        "you put eps inside the square root (torch adds it to √v̂)",
        _adam_variant(correct_m=True, correct_v=True, eps_inside=True),
    ),
    Misconception(
        "your bias correction counts steps from the wrong place: the first step is t = 1, so "
        "use 1 - β**t with the t given",
        _adam_variant(correct_m=True, correct_v=True, shift=-1),
    ),
]


def check_adam_step(student_fn) -> CheckResult:
    """Exercise 5a.2: Adam step t (t = 1 is the first) with bias correction."""
    g = torch.Generator().manual_seed(9)
    cases = []
    for label, t in (
        ("the first step, from zero state", 1),
        ("the second step", 2),
        ("step 10", 10),
        ("step 1000", 1000),
    ):
        theta, gr = (torch.randn(4, generator=g, dtype=torch.float64) for _ in range(2))
        m = torch.randn(4, generator=g, dtype=torch.float64) * 0.1 * (t > 1)
        v = torch.rand(4, generator=g, dtype=torch.float64) * 0.01 * (t > 1)
        cases.append(Case(label, theta, m, v, gr, t))
    theta, m, gr = (torch.randn(4, generator=g, dtype=torch.float64) for _ in range(3))
    v = torch.full((4,), 1e-12, dtype=torch.float64)
    cases.append(
        Case(
            "tiny v, lr 0.1, betas (0.8, 0.99), eps 1e-3",
            theta,
            m,
            v,
            gr,
            3,
            0.1,
            (0.8, 0.99),
            1e-3,
        )
    )
    return check(
        student_fn,
        _reference_adam,
        cases,
        name="adam_step",
        misconceptions=_ADAM_MISTAKES,
        forbid=[optim.Adam, torch.optim.Adam],
        rtol=1e-10,
        hint="both averages are biased towards their zero start; Adam divides each by the "
        "weight its first term has lost.",
    )


def _rate_without_momentum(lr, momentum, eigenvalues):
    return max(abs(1 - lr * lam) for lam in eigenvalues)


def _rate_distill(lr, momentum, eigenvalues):
    """Distill's statement: rate 2 sqrt(beta) where the roots are complex."""
    worst = 0.0
    for lam in eigenvalues:
        a = 1 + momentum - lr * lam
        if a * a < 4 * momentum:
            worst = max(worst, 2 * math.sqrt(momentum))
        else:
            worst = max(worst, (abs(a) + math.sqrt(a * a - 4 * momentum)) / 2)
    return worst


def _rate_real_part(lr, momentum, eigenvalues):
    worst = 0.0
    for lam in eigenvalues:
        R = torch.tensor([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]], dtype=torch.float64)
        worst = max(worst, torch.linalg.eigvals(R).real.abs().max().item())
    return worst


def _rate_largest_only(lr, momentum, eigenvalues):
    lam = max(eigenvalues)
    R = torch.tensor([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]], dtype=torch.float64)
    return torch.linalg.eigvals(R).abs().max().item()


def check_heavy_ball_rate(student_fn) -> CheckResult:
    """Exercise 5a.3: heavy ball's asymptotic rate on a quadratic (largest spectral radius)."""
    cases = [
        Case("κ = 100, η = 0.01, β = 0.5", 0.01, 0.5, [1.0, 100.0]),
        Case("no momentum: plain GD at η = 0.015", 0.015, 0.0, [1.0, 100.0]),
        Case("Polyak's optimum for κ = 100", 4 / 121, 81 / 121, [1.0, 100.0]),
        Case("a step too large: η = 0.04, β = 0.5", 0.04, 0.5, [1.0, 100.0]),
        Case("three eigenvalues, β = 0.9", 0.1, 0.9, [0.5, 2.0, 5.0]),
        Case("one small eigenvalue, β = 0.3", 0.5, 0.3, [0.1, 1.0]),
    ]
    return check(
        student_fn,
        optim.momentum_rate,
        cases,
        name="heavy_ball_rate",
        misconceptions=[
            Misconception(
                "you ignored the momentum term: max |1 - η λ| is plain GD's rate",
                _rate_without_momentum,
            ),
            Misconception(
                "you used Distill's 2√β for complex roots; two complex roots of the 2x2 matrix "
                "have product det R = β, so their modulus is √β",
                _rate_distill,
            ),
            Misconception(
                "you took the real part of the eigenvalues; the rate is their modulus |z|",
                _rate_real_part,
            ),
            Misconception(
                "you only looked at the largest eigenvalue; the smallest one often sets the rate",
                _rate_largest_only,
            ),
        ],
        forbid=[optim.momentum_rate],
        rtol=1e-9,
        atol=1e-12,
        hint="per eigenvalue, heavy ball is a linear map on (x_t, x_{t-1}); its eigenvalues "
        "say how fast that direction shrinks.",
    )


def check_adam_bias_steps(student_fn, prediction=None) -> CheckResult:
    """Exercise 5a.4: how long Adam's missing bias correction matters."""
    cases = [
        Case("β₁ = 0.9, β₂ = 0.99, tol 0.1", 0.9, 0.99, 0.1),
        Case("β₁ = 0.9, β₂ = 0.95, tol 0.05", 0.9, 0.95, 0.05),
        Case("β₁ = 0.5, β₂ = 0.99, tol 0.2", 0.5, 0.99, 0.2),
        Case("no momentum, β₂ = 0.9, tol 0.1", 0.0, 0.9, 0.1),
    ]

    def first_inside(beta1, beta2, tol):
        t = 1
        while abs((1 - beta1**t) / math.sqrt(1 - beta2**t) - 1) > tol:
            t += 1
        return t

    result = check(
        student_fn,
        adam_bias_steps,
        cases,
        name="adam_bias_steps",
        misconceptions=[
            Misconception(
                "you returned the first step inside the tolerance; the uncorrected step starts "
                "close, moves away, and only later settles, so look for the last step outside",
                first_inside,
            ),
            Misconception(
                "you answered 1/(1 - β₂) without measuring: the bias lasts about that long, but "
                "the exact step depends on the tolerance",
                lambda beta1, beta2, tol: round(1 / (1 - beta2)),
            ),
        ],
        forbid=[adam_bias_steps],
        atol=0.5,
        rtol=0.0,
        hint="under a constant gradient, write m_t and v_t in closed form.",
    )
    if prediction is None:
        return result
    return with_prediction(
        result,
        prediction,
        lambda: adam_bias_steps(0.9, 0.999, 0.1) * (1 - 0.999),
        name="bias_steps_multiple",
        misconceptions={
            "you gave the number of steps; the question asks for a multiple of 1/(1 - beta2)": (
                adam_bias_steps(0.9, 0.999, 0.1)
            ),
        },
        rtol=0.01,
    )


def _reference_nesterov(theta, v, grad, lr, momentum):
    """One Nesterov step in the decks' velocity form: the gradient at the look-ahead point."""
    v = momentum * v + lr * grad(theta - momentum * v)
    return theta - v, v


def _nesterov_torch_form(theta, v, grad, lr, momentum):
    """torch's nesterov=True update applied to theta (it is meant for phi = theta - momentum v)."""
    b = momentum * v / lr + grad(theta)
    return theta - lr * (grad(theta) + momentum * b), lr * b


_NESTEROV_MISTAKES = [
    Misconception(
        "you evaluated the gradient at theta: that is heavy ball; Nesterov evaluates it at the "
        "look-ahead point theta - momentum v",
        lambda theta, v, grad, lr, beta: (
            theta - (beta * v + lr * grad(theta)),
            beta * v + lr * grad(theta),
        ),
    ),
    Misconception(
        "your look-ahead went the wrong way: theta + momentum v; the velocity v is subtracted",
        lambda theta, v, grad, lr, beta: (
            theta - (beta * v + lr * grad(theta + beta * v)),
            beta * v + lr * grad(theta + beta * v),
        ),
    ),
    Misconception(
        "you scaled the look-ahead by the learning rate: in the velocity form v already "
        "contains it, so the look-ahead point is theta - momentum v",
        lambda theta, v, grad, lr, beta: (
            theta - (beta * v + lr * grad(theta - lr * beta * v)),
            beta * v + lr * grad(theta - lr * beta * v),
        ),
    ),
    Misconception(
        "you used torch's nesterov=True update, which iterates the look-ahead point phi, not theta",
        _nesterov_torch_form,
    ),
]


def check_nesterov_step(student_fn) -> CheckResult:
    """Exercise 5a.6: v <- momentum v + lr grad(theta - momentum v), theta <- theta - v."""
    g = torch.Generator().manual_seed(11)

    def draw():
        return torch.randn(4, generator=g, dtype=torch.float64)

    a = torch.randn(4, 4, generator=g, dtype=torch.float64)
    hessian = a @ a.T + torch.eye(4, dtype=torch.float64)
    quadratic = named(lambda x: hessian @ x, "the gradient of a 4-d quadratic")
    curved = named(lambda x: x**3 + x, "the gradient of sum(x^4/4 + x^2/2)")
    cases = [
        Case(f"{label} (lr {lr}, momentum {m})", draw(), draw(), grad, lr, m)
        for label, grad, lr, m in (
            ("quadratic", quadratic, 0.05, 0.9),
            ("quadratic, small momentum", quadratic, 0.1, 0.3),
            ("non-quadratic", curved, 0.2, 0.5),
        )
    ]
    return check(
        student_fn,
        _reference_nesterov,
        cases,
        name="nesterov_step",
        misconceptions=_NESTEROV_MISTAKES,
        forbid=[optim.nesterov_lookahead, optim.SGD, torch.optim.SGD],
        rtol=1e-12,
        hint="where does Nesterov evaluate the gradient? Only that one line changes.",
    )
