"""Lecture 6: a regularized decision boundary."""

from nncourse.apps import register
from nncourse.lecture6 import figures
from nncourse.widgets import FigureApp, Param

__all__ = ["boundary"]


@register()
def boundary() -> FigureApp:
    """The toy MLP's decision boundary after training with a chosen L2 strength and dropout."""
    return FigureApp(
        figures.boundary_figure,
        [
            Param("l2", "log", 1e-5, min=1e-5, max=0.1, label="L2 strength"),
            Param("dropout", "float", 0.0, min=0.0, max=0.9, step=0.1, label="dropout rate"),
        ],
        static={"l2": [1e-5, 1e-2, 0.1], "dropout": [0.0, 0.5, 0.9]},
        title="decision boundary with L2 and dropout",
    )
