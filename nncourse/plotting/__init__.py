"""The course's figure style and generic plots (curves, training histories).

Figures are ``matplotlib.figure.Figure`` objects made without pyplot, so nothing accumulates in a
global figure registry while a widget redraws; Jupyter shows them through the inline backend.

One style, sized for the book's column: the built book shows code and outputs in a column
:data:`COLUMN_PX` CSS pixels wide (measured at a 1280 px window), and a PNG wider than that is
scaled down, its text with it. Figures are drawn at :data:`DPI` (one image pixel per CSS pixel)
and :func:`new_figure` fits every figure into :data:`COLUMN_WIDTH` inches, so a figure is shown
at its own size and a 9 pt label reads as 9 pt. :mod:`nncourse.plotting.check` lists what makes
a figure hard to read (text under :data:`MIN_FONT_PT` at display size, overlapping labels, a
panel without a title) and, with ``NNLIB_CHECK_FIGURES=1``, checks every figure a notebook shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

__all__ = [
    "COLUMN_PX",
    "COLUMN_WIDTH",
    "DIVERGED_COLOR",
    "DPI",
    "MIN_FONT_PT",
    "PANEL_WIDTH",
    "SINGLE_PANEL_WIDTH",
    "STYLE",
    "WIDGET_MARGINS",
    "contour",
    "figure_size",
    "new_figure",
    "plot_curves",
    "plot_history",
    "plot_trajectory",
    "recycling",
]

# The book's code and output column at a 1280 px window (sphinx-book-theme 1.3), in CSS pixels.
COLUMN_PX = 688
# One image pixel per CSS pixel (96 per inch): a figure is shown at its drawn size.
DPI = 96
# Widest figure in inches: the column, less the 0.1 inch pad that Jupyter's inline backend adds
# on each side of the drawn content (bbox_inches="tight"), and a little to spare.
COLUMN_WIDTH = 6.9
# Default panel widths in inches: one of several side by side, and a plot on its own.
PANEL_WIDTH = 4.2
SINGLE_PANEL_WIDTH = 5.4
# The smallest text a reader should have to read, in points at display size.
MIN_FONT_PT = 9.0

STYLE = {
    "figure.dpi": DPI,
    "savefig.dpi": "figure",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
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
# The least room, in inches, that fixed margins leave at each edge: tick labels and an axis label
# (left, bottom), a title (top). Fractions that leave less are widened to these.
MARGIN_INCHES = {"left": 0.65, "bottom": 0.5, "top": 0.32, "right": 0.12}


def new_figure(
    ncols: int = 1,
    nrows: int = 1,
    width: float | None = None,
    height: float = 3.2,
    margins=None,
):
    """A Figure with an ``nrows x ncols`` grid of axes, each about ``width x height`` inches.

    ``width`` defaults to :data:`PANEL_WIDTH`, or :data:`SINGLE_PANEL_WIDTH` for a single column:
    one plot alone gets most of the column (the book centres it), not a third of the page.

    Sized for the book's column (:func:`figure_size`): a grid wider than :data:`COLUMN_WIDTH` is
    narrowed to it, and a widget's figure (one with ``margins``) fills it. Margins are found by
    matplotlib's constrained layout, unless ``margins`` (keyword arguments of
    ``Figure.subplots_adjust``) fixes them, which draws much faster. Inside :func:`recycling`, a
    figure of the same grid, size and margins is emptied and returned instead of a new one.
    """
    if width is None:
        width = SINGLE_PANEL_WIDTH if ncols == 1 else PANEL_WIDTH
    layout = None if margins else "constrained"
    size = figure_size(ncols, nrows, width, height, fill=bool(margins))
    if margins:
        margins = _roomy(margins, size)
    old = _recyclable.get()
    if old is not None and margins and _same_layout(old, size, nrows * ncols, margins):
        _recyclable.set(None)  # one figure function, one figure
        return old, _emptied(old)
    with mpl.rc_context(_rc(margins)):
        fig = Figure(figsize=size, layout=layout)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        if margins:
            fig.subplots_adjust(**margins)
    return fig, axes.ravel()


def figure_size(
    ncols: int, nrows: int, width: float, height: float, fill: bool = False
) -> tuple[float, float]:
    """The figure's (width, height) in inches for a grid of panels of about ``width x height``.

    A grid wider than :data:`COLUMN_WIDTH` is narrowed to it (``fill``: any grid is widened or
    narrowed to it, as widgets are). Heights shrink less than widths (at most to 80 %), so that
    narrowed panels keep room for a title and an axis label.
    """
    total = width * ncols
    scale = COLUMN_WIDTH / total if fill else min(1.0, COLUMN_WIDTH / total)
    height_scale = scale if scale >= 1 else max(scale, 0.8)
    return (round(total * scale, 3), round(height * nrows * height_scale, 3))


def _roomy(margins: Mapping, size: tuple[float, float]) -> dict:
    """``margins`` with each edge widened to at least :data:`MARGIN_INCHES` of room."""
    width, height = size
    least = {
        "left": MARGIN_INCHES["left"] / width,
        "bottom": MARGIN_INCHES["bottom"] / height,
        "right": 1 - MARGIN_INCHES["right"] / width,
        "top": 1 - MARGIN_INCHES["top"] / height,
    }
    fitted = dict(margins)
    for edge in ("left", "bottom"):
        fitted[edge] = max(fitted.get(edge, mpl.rcParams[f"figure.subplot.{edge}"]), least[edge])
    for edge in ("right", "top"):
        fitted[edge] = min(fitted.get(edge, mpl.rcParams[f"figure.subplot.{edge}"]), least[edge])
    return fitted


def _rc(margins) -> dict:
    return STYLE | ({"axes.titley": 1.0} if margins else {})


_recyclable: ContextVar[Figure | None] = ContextVar("nnlib_recyclable_figure", default=None)


@contextmanager
def recycling(fig: Figure | None) -> Iterator[None]:
    """Within the block, the first :func:`new_figure` call whose grid, size and fixed margins
    match ``fig`` gets ``fig`` back, emptied, instead of a new Figure.

    A widget redraws the same layout again and again (:meth:`nncourse.widgets.FigureApp.compute`);
    keeping its axes and their tick objects saves about a third of the redraw. Emptying resets
    what the figure functions set (artists, legends, titles, labels, scales, limits, colour
    cycle, grid, suptitle); tests render every app's figures both ways and compare the pixels.
    """
    token = _recyclable.set(fig)
    try:
        yield
    finally:
        _recyclable.reset(token)


def _same_layout(fig: Figure, size, count: int, margins: Mapping) -> bool:
    params = fig.subplotpars
    return (
        tuple(fig.get_size_inches()) == size
        and len(fig.axes) == count
        and all(type(ax) is Axes for ax in fig.axes)
        and all(getattr(params, key) == value for key, value in margins.items())
    )


def _emptied(fig: Figure) -> list:
    """``fig``'s axes, each as :func:`new_figure` would make it, keeping its tick objects."""
    with mpl.rc_context(_rc(True)):
        for artist in [*fig.texts, *fig.lines, *fig.patches, *fig.images, *fig.legends]:
            artist.remove()
        if fig._suptitle is not None:
            fig._suptitle.remove()
            fig._suptitle = None
        for ax in fig.axes:
            _empty(ax)
    return list(fig.axes)


