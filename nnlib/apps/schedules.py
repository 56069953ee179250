"""Lecture 5: learning-rate schedules."""

from nnlib import viz
from nnlib.apps import register
from nnlib.widgets import FigureApp, Param

__all__ = ["SCHEDULES", "schedules"]

# The schedules viz.schedule_figure draws (keep in step with its table).
SCHEDULES = [
    "step",
    "exponential",
    "1/t",
    "cosine",
    "warm restarts",
    "cyclic",
    "one-cycle",
    "warm-up then cosine",
]


@register()
def schedules() -> FigureApp:
    """One learning-rate schedule over a chosen number of steps."""
    return FigureApp(
        viz.schedule_figure,
        [
            Param("schedule", "choice", "cosine", options=SCHEDULES),
            Param("steps", "int", 100, min=10, max=1000, step=10, continuous_update=True),
        ],
        static={"steps": [10, 50, 100, 500, 1000]},
        title="learning-rate schedules",
    )
