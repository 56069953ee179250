"""Lecture 5b: nnlib's schedules paired with torch's schedulers, for the side-by-side check."""

from __future__ import annotations

import torch
from torch.optim import lr_scheduler

from nnlib import schedules

__all__ = ["schedule_pairs", "torch_rates"]


def torch_rates(make, steps: int = 60, losses=None) -> list[float]:
    """The learning rate a torch scheduler ``make(optimizer)`` sets at each of ``steps`` steps,
    from an SGD at 0.1; a plateau scheduler is stepped with ``losses[t]``."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, rates = make(opt), []
    for t in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step() if losses is None else sched.step(losses[t])
    return rates


def schedule_pairs() -> dict:
    """Per schedule of the syllabus: (torch scheduler factory, nnlib's rate as a function of the
    step from eta0 = 0.1, or None for ReduceLROnPlateau, whose nnlib version is fed losses)."""
    return {
        "step": (
            lambda o: lr_scheduler.StepLR(o, 15, 0.5),
            lambda t: schedules.step_lr(t, 0.1, 15, 0.5),
        ),
        "exponential": (
            lambda o: lr_scheduler.ExponentialLR(o, 0.95),
            lambda t: schedules.exponential_lr(t, 0.1, 0.95),
        ),
        "1/t (torch: LambdaLR)": (
            lambda o: lr_scheduler.LambdaLR(o, lambda t: 1 / (1 + 0.2 * t)),
            lambda t: schedules.inverse_time_lr(t, 0.1, 0.2),
        ),
        "ReduceLROnPlateau": (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=5),
            None,
        ),
        "cosine": (
            lambda o: lr_scheduler.CosineAnnealingLR(o, 60),
            lambda t: schedules.cosine_lr(t, 0.1, 60),
        ),
        "warm restarts (SGDR)": (
            lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 10, 2),
            lambda t: schedules.cosine_warm_restarts_lr(t, 0.1, 10, 2),
        ),
        "cyclic": (
            lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=10, cycle_momentum=False),
            lambda t: schedules.cyclic_lr(t, 0.01, 0.1, 10),
        ),
        "one-cycle": (
            lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=60, cycle_momentum=False),
            lambda t: schedules.one_cycle_lr(t, 0.1, 60),
        ),
        "linear warm-up": (
            lambda o: lr_scheduler.LinearLR(o, start_factor=1 / 3, total_iters=10),
            lambda t: schedules.linear_warmup_lr(t, 0.1, 10),
        ),
    }
