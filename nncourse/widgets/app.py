"""FigureApp: ipywidgets controls bound to a pure figure function, live and in the book."""

from __future__ import annotations

import base64
import io
import os
import time
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as W
from IPython.display import Image, clear_output, display

from nncourse.parallel import one_thread
from nncourse.plotting import DPI, recycling
from nncourse.plotting.check import check_figure, checking
from nncourse.widgets.params import Param
from nncourse.widgets.static import (
    APP_BUDGET_BYTES,
    StaticFrames,
    choose_grid,
    lean,
    render_frames,
    static_html,
)

__all__ = ["LIVE_DPI", "STATIC_ENV", "FigureApp", "drive_to_extremes", "live_png"]

# Set to 1 when notebooks are executed for the book (.ci/execute_notebooks.py): displaying an
# app then precomputes its frames. In a live session (Jupyter, Colab) only the widget is used.
STATIC_ENV = "NNLIB_STATIC_FRAMES"
LIVE_DPI = DPI  # one image pixel per CSS pixel: the figure fills the column at its drawn size


def live_png(fig) -> bytes:
    """The figure as the live widget shows it: a PNG at :data:`LIVE_DPI`, compressed at zlib's
    fastest level (a redraw is shown once; a few more bytes cost less than the 20-40 ms that the
    default level takes)."""
    buffer = io.BytesIO()
    lean(fig).savefig(buffer, format="png", dpi=LIVE_DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class FigureApp:
    """Controls for ``params`` bound to ``figure_fn``; redraws into an Output widget.

    ``fixed`` holds keyword arguments passed to ``figure_fn`` that have no control. ``static``
    chooses the book's precomputed grid per parameter (a count of slider values or a list of
    values; see :func:`nncourse.widgets.static.choose_grid`); ``budget`` caps its frames' bytes.
    Display the app with ``app`` as the last line of a cell: Jupyter shows the live widget, the
    built book the kernel-free version (the ``text/html`` of the same output).
    """

    def __init__(
        self,
        figure_fn: Callable,
        params: Sequence[Param],
        *,
        static: Mapping[str, int | Sequence] | None = None,
        budget: int = APP_BUDGET_BYTES,
        title: str = "",
        **fixed,
    ) -> None:
        self.figure_fn = figure_fn
        self.params = list(params)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"Invalid params: names repeat in {names}")
        self.fixed = fixed
        self.static = dict(static or {})
        self.grid = choose_grid(self.params, self.static)  # validates the overrides early
        self.budget = budget
        self.title = title
        self.controls = {p.name: p.make_control() for p in self.params}
        self.output = W.Output()
        self.last_figure = None
        self.last_png = b""
        self.last_seconds = 0.0  # compute: the figure function
        self.last_render_seconds = 0.0  # render: the figure to PNG
        self._frames: StaticFrames | None = None
        self._spare = None  # the last computed figure, reused by the next compute
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = W.VBox([self._layout(), self.output])
        self.redraw()

    def _layout(self) -> W.Widget:
        rows, groups = [], {}
        for param in self.params:
            if param.group is None:
                rows.append([self.controls[param.name]])
            else:
                if param.group not in groups:
                    groups[param.group] = [W.HTML(f"<b>{param.group}</b>")]
                    rows.append(groups[param.group])
                groups[param.group].append(self.controls[param.name])
        ungrouped = [row[0] for row in rows if len(row) == 1 and not isinstance(row[0], W.HTML)]
        boxes = []
        if ungrouped:
            boxes.append(W.HBox(ungrouped, layout=W.Layout(flex_flow="row wrap")))
        boxes += [
            W.HBox(row, layout=W.Layout(flex_flow="row wrap", align_items="center"))
            for row in rows
            if isinstance(row[0], W.HTML)
        ]
        return W.VBox(boxes)

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def compute(self, **values):
        """The figure for ``values`` (defaults of the controls for the rest).

        Computed with one torch thread (:func:`nncourse.parallel.one_thread`: a redraw is small,
        and must not wait for a busy core), into the previous call's figure when the layout is
        the same (:func:`nncourse.plotting.recycling`): render a figure before computing the next.
        """
        with one_thread(), recycling(self._spare):
            self._spare = self.figure_fn(**self.fixed, **(self.values() | values))
        return self._spare

    def redraw(self) -> None:
        start = time.perf_counter()
        self.last_figure = self.compute()
        if checking():  # NNLIB_CHECK_FIGURES=1: every frame must be readable (plotting.check)
            check_figure(self.last_figure, dpi=LIVE_DPI, tight=False)
        middle = time.perf_counter()
        self.last_png = live_png(self.last_figure)
        self.last_seconds = middle - start
        self.last_render_seconds = time.perf_counter() - middle
        with self.output:
            clear_output(wait=True)
            display(Image(data=self.last_png, format="png"))

    def _on_change(self, change) -> None:
        self.redraw()

    def static_frames(self) -> StaticFrames:
        """The book's frames over :attr:`grid` (rendered once, then kept)."""
        if self._frames is None:
            self._frames = render_frames(
                self.figure_fn, self.params, self.grid, self.fixed, budget=self.budget
            )
        return self._frames

    def static_html(self) -> str:
        return static_html(self.static_frames(), self.title)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = dict(self.widget._repr_mimebundle_())
        if os.environ.get(STATIC_ENV) == "1":
            bundle["text/html"] = self.static_html()
        else:  # no controls that would do nothing: the current frame, and how to get the app
            data = base64.b64encode(self.last_png).decode("ascii")
            bundle["text/html"] = (
                f'<img alt="figure" style="max-width:100%" src="data:image/png;base64,{data}">'
                "<p><em>Run this cell in Jupyter with ipywidgets for the interactive "
                "version.</em></p>"
            )
        bundle["text/plain"] = f"FigureApp({getattr(self.figure_fn, '__name__', 'figure')})"
        return bundle


def drive_to_extremes(app: FigureApp) -> list[tuple[str, object, float]]:
    """Set every control to each of its extremes, then back to its start value.

    Each move redraws the figure through the real callback, so an exception in any figure
    function propagates. Returns (control name, value, seconds to compute the figure).
    """
    visited = []
    for param in app.params:
        control = app.controls[param.name]
        start = control.value
        for value in [*param.extremes(), start]:
            if control.value == value:
                app.redraw()
            else:
                control.value = value
            visited.append((param.name, control.value, app.last_seconds))
    return visited
