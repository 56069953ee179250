"""Lecture 4 figures of the multi-seed studies (:mod:`nncourse.lecture4.normalization`): accuracy
against learning rate, Santurkar et al.'s smoothness probes over training, accuracy against batch
size. Each plots the mean over seeds with a band or error bars of one standard deviation."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch
from matplotlib import ticker
from matplotlib.patches import FancyArrowPatch

from nncourse.plotting import STYLE, WIDGET_MARGINS, new_figure
from nnlib import utils

__all__ = [
    "bn_graph_figure",
    "lr_sweep_figure",
    "small_batch_figure",
    "small_batch_table",
    "smoothness_figure",
]


def _mean_std(values: torch.Tensor):
    values = values.double()
    return values.mean(dim=-1).numpy(), values.std(dim=-1).numpy()


def lr_sweep_figure(lrs, sweeps: dict, chance: float = 0.1):
    """Validation accuracy (mean ± std over seeds) against learning rate, one line per variant.

    ``sweeps`` maps a label to a dict with ``accuracy`` and ``diverged`` of shape (lrs, seeds);
    learning rates where every seed diverged are marked with a cross at chance level.
    """
    fig, (ax,) = new_figure(width=5.6, height=3.4)
    with mpl.rc_context(STYLE):
        for label, sweep in sweeps.items():
            mean, std = _mean_std(sweep["accuracy"])
            all_diverged = sweep["diverged"].all(dim=1).numpy()
            line = ax.errorbar(lrs, mean, yerr=std, marker="o", capsize=3, label=label)
            if all_diverged.any():
                xs = [lr for lr, d in zip(lrs, all_diverged, strict=True) if d]
                ax.plot(xs, [chance] * len(xs), "x", color=line[0].get_color(), markersize=10)
        ax.axhline(chance, color="grey", linestyle=":", label="chance (10 classes)")
        ax.set(
            xscale="log",
            xlabel="learning rate η",
            ylabel="validation accuracy after training",
            title="mean ± std over seeds; × = every seed diverged",
        )
        ax.title.set_fontsize(9)
        fig.legend(loc="outside lower center", ncol=3, fontsize=9)
    return fig


def smoothness_figure(steps, results: dict):
    """Santurkar et al.'s three probes against the training step, on log axes: the geometric
    mean over seeds and a band of one geometric standard deviation (mean ± std of the log),
    one colour per network; ``results`` maps a label to
    :func:`nncourse.lecture4.normalization.smoothness_over_training`'s output."""
    panels = {
        "loss_range": "loss variation along g\nmax - min of L(θ - ηg)",
        "gradient_change": "gradient change along g\nmax ‖∇L(θ - ηg) - g‖",
        "beta": "effective smoothness\nmax ‖∇L(θ - ηg) - g‖ / ‖ηg‖",
    }
    fig, axes = new_figure(ncols=2, nrows=2, width=3.4, height=2.6)
    steps = torch.as_tensor(steps).numpy()
    with mpl.rc_context(STYLE):
        for ax, (key, title) in zip(axes, panels.items(), strict=False):
            for label, result in results.items():
                mean, std = _mean_std(result[key].T.log())
                (line,) = ax.plot(steps, np.exp(mean), marker=".", label=label)
                low, high = np.exp(mean - std), np.exp(mean + std)
                ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.2)
            ax.set(xlabel="training step", yscale="log")
            ax.set_title(title, fontsize=9)
            ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        # the fourth cell holds the legend and what the lines and bands are
        handles, labels = axes[0].get_legend_handles_labels()
        axes[3].axis("off")
        axes[3].legend(
            handles,
            labels,
            loc="center",
            fontsize=10,
            title="lines: geometric mean over seeds\nbands: × or ÷ one geometric std",
            title_fontsize=9,
        )
    return fig


