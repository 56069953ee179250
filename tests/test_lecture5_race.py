"""Lecture 5's optimizer race (nncourse.lecture5.race) against nnlib's optimizer classes, and the
lecture's schedule app, rate map and race figure at their extremes."""

import pytest
import torch

from nncourse.lecture5 import apps, optimizer_figures, race_figures, schedule_figures
from nncourse.lecture5.race import race
from nnlib import analytic_surfaces, optim

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

    surface = analytic_surfaces.Rosenbrock()
    optimizer_class, kwargs = RACERS[name]
    others = {"SGD": RACERS["SGD"], "Adam": RACERS["Adam"]}  # racing beside others changes nothing
    result = race(surface, {**others, name: RACERS[name]}, [-1.5, 2.0], 60)
    single = optim.run(surface, lambda p: optimizer_class(p, **kwargs), [-1.5, 2.0], 60)
    torch.testing.assert_close(result.paths[name], single.points[:, 0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(result.values[name], surface.value(single.points[:, 0]))
    assert result.diverged_at[name] is None


def test_race_freezes_divergent_paths_and_checks_its_racers():

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

    surface = analytic_surfaces.running_example()
    both = race(surface, RACERS, [1.0, 1.0], 30, noise=0.3, seed=2)
    alone = race(surface, {"SGD": RACERS["SGD"]}, [1.0, 1.0], 30, noise=0.3, seed=2)
    assert (both.paths["SGD"] == alone.paths["SGD"]).all()
    assert not (both.paths["SGD"] == both.paths["momentum"]).all()


def test_schedule_app_rate_map_and_race_figure_survive_their_extremes():
    from nncourse import widgets

    widgets.drive_to_extremes(apps.schedules())
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
