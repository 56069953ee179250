"""nnlib's optimizers against torch.optim: 100+ steps, float64, every option, param groups and a
state_dict round trip in the middle of the run."""

import inspect
import itertools

import pytest
import torch

from nnlib import optim

CASES = {
    "SGD": [
        dict(lr=0.05, momentum=m, dampening=d, nesterov=n, weight_decay=w, maximize=x)
        for m, d, n, w, x in itertools.product(
            (0.0, 0.9), (0.0, 0.3), (False, True), (0.0, 0.01), (False, True)
        )
        if not (n and (m == 0 or d != 0))
    ],
    "Adagrad": [
        dict(lr=0.05, lr_decay=ld, weight_decay=w, initial_accumulator_value=a)
        for ld, w, a in itertools.product((0.0, 0.01), (0.0, 0.01), (0.0, 0.1))
    ],
    "RMSprop": [
        dict(lr=0.01, alpha=0.9, momentum=m, centered=c, weight_decay=w)
        for m, c, w in itertools.product((0.0, 0.9), (False, True), (0.0, 0.01))
    ],
    "Adadelta": [
        dict(lr=1.0, rho=r, weight_decay=w) for r, w in itertools.product((0.9, 0.5), (0.0, 0.01))
    ],
    "Adam": [
        dict(lr=0.01, amsgrad=a, weight_decay=w, maximize=x)
        for a, w, x in itertools.product((False, True), (0.0, 0.01), (False, True))
    ],
    "AdamW": [
        dict(lr=0.01, amsgrad=a, weight_decay=w)
        for a, w in itertools.product((False, True), (0.0, 0.1))
    ],
    "Adamax": [dict(lr=0.01, weight_decay=w) for w in (0.0, 0.01)],
    "NAdam": [
        dict(lr=0.01, weight_decay=w, decoupled_weight_decay=d)
        for w, d in itertools.product((0.0, 0.01), (False, True))
    ],
}
PARAMS = [(name, kwargs) for name, options in CASES.items() for kwargs in options]


def _problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(6, 6, generator=g, dtype=torch.float64)
    w1 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    w2 = torch.randn(4, generator=g, dtype=torch.float64)
    return A, w1, w2


def _loss(A, w1, w2, step):
    x = torch.sin(A * (step + 1))  # the data changes from step to step, like minibatches
    return (torch.tanh(x @ w1) @ w2).pow(2).mean() + 0.1 * w1.pow(4).sum()


def _run(cls, kwargs, steps=120, swap_at=60, seed=0):
    A, w1, w2 = _problem(seed)
    w1, w2 = w1.clone().requires_grad_(True), w2.clone().requires_grad_(True)
    groups = [{"params": [w1]}, {"params": [w2], "lr": kwargs.get("lr", 0.01) * 0.5}]
    opt = cls(groups, **kwargs)
    for step in range(steps):
        if step == swap_at:  # state_dict round trip into a fresh optimizer
            state = opt.state_dict()
            opt = cls([{"params": [w1]}, {"params": [w2]}], **kwargs)
            opt.load_state_dict(state)
        opt.zero_grad()
        sign = -1.0 if kwargs.get("maximize") else 1.0  # maximize the negated loss
        (sign * _loss(A, w1, w2, step)).backward()
        opt.step()
    return w1.detach(), w2.detach(), opt


@pytest.mark.parametrize(
    "name, kwargs", PARAMS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PARAMS)]
)
def test_matches_torch(name, kwargs):
    ours = _run(getattr(optim, name), kwargs)
    theirs = _run(getattr(torch.optim, name), {**kwargs, "foreach": False})
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours[1], theirs[1], rtol=1e-10, atol=1e-12)


def test_state_keys_match_torch():
    for name, options in CASES.items():
        kwargs = options[-1]
        ours, theirs = (
            _run(getattr(optim, name), kwargs, steps=3)[2],
            _run(getattr(torch.optim, name), kwargs, steps=3)[2],
        )
        our_keys = set(next(iter(ours.state.values())))
        their_keys = set(next(iter(theirs.state.values())))
        assert our_keys == their_keys, name


TORCH_ONLY = {"foreach", "fused", "capturable", "differentiable"}  # implementation switches


