import pytest

from nncourse import widgets
from nncourse.lecture1 import apps, figures


def _titles(fig) -> str:
    return " ".join(ax.get_title() for ax in fig.axes)


def test_gd_widget_survives_every_extreme():
    app = apps.gd_quadratic()
    visited = widgets.drive_to_extremes(app)
    assert len(visited) == 3 * len(app.params)


def test_gd_figure_reports_rates_and_divergence():
    converging = _titles(figures.gd_quadratic_figure(kappa=10, lr_factor=1.8))
    assert "measured rate 0.820, predicted 0.820" in converging
    assert "diverging" in _titles(figures.gd_quadratic_figure(kappa=10, lr_factor=2.2))
    at_origin = figures.gd_quadratic_figure(x1=0.0, x2=0.0)  # already at the minimum
    assert "diverging" not in _titles(at_origin) and len(at_origin.axes) >= 1


def test_jensen_widget_and_verdicts():
    widgets.drive_to_extremes(apps.jensen())
    assert "Jensen holds" in _titles(figures.jensen_figure("x²", 0.3, -2.0, 2.0))
    assert "fails" in _titles(figures.jensen_figure("x⁴ - 2x²", 0.5, -1.0, 1.0))
    with pytest.raises(ValueError, match="function"):
        figures.jensen_figure("tan(x)")
