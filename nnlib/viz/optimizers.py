"""Lecture 5 figures: the optimizer race on 2-D surfaces, the momentum rate map, schedules."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch

from nnlib import analytic_surfaces, optim, schedules
from nnlib.viz.core import STYLE, WIDGET_MARGINS, new_figure
from nnlib.viz.descent import contour

__all__ = [
    "RACE_SURFACES",
    "momentum_rate_figure",
    "race_figure",
    "race_optimizers",
    "schedule_figure",
]

RACE_SURFACES = {
    "ill-conditioned quadratic": (
        lambda: analytic_surfaces.Quadratic((1.0, 50.0), angle=0.5),
        (-1.8, 1.2),
        1 / 50,
    ),
    "rosenbrock": (analytic_surfaces.Rosenbrock, (-1.5, 2.0), 1e-3),
    "beale": (analytic_surfaces.Beale, (1.0, 1.4), 1e-2),
    "saddle": (analytic_surfaces.TwinValleys, (1.2, 1e-3), 0.1),
    "tiny MLP": (lambda: analytic_surfaces.TinyMLP(), (-2.0, 2.5), 0.5),
}


def race_optimizers(lr: float) -> dict:
    """Six optimizers, scaled from one base learning rate (adaptive ones use their own scale)."""
    return {
        "SGD": lambda p: optim.SGD(p, lr=lr),
        "momentum": lambda p: optim.SGD(p, lr=lr, momentum=0.9),
        "Nesterov": lambda p: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
        "Adagrad": lambda p: optim.Adagrad(p, lr=0.3),
        "RMSprop": lambda p: optim.RMSprop(p, lr=0.01),
        "Adam": lambda p: optim.Adam(p, lr=0.05),
    }


def race_figure(
    surface: str = "ill-conditioned quadratic", steps: int = 300, lr_scale: float = 1.0
):
    """Six optimizers for ``steps`` steps on a surface: paths on the contours and loss curves."""
    if surface not in RACE_SURFACES:
        raise ValueError(f"Invalid surface: {surface!r} (choose from {list(RACE_SURFACES)})")
    make, start, lr = RACE_SURFACES[surface]
    landscape = make()
    result = optim.race(landscape, race_optimizers(lr * lr_scale), start, steps)
    fig, (left, right) = new_figure(ncols=2, width=4.6, height=3.9, margins=WIDGET_MARGINS)
    contour(landscape, ax=left)
    with mpl.rc_context(STYLE):
        for name, path in result.paths.items():
            finite = torch.isfinite(path).all(dim=1)
            (line,) = left.plot(*path[finite].T.numpy(), linewidth=1.3, label=name)
            values = result.values[name].clamp_min(1e-12).numpy()
            label = name if result.diverged_at[name] is None else f"{name} (diverged)"
            right.semilogy(values, color=line.get_color(), label=label)
        left.plot(*start, marker="o", color="white")
        left.legend(fontsize=7, loc="lower right")
        right.set(
            xlabel="step", ylabel="loss", title=f"lr = {lr * lr_scale:.3g} for the SGD family"
        )
        right.legend(fontsize=7)
    return fig


def momentum_rate_figure(mu: float = 1.0, L: float = 100.0, resolution: int = 40):
    """Heavy ball's convergence rate over (learning rate, momentum) on a quadratic with
    eigenvalues in [mu, L]; Polyak's optimum marked."""
    lrs = np.linspace(0.002, 2.2 / L * 2, resolution)
    betas = np.linspace(0.0, 0.99, resolution)
    rates = np.array([[optim.momentum_rate(a, b, [mu, L]) for a in lrs] for b in betas])
    lr_opt, beta_opt, rate_opt = optim.optimal_momentum(mu, L)
    fig, (ax,) = new_figure(width=5.0, height=4.0)
    with mpl.rc_context(STYLE):
        image = ax.pcolormesh(lrs, betas, np.minimum(rates, 1.0), cmap="viridis_r", shading="auto")
        fig.colorbar(image, ax=ax, label="rate (1 = no convergence)")
        ax.plot(lr_opt, beta_opt, marker="*", color="white", markersize=14)
        ax.annotate(
            f"optimum: rate {rate_opt:.3f}",
            (lr_opt, beta_opt),
            color="white",
            xytext=(8, -14),
            textcoords="offset points",
        )
        ax.set(xlabel="learning rate", ylabel="momentum", title=f"heavy ball, κ = {L / mu:.0f}")
        ax.grid(False)
    return fig


def schedule_figure(schedule: str = "cosine", steps: int = 100, lr0: float = 0.1):
    """One learning-rate schedule over ``steps`` steps."""
    table = {
        "step": lambda t: schedules.step_lr(t, lr0, max(steps // 4, 1), 0.5),
        "exponential": lambda t: schedules.exponential_lr(t, lr0, 0.97),
        "1/t": lambda t: schedules.inverse_time_lr(t, lr0, 0.1),
        "cosine": lambda t: schedules.cosine_lr(t, lr0, steps),
        "warm restarts": lambda t: schedules.cosine_warm_restarts_lr(t, lr0, max(steps // 7, 1), 2),
        "cyclic": lambda t: schedules.cyclic_lr(t, lr0 / 10, lr0, max(steps // 8, 1)),
        "one-cycle": lambda t: schedules.one_cycle_lr(t, lr0, steps),
        "warm-up then cosine": lambda t: (
            schedules.linear_warmup_lr(t, lr0, max(steps // 10, 1), 0.0)
            if t < steps // 10
            else schedules.cosine_lr(t - steps // 10, lr0, steps - steps // 10)
        ),
    }
    if schedule not in table:
        raise ValueError(f"Invalid schedule: {schedule!r} (choose from {list(table)})")
    fig, (ax,) = new_figure(width=5.0, height=3.0, margins=WIDGET_MARGINS | {"left": 0.14})
    with mpl.rc_context(STYLE):
        ax.plot(range(steps), [table[schedule](t) for t in range(steps)])
        ax.set(xlabel="step", ylabel="learning rate", title=schedule, ylim=(0, lr0 * 1.05))
    return fig
