"""Lecture 0: fitting a cubic by hand-written gradient descent."""

from nncourse.apps import register
from nncourse.lecture0 import figures
from nncourse.widgets import FigureApp, Param

__all__ = ["cubic_fit"]


@register()
def cubic_fit(steps: int | None = 2000) -> FigureApp:
    """The cubic fitted to sin(x) for a chosen learning rate (and number of steps, unless
    ``steps`` fixes it): too large a rate diverges."""
    params = [Param("lr", "log", 5e-3, min=1e-4, max=2e-2, label="learning rate")]
    fixed = {}
    if steps is None or steps == 2000:
        params.append(Param("steps", "int", 2000, min=10, max=3000, step=10, label="steps"))
    else:
        fixed["steps"] = steps
    return FigureApp(
        figures.cubic_fit_figure,
        params,
        static={"lr": [1e-4, 1e-3, 5e-3, 1e-2, 1.5e-2, 2e-2]}
        | ({} if fixed else {"steps": [10, 300, 2000, 3000]}),
        title="cubic fitted by gradient descent",
        **fixed,
    )
