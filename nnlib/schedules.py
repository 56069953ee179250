"""Learning-rate schedules as plain functions of the step t, and as torch LR schedulers (lecture 5).

Each function returns the learning rate at step t (t = 0, 1, ...) for a base rate ``lr0``:

==============================  ==============================================================
``step_lr``                     lr0 gamma^floor(t / step_size) (staircase)
``multistep_lr``                lr0 gamma^(number of milestones <= t)
``exponential_lr``              lr0 gamma^t
``inverse_time_lr``             lr0 / (1 + decay t) (the "1/t" decay)
``cosine_lr``                   eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2
``cosine_warm_restarts_lr``     cosine within each cycle; cycles of T_0, T_0 T_mult, ... (SGDR)
``cyclic_lr``                   triangle between lr0 and max_lr, half-period step_size_up (modes)
``one_cycle_lr``                cosine warm-up to max_lr over pct_start of the run, then down
``linear_warmup_lr``            linear ramp from start_factor lr0 to lr0 over warmup steps
==============================  ==============================================================

:func:`scheduler` turns any of them into a ``torch.optim.lr_scheduler.LambdaLR``;
:class:`ReduceLROnPlateau` reacts to a stalled validation loss instead. The tests check each
against the matching torch scheduler. :func:`lr_range_test` sweeps the learning rate
exponentially over a short run and records the loss.
"""

from __future__ import annotations

import bisect
import math
from numbers import Integral

import torch

from nnlib.train import Callback, train_steps
from nnlib.utils import check_positive, check_positive_int

__all__ = [
    "ReduceLROnPlateau",
    "cosine_lr",
    "cosine_warm_restarts_lr",
    "cyclic_lr",
    "exponential_lr",
    "inverse_time_lr",
    "linear_warmup_lr",
    "lr_range_test",
    "multistep_lr",
    "one_cycle_lr",
    "plateau_lrs",
    "scheduler",
    "step_lr",
]


def _check_t(t: int) -> None:
    if isinstance(t, bool) or not isinstance(t, Integral) or t < 0:
        raise ValueError(f"Invalid t: {t!r} (must be an integer >= 0)")


def step_lr(t: int, lr0: float, step_size: int, gamma: float = 0.1) -> float:
    _check_t(t)
    check_positive_int("step_size", step_size)
    return lr0 * gamma ** (t // step_size)


def multistep_lr(t: int, lr0: float, milestones, gamma: float = 0.1) -> float:
    _check_t(t)
    if any(m < 0 for m in milestones):
        raise ValueError(f"Invalid milestones: {list(milestones)} (must be >= 0)")
    return lr0 * gamma ** bisect.bisect_right(sorted(milestones), t)


def exponential_lr(t: int, lr0: float, gamma: float) -> float:
    _check_t(t)
    check_positive("gamma", gamma)
    return lr0 * gamma**t


def inverse_time_lr(t: int, lr0: float, decay: float) -> float:
    _check_t(t)
    check_positive("decay", decay, allow_zero=True)
    return lr0 / (1 + decay * t)


def cosine_lr(t: int, lr0: float, T_max: int, eta_min: float = 0.0) -> float:
    _check_t(t)
    check_positive_int("T_max", T_max)
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def cosine_warm_restarts_lr(
    t: int, lr0: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0
) -> float:
    """SGDR (Loshchilov and Hutter 2017): restart the cosine at the end of every cycle."""
    _check_t(t)
    check_positive_int("T_0", T_0)
    check_positive_int("T_mult", T_mult)
    length, start = T_0, 0
    while t >= start + length:
        start, length = start + length, length * T_mult
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * (t - start) / length)) / 2


