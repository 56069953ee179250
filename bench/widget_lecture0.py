"""Lecture 0 widget: time of one redraw, compute and render separately.

The widget's compute is ``cubic_fit.fit_by_hand`` (2000 steps, matrix form of the gradient); the
reference, measured in the same run, is the same fit written with torch.optim and autograd
(``cubic_fit.fit_with_optim``). Prints best-of-5 times and their ratio; targets are compute at most
100 ms and compute plus render at most 300 ms on a 2-core CPU.
"""

import io

import matplotlib

matplotlib.use("Agg")

from _timing import best_of

from nncourse.lecture0 import cubic_fit, figures


def main() -> None:
    x, y = cubic_fit.sine_data()
    theta0 = cubic_fit.initial_coefficients(0)
    cubic_fit.fit_with_optim(x, y, theta0, steps=10)  # warm up torch.optim's first-call cost
    compute = best_of(lambda: cubic_fit.fit_by_hand(x, y, theta0, lr=5e-3, steps=2000))
    reference = best_of(lambda: cubic_fit.fit_with_optim(x, y, theta0, lr=5e-3, steps=2000))

    def render():
        figures.cubic_fit_figure(lr=5e-3, steps=2000).savefig(io.BytesIO(), format="png")

    total = best_of(render)
    print(f"compute (fit_by_hand, 2000 steps):     {compute * 1e3:7.1f} ms")
    print(f"reference (torch.optim + autograd):    {reference * 1e3:7.1f} ms")
    print(f"speed-up of the widget's compute:      {reference / compute:7.1f}x")
    print(f"compute + render to PNG:               {total * 1e3:7.1f} ms")
    print(f"render share of a redraw:              {(total - compute) / total:7.0%}")
    print(f"targets met (100 ms / 300 ms):         {compute < 0.1} / {total < 0.3}")


if __name__ == "__main__":
    main()