def _empty(ax: Axes) -> None:
    for artist in [*ax.lines, *ax.collections, *ax.images, *ax.patches, *ax.texts, *ax.artists]:
        artist.remove()
    if ax.legend_ is not None:
        ax.legend_.remove()
    ax.set_prop_cycle(None)
    color = mpl.rcParams["axes.titlecolor"]
    for loc in ("center", "left", "right"):
        title = ax.set_title("", loc=loc)  # size and weight from rc; the colour is kept, so:
        title.set_color(mpl.rcParams["text.color"] if color == "auto" else color)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xscale("linear")
    ax.set_yscale("linear")
    ax.set_aspect("auto")
    ax.set_axis_on()
    ax.grid(mpl.rcParams["axes.grid"])
    ax.margins(mpl.rcParams["axes.xmargin"], mpl.rcParams["axes.ymargin"])
    ax.dataLim = Bbox.null()  # relim() would keep the smallest positive value seen (log axes)
    ax.ignore_existing_data_limits = True
    ax._tight = None  # as Axes.clear() leaves it
    ax.set_autoscale_on(True)
    ax.autoscale_view()


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
        # every panel has a title: the one curve's name, or what the axis shows
        title = title or (next(iter(curves)) if len(curves) == 1 else ylabel)
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


def contour(landscape, ax=None, resolution: int = 121, levels: int = 25, log: bool = True):
    """Filled contours of a 2-D surface over its window, known minima (x) and saddles (+) marked.

    ``log=True`` spaces the levels logarithmically above the window's minimum value, which shows
    narrow valleys (Rosenbrock) that linear levels hide.
    """
    fig = None
    if ax is None:
        fig, (ax,) = new_figure(width=4.6, height=4.0)
    grid_x, grid_y, grid_z = (t.numpy() for t in landscape.grid(resolution))
    with mpl.rc_context(STYLE):
        if log:
            shifted = grid_z - grid_z.min() + 1e-3 * (np.ptp(grid_z) + 1e-12)
            ax.contourf(
                grid_x, grid_y, np.log10(shifted), levels=levels, cmap="viridis", alpha=0.85
            )
        else:
            ax.contourf(grid_x, grid_y, grid_z, levels=levels, cmap="viridis", alpha=0.85)
        for point in landscape.minima:
            ax.plot(*point, marker="x", color="white", markersize=9, markeredgewidth=2)
        for point in landscape.saddles:
            ax.plot(*point, marker="+", color="white", markersize=11, markeredgewidth=2)
        ax.set(xlim=landscape.window.xlim, ylim=landscape.window.ylim, xlabel="x₁", ylabel="x₂")
        ax.set_title(landscape.name)
        ax.grid(False)
    return fig if fig is not None else ax.figure


def plot_trajectory(ax, trajectory, label: str | None = None, color=None, row: int = 0):
    """Draw one row of a :class:`~nnlib.optim.Trajectory` as a path with dots at the iterates."""
    path = trajectory.points[: int(trajectory.steps_taken[row]) + 1, row].numpy()
    finite = np.isfinite(path).all(axis=1)
    with mpl.rc_context(STYLE):
        (line,) = ax.plot(
            *path[finite].T, marker=".", markersize=4, linewidth=1.2, label=label, color=color
        )
        ax.plot(*path[0], marker="o", color=line.get_color(), markersize=5)
    return line


# Imported last: the check reads the constants above. With NNLIB_CHECK_FIGURES=1 in a kernel, it
# checks every figure the notebook shows (tests/test_notebooks.py sets it).
from nncourse.plotting import check as _check  # noqa: E402

_check.install()
