"""Lecture 4: preprocessing and the conditioning of least squares; lecture 4b: what batch norm
sees in a small batch."""

from nncourse.apps import register
from nncourse.lecture4 import figures, preprocessing_figures
from nncourse.widgets import FigureApp, Param

__all__ = ["batch_statistics", "preprocessing"]


@register()
def preprocessing() -> FigureApp:
    """Least-squares contours and GD after a chosen preprocessing (centred, standardized,
    PCA-rotated, PCA- or ZCA-whitened) of two correlated features of unequal scales."""
    return FigureApp(
        preprocessing_figures.preprocessing_figure,
        [
            Param(
                "transform",
                "choice",
                "PCA-whitened",
                options=list(preprocessing_figures.TRANSFORMS),
            ),
            Param("correlation", "float", 0.8, min=-0.95, max=0.95, step=0.05),
            Param("scale", "log", 10.0, min=0.1, max=100.0, label="scale of x2"),
        ],
        static={"correlation": [0.0, 0.8, 0.95], "scale": [1.0, 10.0, 100.0]},
        title="preprocessing and the conditioning of least squares",
    )


@register()
def batch_statistics() -> FigureApp:
    """The spread of batch norm's batch statistics, and of one example's normalized value, at a
    chosen batch size (lecture 4b)."""
    return FigureApp(
        figures.batch_statistics_figure,
        [
            Param(
                "batch_size",
                "choice",
                8,
                options=[2, 4, 8, 16, 32, 64, 128, 256],
                label="batch size B",
            )
        ],
        title="batch statistics against the batch size",
    )
