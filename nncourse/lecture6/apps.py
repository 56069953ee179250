"""Lecture 6: a regularized decision boundary."""

from nncourse.apps import register
from nncourse.lecture6 import figures
from nncourse.widgets import FigureApp, Param

__all__ = ["boundary"]


@register()
def boundary() -> FigureApp:
    """The toy MLP's decision boundary after training with AdamW's decoupled weight decay and
    dropout."""
    return FigureApp(
        figures.boundary_figure,
        [
            Param("l2", "log", 1e-4, min=1e-4, max=10.0, label="weight decay λ"),
            Param("dropout", "float", 0.0, min=0.0, max=0.9, step=0.1, label="dropout rate"),
        ],
        static={"l2": [1e-4, 0.1, 1.0, 3.0, 10.0], "dropout": [0.0, 0.5, 0.9]},
        title="decision boundary with weight decay (AdamW) and dropout (initialization 0)",
    )