@pytest.mark.parametrize("name", [*CASES])
def test_signature_and_defaults_match_torch(name):
    """Same keywords, same defaults, same keyword-only markers as the pinned torch (less the
    implementation switches), and the same defaults dict (Adam's decoupled_weight_decay too)."""
    ours = inspect.signature(getattr(optim, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    theirs = {k: v for k, v in theirs.items() if k not in TORCH_ONLY}
    assert list(ours) == [k for k in theirs if k in ours] and set(ours) == set(theirs), name
    for key, parameter in theirs.items():
        assert ours[key].default == parameter.default, (name, key)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            assert ours[key].kind is inspect.Parameter.KEYWORD_ONLY, (name, key)
    p = [torch.zeros(2, requires_grad=True)]
    mine, torchs = getattr(optim, name)(p).defaults, getattr(torch.optim, name)(p).defaults
    assert mine == {k: v for k, v in torchs.items() if k not in TORCH_ONLY}, name


def test_rule_functions_update_in_place_like_torch():
    """adam_update on plain tensors (no Optimizer): theta, m and v change in place, as torch's."""
    theta0, g = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor([0.5, 0.25])
    g = g.double()
    theta, m, v = theta0.clone(), torch.zeros(2, dtype=torch.float64), torch.zeros(2).double()
    assert optim.adam_update(theta, g, m, v, 1, lr=0.1) is None
    assert torch.equal(g, torch.tensor([0.5, 0.25], dtype=torch.float64))  # g untouched
    torch.testing.assert_close(m, 0.1 * g)  # (1 - beta1) g
    torch.testing.assert_close(v, 0.001 * g**2)  # (1 - beta2) g^2
    # step 1 of Adam moves every coordinate by lr * sign(g) (m_hat = g, v_hat = g^2)
    torch.testing.assert_close(theta, theta0 - 0.1 * g.sign(), rtol=0, atol=1e-8)
    reference = theta0.clone().requires_grad_(True)
    opt = torch.optim.Adam([reference], lr=0.1, foreach=False)
    reference.grad = g.clone()
    opt.step()
    torch.testing.assert_close(theta, reference.detach(), rtol=1e-15, atol=0)
    torch.testing.assert_close(m, opt.state[reference]["exp_avg"], rtol=0, atol=0)
    torch.testing.assert_close(v, opt.state[reference]["exp_avg_sq"], rtol=0, atol=0)


def test_rmsprop_centered_is_an_explicit_flag():
    theta, g, s = torch.ones(2), torch.ones(2), torch.zeros(2)
    with pytest.raises(ValueError, match="centered"):
        optim.rmsprop_update(theta, g, s, centered=True)  # no mean gradient m given
    with pytest.raises(ValueError, match="momentum"):
        optim.rmsprop_update(theta, g, s, momentum=0.9)  # no momentum buffer b given
    m = torch.zeros(2)
    optim.rmsprop_update(theta, g, s, centered=True, m=m)
    torch.testing.assert_close(m, torch.full((2,), 0.01))  # (1 - alpha) g


@pytest.mark.parametrize("decoupled", [False, True])
def test_weight_decay_is_one_rule(decoupled):
    theta, g = torch.tensor([2.0]), torch.tensor([1.0])
    new_g = optim.apply_weight_decay(theta, g, lr=0.1, weight_decay=0.5, decoupled=decoupled)
    assert g.item() == 1.0  # the gradient passed in is never changed
    if decoupled:  # theta (1 - lr lambda) in place, gradient untouched
        assert theta.item() == pytest.approx(1.9) and new_g is g
    else:  # gradient + lambda theta, theta untouched
        assert theta.item() == 2.0 and new_g.item() == pytest.approx(2.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD(p, lr=-0.1), "learning rate"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0"),
        (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
        (lambda p: optim.Adam(p, eps=-1e-8), "epsilon"),
        (lambda p: optim.RMSprop(p, momentum=-0.5), "momentum"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay"),
        (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
        (lambda p: optim.AdamW(p, weight_decay=-0.1), "weight_decay"),
    ],
)
def test_bad_hyperparameters_raise_like_torch(make, message):
    with pytest.raises(ValueError, match=message):
        make([torch.zeros(2, requires_grad=True)])


def test_same_class_runs_a_2d_trajectory():
    from nnlib import analytic_surfaces

    run = optim.run(
        analytic_surfaces.running_example(),
        lambda p: optim.Adam(p, lr=0.1),
        [[1.0, 1.0], [-1.0, 0.5]],
        500,
    )
    assert run.final().abs().max() < 1e-3


def test_velocity_convention_equals_torch_momentum_with_constant_lr():
    from nnlib import analytic_surfaces

    surface = analytic_surfaces.Quadratic((1.0, 20.0), angle=0.3)
    ours = optim.run(
        surface, lambda p: optim.VelocityMomentum(p, lr=0.04, momentum=0.8), [1.0, 1.0], 50
    )
    theirs = optim.run(surface, lambda p: torch.optim.SGD(p, lr=0.04, momentum=0.8), [1.0, 1.0], 50)
    torch.testing.assert_close(ours.points, theirs.points, rtol=1e-12, atol=1e-14)


def test_nesterov_lookahead_is_torch_nesterov_after_change_of_variables():
    from nnlib import analytic_surfaces

    surface = analytic_surfaces.Quadratic((1.0, 20.0), angle=0.3)
    x0 = torch.tensor([1.0, 1.0], dtype=torch.float64)
    _, phis = optim.nesterov_lookahead(surface.gradient, x0, lr=0.04, momentum=0.8, steps=40)
    torch_path = optim.run(
        surface, lambda p: torch.optim.SGD(p, lr=0.04, momentum=0.8, nesterov=True), x0, 40
    )
    torch.testing.assert_close(phis, torch_path.points[:, 0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("lr, momentum", [(0.02, 0.5), (0.033, 0.67), (0.05, 0.9)])
def test_momentum_rate_matches_simulation(lr, momentum):
    from nnlib import analytic_surfaces

    surface = analytic_surfaces.Quadratic((1.0, 30.0))
    run = optim.run(surface, lambda p: optim.SGD(p, lr=lr, momentum=momentum), [1.0, 1.0], 400)
    errors = run.points[:, 0].norm(dim=-1)
    measured = (errors[-1] / errors[-101]) ** (1 / 100)
    assert measured.item() == pytest.approx(
        optim.momentum_rate(lr, momentum, [1.0, 30.0]), rel=0.05
    )


def test_optimal_momentum_rate_is_sqrt_beta():
    lr, beta, rate = optim.optimal_momentum(1.0, 100.0)
    assert rate == pytest.approx(beta**0.5)
    assert optim.momentum_rate(lr, beta, [1.0, 100.0]) == pytest.approx(rate, rel=1e-6)
    assert optim.momentum_rate(lr * 0.8, beta, [1.0, 100.0]) > rate  # nearby settings are slower


def test_adam_first_steps_closed_form():
    """Under a constant gradient g, m_t = (1 - beta1^t) g and v_t = (1 - beta2^t) g^2, so the
    bias-corrected step m_hat / sqrt(v_hat) is 1 (times lr) at every step; without the
    correction the first step would be (1 - beta1) / sqrt(1 - beta2) = 3.16 times lr."""
    lr, g, (beta1, beta2) = 1e-3, 0.3, (0.9, 0.999)
    ours = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    theirs = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opts = optim.Adam([ours], lr=lr, eps=0.0), torch.optim.Adam([theirs], lr=lr, eps=0.0)
    for t in range(1, 4):
        before = ours.item()
        for p, opt in zip((ours, theirs), opts, strict=True):
            p.grad = torch.full((1,), g, dtype=torch.float64)
            opt.step()
        assert before - ours.item() == pytest.approx(lr, rel=1e-12)
        assert ours.item() == theirs.item()
        m, v = opts[0].state[ours]["exp_avg"].item(), opts[0].state[ours]["exp_avg_sq"].item()
        assert m == pytest.approx((1 - beta1**t) * g, rel=1e-12)
        assert v == pytest.approx((1 - beta2**t) * g**2, rel=1e-12)
        if t == 1:
            assert m / v**0.5 == pytest.approx((1 - beta1) / (1 - beta2) ** 0.5)  # 3.16
