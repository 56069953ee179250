"""Lecture 4 figures: preprocessing and the conditioning of least squares; which axes each
normalization averages over."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch

from nncourse.plotting import STYLE, WIDGET_MARGINS, new_figure, plot_trajectory
from nnlib import analytic_surfaces, optim, preprocessing, utils

__all__ = [
    "norm_axes_figure",
    "preprocessing_figure",
    "preprocessing_panels",
    "two_feature_problem",
]

# The problems of the lecture's table that have two weights: the raw problem needs an intercept (a
# third weight), and once the inputs are centred the intercept is the mean of y and decouples.
TRANSFORMS = {
    "centred": None,
    "standardized": preprocessing.Standardizer,
    "PCA-rotated": preprocessing.PCA,
    "PCA-whitened": lambda: preprocessing.PCA(whiten=True),
    "ZCA-whitened": preprocessing.ZCAWhitener,
}


def two_feature_problem(
    correlation: float = 0.8, scale: float = 10.0, offset: float = 3.0, n: int = 500, seed: int = 0
):
    """Correlated features of unequal scales with a non-zero mean; targets from a linear model."""
    g = utils.generator(seed)
    z = torch.randn(n, 2, generator=g, dtype=torch.float64)
    x1 = z[:, 0]
    x2 = correlation * z[:, 0] + (1 - correlation**2) ** 0.5 * z[:, 1]
    x = torch.stack([x1 + offset, scale * x2 + offset], dim=1)
    y = x @ torch.tensor([1.0, -0.5], dtype=torch.float64) + 0.1 * torch.randn(
        n, generator=g, dtype=torch.float64
    )
    return x, y


def _draw_preprocessing(ax, transform: str, correlation: float, scale: float, steps: int):
    """One panel of :func:`preprocessing_figure`: contours of the log loss on a square window at
    equal scale on both axes (a round bowl looks round), the least-squares solution (white ×)
    and ``steps`` GD steps (lr = 1 / L) from the origin (white dot)."""
    if transform not in TRANSFORMS:
        raise ValueError(f"Invalid transform: {transform!r} (choose from {list(TRANSFORMS)})")
    x, y = two_feature_problem(correlation, scale)
    x = x - x.mean(dim=0)
    if TRANSFORMS[transform] is not None:
        x = TRANSFORMS[transform]().fit_transform(x)
    problem = analytic_surfaces.LeastSquares(x, y - y.mean())
    solution = problem.solution()
    eigenvalues = problem.eigenvalues()
    kappa = (eigenvalues[-1] / eigenvalues[0]).item()
    reach = 1.5 * max(solution.abs().max().item(), 0.5)
    problem.window = analytic_surfaces.Window((-reach, reach), (-reach, reach))
    problem.minima = (tuple(solution.tolist()),)
    lr = 1.0 / eigenvalues[-1].item()
    run = optim.run(problem, lambda p: optim.GradientDescent(p, lr=lr), [0.0, 0.0], steps)
    grid = torch.linspace(-reach, reach, 81, dtype=torch.float64)
    w1, w2 = torch.meshgrid(grid, grid, indexing="xy")
    values = problem.value(torch.stack([w1, w2], dim=-1))
    with mpl.rc_context(STYLE):
        shifted = (values - values.min() + 1e-6).numpy()
        ax.contourf(w1.numpy(), w2.numpy(), np.log10(shifted), levels=25, cmap="viridis")
        ax.plot(*solution.tolist(), marker="x", color="white", markersize=9, markeredgewidth=2)
        plot_trajectory(ax, run, color="white")
        distance = (run.final()[0] - solution).norm().item()
        # not round-off digits: a distance below 1e-12 is printed as such
        reached = f"{distance:.1e}" if distance > 1e-12 else "< 1e-12"
        ax.set(xlabel="w₁", ylabel="w₂", xlim=(-reach, reach), ylim=(-reach, reach))
        ax.set_title(f"{transform}: κ = {kappa:.3g}\nGD: {steps} steps end {reached} from ×")
        ax.title.set_fontsize(9)
        ax.set_aspect("equal")
        ax.grid(False)


def preprocessing_figure(
    transform: str = "centred", correlation: float = 0.8, scale: float = 10.0, steps: int = 50
):
    """Least-squares loss contours in weight space after a preprocessing step of the centred
    inputs (targets centred too, no intercept), with 50 GD steps (lr = 1 / L) from the origin;
    the title gives the Hessian's condition number (the widget's figure)."""
    fig, (ax,) = new_figure(width=4.2, height=4.2, margins=WIDGET_MARGINS | {"left": 0.14})
    _draw_preprocessing(ax, transform, correlation, scale, steps)
    return fig


def preprocessing_panels(
    transforms=("centred", "PCA-rotated", "standardized", "ZCA-whitened"), steps: int = 50
):
    """:func:`preprocessing_figure` for several transforms of the lecture's problem, two panels a
    row, each square and at equal scale on both axes."""
    ncols = min(2, len(transforms))
    nrows = -(-len(transforms) // ncols)
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=3.3, height=3.3)
    for ax, transform in zip(axes, transforms, strict=False):
        _draw_preprocessing(ax, transform, 0.8, 10.0, steps)
    for ax in axes[len(transforms) :]:
        ax.set_visible(False)
    return fig


def norm_axes_figure():
    """For an activation tensor (N, C, H*W), the cells that share one mean and variance."""
    names = {
        "batch norm": lambda n, c: c == 1,
        "layer norm": lambda n, c: n == 1,
        "instance norm": lambda n, c: (n == 1) & (c == 1),
        "group norm (2 groups)": lambda n, c: (n == 1) & (c < 3),
    }
    fig, axes = new_figure(ncols=4, width=2.4, height=2.6)
    n_idx, c_idx = np.meshgrid(np.arange(4), np.arange(6), indexing="ij")
    with mpl.rc_context(STYLE):
        for ax, (name, shared) in zip(axes, names.items(), strict=True):
            picture = np.where(shared(n_idx, c_idx), 1.0, 0.15)
            ax.imshow(picture, cmap="Blues", vmin=0, vmax=1)
            ax.set_xticks(range(6), [f"c{k}" for k in range(6)], fontsize=9)
            ax.set_yticks(range(4), [f"x{k}" for k in range(4)], fontsize=9)
            ax.set(title=name, xlabel="channel (all H, W)", ylabel="example")
            ax.title.set_fontsize(9)
            ax.grid(False)
    return fig
