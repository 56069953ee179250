"""Lecture 7 figures: the glyph source task, first-layer filters, accuracy against the number
of labels, and the size-by-similarity grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.patches
import torch

from nncourse.plotting import STYLE, WIDGET_MARGINS, new_figure

__all__ = [
    "METHOD_COLORS",
    "depth_figure",
    "distillation_gradient",
    "few_labels_figure",
    "filters_figure",
    "frozen_diagram",
    "image_grid_figure",
    "size_similarity_figure",
    "temperature_figure",
]

# One colour per transfer method, the same in every figure and in the widget.
METHOD_COLORS = {
    "scratch": "#1f77b4",
    "early features": "#17becf",
    "features": "#ff7f0e",
    "last layers": "#2ca02c",
    "all layers": "#d62728",
}
_OTHER_COLORS = ("#9467bd", "#8c564b", "#7f7f7f")


def _colour(method: str, i: int) -> str:
    return METHOD_COLORS.get(method, _OTHER_COLORS[i % len(_OTHER_COLORS)])


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
                ax.set_title(titles[i])
    return fig


def filters_figure(weights: torch.Tensor, patches: torch.Tensor, angles=None, tuning=None):
    """First-layer filters (F, 1, 3, 3) above the mean input patch that excites each most
    (F, 3, 3); with ``angles`` and ``tuning`` (A, F), a third row of orientation-tuning curves.
    Filters are laid out eight to a band so that each panel stays large enough to read."""
    n = len(weights)
    per_band = min(n, 8)
    bands = -(-n // per_band)
    rows = 3 if tuning is not None else 2
    fig, axes = new_figure(per_band, rows * bands, width=0.85, height=0.8)
    axes = axes.reshape(rows * bands, per_band)
    if tuning is not None:
        top = float(tuning.abs().max())
    with mpl.rc_context(STYLE):
        for ax in axes.flat:
            ax.set_visible(False)
        for f in range(n):
            band, col = divmod(f, per_band)
            column = axes[band * rows : (band + 1) * rows, col]
            w = weights[f, 0].numpy()
            scale = abs(w).max()
            column[0].imshow(w, cmap="RdBu_r", vmin=-scale, vmax=scale)
            column[0].set_title(f"filter {f}")
            column[1].imshow(patches[f].numpy(), cmap="gray_r", vmin=0, vmax=1)
            for ax in column:
                ax.set_visible(True)
            for ax in column[:2]:
                ax.set_xticks([])
                ax.set_yticks([])
            if tuning is not None:
                ax = column[2]
                ax.plot(angles.tolist(), tuning[:, f].tolist())
                ax.set_title(f"tuning {f}")
                ax.axhline(0, color="gray", lw=0.6)
                ax.set_ylim(-top, top)  # one scale for all filters, zero in the middle
                ax.set_xticks([0, 90])
                ax.set_yticks([-round(top, 1), 0, round(top, 1)] if col == 0 else [])
        for band in range(bands):
            axes[band * rows, 0].set_ylabel("filter")
            axes[band * rows + 1, 0].set_ylabel("top\npatch")
            if tuning is not None:
                axes[band * rows + 2, 0].set_ylabel("response")
        if tuning is not None:
            axes[-1, per_band // 2].set_xlabel("bar angle (degrees)")
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
            color = _colour(method, i)
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
        # no legend over the curves: the bars on the right name each colour
        label = "all" if ks[k_index] is None else ks[k_index]
        names = [m.replace(" ", "\n") for m in methods]
        right.set_xticks(range(len(methods)), names, fontsize=9)
        right.set_ylim(0.0, 1.0)  # bars from zero: heights compare honestly
        right.set(title=f"k = {label}: mean and seeds")
    return fig


def size_similarity_figure(grid, bold=None, labels=None):
    """The 2x2 of target data size against similarity to the source: in each cell every
    method's test accuracy, mean ± standard deviation over seeds, in its colour.

    ``grid[(task, size)][method]`` holds accuracies per seed (or one number); methods in
    ``bold[(task, size)]`` are set in bold (by default the best mean); ``labels`` maps a task to
    its row label (such as "similar (digits)")."""
    tasks = list(dict.fromkeys(s for s, _ in grid))
    sizes = list(dict.fromkeys(z for _, z in grid))
    labels = labels or {}
    fig, (ax,) = new_figure(width=7.6, height=4.4)
    with mpl.rc_context(STYLE):
        ax.set_xlim(0, len(sizes))
        ax.set_ylim(0, len(tasks))
        ax.grid(False)
        for r, task in enumerate(tasks):
            for c, size in enumerate(sizes):
                cell = {
                    m: torch.as_tensor(v, dtype=torch.float) for m, v in grid[(task, size)].items()
                }
                means = {m: v.mean().item() for m, v in cell.items()}
                strong = (bold or {}).get((task, size), {max(means, key=means.get)})
                for j, (method, v) in enumerate(cell.items()):
                    spread = v.std().item() if v.numel() > 1 else 0.0
                    y = len(tasks) - r - 0.2 - 0.16 * j
                    style = {"fontsize": 9, "color": _colour(method, j)}
                    style["weight"] = "bold" if method in strong else "normal"
                    ax.text(c + 0.5, y, f"{means[method]:.2f} ± {spread:.2f}", ha="center", **style)
                    if c == 0:  # the method's name, left of the first column
                        ax.text(-0.04, y, method, ha="right", fontsize=9, color=style["color"])
        ax.set_xticks([c + 0.5 for c in range(len(sizes))], sizes)
        ax.set_yticks(
            [len(tasks) - r - 0.5 for r in range(len(tasks))],
            [labels.get(t, t).replace("\n", " ") for t in tasks],
            rotation=90,
            va="center",
        )
        ax.tick_params(axis="y", pad=88, length=0)
        for v in range(1, len(sizes)):
            ax.axvline(v, color="gray", lw=0.8)
        for h in range(1, len(tasks)):
            ax.axhline(h, color="gray", lw=0.8)
        ax.set(
            xlabel="target data",
            title="test accuracy, mean ± std over seeds\n(bold: not detectably below the best)",
        )
    return fig


def depth_figure(depths, labels=None, names=None):
    """Test accuracy against the number of blocks copied from the source network before
    training (``depths[task][n]``: accuracies per seed), mean and seeds, one line per task;
    ``names`` (the blocks, in order) label the ticks with the last block copied."""
    labels = labels or {}
    fig, (ax,) = new_figure(width=5.0, height=3.2)
    with mpl.rc_context(STYLE):
        for i, (task, table) in enumerate(depths.items()):
            ns = sorted(table)
            color = ("#1f77b4", "#d62728", "#2ca02c")[i % 3]
            ax.plot(
                ns,
                [table[n].mean().item() for n in ns],
                "o-",
                color=color,
                label=labels.get(task, task),
            )
            for n in ns:
                ax.plot([n] * len(table[n]), table[n].tolist(), ".", color=color, alpha=0.4)
        ticks = [str(n) for n in ns]
        if names is not None:
            ticks = ["none", *[f"..{names[n - 1]}" for n in ns[1:]]]
        ax.set_xticks(ns, ticks)
        ax.set(
            xlabel="blocks copied from the glyph network (up to)",
            ylabel="test accuracy",
            title="copy the first n blocks, then train all",
        )
        values = torch.cat([v.flatten() for t in depths.values() for v in t.values()])
        low, high = values.min().item(), values.max().item()
        ax.set_ylim(low - 0.6 * (high - low), high + 0.05 * (high - low))
        # the legend in the room left below the lowest point, clear of the data
        ax.legend(fontsize=9, loc="lower center", ncol=2)
    return fig


def frozen_diagram(names: Sequence[str], recipes: Mapping[str, Sequence[str]]):
    """The network as a row of blocks, once per recipe: blocks in ``recipes[recipe]`` train
    (coloured), the others are frozen (grey, hatched); arrows show the forward pass."""
    fig, (ax,) = new_figure(width=6.8, height=0.75 * len(recipes) + 0.4)
    with mpl.rc_context(STYLE):
        ax.set_xlim(-2.6, len(names) + 0.2)
        ax.set_ylim(-len(recipes) + 0.85, 0.8)
        ax.axis("off")
        for r, (recipe, trained) in enumerate(recipes.items()):
            y = -r
            ax.text(-0.2, y + 0.3, recipe, ha="right", va="center", fontsize=10)
            for i, name in enumerate(names):
                train = name in trained
                box = mpl.patches.FancyBboxPatch(
                    (i, y),
                    0.8,
                    0.6,
                    boxstyle="round,pad=0.03",
                    facecolor=METHOD_COLORS.get(recipe, "#2ca02c") if train else "#dddddd",
                    edgecolor="black",
                    hatch=None if train else "///",
                    alpha=0.9,
                )
                ax.add_patch(box)
                ax.text(i + 0.4, y + 0.3, name, ha="center", va="center", fontsize=9)
                if i:
                    ax.annotate(
                        "",
                        (i, y + 0.3),
                        (i - 0.2, y + 0.3),
                        arrowprops={"arrowstyle": "->", "lw": 1},
                    )
        ax.set_title("grey, hatched: frozen (weights fixed); coloured: trained", fontsize=10)
    return fig


def distillation_gradient(teacher_logits: torch.Tensor, student_logits: torch.Tensor, T: float):
    """The gradient of KL(softmax(t/T) || softmax(s/T)) with respect to the student's logits s,
    in closed form: (softmax(s/T) - softmax(t/T)) / T (one example; multiply by T² for the
    distillation loss)."""
    return (torch.softmax(student_logits / T, -1) - torch.softmax(teacher_logits / T, -1)) / T


def temperature_figure(teacher_logits, student_logits, temperature: float = 4.0):
    """Left: the teacher's soft targets softmax(t/T) for one image at ``temperature``. Right:
    the size of the gradient on the student's logits against T, of the KL term alone (falls
    as 1/T²) and of the distillation loss T²·KL (levels off), the chosen T marked."""
    t, s = teacher_logits.detach().double(), student_logits.detach().double()
    fig, (left, right) = new_figure(
        2, width=3.4, height=3.0, margins={**WIDGET_MARGINS, "bottom": 0.2, "left": 0.1}
    )
    temps = torch.logspace(0, 1.4, 40, dtype=torch.double)
    sizes = torch.stack([distillation_gradient(t, s, T).norm() for T in temps])
    here = distillation_gradient(t, s, temperature).norm().item()
    with mpl.rc_context(STYLE):
        left.bar(range(len(t)), torch.softmax(t / temperature, -1).tolist(), color="#1f77b4")
        left.set_ylim(0, 1)
        left.set_xticks(range(len(t)))
        left.set(xlabel="class", ylabel="probability", title=f"soft targets, T = {temperature:.1f}")
        right.loglog(temps.tolist(), sizes.tolist(), color="#ff7f0e", label="KL alone")
        right.loglog(temps.tolist(), (temps**2 * sizes).tolist(), color="#2ca02c", label="T² · KL")
        right.plot([temperature] * 2, [here, temperature**2 * here], "ko", ms=4)
        right.set(xlabel="temperature T", ylabel="gradient size", title="gradient on the logits")
        right.legend(fontsize=9)
    return fig
