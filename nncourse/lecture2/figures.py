"""Figures of non-convex losses (lecture 2): the tanh-MLP surface, slices of real losses, Hessian
spectra, activations, escapes from saddles and the spread of minima."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch

from nncourse.plotting import STYLE, WIDGET_MARGINS, contour, new_figure, plot_trajectory
from nnlib import activations, analytic_surfaces, utils

__all__ = [
    "activations_figure",
    "escape_figure",
    "minima_figure",
    "mirror_figure",
    "plane_figure",
    "saddle_sequence_figure",
    "seed_bands_figure",
    "spectrum_figure",
    "step_length_figure",
    "tiny_mlp_figure",
]


def tiny_mlp_figure(x: float = 0.5, t: float = 0.5, view: str = "contour", reach: float = 4.0):
    """The loss (t - tanh(w1 tanh(w2 x)))^2 over (w1, w2): contours or a 3-D surface.

    The saddle at the origin is marked; the two ravines where w1 tanh(w2 x) = artanh(t) are dashed
    (there are none when |t| >= 1, which tanh cannot reach).
    """
    if view not in ("contour", "3d"):
        raise ValueError(f"Invalid view: {view!r} (must be 'contour' or '3d')")
    surface = analytic_surfaces.TinyMLP(x=x, t=t)
    surface.window = analytic_surfaces.Window((-reach, reach), (-reach, reach))
    if view == "contour":
        fig, (ax,) = new_figure(width=5.2, height=4.2, margins=WIDGET_MARGINS | {"left": 0.12})
        contour(surface, ax=ax, log=False, levels=30)
        if abs(t) < 1 and x != 0:
            w2 = np.linspace(-reach, reach, 400)
            w1 = surface.ravine(w2).numpy()
            w1[np.abs(w1) > reach] = np.nan
            ax.plot(w1, w2, "--", color="white", linewidth=1.2, label="ravine floor (loss 0)")
            ax.legend(loc="lower left")
        ax.set(xlabel="$w_1$", ylabel="$w_2$", title=f"example T = ({x:.2f}, {t:.2f})")
        return fig
    grid_x, grid_y, grid_z = (a.numpy() for a in surface.grid(61))
    with mpl.rc_context(STYLE):
        fig, _ = new_figure(width=5.2, height=4.2, margins=WIDGET_MARGINS)
        fig.clear()
        ax = fig.add_subplot(projection="3d")
        ax.plot_surface(grid_x, grid_y, grid_z, cmap="viridis", linewidth=0, antialiased=False)
        ax.set(xlabel="$w_1$", ylabel="$w_2$", zlabel="loss", title=f"T = ({x:.2f}, {t:.2f})")
        ax.view_init(elev=35, azim=-60)
    return fig


def mirror_figure(surface, solution, reach: float = 3.0):
    """The two-weight network's loss around a solution w* and its mirror image -w* (left), and
    along the straight line from w* to -w* (right): the line crosses the saddle at the origin."""
    fig, (left, right) = new_figure(ncols=2, width=6.9, height=3.2)
    surface.window = analytic_surfaces.Window((-reach, reach), (-reach, reach))
    contour(surface, ax=left, log=False, levels=30)
    w2 = np.linspace(-reach, reach, 400)
    w1 = surface.ravine(w2).numpy()
    w1[np.abs(w1) > reach] = np.nan
    left.plot(w1, w2, "--", color="white", linewidth=1.2, label="ravines (loss 0)")
    ends = torch.stack([solution, -solution]).numpy()
    left.plot(ends[:, 0], ends[:, 1], "-", color="black", linewidth=1)
    left.plot(*ends.T, "o", color="C1", markersize=8, markeredgecolor="black", label="w*, -w*")
    left.legend(loc="lower right")  # the ravines run through the other corners
    left.set(xlabel="$w_1$", ylabel="$w_2$", title="a solution and its mirror")
    alphas = torch.linspace(0, 1, 201, dtype=torch.float64)
    line = (1 - alphas)[:, None] * solution + alphas[:, None] * (-solution)
    right.plot(alphas.numpy(), surface.value(line).numpy())
    right.axvline(0.5, color="gray", linestyle=":", linewidth=1)
    right.set(xlabel="α (w = (1 - α) w* - α w*)", ylabel="loss", title="loss along the line")
    return fig


def plane_figure(alphas, betas, losses, path=None, title: str = "", levels: int = 30):
    """Contours of a 2-D loss slice (rows: alphas, columns: betas), with an optional path (K, 2)."""
    fig, (ax,) = new_figure(width=4.8, height=4.0)
    a, b = np.meshgrid(np.asarray(alphas), np.asarray(betas), indexing="ij")
    with mpl.rc_context(STYLE):
        filled = ax.contourf(a, b, np.log10(np.asarray(losses)), levels=levels, cmap="viridis")
        fig.colorbar(filled, ax=ax, label="log10 loss")
        if path is not None:
            path = np.asarray(path)
            ax.plot(path[:, 0], path[:, 1], marker=".", color="white", label="training path")
            ax.legend(loc="upper right")
        ax.plot(0, 0, marker="x", color="white", markersize=9, markeredgewidth=2)
        ax.set(xlabel="direction 1", ylabel="direction 2", title=title)
        ax.grid(False)
    return fig


def spectrum_figure(density: dict, top: torch.Tensor | None = None, title: str = ""):
    """The smoothed eigenvalue density of a Hessian (stochastic Lanczos quadrature), log scale,
    with the top eigenvalues found by Lanczos marked."""
    fig, (ax,) = new_figure(width=6.0, height=3.2)
    with mpl.rc_context(STYLE):
        ax.semilogy(density["grid"], density["density"].clamp_min(1e-8), label="density")
        if top is not None:
            for k, value in enumerate(top.tolist()):
                ax.axvline(
                    value,
                    color="#d62728",
                    linestyle=":",
                    label="top eigenvalues" if k == 0 else None,
                )
        ax.set(xlabel="eigenvalue", ylabel="density", title=title, ylim=(1e-5, None))
        ax.legend()
    return fig


def activations_figure(names=("sign", "sigmoid", "tanh", "relu", "leaky_relu")):
    """Every activation (top) and its derivative (bottom) on [-5, 5], overlaid, one legend.

    The derivatives share one axis, so sigmoid's peak of 1/4 stands against tanh's 1.
    """
    x = torch.linspace(-5, 5, 401)
    fig, (values, slopes) = new_figure(nrows=2, width=5.4, height=2.5)
    styles = ("-", "-", "--", "-", ":")
    with mpl.rc_context(STYLE):
        for k, name in enumerate(names):
            f, _ = activations.ACTIVATIONS[name]
            style = {"color": f"C{k}", "linestyle": styles[k % len(styles)], "lw": 1.8}
            values.plot(x, f(x), label=name, **style)
            slopes.plot(x, activations.derivative(name, x), **style)
        values.set(ylim=(-1.2, 2.2), ylabel="f(x)", title="activations f")
        slopes.set(ylim=(-0.05, 1.1), xlabel="x", ylabel="f'(x)", title="their derivatives f'")
        values.legend(loc="upper left", ncol=2, fontsize=9)
    return fig


def escape_figure(landscape, trajectories: dict, title: str = ""):
    """Left: paths of several methods on a 2-D surface's contours. Right: each method's loss
    against the step on a log axis (several rows of one trajectory, e.g. seeds of noisy GD, share
    a colour)."""
    fig, (left, right) = new_figure(ncols=2, width=4.4, height=3.8)
    contour(landscape, ax=left, log=False, levels=25)
    with mpl.rc_context(STYLE):
        for k, (name, trajectory) in enumerate(trajectories.items()):
            color = f"C{k}"
            for row in range(trajectory.points.shape[1]):
                label = name if row == 0 else None
                plot_trajectory(left, trajectory, color=color, row=row)
                steps = int(trajectory.steps_taken[row]) + 1
                values = trajectory.values[:steps, row].clamp_min(1e-12)
                right.semilogy(values, color=color, label=label, alpha=0.8)
        left.set(xlabel="$x$", ylabel="$y$", title=title or landscape.name)
        right.set(
            xlabel="step $t$",
            ylabel="loss $f(x_t, y_t)$",
            title="loss along the path (log axis)",
            ylim=(1e-12, None),
            xlim=(0, 200),
        )
        right.axhline(
            landscape.value(torch.tensor(landscape.saddles[0])).item(),
            color="gray",
            linestyle=":",
            label="saddle's value",
        )
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=2)
    return fig


def step_length_figure(trajectories: dict):
    """The length of each step ||theta_{t+1} - theta_t|| against t, on a log axis."""
    fig, (ax,) = new_figure(width=6.0, height=3.2)
    with mpl.rc_context(STYLE):
        for name, trajectory in trajectories.items():
            length = trajectory.points.diff(dim=0).norm(dim=-1)[:, 0]
            ax.semilogy(length.clamp_min(1e-300), label=name)
        ax.set(
            xlabel="step $t$",
            ylabel="step length",
            title="slow near the saddle",
            xlim=(0, 250),
            ylim=(1e-8, 1),
        )
        ax.legend()
    return fig


def seed_bands_figure(
    curves: dict,
    xlabel: str = "step",
    ylabel: str = "loss",
    smooth: int = 10,
    logy: bool = False,
    reference: tuple[float, str] | None = None,
):
    """Mean over seeds (line) and the range from the lowest to the highest seed (band) of curves
    of shape (seeds, steps), each smoothed by a running mean over ``smooth`` steps; an optional
    horizontal ``reference`` line (value, label)."""
    fig, (ax,) = new_figure(width=6.4, height=4.6)
    kernel = np.ones(smooth) / smooth
    with mpl.rc_context(STYLE):
        for name, values in curves.items():
            rows = np.array([np.convolve(v, kernel, mode="valid") for v in np.asarray(values)])
            steps = np.arange(rows.shape[1]) + smooth
            (line,) = ax.plot(steps, rows.mean(0), label=f"{name} ({len(rows)} seeds)")
            ax.fill_between(steps, rows.min(0), rows.max(0), color=line.get_color(), alpha=0.25)
        if reference is not None:
            ax.axhline(reference[0], color="gray", linestyle=":", label=reference[1])
        if logy:
            ax.set_yscale("log")
        ax.set(xlabel=xlabel, ylabel=ylabel, title="training loss, mean and range over seeds")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)
    return fig


def minima_figure(results: dict, keys=("train_loss", "test_loss")):
    """One dot per seed of each width's final losses, one panel per key, on a shared y axis."""
    fig, axes = new_figure(ncols=len(keys), width=3.6, height=3.4)
    axes[0].sharey(axes[1]) if len(keys) > 1 else None
    # horizontal jitter only, to separate the dots
    rng = np.random.default_rng(utils.replicated_seed(0))
    widths = list(results)
    with mpl.rc_context(STYLE):
        for ax, key in zip(axes, keys, strict=True):
            for k, width in enumerate(widths):
                values = np.asarray(results[width][key])
                ax.plot(k + rng.uniform(-0.15, 0.15, len(values)), values, ".", color=f"C{k}")
                ax.plot([k - 0.3, k + 0.3], [values.mean()] * 2, color="black", linewidth=1)
            ax.set_xticks(range(len(widths)), [str(w) for w in widths])
            ax.set(
                xlabel="hidden width",
                ylabel=f"final {key.replace('_', ' ')}",
                title=key.replace("_", " ") + " (one dot per seed)",
            )
    return fig


