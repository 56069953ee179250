"""One control of an interactive figure: its kind, range, default, and the values the book shows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as W

__all__ = ["Param"]

KINDS = ("float", "log", "int", "choice", "bool")


@dataclass(frozen=True)
class Param:
    """One control. ``kind`` is "float", "log" (log-scale float, bounds given as values),
    "int", "choice" (``options``) or "bool". ``continuous_update=False`` redraws only when the
    slider is released, the right default for anything heavier than a few milliseconds.
    ``group`` puts controls on one row under a heading (the race's per-optimizer settings).
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
    group: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Invalid kind: {self.kind!r} for parameter {self.name!r}")
        if self.kind == "choice":
            if not self.options or self.value not in self.options:
                raise ValueError(f"Invalid options for {self.name!r}: value must be one of them")
        elif self.kind == "bool":
            if not isinstance(self.value, bool):
                raise ValueError(f"Invalid value for bool {self.name!r}: {self.value!r}")
        else:
            if self.min is None or self.max is None or not self.min <= self.value <= self.max:
                raise ValueError(
                    f"Invalid range for {self.name!r}: need min <= value <= max, "
                    f"got {self.min!r} <= {self.value!r} <= {self.max!r}"
                )
            if self.kind == "log" and self.min <= 0:
                raise ValueError(f"Invalid min for log parameter {self.name!r}: must be > 0")
            if self.step is not None and not self.step > 0:
                raise ValueError(f"Invalid step for {self.name!r}: must be > 0, got {self.step}")

    @property
    def title(self) -> str:
        return self.label or self.name

    def extremes(self) -> list:
        """The values a test should visit: both ends (every option for a choice)."""
        if self.kind == "choice":
            return list(self.options)
        if self.kind == "bool":
            return [not self.value, self.value]
        return [self.min, self.max]

    def grid(self, count: int = 5) -> list:
        """The values the book precomputes: every option of a choice, both states of a bool,
        and for a slider ``count`` values from ``min`` to ``max`` (log-spaced for "log"), snapped
        to its step, with the default replacing the value nearest to it. Sorted, no repeats."""
        if count < 1:
            raise ValueError(f"Invalid count for {self.name!r}: must be >= 1, got {count}")
        if count == 1:
            return [self.value]
        if self.kind == "choice":
            return list(self.options)
        if self.kind == "bool":
            return [False, True]
        if self.kind == "log":
            lo, hi = math.log10(self.min), math.log10(self.max)
            values = [10 ** (lo + (hi - lo) * k / (count - 1)) for k in range(count)]
            values = [float(f"{v:.3g}") for v in values[1:-1]]  # round interior values
            values = [self.min, *values, self.max]
        else:
            values = [self.min + (self.max - self.min) * k / (count - 1) for k in range(count)]
            values = [self.snap(v) for v in values]
        if self.value not in values:
            if count >= 3:  # keep both ends: the default replaces the nearest interior value
                interior = range(1, len(values) - 1)
                distance = lambda k: abs(self._scale(values[k]) - self._scale(self.value))  # noqa: E731
                values[min(interior, key=distance)] = self.value
            else:
                values.append(self.value)
        return sorted(set(values), key=float)

    def snap(self, value: float):
        """``value`` moved onto the slider's step grid (and made an int for "int")."""
        step = self.step or (1 if self.kind == "int" else None)
        if step is not None:
            value = self.min + round((value - self.min) / step) * step
            value = min(max(value, self.min), self.max)
        if self.kind == "int":
            return round(value)
        return float(f"{value:.10g}")

    def _scale(self, value: float) -> float:
        return math.log10(value) if self.kind == "log" else float(value)

    def format(self, value) -> str:
        """How the book labels a value."""
        if self.kind in ("choice", "bool", "int"):
            return str(value)
        return f"{value:.3g}"

    def check_value(self, value) -> None:
        """Raise ValueError if ``value`` is not one this control can take."""
        if self.kind == "choice":
            ok = value in self.options
        elif self.kind == "bool":
            ok = isinstance(value, bool)
        else:
            ok = self.min <= value <= self.max
        if not ok:
            raise ValueError(f"Invalid value for {self.name!r}: {value!r} is outside its range")

    def make_control(self) -> W.Widget:
        common = {
            "description": self.title,
            "continuous_update": self.continuous_update,
            "style": {"description_width": "initial"},
            "layout": W.Layout(width="250px" if self.group else "300px"),
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
        common["indent"] = False
        common["layout"] = W.Layout(width="auto")
        return W.Checkbox(value=self.value, **common)
