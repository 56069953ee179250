"""The book's kernel-free figures: grid choice, frames, budget, errors, HTML and its sanitizer."""

import configparser
import json
import re
from pathlib import Path

import pytest

from nncourse import plotting, widgets
from nncourse.widgets import (
    APP_BUDGET_BYTES,
    BOOK_BUDGET_BYTES,
    PAGE_BUDGET_BYTES,
    DeadControlError,
    FigureApp,
    FrameError,
    Param,
    choose_grid,
    render_frames,
    static_html,
)

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")


def small_figure(kind: str = "a", x: float = 1.0, flag: bool = True):
    """A cheap figure that depends on every argument."""
    return plotting.plot_curves(
        {kind: [x, x + (2 if flag else 1)]}, logy=False, title=f"{kind} {x}"
    )


SMALL_PARAMS = [
    Param("kind", "choice", "a", options=["a", "b"]),
    Param("x", "float", 1.0, min=0.5, max=2.0, step=0.25),
    Param("flag", "bool", True),
]


def test_slider_grid_has_both_ends_and_the_default():
    assert Param("a", "float", 0.3, min=0.0, max=1.0, step=0.05).grid(5) == [
        0.0,
        0.3,
        0.5,
        0.75,
        1.0,
    ]
    assert Param("n", "int", 300, min=10, max=1000, step=10).grid(5) == [10, 300, 510, 750, 1000]
    log = Param("lr", "log", 5e-3, min=1e-4, max=1e-2).grid(5)
    assert log[0] == 1e-4 and log[-1] == 1e-2 and 5e-3 in log and len(log) == 5
    assert Param("a", "float", 0.0, min=0.0, max=1.0).grid(3) == [0.0, 0.5, 1.0]  # default = end
    assert Param("a", "float", 0.4, min=0.0, max=1.0).grid(2) == [0.0, 0.4, 1.0]  # ends kept
    assert Param("a", "float", 0.4, min=0.0, max=1.0).grid(1) == [0.4]


def test_choice_and_bool_grids_have_every_value():
    grid = choose_grid(SMALL_PARAMS)
    assert grid["kind"] == ["a", "b"]
    assert grid["flag"] == [False, True]
    assert grid["x"][0] == 0.5 and grid["x"][-1] == 2.0 and 1.0 in grid["x"]


def test_overrides_count_list_and_fixed():
    grid = choose_grid(SMALL_PARAMS, {"x": [1.0, 2.0], "flag": 1, "kind": 1})
    assert grid == {"kind": ["a"], "x": [1.0, 2.0], "flag": [True]}
    assert choose_grid(SMALL_PARAMS, {"x": 1})["x"] == [1.0]
    with pytest.raises(ValueError, match="default"):
        choose_grid(SMALL_PARAMS, {"x": [0.5, 2.0]})
    with pytest.raises(ValueError, match="outside"):
        choose_grid(SMALL_PARAMS, {"x": [1.0, 3.0]})
    with pytest.raises(ValueError, match="no parameters named"):
        choose_grid(SMALL_PARAMS, {"y": 3})


def test_frames_cover_the_grid_and_differ_per_control():
    grid = choose_grid(SMALL_PARAMS, {"x": [0.5, 1.0, 2.0]})
    frames = render_frames(small_figure, SMALL_PARAMS, grid)
    assert len(frames.index) == 2 * 3 * 2
    assert len(frames.frames) == 12  # every combination draws something different
    assert frames.frames[0][:4] == b"RIFF"  # WebP
    assert frames.frame(kind="b", x=2.0) != frames.frame()
    assert frames.default_key() == (0, 1, 1)
    assert frames.nbytes < 200_000


def test_a_failing_combination_is_reported_with_its_values():
    def fragile(kind="a", x=1.0, flag=True):
        if kind == "b" and x > 1.5:
            raise RuntimeError("boom")
        return small_figure(kind, x, flag)

    grid = choose_grid(SMALL_PARAMS, {"x": [1.0, 2.0], "flag": 1})
    with pytest.raises(FrameError, match=r"fragile failed for kind='b', x=2\.0, flag=True.*boom"):
        render_frames(fragile, SMALL_PARAMS, grid)


def test_a_control_that_changes_nothing_is_refused():
    def ignores_flag(kind="a", x=1.0, flag=True):
        return small_figure(kind, x, True)

    with pytest.raises(DeadControlError, match="flag"):
        render_frames(ignores_flag, SMALL_PARAMS, choose_grid(SMALL_PARAMS, {"x": 1}))


