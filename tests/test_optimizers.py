"""nnlib's optimizers against torch.optim: 100+ steps, float64, every option, param groups and a
state_dict round trip in the middle of the run."""

import inspect
import itertools

import pytest
import torch

from nncourse.lecture5 import apps, optimizer_figures, race_figures, schedule_figures
from nncourse.lecture5.race import race
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


RACERS = {
    "SGD": (optim.SGD, {"lr": 1e-3}),
    "momentum": (optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    "Nesterov": (optim.SGD, {"lr": 1e-3, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    "Adagrad": (optim.Adagrad, {"lr": 0.3, "lr_decay": 0.01}),
    "RMSprop": (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    "Adam": (optim.Adam, {"lr": 0.05}),
    "AdamW": (optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}),
    "AMSGrad": (optim.Adam, {"lr": 0.05, "amsgrad": True, "maximize": False}),
    "NAdam": (optim.NAdam, {"lr": 0.05}),
    "Adadelta": (optim.Adadelta, {"lr": 1.0}),
}


@pytest.mark.parametrize("name", list(RACERS))
def test_race_steps_each_racer_as_the_class_steps_a_tensor(name):
    from nnlib import analytic_surfaces

    surface = analytic_surfaces.Rosenbrock()
    optimizer_class, kwargs = RACERS[name]
    others = {"SGD": RACERS["SGD"], "Adam": RACERS["Adam"]}  # racing beside others changes nothing
    result = race(surface, {**others, name: RACERS[name]}, [-1.5, 2.0], 60)
    single = optim.run(surface, lambda p: optimizer_class(p, **kwargs), [-1.5, 2.0], 60)
    torch.testing.assert_close(result.paths[name], single.points[:, 0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(result.values[name], surface.value(single.points[:, 0]))
    assert result.diverged_at[name] is None


def test_race_freezes_divergent_paths_and_checks_its_racers():
    from nnlib import analytic_surfaces

    surface = analytic_surfaces.running_example()
    result = race(
        surface,
        {"gd": (optim.SGD, {"lr": 0.1}), "too big": (optim.SGD, {"lr": 0.5})},
        [1.0, 1.0],
        100,
    )
    at = result.diverged_at["too big"]
    assert result.diverged_at["gd"] is None and at is not None
    assert result.paths["too big"].shape == (101, 2)
    assert (result.paths["too big"][at:] == result.paths["too big"][at]).all()
    assert result.paths["too big"][at].abs().max() > 1e6 >= result.paths["too big"][at - 1].max()
    assert result.paths["gd"][-1].norm() < 1e-6
    with pytest.raises(ValueError, match="racer"):
        race(surface, {"torch's": (torch.optim.SGD, {"lr": 0.1})}, [1.0, 1.0], 5)
    with pytest.raises(ValueError, match="learning rate"):
        race(surface, {"bad": (optim.SGD, {"lr": -1.0})}, [1.0, 1.0], 5)


def test_race_reports_inf_and_nan_as_divergence_where_the_tensor_path_has_them():
    """Adagrad with eps = 0 at a point of zero gradient divides 0 by 0 (nan); far out on
    Rosenbrock the gradient overflows (x ** 2 = 1e400); a huge step overflows later. The race
    stops each at the step where the class stepping a tensor has the same inf or nan."""
    from nnlib import analytic_surfaces

    bowl = analytic_surfaces.running_example()
    zero_by_zero = (optim.Adagrad, {"lr": 0.1, "eps": 0.0})
    tensor = optim.run(bowl, lambda p: zero_by_zero[0](p, **zero_by_zero[1]), [0.0, 0.0], 1)
    assert tensor.points[1].isnan().all()
    result = race(bowl, {"0/0": zero_by_zero}, [0.0, 0.0], 5)
    assert result.diverged_at["0/0"] == 1 and result.paths["0/0"][1:].isnan().all()
    steep, far = analytic_surfaces.Rosenbrock(), [1e200, 0.0]  # its gradient has x ** 2 = 1e400
    tensor = optim.run(steep, lambda p: optim.SGD(p, lr=1e-3), far, 1)
    assert not tensor.points[1].isfinite().all()
    result = race(steep, {"far": (optim.SGD, {"lr": 1e-3})}, far, 5, divergence_limit=1e300)
    assert result.diverged_at["far"] == 1
    torch.testing.assert_close(result.paths["far"][1:], tensor.points[1, 0].expand(5, 2))
    result = race(steep, {"huge": (optim.SGD, {"lr": 10.0})}, [-1.5, 2.0], 50, 1e300)
    at = result.diverged_at["huge"]  # here a product overflows to inf
    assert at is not None and result.paths["huge"][:at].isfinite().all()
    assert result.paths["huge"][at].isinf().any()
    theta = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = optim.SGD([theta], lr=10.0)
    for t in range(1, at + 1):  # the class on a tensor reaches the same points, inf included
        theta.grad = steep.gradient(theta.detach())
        opt.step()
        torch.testing.assert_close(result.paths["huge"][t], theta.detach(), rtol=1e-12, atol=0)


def test_race_noise_of_one_racer_does_not_depend_on_the_others():
    from nnlib import analytic_surfaces

    surface = analytic_surfaces.running_example()
    both = race(surface, RACERS, [1.0, 1.0], 30, noise=0.3, seed=2)
    alone = race(surface, {"SGD": RACERS["SGD"]}, [1.0, 1.0], 30, noise=0.3, seed=2)
    assert (both.paths["SGD"] == alone.paths["SGD"]).all()
    assert not (both.paths["SGD"] == both.paths["momentum"]).all()


def test_race_widget_and_figures_survive_every_extreme():
    from nncourse import widgets

    widgets.drive_to_extremes(apps.schedules())  # the race: tests/test_apps.py
    simulated = torch.full((2, 2), 0.5)
    rate_map = optimizer_figures.heavy_ball_map_figure(
        1.0, 10.0, [0.05, 0.1], [0.0, 0.5], simulated, 8
    )
    rates = (
        rate_map.axes[0].collections[0].get_array()
    )  # converging rates on the (lr, momentum) grid
    assert rates.size == 64 and 0 < float(rates.min()) < float(rates.max()) < 1
    with pytest.raises(ValueError, match="surface"):
        race_figures.race_figure("everest")
    with pytest.raises(ValueError, match="schedule"):
        schedule_figures.schedule_figure("triangle")


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


def test_wilson_construction_separates_gd_from_adaptive_methods():
    from nncourse.lecture5 import adaptive_generalization as wilson

    x, y = wilson.wilson_problem(40, seed=0)
    assert x.shape == (40, 3 + 5 * 40) and torch.equal(x[:, 0], y)
    new_x, new_y = wilson.wilson_test_set(500, x.shape[1], seed=1)
    assert new_x[:, 3:].abs().sum() == 0
    errors = {}
    for name, make in {
        "gd": lambda p: optim.SGD(p, lr=0.05),
        "adam": lambda p: optim.Adam(p, lr=0.01),
    }.items():
        w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
        opt = make([w])
        for _ in range(2000):
            opt.zero_grad()
            ((x @ w - y) ** 2).mean().backward()
            opt.step()
        assert (torch.sign(x @ w) == y).all()  # both fit the training set
        errors[name] = (torch.sign(new_x @ w) != new_y).double().mean().item()
    assert errors["gd"] == 0.0
    assert errors["adam"] == pytest.approx(
        (new_y < 0).double().mean().item()
    )  # predicts the majority


def test_rescaling_relu_layers_keeps_the_function():
    from nnlib import models

    torch.manual_seed(0)
    net = models.mlp([5, 8, 3])
    x = torch.randn(10, 5)
    before = net(x).detach()
    models.rescale_relu_layers(net, 0, 2, 7.0)
    torch.testing.assert_close(net(x), before, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        models.rescale_relu_layers(net, 0, 2, -1.0)


def test_batched_accuracy_and_scheduler():
    from nnlib import data, models, train

    splits = data.blobs(n=300, seed=0)
    many = models.stacked_mlp([2, 8, 3], n_models=2)
    x, y = splits.train.tensors
    opt = optim.SGD(many.parameters(), lr=0.1)
    result = train.fit_batched(
        many,
        opt,
        [(x, y)],
        3,
        eval_data=(x, y),
        progress=False,
        scheduler=torch.optim.lr_scheduler.StepLR(opt, 1, 0.5),
    )
    assert result["eval_accuracy"].shape == (3, 2)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)


def test_minimize_module_with_scipy_reaches_the_optimum():
    torch.manual_seed(0)
    x, y = torch.randn(50, 3), torch.randn(50)
    model = torch.nn.Linear(3, 1)

    def loss_of(module):
        return (module(x).squeeze(1) - y).pow(2).mean()

    for method in ("CG", "L-BFGS-B"):
        torch.manual_seed(1)
        model = torch.nn.Linear(3, 1)  # a fresh start for each method
        result = optim.minimize_module(model, loss_of, method=method, max_iter=200)
        design = torch.cat([x, torch.ones(50, 1)], 1).double()
        exact = torch.linalg.lstsq(design, y.double().unsqueeze(1)).solution.squeeze(1)
        got = torch.cat([model.weight.reshape(-1), model.bias]).double()
        torch.testing.assert_close(got, exact, atol=1e-3, rtol=0)  # float32 model
        assert result.nit > 0
    with pytest.raises(ValueError, match="method"):
        optim.minimize_module(model, loss_of, method="Powell")
