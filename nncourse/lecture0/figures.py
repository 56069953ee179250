"""Lecture 0 figures: the cubic fitted to sin(x)."""

from __future__ import annotations

import functools

import matplotlib as mpl

from nncourse.lecture0 import cubic_fit
from nncourse.plotting import DIVERGED_COLOR, STYLE, WIDGET_MARGINS, new_figure

__all__ = ["cubic_fit_figure"]


@functools.lru_cache(maxsize=1)
def _sine_problem() -> tuple:
    """The data and the loss of the exact least-squares cubic: the same for every redraw."""
    x, y = cubic_fit.sine_data()
    return x, y, cubic_fit.cubic_loss(cubic_fit.least_squares_coefficients(x, y), x, y).item()


def cubic_fit_figure(lr: float = 5e-3, steps: int = 2000, seed: int = 0):
    """Lecture 0 widget: the cubic fitted to sin(x) by gradient descent, and its loss curve.

    The dashed line is the loss of the exact least-squares cubic, the floor GD can reach. The
    run is :func:`~nncourse.lecture0.cubic_fit.fit_by_hand`'s, computed without its loop
    (:func:`~nncourse.lecture0.cubic_fit.fit_in_closed_form`, tested equal), so a redraw of 3000
    steps takes milliseconds.
    """
    x, y, best = _sine_problem()
    coeffs0 = cubic_fit.initial_coefficients(seed)
    result = cubic_fit.fit_in_closed_form(x, y, coeffs0, lr=lr, steps=steps)
    fig, (left, right) = new_figure(ncols=2, margins=WIDGET_MARGINS)
    with mpl.rc_context(STYLE):
        left.plot(x, y, color="gray", label="sin(x)")
        if result.diverged is None:
            left.plot(x, cubic_fit.cubic(result.coeffs, x), label="cubic fit")
            a, b, c, d = result.coeffs.tolist()
            left.set_title(f"{a:+.3f} {b:+.3f}x {c:+.3f}x² {d:+.3f}x³", fontsize=9)
        else:
            left.set_title("no fit: gradient descent diverged", color=DIVERGED_COLOR)
        left.set(xlabel="x", ylim=(-1.6, 1.6))
        left.legend(loc="upper left")
        right.plot(result.losses, label="gradient descent")
        # In data coordinates (axhline's limits go through a transform round trip, which
        # makes the log axis's limits jump with the last bit of the losses).
        span = [0, max(len(result.losses) - 1, 1)]
        right.plot(span, [best, best], linestyle="--", color="gray", label="least-squares optimum")
        right.set(xlabel="step", ylabel="mean squared error", yscale="log")
        if result.diverged is not None:
            right.set_title(str(result.diverged), color=DIVERGED_COLOR)
        else:
            right.set_title(f"lr = {lr:.2g}: final loss {result.final_loss:.3g}")
        right.legend(loc="upper right")
    return fig