def small_batch_figure(
    batch_sizes, *results: dict, titles=(), chance: float = 0.1, ylabel="validation accuracy"
):
    """Accuracy (mean ± std over seeds; ``ylabel`` names the split) against batch size, one line per
    normalization; each ``results`` (one panel each, on a shared accuracy axis, titled by
    ``titles``) maps a name to accuracies of shape (batch sizes, seeds). Lines keep the colour of
    their position in the dict, so listing the normalizations in the same order in every panel
    gives each the same colour."""
    if not results:
        raise ValueError("Invalid results: give at least one dict of accuracies")
    if titles and len(titles) != len(results):
        raise ValueError(f"Invalid titles: {len(titles)} titles for {len(results)} panels")
    fig, axes = new_figure(nrows=len(results), width=6.4, height=3.0)
    with mpl.rc_context(STYLE):
        for ax, panel in zip(axes, results, strict=True):
            for name, accuracy in panel.items():
                mean, std = _mean_std(accuracy)
                ax.errorbar(batch_sizes, mean, yerr=std, marker="o", capsize=3, label=name)
            ax.axhline(chance, color="grey", linestyle=":", label="chance (10 classes)")
            ax.set(xscale="log", xlabel="batch size B")
            ax.set_xticks(list(batch_sizes), [str(b) for b in batch_sizes])
            ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
        for ax in axes:
            ax.set_ylabel(ylabel)
        for ax in axes[1:]:
            ax.sharey(axes[0])
        for ax, title in zip(axes, titles, strict=False):
            ax.set_title(title)
        fig.suptitle("mean ± std over seeds, same number of steps for every B", fontsize=9)
    return fig


def small_batch_table(batch_sizes, results: dict) -> str:
    """The accuracies of :func:`small_batch_figure` as text: one row per normalization, one
    column per batch size, mean ± std over seeds to two decimals."""
    width = max(len("normalization"), *map(len, results))
    lines = [f"{'normalization':<{width}} | " + " | ".join(f"B = {b:<10}" for b in batch_sizes)]
    for name, accuracy in results.items():
        mean, std = _mean_std(accuracy)
        cells = [f"{m:.2f} ± {s:.2f}" for m, s in zip(mean, std, strict=True)]
        lines.append(f"{name:<{width}} | " + " | ".join(f"{c:<14}" for c in cells))
    return "\n".join(lines)


def bn_graph_figure():
    """The computational graph of training-mode batch norm for one feature: each node, and on
    each edge the local derivative ∂(head)/∂(tail) that backpropagation multiplies by
    (σ = sqrt(σ_B² + ε)); the edge from γ, δ to y carries ∂y/∂γ = x̂ and ∂y/∂δ = 1."""
    nodes = {
        "x": (0.0, 0.5, "$x_i$"),
        "mu": (2.0, 1.0, "$\\mu_B$"),
        "var": (2.0, 0.0, "$\\sigma_B^2$"),
        "xhat": (4.6, 0.5, "$\\hat x_i$"),
        "y": (6.3, 0.5, "$y_i$"),
        "gamma": (6.3, 1.05, "$\\gamma, \\delta$"),
        "L": (7.9, 0.5, "$L$"),
    }
    # (start, end, local derivative, where along the edge its label sits, label offset in y)
    edges = [
        ("x", "mu", "$1/B$", 0.5, 0.08),
        ("x", "var", "$2(x_i - \\mu_B)/B$", 0.5, -0.1),
        ("mu", "var", "$\\partial\\sigma_B^2/\\partial\\mu_B$\n$= 0$", 0.68, 0.0),
        ("x", "xhat", "$1/\\sigma$", 0.75, 0.06),
        ("mu", "xhat", "$-1/\\sigma$", 0.5, 0.08),
        ("var", "xhat", "$-(x_i - \\mu_B)/2\\sigma^3$", 0.5, -0.1),
        ("xhat", "y", "$\\gamma$", 0.5, 0.06),
        ("gamma", "y", "$\\hat x_i$, 1", 0.45, 0.0),
        ("y", "L", "$\\partial L/\\partial y_i$", 0.5, 0.08),
    ]
    fig, (ax,) = new_figure(width=7.6, height=3.2)
    with mpl.rc_context(STYLE):
        for x, y, text in nodes.values():
            box = {"boxstyle": "circle", "facecolor": "#e8f0fa", "edgecolor": "#1f77b4"}
            ax.text(x, y, text, ha="center", va="center", fontsize=13, bbox=box)
        for start, end, label, where, lift in edges:
            (x0, y0, _), (x1, y1, _) = nodes[start], nodes[end]
            arrow = FancyArrowPatch(
                (x0, y0),
                (x1, y1),
                arrowstyle="-|>",
                mutation_scale=14,
                shrinkA=18,
                shrinkB=18,
                color="0.35",
            )
            ax.add_patch(arrow)
            if label:
                at = (
                    x0 + where * (x1 - x0) + (0.1 if x0 == x1 else 0),
                    y0 + where * (y1 - y0) + lift,
                )
                ha = "left" if x0 == x1 else "center"
                ax.text(
                    *at,
                    label,
                    ha=ha,
                    va="center",
                    fontsize=10,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1},
                )
        ax.set(xlim=(-0.4, 8.3), ylim=(-0.2, 1.25))
        ax.set_title(
            "batch norm, one feature: each edge carries ∂(head)/∂(tail);\n"
            "forward along the arrows, backward against them, multiplying"
        )
        ax.axis("off")
    return fig


