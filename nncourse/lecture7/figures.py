"""Lecture 7 figures: the glyph source task, first-layer filters, accuracy against the number
of labels, and the size-by-similarity grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import torch

from nncourse.plotting import STYLE, WIDGET_MARGINS, new_figure

__all__ = ["few_labels_figure", "filters_figure", "image_grid_figure", "size_similarity_figure"]


def image_grid_figure(images: torch.Tensor, titles: Sequence[str] = (), ncols: int = 10):
    """Images (N, 1, H, W) in [0, 1] in a grid, dark ink on white like the digits."""
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = new_figure(ncols, nrows, width=0.8, height=0.9 if titles else 0.8)
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
            if i < len(titles):
                ax.set_title(titles[i], fontsize=8)
    return fig


def filters_figure(weights: torch.Tensor, patches: torch.Tensor, angles=None, tuning=None):
    """First-layer filters (F, 1, 3, 3) above the mean input patch that excites each most
    (F, 3, 3); with ``angles`` and ``tuning`` (A, F), a third row of orientation-tuning curves."""
    n = len(weights)
    rows = 3 if tuning is not None else 2
    fig, axes = new_figure(n, rows, width=0.75, height=0.8)
    axes = axes.reshape(rows, n)
    with mpl.rc_context(STYLE):
        for f in range(n):
            w = weights[f, 0].numpy()
            scale = abs(w).max()
            axes[0, f].imshow(w, cmap="RdBu_r", vmin=-scale, vmax=scale)
            axes[1, f].imshow(patches[f].numpy(), cmap="gray_r", vmin=0, vmax=1)
            for ax in axes[:2, f]:
                ax.set_xticks([])
                ax.set_yticks([])
            if tuning is not None:
                ax = axes[2, f]
                ax.plot(angles.tolist(), tuning[:, f].tolist())
                ax.set_xticks([0, 90])
                ax.set_yticks([])
                ax.tick_params(labelsize=6)
        axes[0, 0].set_ylabel("filter", fontsize=8)
        axes[1, 0].set_ylabel("top\npatches", fontsize=8)
        if tuning is not None:
            axes[2, 0].set_ylabel("bar\nangle", fontsize=8)
    return fig


def _k_axis(ks, n_all):
    return [n_all if k is None else k for k in ks]


def few_labels_figure(
    results: Mapping[str, Mapping[tuple[str, int | None], torch.Tensor]],
    task: str,
    k_index: int = 0,
    n_all: int = 126,
):
    """Test accuracy against labels per class for each method (mean, with the range over seeds
    shaded) on the target ``task``; the k at ``k_index`` is marked and its values shown as
    bars. ``results[task][(method, k)]`` holds accuracies per seed (``compare_methods``);
    ``n_all`` is where k = None ("all labels") sits on the axis."""
    if task not in results:
        raise ValueError(f"Invalid task: {task!r} (choose from {list(results)})")
    table = results[task]
    methods = list(dict.fromkeys(m for m, _ in table))
    ks = list(dict.fromkeys(k for _, k in table))
    if not 0 <= k_index < len(ks):
        raise ValueError(f"Invalid k_index: {k_index} (must be in [0, {len(ks) - 1}])")
    xs = _k_axis(ks, n_all)
    fig, (left, right) = new_figure(2, width=4.0, height=3.0, margins=WIDGET_MARGINS)
    with mpl.rc_context(STYLE):
        for i, method in enumerate(methods):
            runs = [table[(method, k)] for k in ks]  # seeds per k may differ
            color = f"C{i}"
            means = [v.mean().item() for v in runs]
            left.plot(xs, means, marker="o", ms=3, label=method, color=color)
            left.fill_between(
                xs,
                [v.min().item() for v in runs],
                [v.max().item() for v in runs],
                alpha=0.15,
                color=color,
            )
            chosen = table[(method, ks[k_index])]
            right.bar(i, chosen.mean().item(), color=color, alpha=0.7)
            right.plot([i] * len(chosen), chosen.tolist(), "k.", ms=4)
        left.axvline(xs[k_index], color="gray", ls=":")
        left.set_xscale("log")
        left.set(xlabel="labels per class (k)", ylabel="test accuracy", title=task)
        left.legend(fontsize=8, loc="lower right")
        label = "all" if ks[k_index] is None else ks[k_index]
        right.set_xticks(range(len(methods)), methods, rotation=20, fontsize=8)
        low = min(float(table[(m, ks[k_index])].min()) for m in methods)
        right.set_ylim(max(0.0, low - 0.05), 1.0)
        right.set(title=f"k = {label}: mean and seeds")
    return fig


def size_similarity_figure(grid: Mapping[tuple[str, str], Mapping[str, float]]):
    """The 2x2 of target data size against similarity to the source: in each cell the test
    accuracy of every method, the best one in bold. ``grid[(similarity, size)][method]``."""
    similarities = list(dict.fromkeys(s for s, _ in grid))
    sizes = list(dict.fromkeys(z for _, z in grid))
    fig, (ax,) = new_figure(width=6.0, height=3.6)
    with mpl.rc_context(STYLE):
        ax.set_xlim(0, len(sizes))
        ax.set_ylim(0, len(similarities))
        ax.grid(False)
        for r, similarity in enumerate(similarities):
            for c, size in enumerate(sizes):
                cell = grid[(similarity, size)]
                best = max(cell, key=cell.get)
                for j, (method, value) in enumerate(cell.items()):
                    ax.text(
                        c + 0.5,
                        len(similarities) - r - 0.25 - 0.17 * j,
                        f"{method}: {value:.2f}",
                        ha="center",
                        fontsize=9,
                        weight="bold" if method == best else "normal",
                    )
        ax.set_xticks([c + 0.5 for c in range(len(sizes))], sizes)
        ax.set_yticks([len(similarities) - r - 0.5 for r in range(len(similarities))], similarities)
        for v in range(1, len(sizes)):
            ax.axvline(v, color="gray", lw=0.8)
        for h in range(1, len(similarities)):
            ax.axhline(h, color="gray", lw=0.8)
        ax.set(xlabel="target data", ylabel="target task", title="test accuracy (bold: best)")
    return fig
