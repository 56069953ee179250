import pytest
import torch
from torch.optim import lr_scheduler as S

from nnlib import data, models, schedules


def _torch_sequence(make, steps, lr=0.1, **opt_kwargs):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, **opt_kwargs)
    sched = make(opt)
    values = []
    for _ in range(steps):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return values


CASES = [
    (lambda o: S.StepLR(o, step_size=7, gamma=0.5), lambda t: schedules.step_lr(t, 0.1, 7, 0.5)),
    (
        lambda o: S.MultiStepLR(o, [5, 12, 30], gamma=0.3),
        lambda t: schedules.multistep_lr(t, 0.1, [5, 12, 30], 0.3),
    ),
    (lambda o: S.ExponentialLR(o, gamma=0.95), lambda t: schedules.exponential_lr(t, 0.1, 0.95)),
    (
        lambda o: S.CosineAnnealingLR(o, T_max=40, eta_min=0.001),
        lambda t: schedules.cosine_lr(t, 0.1, 40, 0.001),
    ),
    (
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
        lambda t: schedules.cosine_warm_restarts_lr(t, 0.1, 5, 2, 0.01),
    ),
    (
        lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6, cycle_momentum=False),
        lambda t: schedules.cyclic_lr(t, 0.01, 0.1, 6),
    ),
    (
        lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=40, cycle_momentum=False),
        lambda t: schedules.one_cycle_lr(t, 0.1, 40),
    ),
    (
        lambda o: S.LinearLR(o, start_factor=0.25, total_iters=8),
        lambda t: schedules.linear_warmup_lr(t, 0.1, 8, 0.25),
    ),
]


@pytest.mark.parametrize("make, ours", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_schedules_match_torch_schedulers(make, ours):
    expected = _torch_sequence(make, 40)
    assert [ours(t) for t in range(40)] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_inverse_time_and_the_scheduler_wrapper():
    assert schedules.inverse_time_lr(0, 0.1, 0.5) == 0.1
    assert schedules.inverse_time_lr(4, 0.1, 0.5) == pytest.approx(0.1 / 3)
    expected = [schedules.cosine_lr(t, 0.1, 20) for t in range(20)]
    got = _torch_sequence(lambda o: schedules.scheduler(o, schedules.cosine_lr, T_max=20), 20)
    assert got == pytest.approx(expected, rel=1e-12)


def test_lr_range_test_restores_the_model_and_stops_on_blow_up():
    splits = data.blobs(n=300, seed=0)
    torch.manual_seed(0)
    net = models.mlp([2, 16, 3])
    before = {k: v.clone() for k, v in net.state_dict().items()}
    result = schedules.lr_range_test(
        net,
        torch.nn.CrossEntropyLoss(),
        data.make_loader(splits.train, 32),
        lambda p, lr: torch.optim.SGD(p, lr=lr),
        1e-4,
        100.0,
        steps=200,
    )
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert len(result["lr"]) < 200  # the loss blew up before the end of the sweep
    assert result["lr"][1] / result["lr"][0] == pytest.approx((100.0 / 1e-4) ** (1 / 199))
    with pytest.raises(ValueError, match="lr_min"):
        schedules.lr_range_test(net, None, [], None, lr_min=0.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"patience": 2, "factor": 0.5, "cooldown": 1},
        {"mode": "max", "patience": 1, "threshold": 0.05, "min_lr": 0.02},
    ],
)
def test_reduce_on_plateau_matches_torch(kwargs):
    g = torch.Generator().manual_seed(0)
    values = (torch.rand(60, generator=g) + torch.linspace(1, 0, 60).clamp(min=0.3)).tolist()
    rates = []
    for cls in (schedules.ReduceLROnPlateau, S.ReduceLROnPlateau):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        sched = cls(opt, **kwargs)
        seen = []
        for value in values:
            sched.step(value)
            seen.append(opt.param_groups[0]["lr"])
        rates.append(seen)
    assert rates[0] == pytest.approx(rates[1])
    assert min(rates[0]) < 0.1  # it did reduce
    with pytest.raises(ValueError, match="factor"):
        schedules.ReduceLROnPlateau(opt, factor=1.5)
