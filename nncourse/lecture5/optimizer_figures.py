"""Figures of lecture 5a's studies (:mod:`nncourse.lecture5.optimizers`), as pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import torch
from matplotlib import ticker

from nncourse.plotting import DIVERGED_COLOR, STYLE, new_figure
from nnlib import optim

__all__ = [
    "adam_bias_figure",
    "convex_gaps_figure",
    "effective_step_figure",
    "heavy_ball_map_figure",
    "sweep_figure",
]


def heavy_ball_map_figure(
    mu: float,
    L: float,
    lrs: Sequence[float],
    momenta: Sequence[float],
    simulated: torch.Tensor,
    resolution: int = 60,
):
    """The spectral radius of heavy ball over (lr, momentum) for eigenvalues {mu, L}, divergence
    (radius >= 1) in its own colour, with simulated rates on a coarse grid written on top (an x
    where the simulation diverged) and Polyak's optimum marked."""
    lr_axis = np.linspace(4.4 / L / resolution, 4.4 / L, resolution)  # lr > 0
    beta_axis = np.linspace(0.0, 0.99, resolution)
    rates = np.array([[optim.momentum_rate(a, b, [mu, L]) for a in lr_axis] for b in beta_axis])
    lr_opt, beta_opt, rate_opt = optim.optimal_momentum(mu, L)
    fig, (ax,) = new_figure(width=5.6, height=4.4)
    with mpl.rc_context(STYLE):
        converging = np.ma.masked_where(rates >= 1.0, rates)
        image = ax.pcolormesh(lr_axis, beta_axis, converging, cmap="viridis_r", shading="auto")
        diverging = np.ma.masked_where(rates < 1.0, np.ones_like(rates))
        ax.pcolormesh(
            lr_axis,
            beta_axis,
            diverging,
            cmap=mpl.colors.ListedColormap([DIVERGED_COLOR]),
            shading="auto",
            alpha=0.35,
        )
        fig.colorbar(image, ax=ax, label="spectral radius (rate per step)")
        for i, beta in enumerate(momenta):
            for j, lr in enumerate(lrs):
                value = float(simulated[i, j])
                text = "×" if value >= 1.0 else f"{value:.2f}"
                ax.annotate(text, (lr, beta), ha="center", va="center", fontsize=9, color="k")
        ax.plot(lr_opt, beta_opt, marker="*", color="white", markersize=14, markeredgecolor="k")
        ax.annotate(
            f"optimum: rate {rate_opt:.3f}",
            (lr_opt, beta_opt),
            color="k",
            xytext=(-110, 14),
            textcoords="offset points",
        )
        ax.text(
            0.97,
            0.04,
            "red: diverges\n×: simulation diverged",
            transform=ax.transAxes,
            ha="right",
            fontsize=9,
            color=DIVERGED_COLOR,
        )
        ax.set(
            xlabel="learning rate η",
            ylabel="momentum β",
            title=f"heavy ball, κ = {L / mu:.0f}: radius (colour), simulation (numbers)",
        )
        ax.grid(False)
    return fig


def effective_step_figure(steps: Mapping[str, torch.Tensor], labels: Sequence[str]):
    """Per-coordinate effective step lr / (sqrt(s_t) + eps) against the step, log-log, one colour
    per optimizer and one line style per coordinate."""
    fig, (ax,) = new_figure(width=5.2, height=3.4)
    styles = ["-", "--", ":"]
    with mpl.rc_context(STYLE):
        for (name, history), color in zip(steps.items(), ("#1f77b4", "#d62728"), strict=False):
            t = np.arange(1, len(history) + 1)
            for k in range(history.shape[1]):
                ax.loglog(
                    t,
                    history[:, k].numpy(),
                    styles[k % 3],
                    color=color,
                    label=f"{name}, {labels[k]}",
                )
        ax.set(
            xlabel="step t",
            ylabel="effective step η / (√s_t + ε)",
            title="per-coordinate step on a noisy quadratic",
        )
        # the steps span about one decade: label 1, 2 and 5 times each power of 10
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.legend(fontsize=9)
    return fig


def adam_bias_figure(lengths: Mapping[float, Mapping[str, torch.Tensor]]):
    """Adam's step length (in units of lr) with and without bias correction, per beta2, with the
    step 1 / (1 - beta2) marked."""
    fig, (ax,) = new_figure(width=5.2, height=3.4)
    with mpl.rc_context(STYLE):
        for (beta2, pair), color in zip(lengths.items(), ("#1f77b4", "#d62728"), strict=False):
            t = np.arange(1, len(pair["corrected"]) + 1)
            ax.semilogx(
                t,
                pair["uncorrected"].numpy(),
                color=color,
                label=f"β₂ = {beta2}: without correction",
            )
            ax.semilogx(
                t,
                pair["corrected"].numpy(),
                "--",
                color=color,
                label=f"β₂ = {beta2}: optim.Adam (corrected)",
            )
            ax.axvline(1 / (1 - beta2), color=color, linewidth=0.8, linestyle=":")
        ax.set(
            xlabel="step t (dotted: t = 1/(1 − β₂))",
            ylabel="step length / η",
            title="Adam under a constant gradient, β₁ = 0.9",
        )
        ax.legend(fontsize=9)
    return fig


def sweep_figure(results: Mapping[str, Mapping]):
    """Training and test loss per epoch (mean over seeds, band from min to max) of each optimizer
    at its chosen learning rate, one distinct colour per optimizer, shared y axis."""
    colors = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#ff7f0e",
        "#9467bd",
        "#8c564b",
        "#17becf",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
    ]
    fig, axes = new_figure(ncols=2, width=4.3, height=3.4)
    with mpl.rc_context(STYLE):
        for (name, result), color in zip(results.items(), colors, strict=False):
            curves = result["curves"]
            for ax, key in zip(axes, ("train_loss", "eval_loss"), strict=True):
                values = curves[key].numpy()
                epochs = np.arange(1, len(values) + 1)
                ax.plot(
                    epochs, values.mean(1), color=color, label=f"{name} (η = {result['best_lr']:g})"
                )
                ax.fill_between(epochs, values.min(1), values.max(1), color=color, alpha=0.2)
        axes[0].set(xlabel="epoch", ylabel="cross-entropy", title="training loss")
        axes[1].set(xlabel="epoch", title="test loss")
        axes[1].sharey(axes[0])
        axes[1].legend(fontsize=9)
    return fig


def convex_gaps_figure(gaps: Mapping[str, torch.Tensor], slopes: Mapping[str, float]):
    """f(x_k) - f* against k on log-log axes for each method (GD, heavy ball, Nesterov), with
    its fitted slope in the legend and the reference slopes -1 and -2 dotted."""
    fig, (ax,) = new_figure(width=5.0, height=3.2)
    with mpl.rc_context(STYLE):
        for name, values in gaps.items():
            k = np.arange(1, len(values) + 1)
            ax.loglog(k, values.numpy(), label=f"{name} (fitted slope {slopes[name]:.2f})")
        k = np.arange(1, len(next(iter(gaps.values()))) + 1)
        start = float(next(iter(gaps.values()))[0])
        for power in (1, 2):
            ax.loglog(k, start / k**power, ":", color="0.5", linewidth=1)
        ax.set(
            xlabel="step k (dotted: slopes -1 and -2)",
            ylabel="f(x_k) - f*",
            title="GD, heavy ball and Nesterov on a convex quadratic",
        )
        ax.legend(fontsize=9)
    return fig
