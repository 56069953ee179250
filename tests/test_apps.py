"""Every interactive figure of the course, from its one spec in nncourse.apps: each control driven
to its extremes, and every notebook's app taken from the registry."""

import io
import json
import re
from pathlib import Path

import pytest
from matplotlib import image as mpl_image
from matplotlib.figure import Figure

from nncourse import apps, parallel, widgets
from nncourse.lecture5 import race_figures
from nncourse.lecture5.race import race

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
APP_IMPORT = re.compile(r"from nncourse\.(lecture\d) import \(?[\w\s,]*\bapps\b")
APP_CALL = re.compile(r"\bapps\.(\w+)\(")


@pytest.mark.parametrize("name", list(apps.REGISTRY))
def test_every_app_survives_every_control_at_its_extremes(name):
    app = apps.REGISTRY[name].build()
    start = app.values()
    visited = widgets.drive_to_extremes(app)
    expected = [(p.name, v) for p in app.params for v in [*p.extremes(), p.value]]
    assert [n for n, _, _ in visited] == [n for n, _ in expected]
    for (_, got, _), (_, want) in zip(visited, expected, strict=True):
        assert got == (pytest.approx(want) if isinstance(want, float) else want)
    assert isinstance(app.last_figure, Figure)
    assert app.values() == pytest.approx(start)


def _pixels(png: bytes):
    return mpl_image.imread(io.BytesIO(png), format="png")


@pytest.mark.parametrize("name", list(apps.REGISTRY))
def test_a_recycled_figure_renders_the_pixels_of_a_new_one(name):
    """FigureApp.compute redraws into its previous figure (viz.core.recycling): at the default
    and at each control's extremes, in turn, the pixels equal those of a new figure."""
    app = apps.REGISTRY[name].build()
    visits = [{}] + [{p.name: v} for p in app.params for v in p.extremes() if v != p.value]
    previous, recycled = app.compute(), 0
    for values in visits[:10]:
        figure = app.compute(**values)
        recycled += figure is previous
        with parallel.one_thread():  # as compute(): the same numbers, a new figure
            fresh = app.figure_fn(**app.fixed, **(app.values() | values))
        got, want = _pixels(widgets.live_png(figure)), _pixels(widgets.live_png(fresh))
        # A handful of pixels may flip: the same maths can differ in the last bit between calls
        # (MKL picks code paths by memory alignment), which moves an antialiased edge. A state
        # that leaks from the previous figure (a title, a colour, limits) changes far more.
        differ = (got != want).any(axis=-1).nonzero() if got.shape == want.shape else ((),)
        count = len(differ[0]) if got.shape == want.shape else "all"
        where = list(zip(*differ, strict=True))[:3]
        assert got.shape == want.shape and len(differ[0]) <= 20, (
            f"{name} at {values}: {count} pixels differ, at (row, column) {where}"
        )
        previous = figure
    # every redraw reuses the figure, unless the layout changes (tiny_mlp's 3-D view)
    assert recycled >= min(len(visits), 10) - 1


def test_every_app_has_a_book_grid_with_its_default():
    for name, spec in apps.REGISTRY.items():
        app = spec.build()
        for param in app.params:
            assert param.value in app.grid[param.name], (name, param.name)


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_apps_come_from_the_registry(path):
    for source in _code_cells(path):
        assert "FigureApp(" not in source and "Param(" not in source, (
            f"{path.name}: a widget spec written in the notebook; add it to nncourse.apps and "
            f"display apps.<app>() instead:\n{source}"
        )
    lectures = {lecture for source in _code_cells(path) for lecture in APP_IMPORT.findall(source)}
    for source in _code_cells(path):
        for name in APP_CALL.findall(source):
            assert any(f"{lecture}.{name}" in apps.REGISTRY for lecture in lectures), (
                f"{path.name}: apps.{name}"
            )


def test_race_noise_is_reproducible_and_changes_the_paths():
    surface = race_figures.RACE_SURFACES["ill-conditioned quadratic"][0]()
    racers = race_figures.race_optimizers(0.02)
    clean = race(surface, racers, [-1.8, 1.2], 50)
    noisy = race(surface, racers, [-1.8, 1.2], 50, noise=0.5, seed=1)
    again = race(surface, racers, [-1.8, 1.2], 50, noise=0.5, seed=1)
    for name in racers:
        assert not (noisy.paths[name] == clean.paths[name]).all()
        assert (noisy.paths[name] == again.paths[name]).all()
    with pytest.raises(ValueError, match="noise"):
        race(surface, racers, [-1.8, 1.2], 5, noise=-1.0)


def test_race_figure_shows_the_chosen_racers_with_their_settings():
    fig = race_figures.race_figure(
        "ill-conditioned quadratic", steps=20, sgd=False, adam_lr=2.0, adam_beta1=0.5
    )
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]  # one per racer
    assert len(labels) == 5 and not any(label.startswith("SGD") for label in labels)
    assert "Adam: lr 0.1, β 0.5/0.999" in labels
    nobody = race_figures.race_figure(**dict.fromkeys(race_figures.RACERS, False))
    assert "no optimizer selected" in [t.get_text() for t in nobody.axes[1].texts]
    with pytest.raises(ValueError, match="surface"):
        race_figures.race_figure("everest")


def test_race_start_moves_with_the_offsets_and_stays_in_the_window():
    fig = race_figures.race_figure("rosenbrock", steps=10, start_dx=0.25, start_dy=-0.5)
    start = fig.axes[0].lines[-len(race_figures.RACERS) - 1].get_xydata()[0]
    assert start == pytest.approx([-1.5 + 0.25 * 4.0, 2.0 - 0.5 * 4.0])
