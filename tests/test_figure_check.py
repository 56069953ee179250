"""The figure check (nncourse.plotting.check) catches each problem it names, passes a readable
figure, and the course's style makes figures that fit the book's column."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nncourse import plotting
from nncourse.plotting import check


def _readable():
    fig, (left, right) = plotting.new_figure(ncols=2, width=3.4, height=2.8)
    for ax, name in ((left, "loss"), (right, "accuracy")):
        ax.plot([0, 1, 2], [3.0, 2.0, 1.5], label="train")
        ax.set(title=name, xlabel="step", ylabel=name)
        ax.legend()
    return fig


def test_a_readable_figure_has_no_problems():
    assert check.figure_problems(_readable()) == []


def test_small_text_is_caught():
    fig = _readable()
    fig.axes[0].set_xlabel("step", fontsize=7)
    (problem,) = check.figure_problems(fig)
    assert "under 9 pt" in problem and "x label 'step'" in problem and "7.0 pt" in problem


def test_a_figure_wider_than_the_column_is_caught_by_its_shrunk_text():
    fig = _readable()
    fig.set_size_inches(12, 3)  # 1150 px shown in 688: 9 pt ticks read as 5.4 pt
    problems = check.figure_problems(fig)
    assert any("shown at" in p and "under 9 pt" in p for p in problems), problems
    # the same figure in a column twice as wide is readable
    assert check.figure_problems(fig, column_px=2 * 1300) == []


def test_overlapping_tick_labels_are_caught():
    fig = _readable()
    ax = fig.axes[0]
    ax.set_xticks([0, 0.05, 2], ["1000000", "2000000", "2"])
    problems = check.figure_problems(fig)
    assert any("overlapping text" in p and "'1000000'" in p for p in problems), problems


def test_a_title_over_an_axis_label_is_caught():
    fig, (ax,) = plotting.new_figure(width=4, height=3, margins=plotting.WIDGET_MARGINS)
    ax.set_xlabel("a label")
    fig.draw_without_rendering()
    label = ax.xaxis.label.get_window_extent()
    y = ax.transAxes.inverted().transform((0, label.y0))[1]
    ax.set_title("a title", y=y)  # drawn where the axis label is
    problems = check.figure_problems(fig, tight=False)
    assert any("overlapping text" in p and "a title" in p for p in problems), problems


def test_a_legend_over_tick_labels_is_caught():
    fig = _readable()
    fig.axes[1].legend(loc="upper left", bbox_to_anchor=(-0.25, 0.5))
    problems = check.figure_problems(fig)
    assert any("overlapping text" in p and "legend" in p for p in problems), problems


def test_panels_without_titles_are_caught():
    fig = _readable()
    fig.axes[1].set_title("")
    (problem,) = check.figure_problems(fig)
    assert problem.startswith("1 of 2 panels without a title: panel 2")


def test_one_panel_may_carry_its_title_as_suptitle_and_twins_share_a_title():
    fig, (ax,) = plotting.new_figure()
    ax.plot([1, 2])
    assert check.figure_problems(fig) == ["1 of 1 panels without a title: panel 1"]
    fig.suptitle("the figure's title")
    twin = ax.twinx()
    twin.plot([2, 1])
    assert check.figure_problems(fig) == []


def test_text_cut_off_at_the_edge_of_a_fixed_layout_is_caught():
    fig, (ax,) = plotting.new_figure(margins=plotting.WIDGET_MARGINS)
    ax.set_title("a title")
    ax.text(1.05, 0.5, "a note past the right edge of the figure", transform=ax.transAxes)
    problems = check.figure_problems(fig, tight=False)
    assert any(p.startswith("cut off") and "a note" in p for p in problems), problems
    # saved with bbox_inches="tight" the image grows to hold it: not cut off
    assert not any(p.startswith("cut off") for p in check.figure_problems(fig))


def test_check_figure_raises_with_the_list():
    fig = _readable()
    fig.axes[0].set_title("")
    with pytest.raises(check.FigureProblemsError, match="panels without a title"):
        check.check_figure(fig)
    assert check.check_figure(_readable()) is not None


@pytest.mark.parametrize(
    ("ncols", "width", "fill", "expected_width"),
    [(1, 4.2, False, 4.2), (3, 3.6, False, plotting.COLUMN_WIDTH), (1, 4.2, True, 6.9)],
)
def test_figures_fit_the_column_and_widgets_fill_it(ncols, width, fill, expected_width):
    size = plotting.figure_size(ncols, 1, width, 3.0, fill=fill)
    assert size[0] == pytest.approx(expected_width)
    assert size[0] * plotting.DPI <= plotting.COLUMN_PX
    # narrowed panels keep at least 80 % of their height
    assert size[1] >= 0.8 * 3.0 - 1e-9


def test_a_plot_alone_is_wider_than_one_of_a_row():
    alone, _ = plotting.new_figure()
    pair, _ = plotting.new_figure(ncols=2)
    assert alone.get_size_inches()[0] == pytest.approx(plotting.SINGLE_PANEL_WIDTH)
    assert pair.get_size_inches()[0] == pytest.approx(plotting.COLUMN_WIDTH)
    assert pair.get_size_inches()[0] / 2 < plotting.SINGLE_PANEL_WIDTH


def test_widget_margins_leave_room_for_labels_and_titles():
    fig, _ = plotting.new_figure(width=5, height=2.0, margins={"bottom": 0.05, "top": 0.99})
    params = fig.subplotpars
    height = fig.get_size_inches()[1]
    assert params.bottom * height >= plotting.MARGIN_INCHES["bottom"] - 1e-9
    assert (1 - params.top) * height >= plotting.MARGIN_INCHES["top"] - 1e-9


def test_the_hook_raises_in_the_cell_that_shows_an_unreadable_figure(monkeypatch):
    monkeypatch.setenv(check.CHECK_ENV, "1")
    shell = InteractiveShell.instance()
    try:
        assert check.install(shell)
        assert check.install(shell)  # installed once
        shell.user_ns["make"] = _readable
        assert shell.run_cell("make()").success
        bad = shell.run_cell("fig = make(); fig.axes[0].set_title(''); fig")
        assert not bad.success
        assert isinstance(bad.error_in_exec, check.FigureProblemsError)
        assert not shell.run_cell("from IPython.display import display; display(fig)").success
    finally:
        InteractiveShell.clear_instance()


def test_without_the_variable_nothing_is_installed(monkeypatch):
    monkeypatch.delenv(check.CHECK_ENV, raising=False)
    assert not check.install(object())


def test_warn_mode_prints_the_problems_instead_of_raising(monkeypatch, capsys):
    monkeypatch.setenv(check.CHECK_ENV, "warn")
    fig = _readable()
    fig.axes[0].set_title("")
    assert check.checking()
    assert check.check_figure(fig) is fig
    assert "panels without a title" in capsys.readouterr().err


def test_image_tiles_without_tick_labels_need_no_title():
    fig, axes = plotting.new_figure(ncols=4, width=1.0, height=1.0)
    for ax in axes:
        ax.imshow([[0, 1], [1, 0]])
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_title("digits")
    assert check.figure_problems(fig) == []
    axes[1].set_xticks([0, 1])  # a tile with tick labels is a plot: it needs a title
    assert check.figure_problems(fig) == ["1 of 1 panels without a title: panel 2"]
