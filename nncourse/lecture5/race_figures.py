"""Lecture 5 figures: the optimizer race on 2-D surfaces, the momentum rate map, schedules."""

from __future__ import annotations

import functools

import matplotlib as mpl
import numpy as np
import torch

from nncourse.lecture5.race import race
from nncourse.plotting import STYLE, WIDGET_MARGINS, new_figure
from nnlib import analytic_surfaces, optim

__all__ = [
    "ADAPTIVE_LR",
    "RACERS",
    "RACE_SURFACES",
    "race_figure",
    "race_optimizers",
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
    """Six racers (optimizer class, keyword arguments), scaled from one base learning rate
    (adaptive ones use their own scale)."""
    return {
        "SGD": (optim.SGD, {"lr": lr}),
        "momentum": (optim.SGD, {"lr": lr, "momentum": 0.9}),
        "Nesterov": (optim.SGD, {"lr": lr, "momentum": 0.9, "nesterov": True}),
        "Adagrad": (optim.Adagrad, {"lr": 0.3}),
        "RMSprop": (optim.RMSprop, {"lr": 0.01}),
        "Adam": (optim.Adam, {"lr": 0.05}),
    }


# Each racer's base learning rate: the surface's own for the SGD family, a fixed one for the
# adaptive methods (their steps do not scale with the gradient). The figure's lr arguments
# multiply these.
ADAPTIVE_LR = {"Adagrad": 0.3, "RMSprop": 0.01, "Adam": 0.05}
# race_figure's switches, one per racer.
RACERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


@functools.lru_cache(maxsize=16)
def _race_background(surface: str):
    """The surface, its log-spaced value image over the window, and the gradient norm at the
    default start (the unit of the gradient noise); cached per surface, computed once."""
    make, start, _ = RACE_SURFACES[surface]
    landscape = make()
    grid_z = landscape.grid(121)[2].numpy()
    image = np.log10(grid_z - grid_z.min() + 1e-3 * (np.ptp(grid_z) + 1e-12))
    scale = landscape.gradient(landscape._points(start).reshape(1, -1)).norm().item()
    return landscape, image, scale


def race_figure(
    surface: str = "rosenbrock",
    steps: int = 300,
    noise: float = 0.0,
    start_dx: float = 0.0,
    start_dy: float = 0.0,
    sgd: bool = True,
    sgd_lr: float = 1.0,
    momentum: bool = True,
    momentum_lr: float = 1.0,
    momentum_beta: float = 0.9,
    nesterov: bool = True,
    nesterov_lr: float = 1.0,
    nesterov_beta: float = 0.9,
    adagrad: bool = True,
    adagrad_lr: float = 1.0,
    rmsprop: bool = True,
    rmsprop_lr: float = 1.0,
    rmsprop_alpha: float = 0.99,
    adam: bool = True,
    adam_lr: float = 1.0,
    adam_beta1: float = 0.9,
    adam_beta2: float = 0.999,
    seed: int = 0,
):
    """Optimizers racing for ``steps`` steps on a 2-D surface: paths on the surface (left) and
    the loss per step (right).

    Each racer is switched on or off by its flag; its ``*_lr`` multiplies its base learning rate
    (the surface's own for SGD, momentum and Nesterov; :data:`ADAPTIVE_LR` for the adaptive
    ones), and ``momentum_beta``, ``nesterov_beta`` (β), ``rmsprop_alpha`` and ``adam_beta1``,
    ``adam_beta2`` (β₁, β₂) set their decay rates. The start is the surface's default moved by
    (``start_dx``, ``start_dy``) window widths. ``noise`` adds Gaussian noise to every gradient,
    its standard deviation a multiple of the gradient norm at the default start; the losses
    shown are the noise-free surface's.
    """
    if surface not in RACE_SURFACES:
        raise ValueError(f"Invalid surface: {surface!r} (choose from {list(RACE_SURFACES)})")
    landscape, image, scale = _race_background(surface)
    _, default_start, base = RACE_SURFACES[surface]
    (x_lo, x_hi), (y_lo, y_hi) = landscape.window.xlim, landscape.window.ylim
    start = (
        min(max(default_start[0] + start_dx * (x_hi - x_lo), x_lo), x_hi),
        min(max(default_start[1] + start_dy * (y_hi - y_lo), y_lo), y_hi),
    )
    lrs = {
        "SGD": base * sgd_lr,
        "momentum": base * momentum_lr,
        "Nesterov": base * nesterov_lr,
        "Adagrad": ADAPTIVE_LR["Adagrad"] * adagrad_lr,
        "RMSprop": ADAPTIVE_LR["RMSprop"] * rmsprop_lr,
        "Adam": ADAPTIVE_LR["Adam"] * adam_lr,
    }
    racers = {  # name: (switched on, optimizer class and keyword arguments, legend suffix)
        "SGD": (sgd, (optim.SGD, {"lr": lrs["SGD"]}), ""),
        "momentum": (
            momentum,
            (optim.SGD, {"lr": lrs["momentum"], "momentum": momentum_beta}),
            f", β {momentum_beta:g}",
        ),
        "Nesterov": (
            nesterov,
            (optim.SGD, {"lr": lrs["Nesterov"], "momentum": nesterov_beta, "nesterov": True}),
            f", β {nesterov_beta:g}",
        ),
        "Adagrad": (adagrad, (optim.Adagrad, {"lr": lrs["Adagrad"]}), ""),
        "RMSprop": (
            rmsprop,
            (optim.RMSprop, {"lr": lrs["RMSprop"], "alpha": rmsprop_alpha}),
            f", α {rmsprop_alpha:g}",
        ),
        "Adam": (
            adam,
            (optim.Adam, {"lr": lrs["Adam"], "betas": (adam_beta1, adam_beta2)}),
            f", β {adam_beta1:g}/{adam_beta2:g}",
        ),
    }
    colors = dict(zip(racers, STYLE["axes.prop_cycle"].by_key()["color"], strict=False))
    chosen = {name: racer for name, (on, racer, _) in racers.items() if on}
    fig, (left, right) = new_figure(ncols=2, width=4.6, height=3.9, margins=WIDGET_MARGINS)
    with mpl.rc_context(STYLE):
        left.imshow(
            image,
            extent=(x_lo, x_hi, y_lo, y_hi),
            origin="lower",
            aspect="auto",
            cmap="viridis",
            alpha=0.85,
            interpolation="bilinear",
        )
        for point in landscape.minima:
            left.plot(*point, marker="x", color="white", markersize=9, markeredgewidth=2)
        left.plot(*start, marker="o", color="white", markeredgecolor="black")
        if chosen:
            result = race(landscape, chosen, start, steps, noise=noise * scale, seed=seed)
            for name, path in result.paths.items():
                finite = torch.isfinite(path).all(dim=1)
                left.plot(*path[finite].T.numpy(), linewidth=1.2, color=colors[name], label=name)
                # clamped: a diverged path's value can be inf or near the float limit, where
                # the log axis's ticks overflow
                values = result.values[name].clamp(1e-12, 1e100).numpy()
                at = result.diverged_at[name]
                label = f"{name}: lr {lrs[name]:.2g}{racers[name][2]}"
                label += "" if at is None else f", ✗ at {at}"
                right.plot(values, color=colors[name], label=label)
            right.legend(fontsize=9, loc="center right", title="✗: diverged", title_fontsize=9)
        else:
            right.text(0.5, 0.5, "no optimizer selected", ha="center", transform=right.transAxes)
        right.set_yscale("log")
        left.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="x₁", ylabel="x₂")
        left.set_title(landscape.name, fontsize=10)
        left.grid(False)
        what = "noise-free gradients" if noise == 0 else f"gradient noise σ = {noise:g} |∇f(x₀)|"
        right.set(xlabel="step", ylabel="loss (noise-free)", title=what)
        right.title.set_fontsize(9)
    return fig
