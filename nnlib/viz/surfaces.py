"""Lecture 2 figures: the tanh-MLP surface, real loss slices, Hessian spectra, activations."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch

from nnlib import activations, analytic_surfaces
from nnlib.viz.core import STYLE, WIDGET_MARGINS, new_figure
from nnlib.viz.descent import contour

__all__ = ["activations_figure", "plane_figure", "spectrum_figure", "tiny_mlp_figure"]


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
            with np.errstate(divide="ignore"):
                w1 = np.arctanh(t) / np.tanh(w2 * x)
            w1[np.abs(w1) > reach] = np.nan
            ax.plot(w1, w2, "--", color="white", linewidth=1.2, label="ravine floor (loss 0)")
            ax.legend(loc="lower left", fontsize=8)
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
            ax.legend(loc="upper right", fontsize=8)
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
    """Each activation (top row) and its derivative (bottom row) on [-5, 5]."""
    x = torch.linspace(-5, 5, 401)
    fig, axes = new_figure(ncols=len(names), nrows=2, width=2.3, height=2.1)
    with mpl.rc_context(STYLE):
        for k, name in enumerate(names):
            f, _ = activations.ACTIVATIONS[name]
            axes[k].plot(x, f(x))
            axes[k].set_title(name)
            axes[len(names) + k].plot(x, activations.derivative(name, x), color="#d62728")
        axes[0].set_ylabel("f(x)")
        axes[len(names)].set_ylabel("f'(x)")
    return fig
