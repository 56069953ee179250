"""Lecture 3: activations and gradients through a deep network at initialization."""

from nncourse.apps import register
from nncourse.lecture3 import figures
from nncourse.widgets import FigureApp, Param
from nnlib import init

__all__ = ["SCHEMES", "layer_stats"]

SCHEMES = list(init.SCHEMES)  # every scheme nnlib.init implements


@register()
def layer_stats() -> FigureApp:
    """Per-layer activation and gradient statistics for a chosen depth, width, activation and
    initialization scheme."""
    return FigureApp(
        figures.layer_stats_figure,
        [
            Param("depth", "int", 20, min=1, max=50, label="hidden layers"),
            # Up to 256 units: initialising and running 20 layers costs width² (at 512 a redraw
            # took 111 ms to compute in bench/widgets.py, over the 100 ms target).
            Param("width", "int", 128, min=16, max=256, step=16),
            Param(
                "activation", "choice", "tanh", options=["tanh", "relu", "sigmoid", "leaky_relu"]
            ),
            Param("scheme", "choice", "xavier", options=SCHEMES),
        ],
        # Frames are slow (a deep network's statistics each): the book shows every activation
        # with the schemes the lecture compares, at the default depth and width.
        static={
            "depth": 1,
            "width": 1,
            "scheme": ["tiny normal", "normal", "xavier", "kaiming", "zeros"],
        },
        title="activation and gradient statistics per layer",
    )
