"""nnlib's optimizers against torch.optim: 100+ steps, float64, every option, param groups and a
state_dict round trip in the middle of the run."""

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


def test_defaults_match_torch():
    p = [torch.zeros(2, requires_grad=True)]
    for name in CASES:
        ours = getattr(optim, name)(p, lr=0.1) if name == "SGD" else getattr(optim, name)(p)
        theirs = (
            getattr(torch.optim, name)(p, lr=0.1)
            if name == "SGD"
            else getattr(torch.optim, name)(p)
        )
        for key, value in ours.defaults.items():
            assert theirs.defaults[key] == value, (name, key)


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
    from nnlib import landscapes

    run = optim.run(
        landscapes.running_example(),
        lambda p: optim.Adam(p, lr=0.1),
        [[1.0, 1.0], [-1.0, 0.5]],
        500,
    )
    assert run.final().abs().max() < 1e-3
