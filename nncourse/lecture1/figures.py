"""Lecture 1 figures: contours with trajectories, Hessian eigenvectors, the convexity chord,
gradient descent on a quadratic."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import torch
from matplotlib import ticker

from nncourse.plotting import (
    DIVERGED_COLOR,
    STYLE,
    WIDGET_MARGINS,
    contour,
    new_figure,
    plot_trajectory,
)
from nnlib import analytic_surfaces, convexity, curvature, optim

__all__ = [
    "abs_sgd_figure",
    "gd_quadratic_figure",
    "gd_vs_sgd_figure",
    "hessian_arrows",
    "jensen_figure",
    "line_search_sgd_figure",
    "newton_cost_figure",
]


def hessian_arrows(ax, landscape, point, scale: float = 0.5):
    """Eigenvectors of the Hessian at ``point``, drawn as arrows of length proportional to
    sqrt(|lambda|) (red for negative curvature), labelled with the eigenvalues."""
    H = landscape.hessian(torch.as_tensor(point, dtype=torch.float64))
    eigenvalues, vectors = curvature.eigen(H)
    biggest = eigenvalues.abs().max().item()
    for value, vector in zip(eigenvalues.tolist(), vectors.T, strict=True):
        length = scale * (abs(value) / biggest) ** 0.5
        color = "#d62728" if value < 0 else "white"
        dx, dy = (length * vector).tolist()
        ax.annotate(
            "",
            xy=(point[0] + dx, point[1] + dy),
            xytext=tuple(point),
            arrowprops={"arrowstyle": "->", "color": color, "linewidth": 2},
        )
        ax.text(point[0] + 1.1 * dx, point[1] + 1.1 * dy, f"λ={value:.3g}", color=color, fontsize=9)


def jensen_figure(function: str = "x²", alpha: float = 0.5, a: float = -1.5, b: float = 1.0):
    """The chord picture of convexity: f, the chord from (a, f(a)) to (b, f(b)), and at
    x = alpha a + (1 - alpha) b the function value against the chord value."""
    if function not in convexity.FUNCTIONS_1D:
        raise ValueError(
            f"Invalid function: {function!r} (choose from {list(convexity.FUNCTIONS_1D)})"
        )
    f, _ = convexity.FUNCTIONS_1D[function]
    xs = torch.linspace(-2.5, 2.5, 400, dtype=torch.float64)
    x_mix = alpha * a + (1 - alpha) * b
    fa, fb, fx = (f(torch.tensor(v, dtype=torch.float64)).item() for v in (a, b, x_mix))
    chord = alpha * fa + (1 - alpha) * fb
    holds = convexity.jensen_gap(f, a, b, alpha).item() >= -1e-12
    fig, (ax,) = new_figure(width=5.0, height=3.4, margins=WIDGET_MARGINS | {"left": 0.12})
    with mpl.rc_context(STYLE):
        ax.plot(xs, f(xs), color="gray", label=f"f(x) = {function}")
        ax.plot([a, b], [fa, fb], color="#1f77b4", marker="o", label="chord")
        ax.plot([x_mix], [fx], marker="o", color="black", label="f(αa + (1-α)b)")
        ax.plot([x_mix], [chord], marker="s", color="#1f77b4", label="αf(a) + (1-α)f(b)")
        ax.vlines(x_mix, min(fx, chord), max(fx, chord), color="#d62728" if not holds else "black")
        verdict = "Jensen holds" if holds else "Jensen fails: f is not convex"
        ax.set_title(
            f"α = {alpha:.2f}: f = {fx:.3f}, chord = {chord:.3f}. {verdict}",
            color="black" if holds else DIVERGED_COLOR,
            fontsize=9,
        )
        near = xs[(xs >= min(a, b) - 0.25) & (xs <= max(a, b) + 0.25)]
        low, high = f(near).min().item(), f(near).max().item()
        pad = 0.15 * (high - low) + 0.05
        ax.set(xlabel="x", ylim=(low - pad, high + 2 * pad))  # zoom on the chord
        ax.legend(loc="upper center", ncols=2)
    return fig


def gd_quadratic_figure(
    kappa: float = 10.0,
    angle: float = 0.0,
    lr_factor: float = 1.8,
    x1: float = -1.8,
    x2: float = 1.0,
    steps: int = 60,
):
    """GD on f = 1/2 x^T A x with eigenvalues (1, kappa) rotated by ``angle`` degrees.

    The step is lr = lr_factor / L with L = kappa: below 2 it converges, above it diverges. Left:
    the path on the contours; right: the error norm per step against the predicted rate
    rho = max |1 - lr lambda|.
    """
    surface = analytic_surfaces.Quadratic((1.0, kappa), angle=np.deg2rad(angle))
    lr = lr_factor / kappa
    trajectory = optim.run(
        surface, lambda p: optim.GradientDescent(p, lr=lr), [x1, x2], steps, divergence_limit=1e8
    )
    errors = trajectory.points[:, 0].norm(dim=-1)
    rho = optim.predicted_rate(surface.eigenvalues, lr)
    fig, (left, right) = new_figure(ncols=2, margins=WIDGET_MARGINS)
    contour(surface, ax=left)
    plot_trajectory(left, trajectory)
    # the minimum, drawn above the path (which would hide contour's small marker), with an edge
    left.plot(0.0, 0.0, marker="*", markersize=16, color="gold", markeredgecolor="black", zorder=5)
    left.set_title(f"κ = {kappa:.3g}, η = {lr_factor:.2f}/L (★ minimum)", fontsize=10)
    taken = int(trajectory.steps_taken[0]) + 1
    with mpl.rc_context(STYLE):
        right.semilogy(range(taken), errors[:taken], marker=".", label="measured ‖x_t‖")
        right.semilogy(
            range(taken),
            errors[0].item() * rho ** np.arange(taken),
            "--",
            label=f"ρ^t, ρ = {rho:.3f}",
        )
        right.set(xlabel="step t", ylabel="distance to minimum")
        measured = optim.measured_rate(errors[:taken])
        if trajectory.diverged_at[0] >= 0 or measured > 1:
            right.set_title(
                f"diverging: rate {measured:.3f} > 1 since lr > 2/L", color=DIVERGED_COLOR
            )
        else:
            right.yaxis.set_minor_formatter(ticker.NullFormatter())  # no labels crowding the title
            right.set_title(f"measured rate {measured:.3f}, predicted {rho:.3f}")
        right.legend(loc="lower left")
    return fig


def line_search_sgd_figure(on_full, on_batches, constant_tuned, floor):
    """Excess loss per epoch: GD with backtracking, and seed 0 of SGD with backtracking on each
    batch and with a tuned constant step."""
    fig, (ax,) = new_figure()
    epochs = torch.arange(1, 501) / 100
    ax.semilogy(
        torch.arange(1, 11),
        on_full.full_after - floor,
        "o-",
        label="GD, backtracking",
    )
    ax.semilogy(
        epochs,
        on_batches[0].full_after - floor,
        label="SGD, backtracking on each batch",
    )
    ax.semilogy(
        torch.arange(1, 51) / 10,  # recorded every 10 steps, 100 steps an epoch
        constant_tuned[0],
        label="SGD, tuned constant step",
    )
    ax.set(
        xlabel="epoch (passes over the data)",
        ylabel="excess loss L - L*",
        ylim=(1e-10, 1),
    )
    ax.set_title("seed 0 of each SGD variant")
    ax.legend()
    return fig


def newton_cost_figure(cost):
    """CPU time to form H and to solve H d = -g against N, log-log, with N^2 and N^3 guides
    drawn through the last point."""
    sizes = torch.tensor(cost.sizes, dtype=torch.float64)
    fig, (ax,) = new_figure()
    for seconds, power, label in (
        (cost.form_seconds, 2, "form H = XᵀX/n"),
        (cost.solve_seconds, 3, "solve H d = -g"),
    ):
        (line,) = ax.loglog(sizes, seconds, "o-", label=label)
        reference = seconds[-1] * (sizes / sizes[-1]) ** power  # through the last point
        ax.loglog(
            sizes,
            reference,
            "--",
            color=line.get_color(),
            lw=1,
            label=f"∝ N^{power}",
        )
    ax.set_xticks(cost.sizes, [str(n) for n in cost.sizes], minor=False)
    ax.minorticks_off()
    ax.set(
        xlabel="number of parameters N",
        ylabel="CPU time (s, median of 5)",
        title="the cost of one Newton step",
    )
    ax.legend()
    return fig


def gd_vs_sgd_figure(gd, sgd, decay, floors):
    """Excess loss of GD, SGD and SGD with a decaying step per iteration (well-conditioned
    problem) and per epoch (both problems); seed 0 of each SGD run."""
    fig, axes = new_figure(ncols=2, nrows=2, height=2.8)
    by_iteration, well_epochs, ill_epochs, key = axes
    traces = {
        "GD": (gd, "-"),
        "SGD": (sgd, "-"),
        "SGD, decaying step": (decay, "--"),
    }
    for label, (runs, style) in traces.items():
        for ax, problem_key in ((well_epochs, "well"), (ill_epochs, "ill")):
            trace = runs[problem_key] if label == "GD" else runs[problem_key][0]
            excess = [loss - floors[problem_key] for loss in trace.losses]
            ax.semilogy(trace.epochs, excess, style, label=label)
            if problem_key == "well":
                by_iteration.semilogy(trace.iterations, excess, style, label=label)
    by_iteration.set(xlabel="iteration", ylabel="excess loss L - L*", xlim=(0, 30))
    by_iteration.set_title("per iteration (κ ≈ 2.5)")
    for ax, kappa in ((well_epochs, "2.5"), (ill_epochs, "1000")):
        ax.set(xlabel="epoch (passes over the data)", title=f"per epoch (κ ≈ {kappa})")
    ill_epochs.set_ylabel("excess loss L - L*")
    key.axis("off")
    key.legend(*by_iteration.get_legend_handles_labels(), loc="center", title="SGD: seed 0")
    return fig


def abs_sgd_figure(abs_runs):
    """SGD on |x| with eta_k = 0.5/sqrt(k): last and averaged iterate per seed against the bound."""
    fig, (ax,) = new_figure()
    for s in range(5):
        first = s == 0
        ax.loglog(
            abs_runs.k,
            abs_runs.last[:, s],
            "C0",
            lw=1,
            label="last iterate x_k" if first else None,
        )
        ax.loglog(
            abs_runs.k,
            abs_runs.averaged[:, s],
            "C1",
            lw=1,
            label="averaged iterate" if first else None,
        )
    ax.loglog(abs_runs.k, abs_runs.bound, "k-", lw=1.5, label="bound (theory)")
    ax.loglog(abs_runs.k, 0.5 / abs_runs.k.sqrt(), "k:", lw=1, label="∝ 1/√k")
    ax.set(
        xlabel="iteration k",
        ylabel="f - f* (mean over 200 chains)",
        title="SGD on |x| with η_k = 0.5/√k, five seeds",
    )
    ax.legend()
    return fig
