"""What one text label costs when a figure is drawn, against a line of 1000 points drawn in the
same run.

Every live widget redraw draws dozens of labels (tick labels, axis labels, titles, legend
entries), so the cost of a label is a large part of a redraw. Run it under two matplotlib
versions to compare them (``requirements.txt`` says why the course pins 3.10): on the course's
2-core CPU a label cost 2.3 ms with matplotlib 3.11.2 and 0.7 ms with 3.10.9 (a 1000-point line
4.2 and 2.7: lines were slower too, by less).

    python bench/text_rendering.py
"""

import io
import time

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib.figure import Figure

LABELS = 40


def figure(labels: int, lines: int) -> Figure:
    fig = Figure(figsize=(9.2, 3.9), dpi=90)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    for i in range(labels):
        fig.text(0.02 + (i % 8) * 0.12, 0.05 + (i // 8) * 0.15, f"label {i * 0.37:.2f}")
    for k in range(lines):
        ax.plot(np.sin(np.linspace(0, 20, 1000) + k))
    return fig


def draw_cpu_seconds(make, repeat: int = 7) -> float:
    """Best CPU time of drawing a new figure from ``make`` to PNG."""
    best = float("inf")
    for _ in range(repeat):
        fig = make()
        start = time.process_time()
        fig.savefig(io.BytesIO(), format="png", dpi=90)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    empty = draw_cpu_seconds(lambda: figure(0, 0))
    text = (draw_cpu_seconds(lambda: figure(LABELS, 0)) - empty) / LABELS
    line = (draw_cpu_seconds(lambda: figure(0, 10)) - empty) / 10
    print(f"matplotlib {matplotlib.__version__}")
    print(f"one label:                {text * 1e3:6.2f} ms")
    print(f"one line of 1000 points:  {line * 1e3:6.2f} ms")
    print(f"a label costs {text / line:.1f} lines")


if __name__ == "__main__":
    main()
