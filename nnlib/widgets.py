"""Sliders bound to pure figure functions: the pattern every interactive figure follows.

A figure is a pure function ``params -> Figure`` (in :mod:`nnlib.viz`), and its controls are a
list of :class:`Param` specs. :class:`FigureApp` only binds them: it builds one ipywidgets
control per spec and redraws the figure into an Output widget when a value changes. Because the
figure is a plain function, it can be tested, benchmarked and rendered without a kernel;
:func:`drive_to_extremes` moves every control to its ends and back, as the tests do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as W
from IPython.display import clear_output, display

from nnlib.utils import Timer

__all__ = ["FigureApp", "Param", "drive_to_extremes"]


@dataclass(frozen=True)
class Param:
    """One control. ``kind`` is "float", "log" (log-scale float, bounds given as values),
    "int", "choice" (``options``) or "bool". ``continuous_update=False`` redraws only when the
    slider is released, the right default for anything heavier than a few milliseconds.
    """

    name: str
    kind: str
    value: object
    min: float | None = None
    max: float | None = None
    step: float | None = None
    options: Sequence | None = None
    label: str | None = None
    continuous_update: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("float", "log", "int", "choice", "bool"):
            raise ValueError(f"Invalid kind: {self.kind!r} for parameter {self.name!r}")
        if self.kind == "choice":
            if not self.options or self.value not in self.options:
                raise ValueError(f"Invalid options for {self.name!r}: value must be one of them")
        elif self.kind != "bool":
            if self.min is None or self.max is None or not self.min <= self.value <= self.max:
                raise ValueError(
                    f"Invalid range for {self.name!r}: need min <= value <= max, "
                    f"got {self.min!r} <= {self.value!r} <= {self.max!r}"
                )
            if self.kind == "log" and self.min <= 0:
                raise ValueError(f"Invalid min for log parameter {self.name!r}: must be > 0")

    def extremes(self) -> list:
        """The values a test should visit: both ends (every option for a choice)."""
        if self.kind == "choice":
            return list(self.options)
        if self.kind == "bool":
            return [not self.value, self.value]
        return [self.min, self.max]

    def make_control(self) -> W.Widget:
        common = {
            "description": self.label or self.name,
            "continuous_update": self.continuous_update,
            "style": {"description_width": "initial"},
            "layout": W.Layout(width="300px"),
        }
        if self.kind == "float":
            step = self.step or (self.max - self.min) / 100
            return W.FloatSlider(value=self.value, min=self.min, max=self.max, step=step, **common)
        if self.kind == "log":
            lo, hi = math.log10(self.min), math.log10(self.max)
            return W.FloatLogSlider(
                value=self.value,
                base=10,
                min=lo,
                max=hi,
                step=self.step or (hi - lo) / 50,
                **common,
            )
        if self.kind == "int":
            return W.IntSlider(
                value=self.value, min=self.min, max=self.max, step=self.step or 1, **common
            )
        if self.kind == "choice":
            common.pop("continuous_update")
            return W.Dropdown(options=list(self.options), value=self.value, **common)
        common.pop("continuous_update")
        return W.Checkbox(value=self.value, **common)


class FigureApp:
    """Controls for ``params`` bound to ``figure_fn``; redraws into an Output widget.

    ``fixed`` holds keyword arguments passed to ``figure_fn`` that have no control.
    Display the app with ``app`` as the last line of a cell (or ``display(app)``).
    """

    def __init__(self, figure_fn: Callable, params: Sequence[Param], **fixed) -> None:
        self.figure_fn = figure_fn
        self.params = list(params)
        self.fixed = fixed
        self.controls = {p.name: p.make_control() for p in self.params}
        self.output = W.Output()
        self.last_figure = None
        self.last_seconds = 0.0
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        controls = W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))
        self.widget = W.VBox([controls, self.output])
        self.redraw()

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        with Timer() as timer:
            self.last_figure = self.figure_fn(**self.fixed, **self.values())
        self.last_seconds = timer.seconds
        with self.output:
            clear_output(wait=True)
            display(self.last_figure)

    def _on_change(self, change) -> None:
        self.redraw()

    def _ipython_display_(self) -> None:
        display(self.widget)


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
