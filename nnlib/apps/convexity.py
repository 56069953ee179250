"""Lecture 1: the chord picture of convexity."""

from nnlib import convexity, viz
from nnlib.apps import register
from nnlib.widgets import FigureApp, Param

__all__ = ["jensen"]


@register()
def jensen() -> FigureApp:
    """Jensen's inequality on a chosen function: move the mixing weight α and the chord's ends."""
    return FigureApp(
        viz.jensen_figure,
        [
            Param("function", "choice", "x⁴ - 2x²", options=list(convexity.FUNCTIONS_1D)),
            Param("alpha", "float", 0.5, min=0.0, max=1.0, step=0.01, label="α"),
            Param("a", "float", -1.5, min=-2.5, max=2.5, step=0.05),
            Param("b", "float", 1.0, min=-2.5, max=2.5, step=0.05),
        ],
        # Every function and five values of α, two chords (b fixed): about 60 frames.
        static={"alpha": [0.1, 0.3, 0.5, 0.7, 0.9], "a": [-2.5, -1.5], "b": 1},
        title="the chord picture of convexity",
    )
