import pytest

from nnlib import convexity, viz, widgets

GD_PARAMS = [
    widgets.Param("kappa", "log", 10.0, min=1.0, max=100.0),
    widgets.Param("angle", "float", 0.0, min=0.0, max=90.0, step=5.0),
    widgets.Param("lr_factor", "float", 1.8, min=0.05, max=2.2, step=0.05),
    widgets.Param("x1", "float", -1.8, min=-2.0, max=2.0, step=0.1),
    widgets.Param("x2", "float", 1.0, min=-2.0, max=2.0, step=0.1),
]
JENSEN_PARAMS = [
    widgets.Param("function", "choice", "x⁴ - 2x²", options=list(convexity.FUNCTIONS_1D)),
    widgets.Param("alpha", "float", 0.5, min=0.0, max=1.0, step=0.01),
    widgets.Param("a", "float", -1.5, min=-2.5, max=2.5, step=0.05),
    widgets.Param("b", "float", 1.0, min=-2.5, max=2.5, step=0.05),
]


def _titles(fig) -> str:
    return " ".join(ax.get_title() for ax in fig.axes)


def test_gd_widget_survives_every_extreme():
    app = widgets.FigureApp(viz.gd_quadratic_figure, GD_PARAMS)
    visited = widgets.drive_to_extremes(app)
    assert len(visited) == 3 * len(GD_PARAMS)


def test_gd_figure_reports_rates_and_divergence():
    converging = _titles(viz.gd_quadratic_figure(kappa=10, lr_factor=1.8))
    assert "measured rate 0.820, predicted 0.820" in converging
    assert "diverging" in _titles(viz.gd_quadratic_figure(kappa=10, lr_factor=2.2))
    at_origin = viz.gd_quadratic_figure(x1=0.0, x2=0.0)  # already at the minimum
    assert "diverging" not in _titles(at_origin) and len(at_origin.axes) >= 1


def test_jensen_widget_and_verdicts():
    widgets.drive_to_extremes(widgets.FigureApp(viz.jensen_figure, JENSEN_PARAMS))
    assert "Jensen holds" in _titles(viz.jensen_figure("x²", 0.3, -2.0, 2.0))
    assert "fails" in _titles(viz.jensen_figure("x⁴ - 2x²", 0.5, -1.0, 1.0))
    with pytest.raises(ValueError, match="function"):
        viz.jensen_figure("tan(x)")
