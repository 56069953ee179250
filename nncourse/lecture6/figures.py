"""Lecture 6 figures: the regularized decision boundary, weight histograms, the augmentation
gallery and loss along a line through weight space."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import matplotlib as mpl
import numpy as np
import torch

from nncourse.lecture6.boundaries import fit_toy_classifier, probability_grid, toy_problem
from nncourse.plotting import STYLE, WIDGET_MARGINS, new_figure
from nnlib import utils
from nnlib.regularization.calibration import Reliability
from nnlib.train import accuracy

__all__ = [
    "augmentation_gallery",
    "boundary_figure",
    "boundary_grid_figure",
    "decay_sweep_figure",
    "image_grid",
    "reliability_figure",
    "swa_line_figure",
    "weight_histograms",
]

BOUNDS = (-1.6, 2.6, -1.2, 1.7)


@lru_cache(maxsize=64)
def _fitted(l2: float, dropout: float, seed: int, replication: int):
    # ``replication`` keys the cache: the draws depend on NNLIB_REPLICATION.
    (x, y), _ = toy_problem()
    return fit_toy_classifier(x, y, weight_decay=l2, dropout=dropout, seed=seed)


def boundary_figure(l2: float = 1e-4, dropout: float = 0.0, seed: int = 0):
    """The toy MLP's class probability and decision boundary after training with AdamW's
    decoupled weight decay ``l2`` and dropout rate ``dropout``; the title gives training and
    test accuracy."""
    (x, y), (xt, yt) = toy_problem()
    model = _fitted(float(l2), float(dropout), seed, utils.replication())
    gx, gy, probs = probability_grid(model, BOUNDS)
    train_acc, test_acc = accuracy(model, x, y), accuracy(model, xt, yt)
    fig, (ax,) = new_figure(width=5.0, height=3.6, margins=WIDGET_MARGINS)
    with mpl.rc_context(STYLE):
        ax.contourf(gx, gy, probs, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
        ax.contour(gx, gy, probs, levels=[0.5], colors="black", linewidths=1.5)
        ax.scatter(*x.T, c=y, cmap="RdBu", edgecolors="black", s=28, vmin=-0.2, vmax=1.2)
        ax.set(xlim=BOUNDS[:2], ylim=BOUNDS[2:], xticks=[], yticks=[])
        ax.set_title(
            f"decay {l2:.0e}, dropout {dropout:.1f}: train {train_acc:.0%}, test {test_acc:.0%}",
            fontsize=10,
        )
        ax.grid(False)
    return fig


def weight_histograms(
    weights: Mapping[str, torch.Tensor],
    bins: int = 80,
    limit: float = 0.3,
    title: str = "weight histograms",
):
    """Histograms (log counts) of flattened weight tensors, one colour per run; the legend sits
    under the axes, where it hides no bar."""
    fig, (ax,) = new_figure(width=6.0, height=3.2)
    edges = np.linspace(-limit, limit, bins + 1)
    with mpl.rc_context(STYLE):
        for name, w in weights.items():
            values = w.detach().flatten().clamp(-limit, limit).numpy()
            ax.hist(values, bins=edges, histtype="step", linewidth=1.5, label=name)
        ax.set(yscale="log", xlabel="weight value", ylabel="count", title=title)
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig


def augmentation_gallery(
    images: torch.Tensor, transforms: Mapping[str, object], seed: int = 0, columns: int = 2
):
    """One panel per named transform (each applied with its own seeded generator), titled with
    its name, showing the 8x8 grey ``images`` (drawn in [0, 1]) side by side; ``columns``
    panels per row, so that each digit is drawn large enough to read at the column width."""
    names = list(transforms)
    rows = -(-len(names) // columns)
    fig, axes = new_figure(ncols=columns, nrows=rows, width=3.4, height=1.25)
    size, gap = images.shape[-1], 1
    with mpl.rc_context(STYLE):
        cmap = mpl.colormaps["gray_r"].with_extremes(bad="white")
        for ax, name in zip(axes, names, strict=False):
            t = transforms[name]
            batch = images if t is None else t(images, utils.generator(seed))
            strip = np.full((size, len(batch) * (size + gap) - gap), np.nan)
            for i, image in enumerate(batch):
                strip[:, i * (size + gap) : i * (size + gap) + size] = image[0].clamp(0, 1).numpy()
            ax.imshow(strip, cmap=cmap, vmin=0, vmax=1)
            ax.set_title(name)
        for ax in axes:
            ax.set(xticks=[], yticks=[])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
    return fig


def image_grid(
    columns: Mapping[str, torch.Tensor],
    row_labels: Sequence[str] | None = None,
    title: str = "",
    cell: float = 0.85,
):
    """Batches of 8x8 grey images (N, 1, 8, 8) drawn in [0, 1] as one mosaic: one column per
    named batch (the names on top), one row per image (``row_labels`` on the left), each
    image about ``cell`` inches wide; ``title`` under the mosaic."""
    names: Sequence[str] = list(columns)
    batches = list(columns.values())
    n_rows = len(batches[0])
    size, gap = batches[0].shape[-1], 2
    step = size + gap
    canvas = np.full((n_rows * step - gap, len(names) * step - gap), np.nan)
    for j, column in enumerate(batches):
        for i in range(n_rows):
            canvas[i * step : i * step + size, j * step : j * step + size] = (
                column[i, 0].clamp(0, 1).numpy()
            )
    label_room = 1.0 if row_labels else 0.0
    fig, (ax,) = new_figure(width=cell * len(names) + label_room, height=cell * n_rows + 0.6)
    with mpl.rc_context(STYLE):
        cmap = mpl.colormaps["gray_r"].with_extremes(bad="white")
        ax.imshow(canvas, cmap=cmap, vmin=0, vmax=1)
        centres = [k * step + (size - 1) / 2 for k in range(max(len(names), n_rows))]
        ax.set_xticks(centres[: len(names)], names)
        ax.tick_params(
            axis="x",
            top=True,
            labeltop=True,
            bottom=False,
            labelbottom=False,
            labelrotation=30,
            length=0,
        )
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("left")
        if row_labels:
            ax.set_yticks(centres[:n_rows], list(row_labels))
            ax.tick_params(axis="y", length=0)
        else:
            ax.set_yticks([])
        ax.set_title(title, pad=4, loc="left", y=-0.12 if n_rows > 3 else -0.2)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    return fig


def boundary_grid_figure(settings: Sequence[tuple[float, float]], seed: int = 0):
    """The widget's picture for several (weight decay, dropout) settings side by side, in a
    grid of two columns with shared axes: probability of class 1, the 0.5 boundary, the
    training points, for the network trained from initialization ``seed`` (named in the
    figure's title; each panel's title gives its training and test accuracy)."""
    (x, y), (xt, yt) = toy_problem()
    rows = (len(settings) + 1) // 2
    fig, axes = new_figure(ncols=2, nrows=rows, width=3.6, height=2.8)
    with mpl.rc_context(STYLE):
        for ax, (l2, dropout) in zip(axes, settings, strict=False):
            model = _fitted(float(l2), float(dropout), seed, utils.replication())
            gx, gy, probs = probability_grid(model, BOUNDS)
            train_acc, test_acc = accuracy(model, x, y), accuracy(model, xt, yt)
            ax.contourf(gx, gy, probs, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
            ax.contour(gx, gy, probs, levels=[0.5], colors="black", linewidths=1.5)
            ax.scatter(*x.T, c=y, cmap="RdBu", edgecolors="black", s=20, vmin=-0.2, vmax=1.2)
            ax.set(xlim=BOUNDS[:2], ylim=BOUNDS[2:], xlabel="feature 1", ylabel="feature 2")
            ax.set_title(
                f"decay {l2:.0e}, dropout {dropout:.1f}\n"
                f"train {train_acc:.0%}, test {test_acc:.0%}",
                fontsize=9,
            )
            ax.grid(False)
        for ax in axes[len(settings) :]:
            ax.set_visible(False)
        fig.suptitle(f"one network per setting: initialization {seed}", fontsize=10)
    return fig


def reliability_figure(diagrams: Mapping[str, Reliability]):
    """One reliability diagram per named model, side by side with shared axes: accuracy
    per confidence bin (bars), each bin's (mean confidence, accuracy) as a dot, and the
    diagonal of perfect calibration; the numbers in the row above the unit square are how
    many predictions each bin holds; the title gives the expected calibration error of the
    pooled predictions."""
    ncols = min(2, len(diagrams))
    fig, axes = new_figure(ncols=ncols, nrows=-(-len(diagrams) // ncols), width=3.4, height=3.0)
    with mpl.rc_context(STYLE):
        for ax, (name, diagram) in zip(axes, diagrams.items(), strict=False):
            edges = diagram.edges.numpy()
            centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
            accuracy = np.nan_to_num(diagram.accuracy.numpy())
            ax.bar(centres, accuracy, width=width * 0.9, color="#1f77b4", label="accuracy")
            ax.plot([0, 1], [0, 1], color="black", linewidth=1, linestyle="--", label="calibrated")
            filled = diagram.count.numpy() > 0
            ax.plot(
                diagram.confidence.numpy()[filled],
                diagram.accuracy.numpy()[filled],
                "o",
                color="#d62728",
                markersize=3,
                label="(mean confidence, accuracy)",
            )
            # the counts stand in a row above the plotting square, clear of bars and diagonal
            for centre, count in zip(centres, diagram.count.numpy(), strict=True):
                if count > 0:
                    ax.text(
                        centre,
                        1.04,
                        f"{int(count)}",
                        ha="center",
                        fontsize=9,
                        rotation=90,
                        va="bottom",
                    )
            ax.set(
                xlim=(0, 1),
                ylim=(0, 1.45),
                yticks=[0, 0.2, 0.4, 0.6, 0.8, 1.0],
                xlabel="confidence (largest probability)",
                title=f"{name}\npooled ECE {diagram.ece:.2f}",
            )
            ax.sharey(axes[0])
        for ax in axes[::ncols]:
            ax.set_ylabel("accuracy in the bin")
        for ax in axes[len(diagrams) :]:
            ax.set_visible(False)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return fig


def swa_line_figure(line: Mapping[str, torch.Tensor], alphas: torch.Tensor, title: str):
    """Two panels along the line from the SWA weights (α = 0) through the last iterate (α = 1):
    training loss (log axis) and test error, each on its own axis."""
    fig, axes = new_figure(ncols=2, width=3.4, height=2.8)
    x = alphas.numpy()
    with mpl.rc_context(STYLE):
        for ax, (name, values), colour in zip(axes, line.items(), ("C0", "C1"), strict=True):
            ax.plot(x, torch.as_tensor(values).numpy(), marker=".", color=colour)
            ax.axvline(0.0, color="gray", linestyle=":")
            ax.axvline(1.0, color="gray", linestyle="--")
            ax.set(xlabel="α (0 = SWA, 1 = last iterate)", ylabel=name, title=name)
        axes[0].set_yscale("log")
        fig.suptitle(title, fontsize=10)
    return fig


def decay_sweep_figure(
    strengths: Sequence[float],
    rows: Mapping[str, Mapping],
    reference: Sequence | None = None,
    xlabel: str = "λ (weight_decay)",
):
    """Test accuracy and weight norm against the decay strength (log axis, labelled
    ``xlabel``), one line per optimizer; ``rows[name]`` maps each strength to (accuracy per
    seed, norm per seed). Means over seeds, with the seeds' range as error bars; ``reference``
    (accuracies, norms) without decay is drawn as a dashed horizontal line."""
    fig, axes = new_figure(ncols=2, width=3.4, height=2.8)
    with mpl.rc_context(STYLE):
        for name, by_strength in rows.items():
            xs = [lam for lam in strengths if lam in by_strength]
            for ax, k in zip(axes, (0, 1), strict=True):
                values = [np.asarray(by_strength[lam][k]) for lam in xs]
                mean = np.array([v.mean() for v in values])
                err = np.array(
                    [[v.mean() - v.min() for v in values], [v.max() - v.mean() for v in values]]
                )
                ax.errorbar(xs, mean, yerr=err, marker="o", capsize=3, label=name)
        for k, (ax, what) in enumerate(zip(axes, ("test accuracy", "weight norm"), strict=True)):
            if reference is not None:
                ax.axhline(
                    float(np.mean(reference[k])), color="gray", linestyle="--", label="λ = 0"
                )
            ax.set(xscale="log", xlabel=xlabel, ylabel=what, title=what)
        axes[1].set_yscale("log")
        axes[0].legend()
    return fig
