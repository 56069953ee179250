"""Lecture 1: the chord picture of convexity and gradient descent on a quadratic."""

from nncourse.apps import register
from nncourse.lecture1 import figures
from nncourse.widgets import FigureApp, Param
from nnlib import convexity

__all__ = ["gd_quadratic", "jensen"]


@register()
def jensen() -> FigureApp:
    """Jensen's inequality on a chosen function: move the mixing weight α and the chord's ends."""
    return FigureApp(
        figures.jensen_figure,
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


@register()
def gd_quadratic() -> FigureApp:
    """GD on a rotated quadratic: condition number, rotation, step (in units of 1/L), start."""
    return FigureApp(
        figures.gd_quadratic_figure,
        [
            Param("kappa", "log", 10.0, min=1.0, max=100.0, label="κ"),
            Param("angle", "float", 0.0, min=0.0, max=90.0, step=5.0, label="rotation (°)"),
            Param("lr_factor", "float", 1.8, min=0.05, max=2.2, step=0.05, label="η × L"),
            Param("x1", "float", -1.8, min=-2.0, max=2.0, step=0.1),
            Param("x2", "float", 1.0, min=-2.0, max=2.0, step=0.1),
        ],
        # The book varies what the section is about (κ, the step, the rotation): below 1, at 1,
        # near 2 and past 2/L, where it diverges; the start stays fixed.
        static={
            "kappa": [1.0, 10.0, 100.0],
            "angle": [0.0, 45.0],
            "lr_factor": [0.5, 1.8, 2.1],
            "x1": 1,
            "x2": 1,
        },
        title="gradient descent on a quadratic",
    )