def saddle_sequence_figure(run, plateaus, levels, eigenvalues):
    """The loss (top) and its gradient norm (bottom) of every seed against the step, log axes.

    The predicted saddle levels are dotted on the loss; each plateau is a dot, labelled with the
    Hessian's smallest eigenvalue there (``eigenvalues``, one row per plateau, one column per seed).
    """
    fig, (top, bottom) = new_figure(nrows=2, width=5.4, height=2.6)
    steps = np.arange(run.loss.shape[0])
    with mpl.rc_context(STYLE):
        for seed in range(run.loss.shape[1]):
            top.semilogy(steps, run.loss[:, seed], color="C0", lw=1)
            bottom.semilogy(steps, run.grad_norm[:, seed], color="C0", lw=1)
            at = plateaus[:, seed]
            top.plot(at, run.loss[at, seed], "k.")
            bottom.plot(at, run.grad_norm[at, seed], "k.")
        for value in levels[:-1]:
            top.axhline(value, color="gray", linestyle=":", lw=1)
            top.text(steps[-1], value * 1.15, f"{value:g}", ha="right", va="bottom", fontsize=9)
        for i, row in enumerate(eigenvalues):
            where = int(plateaus[i].float().mean())
            bottom.annotate(
                f"λ_min ≈ {row.mean():.2g}",
                (where, run.grad_norm[plateaus[i], :].min()),
                xytext=(0, -12),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=9,
            )
        top.set(
            ylabel="loss f", title="loss: plateaus at the saddles' levels (dotted)", ylim=(1e-3, 30)
        )
        bottom.set(
            xlabel="SGD step",
            ylabel="‖∇f‖",
            title="gradient norm: dips at each plateau (dots)",
            ylim=(1e-5, 30),
        )
    return fig