def batch_statistics_figure(batch_size: int = 8, batches: int = 2000, seed: int = 0):
    """What batch norm sees at batch size B, for one feature x ~ N(1, 2²): over ``batches``
    random minibatches, the histograms of the batch mean mu_B (its std against sigma / sqrt(B)),
    of the batch standard deviation sigma_B, and of x_hat = (x - mu_B) / sigma_B for one fixed
    example x = 3 put into each batch (with the population statistics it would always be 1, its
    eval-mode value)."""
    mean, std, example = 1.0, 2.0, 3.0
    g = utils.generator(seed)
    x = mean + std * torch.randn(batches, batch_size, generator=g, dtype=torch.float64)
    mu, sigma = x.mean(dim=1), x.std(dim=1, correction=0)
    x[:, 0] = example  # the same batches with the example in them
    x_hat = (example - x.mean(dim=1)) / (x.std(dim=1, correction=0) + 1e-5)
    spread = f"std {mu.std():.2f} (σ/√B = {std / batch_size**0.5:.2f})"
    panels = [
        (mu, (-3.0, 5.0), "μ_B", f"batch means: {spread}"),
        (sigma, (0.0, 5.0), "σ_B", f"batch stds: mean {sigma.mean():.2f}"),
        (x_hat, (-1.5, 3.5), "x̂ of the example x = 3", "one example, normalized"),
    ]
    truth = [mean, std, (example - mean) / std]
    margins = WIDGET_MARGINS | {"left": 0.05, "wspace": 0.3, "top": 0.8, "bottom": 0.2}
    fig, axes = new_figure(ncols=3, width=2.6, height=2.8, margins=margins)
    with mpl.rc_context(STYLE):
        for ax, (values, limits, label, title), true in zip(axes, panels, truth, strict=True):
            clipped = values.clamp(*limits).numpy()
            ax.hist(clipped, bins=np.linspace(*limits, 41), color="#1f77b4", alpha=0.8)
            ax.axvline(true, color="#d62728", linewidth=1.5)
            ax.set(xlim=limits, xlabel=label, title=title, yticks=[])
            ax.title.set_fontsize(9)
        axes[0].set_ylabel("batches")
        fig.suptitle(
            f"B = {batch_size}: red lines are the population values (eval mode)", fontsize=10
        )
    return fig
