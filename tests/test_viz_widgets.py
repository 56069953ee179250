import ipywidgets as W
import pytest
from matplotlib.figure import Figure

from nncourse import plotting, widgets
from nncourse.lecture0 import figures
from nnlib import train

CUBIC_PARAMS = [
    widgets.Param("lr", "log", 5e-3, min=1e-4, max=2e-2),
    widgets.Param("steps", "int", 2000, min=10, max=3000, step=10),
]


def _text(fig) -> str:
    return " ".join(ax.get_title() for ax in fig.axes)


def test_cubic_fit_figure_shows_convergence_and_divergence():
    fine = figures.cubic_fit_figure(lr=5e-3, steps=200)
    assert isinstance(fine, Figure) and len(fine.axes) == 2
    assert "diverged" not in _text(fine)
    blown = figures.cubic_fit_figure(lr=2e-2, steps=3000)
    assert "diverged at step" in _text(blown)


def test_cubic_app_survives_every_control_at_its_extremes():
    app = widgets.FigureApp(figures.cubic_fit_figure, CUBIC_PARAMS)
    visited = widgets.drive_to_extremes(app)
    assert [(name, value) for name, value, _ in visited] == [
        ("lr", pytest.approx(1e-4)),
        ("lr", pytest.approx(2e-2)),
        ("lr", pytest.approx(5e-3)),
        ("steps", 10),
        ("steps", 3000),
        ("steps", 2000),
    ]
    assert isinstance(app.last_figure, Figure)
    assert app.values() == {"lr": pytest.approx(5e-3), "steps": 2000}


def test_controls_match_their_specs():
    app = widgets.FigureApp(
        lambda kind, flag, x: plotting.plot_curves({kind: [x, x + 1]}, title=str(flag)),
        [
            widgets.Param("kind", "choice", "a", options=["a", "b"]),
            widgets.Param("flag", "bool", True),
            widgets.Param("x", "float", 1.0, min=0.5, max=2.0),
        ],
    )
    assert isinstance(app.controls["kind"], W.Dropdown)
    assert isinstance(app.controls["flag"], W.Checkbox)
    assert isinstance(app.controls["x"], W.FloatSlider)
    assert app.controls["x"].continuous_update is False
    visited = widgets.drive_to_extremes(app)
    assert {v for n, v, _ in visited if n == "kind"} == {"a", "b"}
    assert {v for n, v, _ in visited if n == "flag"} == {True, False}


def test_figure_errors_propagate_when_driven():
    def fragile(x):
        if x > 1.5:
            raise RuntimeError("boom")
        return plotting.plot_curves({"c": [x + 1.0]})

    app = widgets.FigureApp(fragile, [widgets.Param("x", "float", 1.0, min=0.0, max=2.0)])
    with pytest.raises(RuntimeError, match="boom"):
        widgets.drive_to_extremes(app)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "a", "kind": "slider", "value": 1}, "kind"),
        ({"name": "a", "kind": "float", "value": 3.0, "min": 0.0, "max": 1.0}, "range"),
        ({"name": "a", "kind": "log", "value": 1.0, "min": 0.0, "max": 2.0}, "log"),
        ({"name": "a", "kind": "choice", "value": "z", "options": ["x"]}, "options"),
    ],
)
def test_param_rejects_inconsistent_specs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        widgets.Param(**kwargs)


def test_plot_history_marks_divergence_and_early_stop():
    history = train.History()
    for epoch in (1, 2, 3):
        history.append({"epoch": epoch, "train_loss": 1.0 / epoch, "val_loss": 1.2 / epoch})
    history.stopped_at = 3
    fig = plotting.plot_history(history)
    assert len(fig.axes) == 1
    history.diverged = train.DivergenceError(40, float("inf"))
    assert "diverged at step 40" in _text(plotting.plot_history(history))
