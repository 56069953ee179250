"""What makes a figure hard to read where the book shows it, listed by :func:`figure_problems`.

A figure is shown in the book's column (:data:`~nncourse.plotting.COLUMN_PX` CSS pixels): a PNG
wider than the column is scaled down, its text with it. :func:`figure_problems` lists

- text smaller than :data:`~nncourse.plotting.MIN_FONT_PT` at display size,
- overlapping text: tick labels, axis labels, titles, annotations and legends whose boxes
  intersect,
- a panel (axes with visible axes, colour bars aside) without a title; a one-panel figure may
  carry its title as the figure's suptitle,
- text cut off at the figure's edge, for figures saved without ``bbox_inches="tight"`` (widget
  frames).

With the environment variable ``NNLIB_CHECK_FIGURES=1``, importing :mod:`nncourse.plotting` in
an IPython kernel installs :func:`install`'s hook: every ``matplotlib`` figure the notebook
displays is checked first, and a figure with problems raises :class:`FigureProblemsError` in
the cell that shows it. Widgets check each frame they draw (:mod:`nncourse.widgets`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from nncourse.plotting import COLUMN_PX, MIN_FONT_PT

__all__ = [
    "CHECK_ENV",
    "FigureProblemsError",
    "check_figure",
    "checking",
    "figure_problems",
    "install",
]

CHECK_ENV = "NNLIB_CHECK_FIGURES"
TIGHT_PAD = 0.1  # inches: the pad of savefig(bbox_inches="tight"), as the inline backend uses
CSS_DPI = 96  # CSS pixels per inch
OVERLAP_PX = 1.0  # boxes that intersect by more than this (both ways) overlap


class FigureProblemsError(ValueError):
    """A figure that would be hard to read in the book; the message lists its problems."""


@dataclass
class _Item:
    what: str
    box: Bbox  # display pixels at the figure's dpi
    points: float | None  # font size; None for a legend's box
    owner: object = None  # texts of one legend are measured, not compared with each other


def checking() -> bool:
    """Whether figures are checked as they are shown (``NNLIB_CHECK_FIGURES=1``, or ``warn``:
    the problems are printed to stderr instead of raised, to survey a whole notebook)."""
    return os.environ.get(CHECK_ENV) in ("1", "warn")


def figure_problems(
    fig: Figure,
    *,
    dpi: float | None = None,
    tight: bool = True,
    column_px: float = COLUMN_PX,
    min_pt: float = MIN_FONT_PT,
) -> list[str]:
    """The reasons ``fig`` is hard to read when saved at ``dpi`` (default: the figure's own, as
    Jupyter's inline backend saves it) and shown in a column ``column_px`` CSS pixels wide.

    ``tight``: the image is cropped to its content plus a 0.1 inch pad, as the inline backend
    does (``bbox_inches="tight"``); otherwise it is the whole figure (widget frames). Returns an
    empty list for a readable figure.
    """
    dpi = float(dpi or fig.dpi)
    fig.draw_without_rendering()  # runs the layout engine, as saving does
    renderer = fig._get_renderer()
    items = _items(fig, renderer)
    if tight:
        width_in = fig.get_tightbbox(renderer).width + 2 * TIGHT_PAD
    else:
        width_in = fig.get_size_inches()[0]
    image_px = width_in * dpi
    scale = min(1.0, column_px / image_px)
    problems = []

    small = [
        (item.points * dpi / CSS_DPI * scale, item) for item in items if item.points is not None
    ]
    small = sorted(
        ((shown, item) for shown, item in small if shown < min_pt - 1e-6), key=lambda s: s[0]
    )
    if small:
        shown, item = small[0]
        where = f"; the image is {image_px:.0f} px wide, shown at {scale:.0%}" if scale < 1 else ""
        problems.append(
            f"{len(small)} texts under {min_pt:g} pt at display size (smallest: {item.what} at "
            f"{shown:.1f} pt{where})"
        )

    boxes = [item for item in items if item.owner is None or item.points is None]
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            if _overlap(first.box, second.box):
                problems.append(f"overlapping text: {first.what} and {second.what}")

    problems += _untitled(fig)

    if not tight:
        edge = fig.bbox.padded(OVERLAP_PX)
        for item in items:
            if not _inside(item.box, edge):
                problems.append(f"cut off at the figure's edge: {item.what}")
    return problems


def check_figure(fig: Figure, **kwargs) -> Figure:
    """``fig``, after raising :class:`FigureProblemsError` if :func:`figure_problems` (same
    keyword arguments) lists any."""
    problems = figure_problems(fig, **kwargs)
    if problems:
        message = f"Figure {_figure_name(fig)} is hard to read in the book:\n- " + "\n- ".join(
            problems
        )
        if os.environ.get(CHECK_ENV) == "warn":
            print(message, file=sys.stderr)
        else:
            raise FigureProblemsError(message)
    return fig


def install(shell=None) -> bool:
    """Check every figure that IPython displays, when ``NNLIB_CHECK_FIGURES=1`` and a shell
    runs (returns whether the check is installed). The display formatter is wrapped, so the
    error is raised in the cell that shows the figure (as its last expression or with
    ``display``)."""
    if not checking():
        return False
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency of the course
            return False
        shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter
    if getattr(formatter, "_nnlib_figure_check", False):
        return True
    original = formatter.format

    def format(obj, include=None, exclude=None):
        if isinstance(obj, Figure):
            check_figure(obj)
        return original(obj, include=include, exclude=exclude)

    formatter.format = format
    formatter._nnlib_figure_check = True
    return True


def _figure_name(fig: Figure) -> str:
    titles = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    titles += [ax.get_title() for ax in fig.axes]
    title = next((t for t in titles if t.strip()), "")
    return repr(title) if title else f"with {len(fig.axes)} panels (no titles)"


def _panel(fig: Figure, ax) -> str:
    title = ax.get_title() or ax.get_title(loc="left") or ax.get_title(loc="right")
    index = fig.axes.index(ax) + 1
    return f"panel {index} ({title!r})" if title else f"panel {index}"


def _text(what: str, artist, renderer, items: list, owner=None) -> None:
    if artist is None or not artist.get_visible():
        return
    if isinstance(artist, Text) and not artist.get_text().strip():
        return
    box = artist.get_window_extent(renderer)
    if box.width <= 0 or box.height <= 0:
        return
    label = f"{what} {artist.get_text()!r}" if isinstance(artist, Text) else what
    points = artist.get_fontsize() if isinstance(artist, Text) else None
    items.append(_Item(label, box, points, owner))


def _legend(what: str, legend: Legend | None, renderer, items: list) -> None:
    if legend is None or not legend.get_visible():
        return
    items.append(_Item(what, legend.get_window_extent(renderer), None, legend))
    for text in legend.get_texts():
        _text(f"{what} entry", text, renderer, items, owner=legend)
    _text(f"{what} title", legend.get_title(), renderer, items, owner=legend)


def _items(fig: Figure, renderer) -> list[_Item]:
    items: list[_Item] = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        name = _panel(fig, ax)
        for title in (ax.title, ax._left_title, ax._right_title):
            _text(f"{name} title", title, renderer, items)
        if ax.axison:
            for letter, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
                if not axis.get_visible():
                    continue
                _text(f"{name} {letter} label", axis.label, renderer, items)
                _text(f"{name} {letter} offset", axis.offsetText, renderer, items)
                for tick in axis._update_ticks():  # the ticks drawn: inside the view limits
                    for label in (tick.label1, tick.label2):
                        _text(f"{name} {letter} tick", label, renderer, items)
        for text in ax.texts:
            _text(f"{name} text", text, renderer, items)
        _legend(f"{name} legend", ax.get_legend(), renderer, items)
    named = {"suptitle": fig._suptitle, "supxlabel": fig._supxlabel, "supylabel": fig._supylabel}
    for what, text in named.items():
        _text(what, text, renderer, items)
    for text in fig.texts:  # the suptitle and sup-labels are among them
        if all(text is not other for other in named.values()):
            _text("figure text", text, renderer, items)
    for legend in fig.legends:
        _legend("figure legend", legend, renderer, items)
    return items


def _overlap(a: Bbox, b: Bbox) -> bool:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width > OVERLAP_PX and height > OVERLAP_PX


def _inside(box: Bbox, outer: Bbox) -> bool:
    return box.x0 >= outer.x0 and box.y0 >= outer.y0 and box.x1 <= outer.x1 and box.y1 <= outer.y1


def _labelled(axis) -> bool:
    return axis.get_visible() and any(
        label.get_visible() and label.get_text().strip()
        for tick in axis._update_ticks()
        for label in (tick.label1, tick.label2)
    )


def _untitled(fig: Figure) -> list[str]:
    """Panels that need a title and have none: plots (visible axes with tick labels), colour bars
    and twins aside. A tile of an image grid (no tick labels) may go without one."""
    panels = [
        ax
        for ax in fig.axes
        if ax.get_visible()
        and ax.axison
        and ax.get_label() != "<colorbar>"
        and (_labelled(ax.xaxis) or _labelled(ax.yaxis))
    ]

    def titled(ax) -> bool:
        return any(ax.get_title(loc=loc).strip() for loc in ("center", "left", "right"))

    suptitle = fig._suptitle is not None and fig._suptitle.get_text().strip()
    missing = []
    for ax in panels:
        if titled(ax):
            continue
        twins = [
            other
            for other in panels
            if other is not ax and other.get_position().bounds == ax.get_position().bounds
        ]
        if any(titled(other) for other in twins):
            continue
        if len(panels) - len(twins) == 1 and suptitle:
            continue
        missing.append(_panel(fig, ax))
    if missing:
        return [f"{len(missing)} of {len(panels)} panels without a title: {', '.join(missing)}"]
    return []