def test_frames_over_budget_are_refused():
    grid = choose_grid(SMALL_PARAMS, {"x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="budget"):
        render_frames(small_figure, SMALL_PARAMS, grid, budget=1_000)


def test_budgets_fit_together():
    assert 2 * APP_BUDGET_BYTES <= PAGE_BUDGET_BYTES <= BOOK_BUDGET_BYTES / 8


def _frames_data(html: str) -> dict:
    payload = re.search(
        r'<script type="application/json" class="nnlib-frames">(.*?)</script>', html
    )
    return json.loads(payload.group(1).replace("<\\/", "</"))


def test_static_html_embeds_every_frame_and_describes_the_controls():
    frames = render_frames(
        small_figure, SMALL_PARAMS, choose_grid(SMALL_PARAMS, {"x": [1.0, 2.0], "kind": 1})
    )
    html = static_html(frames, "demo")
    data = _frames_data(html)
    assert [p["name"] for p in data["params"]] == ["x", "flag"]  # one value: no control
    assert data["params"][0]["values"] == ["1", "2"]
    assert len(data["index"]) == 4 and len(data["frames"]) == len(frames.frames)
    assert "Fixed in the book: kind = a" in html
    assert "controls snap to them" in html
    assert 'data-key="0,0,1"' in html  # the default frame is shown first
    assert "<script>" in html and "nnlib-input" in html


def _sanitize(text: str) -> str:
    config = configparser.ConfigParser(interpolation=None)
    config.read(SANITIZE)
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def test_nbval_sanitizer_masks_the_frames():
    one = static_html(
        render_frames(small_figure, SMALL_PARAMS, choose_grid(SMALL_PARAMS, {"x": 1}))
    )
    other = static_html(
        render_frames(
            lambda **kw: small_figure(**kw | {"x": 1.1}),
            SMALL_PARAMS,
            choose_grid(SMALL_PARAMS, {"x": 1}),
        )
    )
    assert one != other
    assert _sanitize(one) == _sanitize(other)
    assert "base64," not in _sanitize(one)


def test_app_output_is_the_widget_plus_its_book_version(monkeypatch):
    app = FigureApp(small_figure, SMALL_PARAMS, static={"x": [1.0, 2.0]})
    monkeypatch.delenv(widgets.STATIC_ENV, raising=False)
    live = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in live
    assert "<img" in live["text/html"] and "<input" not in live["text/html"]  # no dead controls
    monkeypatch.setenv(widgets.STATIC_ENV, "1")
    book = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in book
    assert 'class="nnlib-static-figure"' in book["text/html"]
    assert len(_frames_data(book["text/html"])["index"]) == 2 * 2 * 2


def test_redraw_times_compute_and_render_separately():
    app = FigureApp(small_figure, SMALL_PARAMS)
    assert app.last_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert app.last_seconds > 0 and app.last_render_seconds > 0


def test_app_rejects_repeated_names_and_bad_overrides():
    with pytest.raises(ValueError, match="repeat"):
        FigureApp(small_figure, [SMALL_PARAMS[0], SMALL_PARAMS[0]])
    with pytest.raises(ValueError, match="no parameters named"):
        FigureApp(small_figure, SMALL_PARAMS, static={"nope": 2})


def test_lean_labels_log_axes_in_plain_text_at_the_same_ticks():
    import io

    from matplotlib.ticker import LogFormatterSciNotation

    from nncourse.widgets.static import PlainLogFormatter, lean

    def figure(low, high):
        fig, (ax,) = plotting.new_figure()
        ax.semilogy([1, 2, 3], [low, (low * high) ** 0.5, high])
        return fig

    for low, high in ((1e-6, 1e3), (0.2, 0.9)):  # decades only; labels between decades
        plain, mathtext = figure(low, high), figure(low, high)
        lean(plain).savefig(io.BytesIO(), format="png")
        mathtext.savefig(io.BytesIO(), format="png")
        for get in ("get_majorticklabels", "get_minorticklabels"):
            new = [t.get_text() for t in getattr(plain.axes[0].yaxis, get)()]
            old = [t.get_text() for t in getattr(mathtext.axes[0].yaxis, get)()]
            assert len(new) == len(old) and not any("$" in label for label in new)
            converted = [widgets.static._plain_power(label) for label in old]
            assert new == converted
        assert isinstance(plain.axes[0].yaxis.get_major_formatter(), PlainLogFormatter)
        assert type(mathtext.axes[0].yaxis.get_major_formatter()) is LogFormatterSciNotation
    assert widgets.static._plain_power(r"$\mathdefault{2\times10^{-3}}$") == "2×10⁻³"
    assert widgets.static._plain_power(r"$\mathdefault{10^{12}}$") == "10¹²"
