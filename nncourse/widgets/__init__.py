"""Sliders bound to pure figure functions: the pattern every interactive figure follows.

A figure is a pure function ``params -> Figure`` (in a lecture's figure module), and its controls
are a list of :class:`Param` specs. :class:`FigureApp` only binds them: it builds one ipywidgets
control per spec and redraws the figure when a value changes. Because the figure is a plain
function, it can be tested, benchmarked and rendered without a kernel: for the built book, the app
precomputes its figure over a grid of parameter values and embeds a kernel-free version of itself
(:mod:`nncourse.widgets.static`). :func:`drive_to_extremes` moves every control to its ends and
back, as the tests do. Every app of the course is specified once, in :mod:`nncourse.apps`.
"""

from nncourse.widgets.app import LIVE_DPI, STATIC_ENV, FigureApp, drive_to_extremes, live_png
from nncourse.widgets.params import Param
from nncourse.widgets.static import (
    APP_BUDGET_BYTES,
    BOOK_BUDGET_BYTES,
    PAGE_BUDGET_BYTES,
    DeadControlError,
    FrameError,
    StaticFrames,
    choose_grid,
    render_frames,
    static_html,
)

__all__ = [
    "APP_BUDGET_BYTES",
    "BOOK_BUDGET_BYTES",
    "LIVE_DPI",
    "PAGE_BUDGET_BYTES",
    "STATIC_ENV",
    "DeadControlError",
    "FigureApp",
    "FrameError",
    "Param",
    "StaticFrames",
    "choose_grid",
    "drive_to_extremes",
    "live_png",
    "render_frames",
    "static_html",
]
