"""Lecture 3 figures: per-layer activation and gradient statistics of deep MLPs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import torch
from matplotlib import ticker

from nncourse.plotting import STYLE, new_figure
from nnlib import init, layer_stats, models, utils

__all__ = [
    "deep_linear_figure",
    "layer_profile_figure",
    "layer_stats_figure",
    "layer_stats_for",
    "matrix_power_figure",
    "regimes_figure",
    "relu_profile_figure",
    "training_bands_figure",
    "training_panels_figure",
]


def layer_stats_for(
    depth: int = 20,
    width: int = 128,
    activation: str = "tanh",
    scheme: str = "xavier",
    seed: int = 0,
    batch: int = 256,
    weight_gradients: bool = True,
):
    """Statistics of an MLP with ``depth`` hidden layers of ``width`` units on Gaussian inputs
    (:func:`nnlib.layer_stats.layer_statistics`)."""
    utils.manual_seed(seed)
    sizes = [40] + [width] * depth + [10]
    if scheme == "default":  # torch's own layer initialization
        model = models.mlp(sizes, activation=activation)
    else:  # init_model sets every weight and bias: skip torch's initialization, then fill
        with torch.device("meta"):
            model = models.mlp(sizes, activation=activation).to_empty(device="cpu")
    init.init_model(model, scheme, seed=seed)
    g = utils.generator(seed)
    x = torch.randn(batch, 40, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    return layer_stats.layer_statistics(model, x, y, weight_gradients=weight_gradients)


def layer_stats_figure(
    depth: int = 20,
    width: int = 128,
    activation: str = "tanh",
    scheme: str = "xavier",
    seed: int = 0,
    batch: int = 64,
):
    """Activation std and gradient std per layer, and activation histograms of four layers, of
    one batch of ``batch`` Gaussian inputs (64 by default: at width 16 that is still 1024
    values per layer, and a redraw costs a quarter of what a 256-input batch would)."""
    rows = layer_stats_for(depth, width, activation, scheme, seed, batch, weight_gradients=False)
    layers = np.arange(1, len(rows) + 1)
    margins = {"left": 0.13, "right": 0.96, "bottom": 0.15, "top": 0.78, "wspace": 0.5}
    fig, (left, middle, right) = new_figure(ncols=3, width=3.4, height=3.0, margins=margins)
    with mpl.rc_context(STYLE):
        act_std = np.array([max(r.activation_std, 1e-30) for r in rows])
        left.semilogy(layers, act_std, marker=".")
        left.set(xlabel="layer", ylabel="std of activations", title="forward: activations")
        _whole_decades(left, act_std)
        grad_std = np.array([max(r.activation_grad_std, 1e-30) for r in rows])
        middle.semilogy(layers, grad_std, marker=".", color="#d62728")
        middle.set(xlabel="layer", ylabel="std of gradient", title="backward: gradients")
        _whole_decades(middle, grad_std)
        picks = sorted({0, len(rows) // 3, 2 * len(rows) // 3, len(rows) - 1})
        for k in picks:
            values = rows[k].values.numpy()
            values = values[np.isfinite(values)]  # an exploding network overflows
            if values.size == 0:
                continue
            density, edges = np.histogram(values, bins=40, density=True)
            right.plot(
                edges, [*density, density[-1]], drawstyle="steps-post", label=f"layer {k + 1}"
            )
        right.set(xlabel="activation value", ylabel="density", title="activation histograms")
        right.set_yticks([])  # densities reach 1e18 for a tiny init: only the shapes matter
        right.xaxis.set_major_locator(ticker.MaxNLocator(3))
        right.xaxis.set_major_formatter(ticker.FuncFormatter(_short_number))
        right.legend(fontsize=9)
        saturated = np.mean([r.saturated for r in rows])
        what = "dead (zero)" if activation == "relu" else "saturated"
        fig.suptitle(
            f"{scheme} init, {activation}, {depth} layers of {width}: "
            f"{saturated:.0%} of activations {what}"
            if activation in ("relu", "tanh", "sigmoid")
            else f"{scheme} init, {activation}, {depth} layers of {width}"
        )
    return fig


def _whole_decades(ax, values: np.ndarray) -> None:
    """Log y axis from a whole decade below ``values`` to one above, ticks at 1, 2, 5 × 10^k,
    so that a narrow range still gets labelled major ticks."""
    exponents = np.log10(values[np.isfinite(values) & (values > 0)])
    if exponents.size == 0:  # every value overflowed: leave matplotlib's limits
        return
    low, high = np.floor(exponents.min()), np.ceil(exponents.max())
    high = max(high, low + 1)
    ax.set_ylim(10.0**low, 10.0**high)
    if high - low <= 2:  # a narrow range: label 1, 2 and 5 of each decade
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    else:
        ax.yaxis.set_major_locator(ticker.LogLocator(numticks=5))
    ax.yaxis.set_major_formatter(ticker.LogFormatterSciNotation(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def _short_number(value: float, _position=None) -> str:
    """A tick label without an offset: 0.5, 20, 3e+17."""
    return f"{value:.0e}" if value and not 1e-3 <= abs(value) < 1e4 else f"{value:g}"


def regimes_figure(runs: Mapping[str, Sequence]):
    """Activation std and gradient std per hidden layer (log scale, shared layer axis), one line
    per named run of :func:`nnlib.layer_stats.layer_statistics` rows."""
    fig, (left, right) = new_figure(ncols=2, width=3.8, height=3.0)
    with mpl.rc_context(STYLE):
        for label, rows in runs.items():
            layers = np.arange(1, len(rows) + 1)
            left.semilogy(layers, [r.activation_std for r in rows], marker=".", label=label)
            grads = [max(r.activation_grad_std, 1e-30) for r in rows]
            right.semilogy(layers, grads, marker=".", label=label)
        left.set(xlabel="hidden layer", ylabel="std of activations", title="forward")
        right.set(xlabel="hidden layer", ylabel="std of dL/d(activations)", title="backward")
        right.sharex(left)
        fig.legend(
            *left.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=9
        )
    return fig


def training_bands_figure(
    curves: Mapping[str, torch.Tensor],
    ylabel: str,
    title: str = "",
    logy: bool = False,
    ax=None,
    legend: bool = True,
):
    """Mean over seeds (line) and min-max range (band) of per-epoch curves of shape
    (epochs, seeds), one colour per name; epochs are counted from 1."""
    fig = None
    if ax is None:
        fig, (ax,) = new_figure(width=4.6, height=3.2)
    with mpl.rc_context(STYLE):
        for label, values in curves.items():
            values = values.detach().double()
            epochs = np.arange(1, values.shape[0] + 1)
            line = ax.plot(epochs, values.mean(dim=1).numpy(), label=label)[0]
            low, high = values.amin(dim=1).numpy(), values.amax(dim=1).numpy()
            ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        if logy:
            _plain_log_ticks(ax)
        ax.set(xlabel="epoch", ylabel=ylabel, title=title)
        if legend:
            ax.legend(fontsize=9)
    return fig if fig is not None else ax.figure


def training_panels_figure(panels: Mapping[str, tuple[Mapping[str, torch.Tensor], str, bool]]):
    """Side by side :func:`training_bands_figure` panels, ``title: (curves, ylabel, logy)``,
    with one legend below them (the same names in every panel keep their colours)."""
    fig, axes = new_figure(ncols=len(panels), width=4.2, height=3.0)
    for ax, (title, (curves, ylabel, logy)) in zip(axes, panels.items(), strict=True):
        training_bands_figure(curves, ylabel, title, logy=logy, ax=ax, legend=False)
    with mpl.rc_context(STYLE):
        fig.legend(
            *axes[0].get_legend_handles_labels(),
            loc="outside lower center",
            ncols=min(5, len(next(iter(panels.values()))[0])),
            fontsize=9,
        )
    return fig


def matrix_power_figure(norms: Mapping[str, tuple[Sequence[int], Sequence[float], float]]):
    """Measured spectral norms ||W^n||_2 (dots) against lambda_max^n (line), log scale; each
    entry is ``label: (powers n, measured norms, lambda_max)``."""
    fig, (ax,) = new_figure(width=4.6, height=3.2)
    with mpl.rc_context(STYLE):
        for label, (powers, measured, top) in norms.items():
            n = np.asarray(powers, dtype=float)
            line = ax.semilogy(n, top**n, linewidth=1.2)[0]
            ax.semilogy(n, measured, "o", color=line.get_color(), label=label, markersize=4)
        ax.set(
            xlabel="power n (depth)",
            ylabel="spectral norm ||W^n||_2",
            title="the norm of a matrix power",
        )
        ax.legend(
            fontsize=9,
            title="dots: measured\nlines: λ_max^n",
            loc="center left",
            bbox_to_anchor=(1.01, 0.5),
        )
    return fig


def _plain_log_ticks(ax) -> None:
    """A log y axis labelled 1, 2, 5, 10, ... in plain numbers, minor ticks unlabelled."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def layer_profile_figure(runs: Mapping[str, Sequence], picks: Sequence[int] = (1, 10, 20)):
    """Mean of the activations per hidden layer (one line per run), and for each run the
    histograms of the activations of the hidden layers ``picks`` (counted from 1)."""
    fig, axes = new_figure(ncols=1 + len(runs), width=2.9, height=2.8)
    with mpl.rc_context(STYLE):
        for label, rows in runs.items():
            layers = np.arange(1, len(rows) + 1)
            axes[0].plot(layers, [r.activation_mean for r in rows], marker=".", label=label)
        axes[0].axhline(0.0, color="0.5", linewidth=0.8)
        axes[0].set(xlabel="hidden layer", ylabel="mean of activations", title="means")
        axes[0].legend(fontsize=9)
        # the layers get colours of their own (grey to black), not the runs' colours of the
        # means panel
        shades = np.linspace(0.7, 0.0, len(picks))
        for ax, (label, rows) in zip(axes[1:], runs.items(), strict=True):
            for k, shade in zip(picks, shades, strict=True):
                values = rows[k - 1].values.numpy()
                density, edges = np.histogram(values, bins=40, density=True)
                ax.plot(
                    edges,
                    [*density, density[-1]],
                    drawstyle="steps-post",
                    color=str(shade),
                    label=f"layer {k}",
                )
            ax.set_yscale("log")
            ax.set(xlabel="activation value", ylabel="density", title=label)
        fig.legend(
            *axes[1].get_legend_handles_labels(),
            loc="outside lower right",
            ncols=len(picks),
            fontsize=9,
        )
    return fig


