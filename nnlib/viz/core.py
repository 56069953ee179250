"""The course's figure style and generic plots (curves, training histories).

Figures are ``matplotlib.figure.Figure`` objects made without pyplot, so nothing accumulates in a
global figure registry while a widget redraws; Jupyter shows them through the inline backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = ["DIVERGED_COLOR", "STYLE", "WIDGET_MARGINS", "new_figure", "plot_curves", "plot_history"]

STYLE = {
    "figure.dpi": 90,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(
        color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
    ),
    "legend.frameon": False,
    "lines.linewidth": 1.8,
}
DIVERGED_COLOR = "#d62728"


# Fixed margins for figures that widgets redraw: a layout engine costs about 100 ms per draw.
# Such figures also keep each title at a fixed height above its axes (``axes.titley``): by
# default matplotlib measures every tick label at each draw to lift titles over top ticks, which
# these figures do not have.
WIDGET_MARGINS = {"left": 0.08, "right": 0.98, "bottom": 0.15, "top": 0.9, "wspace": 0.25}


def new_figure(
    ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.2, margins=None
):
    """A Figure with an ``nrows x ncols`` grid of axes, each about ``width x height`` inches.

    Margins are found by matplotlib's constrained layout, unless ``margins`` (keyword arguments
    of ``Figure.subplots_adjust``) fixes them, which draws much faster.
    """
    layout = None if margins else "constrained"
    with mpl.rc_context(STYLE | ({"axes.titley": 1.0} if margins else {})):
        fig = Figure(figsize=(width * ncols, height * nrows), layout=layout)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        if margins:
            fig.subplots_adjust(**margins)
    return fig, axes.ravel()


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    xlabel: str = "step",
    ylabel: str = "loss",
    logy: bool = True,
    title: str = "",
    ax=None,
    x: Sequence[float] | None = None,
):
    """One line per named curve against ``x`` (default 0, 1, 2, ...); log y axis by default
    (losses span decades)."""
    fig = None
    if ax is None:
        fig, (ax,) = new_figure()
    with mpl.rc_context(STYLE):
        for label, values in curves.items():
            ax.plot(range(len(values)) if x is None else x, values, label=label)
        if logy:
            ax.set_yscale("log")
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        if len(curves) > 1:
            ax.legend()
    return fig if fig is not None else ax.figure


def plot_history(history, title: str = ""):
    """Loss (and accuracy, when recorded) per epoch for train and validation sets.

    A diverged run is marked in red; an early stop is marked with a dotted line.
    """
    panels = ["loss"] + (["accuracy"] if "train_accuracy" in history else [])
    fig, axes = new_figure(ncols=len(panels))
    with mpl.rc_context(STYLE):
        for ax, metric in zip(axes, panels, strict=True):
            for split in ("train", "val"):
                key = f"{split}_{metric}"
                if key in history:
                    ax.plot(history["epoch"], history[key], marker=".", label=split)
            ax.set(xlabel="epoch", ylabel=metric)
            if history.stopped_at:
                ax.axvline(history.stopped_at, linestyle=":", color="gray", label="early stop")
            ax.legend()
        if history.diverged is not None:
            axes[0].set_title(str(history.diverged), color=DIVERGED_COLOR)
        fig.suptitle(title)
    return fig