def cyclic_lr(
    t: int,
    lr0: float,
    max_lr: float,
    step_size_up: int = 2000,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> float:
    """Cyclical learning rate (Smith 2017): a triangle between lr0 and max_lr with half-period
    ``step_size_up``. torch's modes: "triangular" (constant amplitude), "triangular2" (amplitude
    halved every cycle), "exp_range" (amplitude scaled by gamma^t)."""
    if mode not in ("triangular", "triangular2", "exp_range"):
        raise ValueError(f"Invalid mode: {mode!r} (triangular, triangular2 or exp_range)")
    _check_t(t)
    check_positive_int("step_size_up", step_size_up)
    cycle = math.floor(1 + t / (2 * step_size_up))
    x = abs(t / step_size_up - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 1 / 2.0 ** (cycle - 1), "exp_range": gamma**t}
    return lr0 + (max_lr - lr0) * max(0.0, 1 - x) * scale[mode]


def one_cycle_lr(
    t: int,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> float:
    """torch's OneCycleLR (two phases, cosine annealing): up from max_lr/div_factor to max_lr,
    then down to max_lr/(div_factor final_div_factor)."""
    _check_t(t)
    check_positive("max_lr", max_lr)
    check_positive_int("total_steps", total_steps)
    check_positive("div_factor", div_factor)
    check_positive("final_div_factor", final_div_factor)
    if not 0 < pct_start < 1 or not 1 < pct_start * total_steps < total_steps:
        raise ValueError(
            f"Invalid pct_start: {pct_start} (needs 0 < pct_start < 1 and both phases at least "
            f"one step long for total_steps={total_steps})"
        )
    initial = max_lr / div_factor
    final = initial / final_div_factor
    phase1_end = float(pct_start * total_steps) - 1
    if t <= phase1_end:
        return _cos_anneal(initial, max_lr, t / phase1_end)
    return _cos_anneal(max_lr, final, (t - phase1_end) / (total_steps - 1 - phase1_end))


def _cos_anneal(start: float, end: float, fraction: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)


def linear_warmup_lr(t: int, lr0: float, warmup: int, start_factor: float = 1.0 / 3) -> float:
    _check_t(t)
    check_positive_int("warmup", warmup)
    return lr0 * (start_factor + (1 - start_factor) * min(t, warmup) / warmup)


class ReduceLROnPlateau:
    """Multiply every group's learning rate by ``factor`` once the monitored value has not improved
    (relatively, by ``threshold``) for more than ``patience`` calls to ``step(value)``; then wait
    ``cooldown`` calls before counting again. torch's defaults and behaviour (mode "min",
    threshold_mode "rel"), written out."""

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (must be 'min' or 'max')")
        if not 0.0 < factor < 1.0:
            raise ValueError(f"Invalid factor: {factor} (must be in (0, 1))")
        self.optimizer, self.mode, self.factor = optimizer, mode, factor
        self.patience, self.threshold, self.cooldown = patience, threshold, cooldown
        self.min_lr, self.eps = min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best * (1 - self.threshold)
        return value > self.best * (1 + self.threshold)

    def step(self, value: float) -> None:
        value = float(value)
        if self._improved(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group in self.optimizer.param_groups:
                new_lr = max(group["lr"] * self.factor, self.min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0


def plateau_lrs(values, lr0: float, **kwargs) -> list[float]:
    """The learning rate :class:`ReduceLROnPlateau` (with ``kwargs``) sets after each monitored
    value in ``values``, starting from ``lr0``."""
    check_positive("lr0", lr0)
    group = {"lr": lr0}
    holder = type("Holder", (), {"param_groups": [group]})()
    plateau = ReduceLROnPlateau(holder, **kwargs)
    lrs = []
    for value in values:
        plateau.step(value)
        lrs.append(group["lr"])
    return lrs


def scheduler(optimizer, schedule, **kwargs) -> torch.optim.lr_scheduler.LambdaLR:
    """A torch LR scheduler following ``schedule(t, lr0, **kwargs)`` for every param group."""
    factors = []
    for group in optimizer.param_groups:
        base = group.get("initial_lr", group["lr"])
        factors.append(lambda t, base=base: schedule(t, base, **kwargs) / base)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factors)


class _Sweep(Callback):
    """Records (lr, loss) at every step; stops once the loss exceeds ``stop_factor`` times its
    minimum so far."""

    def __init__(self, stop_factor: float) -> None:
        self.stop_factor = stop_factor
        self.lrs: list[float] = []
        self.losses: list[float] = []

    def on_step_end(self, step: int, logs: dict, model) -> bool:
        self.lrs.append(logs["lr"])
        self.losses.append(logs["loss"])
        return logs["loss"] > self.stop_factor * min(self.losses)


def lr_range_test(
    model,
    loss_fn,
    loader,
    make_optimizer,
    lr_min: float = 1e-5,
    lr_max: float = 10.0,
    steps: int = 100,
    stop_factor: float = 4.0,
    device=None,
) -> dict[str, list[float]]:
    """Raise the learning rate exponentially from lr_min to lr_max over ``steps`` minibatches and
    record the loss; stop early once it exceeds ``stop_factor`` times its minimum. The model's
    weights are restored afterwards. Pick a rate a little below where the loss falls fastest.
    Runs in :func:`nnlib.train.train_steps` on ``device`` (default ``nnlib.get_device()``)."""
    check_positive("lr_min", lr_min)
    check_positive("lr_max", lr_max)
    check_positive_int("steps", steps)
    if lr_max <= lr_min:
        raise ValueError(f"Invalid lr_max: {lr_max} (must exceed lr_min = {lr_min})")
    if not stop_factor > 1:
        raise ValueError(f"Invalid stop_factor: {stop_factor} (must be > 1)")
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = make_optimizer(model.parameters(), lr_min)
    ratio = (lr_max / lr_min) ** (1 / max(steps - 1, 1))
    growth = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=ratio)  # lr_min ratio^t
    sweep = _Sweep(stop_factor)
    try:
        history = train_steps(
            model,
            optimizer,
            loader,
            loss_fn,
            steps=steps,
            scheduler=growth,
            callbacks=[sweep],
            device=device,
        )
    finally:
        model.load_state_dict(saved)
    lrs, losses = sweep.lrs, sweep.losses
    if history.diverged is not None:  # the blow-up itself is part of the curve
        lrs.append(optimizer.param_groups[0]["lr"])
        losses.append(history.diverged.value)
    return {"lr": lrs, "loss": losses}