def deep_linear_figure(losses: Mapping[str, torch.Tensor], relative: bool = False):
    """Training loss per step of deep linear networks, one thin line per seed and one colour per
    named setting (tensors of shape (steps + 1, seeds)); a diverged run's line stops. With
    ``relative`` the losses are relative to predicting zero, drawn as a dashed line at 1."""
    fig, (ax,) = new_figure(width=5.6, height=3.4)
    with mpl.rc_context(STYLE):
        colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        for k, (label, values) in enumerate(losses.items()):
            values = values.detach().double().numpy().copy()
            values[~np.isfinite(values)] = np.nan
            colour = colours[k % len(colours)]
            lines = ax.plot(values, linewidth=1.0, alpha=0.8, color=colour)
            lines[0].set_label(label)
            for run in values.T:  # a run that diverged: a cross at its last finite loss
                finite = np.flatnonzero(np.isfinite(run))
                if len(finite) < len(run):
                    last = finite[-1] if len(finite) else 0
                    ax.plot(last, run[last], "x", color=colour, markersize=9)
        if relative:
            ax.axhline(1.0, color="0.4", linestyle="--", linewidth=1.0, label="predicting zero")
        ax.set_yscale("log")
        ax.set(
            xlabel="gradient step",
            ylabel="loss / loss of predicting zero" if relative else "training loss",
            title="deep linear networks (× = diverged after this step)",
        )
        ax.legend(fontsize=9)
    return fig


def relu_profile_figure(
    measured: Mapping[str, torch.Tensor], predicted: Mapping[str, torch.Tensor]
):
    """Mean square of the activations per hidden layer, log axis: one thin line per seed
    (``measured[label]`` of shape (seeds, depth)) and the prediction dashed, per label."""
    fig, (ax,) = new_figure(width=5.6, height=3.4)
    with mpl.rc_context(STYLE):
        colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        for k, (label, runs) in enumerate(measured.items()):
            layers = np.arange(1, runs.shape[1] + 1)
            colour = colours[k % len(colours)]
            lines = ax.plot(layers, runs.double().numpy().T, linewidth=1.0, alpha=0.7, color=colour)
            lines[0].set_label(label)
            ax.plot(layers, predicted[label].numpy(), "--", color="0.2", linewidth=1.0)
        ax.set_yscale("log")
        ax.set(
            xlabel="hidden layer",
            ylabel="mean square of activations",
            title="ReLU, orthogonal weights (dashed: predicted)",
        )
        ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig
