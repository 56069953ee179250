"""Lecture 2: the loss surface of the tiniest network."""

from nncourse.apps import register
from nncourse.lecture2 import figures
from nncourse.widgets import FigureApp, Param

__all__ = ["tiny_mlp"]


@register()
def tiny_mlp() -> FigureApp:
    """The loss (t - tanh(w1 tanh(w2 x)))² over (w1, w2) for a chosen example (x, t)."""
    return FigureApp(
        figures.tiny_mlp_figure,
        [
            Param("x", "float", 0.5, min=-2.0, max=2.0, step=0.05, label="input x"),
            Param("t", "float", 0.5, min=-1.5, max=1.5, step=0.05, label="target t"),
            Param("view", "choice", "contour", options=["contour", "3d"]),
        ],
        static={"x": [-2.0, 0.5, 2.0], "t": [-1.5, 0.0, 0.5, 1.5]},
        title="loss surface of a two-weight network",
    )
