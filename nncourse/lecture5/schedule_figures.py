"""Figures of lectures 5b and 5c: schedules against torch, loss-curve diagnosis, range test, search,
and the line between two solutions. Pure functions -> Figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import torch

from nncourse.plotting import DIVERGED_COLOR, STYLE, WIDGET_MARGINS, new_figure
from nnlib import schedules

__all__ = [
    "diagnosis_figure",
    "eigen_walk_figure",
    "line_figure",
    "long_run_figure",
    "range_test_figure",
    "schedule_figure",
    "schedules_figure",
    "search_figure",
    "warmup_figure",
]


def schedules_figure(drawn: Mapping[str, tuple[torch.Tensor, torch.Tensor]], ncols: int = 3):
    """One panel per schedule: nnlib's rates (line) and torch's (dots) against the step."""
    names = list(drawn)
    nrows = -(-len(names) // ncols)
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=3.0, height=2.1)
    with mpl.rc_context(STYLE):
        for ax, name in zip(axes, names, strict=False):
            ours, theirs = drawn[name]
            t = np.arange(len(ours))
            ax.plot(t, ours.numpy(), label="nnlib")
            ax.plot(t, theirs.numpy(), ".", markersize=3, color="k", label="torch")
            ax.set_title(name, fontsize=9)
            ax.set_ylim(0, 0.11)
        for ax in axes[len(names) :]:
            ax.set_visible(False)
        for ax in axes[(nrows - 1) * ncols :]:
            ax.set_xlabel("step t")
        for ax in axes[::ncols]:
            ax.set_ylabel("learning rate η")
        axes[0].legend(fontsize=9)
    return fig


def diagnosis_figure(curves: Mapping[float, torch.Tensor], labels: Mapping[float, str], cap=10.0):
    """Mean training loss per epoch for each learning rate (seeds as a band), diverged runs drawn
    up to where they blew up and marked."""
    fig, (ax,) = new_figure(width=5.4, height=4.2)
    with mpl.rc_context(STYLE):
        for lr, losses in curves.items():
            values = losses.numpy()
            epochs = np.arange(1, len(values) + 1)
            mean = values.mean(1)
            finite = np.isfinite(mean) & (mean < cap)
            label = f"η = {lr:g} ({labels[lr]})"
            if finite.all():
                (line,) = ax.plot(epochs, mean, label=label)
                ax.fill_between(
                    epochs, values.min(1), values.max(1), alpha=0.2, color=line.get_color()
                )
            else:  # draw it up to where it blew up, then mark that epoch
                first_bad = int(np.argmin(finite))
                shown = slice(0, first_bad)
                ax.plot(epochs[shown], mean[shown], color=DIVERGED_COLOR)
                ax.plot(
                    [epochs[first_bad]],
                    [cap],
                    "X",
                    color=DIVERGED_COLOR,
                    markersize=9,
                    label=f"{label}: above {cap:g} or NaN from epoch {epochs[first_bad]}",
                )
        ax.set_yscale("log")
        ax.set(
            xlabel="epoch",
            ylabel="training loss (mean over seeds)",
            title="reading the learning rate from the loss curve",
        )
        # below the axes: inside, it would cover the curves
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return fig


def range_test_figure(runs: Sequence[Mapping], trained_best: float):
    """The range test's loss against the learning rate (log axis), one smoothed curve per seed
    with its suggestion (dashed), and the best learning rate found by training (dotted)."""
    fig, (ax,) = new_figure(width=5.0, height=3.0)
    with mpl.rc_context(STYLE):
        for seed, run in enumerate(runs):
            (line,) = ax.semilogx(run["lr"], run["smooth"], label=f"seed {seed}, smoothed")
            ax.semilogx(run["lr"], run["loss"], color=line.get_color(), alpha=0.25, linewidth=0.8)
            ax.axvline(run["suggested"], color=line.get_color(), linestyle="--", linewidth=1)
        ax.axvline(
            trained_best,
            color="k",
            linestyle=":",
            label=f"best by training: {trained_best:g}",
        )
        ax.set(
            xlabel="learning rate η (raised every step; dashed: steepest fall)",
            ylabel="training loss",
            title=f"learning-rate range test, {len(runs)} seeds",
        )
        ax.legend(fontsize=9)
    return fig


def long_run_figure(curves: Mapping[str, Mapping[str, torch.Tensor]], drop_epoch: int):
    """Training loss (left) and test loss (right) per epoch, mean over seeds with the seeds as a
    band, for each schedule; the epoch where the step schedule drops its rate is marked."""
    fig, axes = new_figure(ncols=2, width=3.4, height=2.8)
    with mpl.rc_context(STYLE):
        for ax, key, title in zip(
            axes, ("train_loss", "eval_loss"), ("training loss", "test loss"), strict=True
        ):
            for name, curve in curves.items():
                values = curve[key].numpy()
                epochs = np.arange(1, len(values) + 1)
                (line,) = ax.plot(epochs, values.mean(1), label=name)
                ax.fill_between(
                    epochs, values.min(1), values.max(1), alpha=0.2, color=line.get_color()
                )
            ax.axvline(drop_epoch + 0.5, color="0.5", linestyle=":", linewidth=1)
            ax.set(xlabel="epoch (dotted: the rate drops)", ylabel=title, title=title)
            ax.legend(fontsize=9)
    return fig


def search_figure(result: Mapping[str, torch.Tensor]):
    """Best error found by the grid and by random search against where the optimum lay."""
    order = torch.argsort(result["optimum"])
    x = result["optimum"][order].numpy()
    fig, (ax,) = new_figure(width=5.0, height=3.0)
    with mpl.rc_context(STYLE):
        ax.plot(x, result["random_best"][order].numpy(), ".", markersize=2, label="9 random trials")
        ax.plot(x, result["grid_best"][order].numpy(), "-", label="3 x 3 grid")
        for value in result["grid_values"].tolist():
            ax.axvline(value, color="0.6", linewidth=0.8, linestyle=":")
        ax.set(
            xlabel="optimum of log₁₀ η, drawn per repetition (dotted: grid values)",
            ylabel="best validation error found",
            title="grid against random search",
        )
        ax.legend(fontsize=9)
    return fig


def line_figure(
    alphas: torch.Tensor,
    curves: Mapping[str, torch.Tensor],
    ends: Sequence[str],
    sharpness: Sequence[float],
):
    """Loss along theta(a) = (1 - a) theta_0 + a theta_1 against a; both ends marked on the axis,
    each labelled with its sharpness (largest Hessian eigenvalue) below the panel, the legend
    beside it."""
    fig, (ax,) = new_figure(width=6.2, height=3.4)
    with mpl.rc_context(STYLE):
        a = alphas.numpy()
        for name, values in curves.items():
            ax.semilogy(a, values.numpy(), label=name)
        for position in (0.0, 1.0):
            ax.axvline(position, color="k", linewidth=0.8, linestyle=":")
        ax.set_xticks(
            [0.0, 1.0],
            [
                f"0: {ends[0]}\nλ_max = {sharpness[0]:.2g}",
                f"1: {ends[1]}\nλ_max = {sharpness[1]:.2g}",
            ],
            fontsize=9,
        )
        ax.set(
            xlabel="a, the position on the line (drawn from -0.5 to 1.5)",
            ylabel="cross-entropy (log scale)",
            title="the straight line between the two solutions",
        )
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig


def eigen_walk_figure(profiles: Mapping[str, Mapping], offset: float = 0.0):
    """Left: the training loss at theta + t v along each end point's top Hessian eigenvector v
    (solid) and the quadratic model loss(0) + λ_max t² / 2 (dashed), with the current t marked.
    Right: the loss at that t for each end point, and the quadratic model's prediction (x).
    ``profiles[name]`` holds ``t`` and ``loss`` (tensors) and ``lam`` (λ_max)."""
    fig, (left, right) = new_figure(ncols=2, width=3.4, height=3.0, margins=WIDGET_MARGINS)
    with mpl.rc_context(STYLE):
        at, model_at, colors = [], [], []
        for name, profile in profiles.items():
            t, loss = profile["t"].numpy(), profile["loss"].numpy()
            quadratic = loss[len(t) // 2] + profile["lam"] * t**2 / 2
            short = name.rsplit("(", 1)[-1].rstrip(")")  # "B = 512, η = 0.02 (sharp)": sharp
            (line,) = left.plot(t, loss, label=f"{short}: λ_max = {profile['lam']:.2g}")
            color = line.get_color()
            colors.append(color)
            left.plot(t, quadratic, "--", color=color, linewidth=1)
            at.append(float(np.interp(offset, t, loss)))
            model_at.append(float(np.interp(offset, t, quadratic)))
            left.plot([offset], [at[-1]], "o", color=color, markersize=6)
        left.axvline(offset, color="0.5", linestyle=":", linewidth=1)
        left.set(
            xlabel="t, the step along v (dashed: quadratic model)",
            ylabel="training loss",
            title="loss along the top eigenvector",
        )
        left.set_ylim(top=left.get_ylim()[1] * 1.35)  # room for the legend above the curves
        left.legend(fontsize=9, loc="upper center")
        names = [name.rsplit("(", 1)[-1].rstrip(")") for name in profiles]
        positions = np.arange(len(names))
        right.bar(positions, at, color=colors)
        right.plot(positions, model_at, "kx", markersize=8, label="quadratic model")
        right.set_xticks(positions, names, fontsize=9)
        right.set(ylabel="training loss", title=f"the loss at t = {offset:+.2f}")
        right.set_ylim(0, max(max(at), max(model_at)) * 1.15 + 1e-3)
        right.legend(fontsize=9, loc="upper left")
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


def warmup_figure(curves: Mapping[str, torch.Tensor], warm_steps: int):
    """Training loss per step (log scale), mean over seeds with the seeds as a band, for each
    run; a run whose loss stopped being finite ends where it diverged (marked with a cross)."""
    fig, (ax,) = new_figure(width=5.6, height=3.0)
    with mpl.rc_context(STYLE):
        for name, curve in curves.items():
            values = curve.numpy()
            finite = np.isfinite(values).all(1)
            steps = np.arange(len(values))[finite]
            (line,) = ax.plot(steps, values[finite].mean(1), label=name)
            ax.fill_between(
                steps,
                values[finite].min(1),
                values[finite].max(1),
                alpha=0.2,
                color=line.get_color(),
            )
            if not finite.all():
                ax.plot(steps[-1:], values[finite][-1:].mean(1), "x", color=DIVERGED_COLOR)
        ax.axvline(warm_steps, color="0.5", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        ax.set(
            xlabel="step (dotted: the warm-up ends; x: diverged)",
            ylabel="training loss",
            title="gradient descent from a sharp start",
        )
        ax.legend(fontsize=9)
    return fig
