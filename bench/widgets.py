"""Every interactive figure of the course: compute and redraw times against the targets.

Finds every app in :data:`nncourse.apps.REGISTRY` (the one place notebooks take their apps from;
``tests/test_apps.py`` checks that every notebook's app is registered) and times, at the default
and at each control's extremes, the compute (the figure function) and the redraw (compute plus
rendering to PNG, what a slider move costs in a live kernel: FigureApp.compute with one torch
thread, into the previous figure as a live redraw does). Targets: compute <= 100 ms and
redraw <= 300 ms on the course's 2-core CPU. Each time is the best of ``--repeat`` runs; both
wall-clock and CPU time (``time.process_time``, one thread) are printed: on a shared machine
the wall clock includes waiting for a core, the CPU time does not.

``--static`` also precomputes each app's book frames and prints their number, size and time
against the budget (nncourse.widgets.static: 2 MB per app, 4 MB per page).

    python bench/widgets.py [--static] [--repeat 3] [name ...]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")

from nncourse import apps
from nncourse.widgets import APP_BUDGET_BYTES
from nncourse.widgets.app import live_png

COMPUTE_TARGET = 0.100
REDRAW_TARGET = 0.300


def time_one(app, values: dict, repeat: int) -> tuple[float, float, float, float]:
    """Best (compute wall, compute CPU, redraw wall, redraw CPU) in seconds."""
    best = [float("inf")] * 4
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fig = app.compute(**values)
        mid_wall, mid_cpu = time.perf_counter(), time.process_time()
        live_png(fig)
        end_wall, end_cpu = time.perf_counter(), time.process_time()
        sample = (mid_wall - wall, mid_cpu - cpu, end_wall - wall, end_cpu - cpu)
        best = [min(b, s) for b, s in zip(best, sample, strict=True)]
    return tuple(best)


def points(app) -> list[tuple[str, dict]]:
    """The default, then each control at each of its extremes (others at their defaults)."""
    result = [("default", {})]
    for param in app.params:
        for value in param.extremes():
            if value != param.value:
                result.append((f"{param.name}={param.format(value)}", {param.name: value}))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="apps to time (default: all registered)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--static", action="store_true", help="also precompute the book frames")
    args = parser.parse_args()
    names = args.names or list(apps.REGISTRY)
    failures = []
    print(
        f"targets: compute <= {COMPUTE_TARGET * 1e3:.0f} ms, redraw <= {REDRAW_TARGET * 1e3:.0f} ms"
    )
    for name in names:
        app = apps.REGISTRY[name].build()
        print(f"\n{name}  ({len(app.params)} controls)")
        print(f"  {'point':<28} {'compute wall/cpu ms':>20} {'redraw wall/cpu ms':>20}")
        for label, values in points(app):
            cw, cc, rw, rc = time_one(app, values, args.repeat)
            ok = cc <= COMPUTE_TARGET and rc <= REDRAW_TARGET
            if not ok:
                failures.append(f"{name} at {label}")
            print(
                f"  {label:<28} {cw * 1e3:9.0f}/{cc * 1e3:<9.0f} {rw * 1e3:9.0f}/{rc * 1e3:<9.0f}"
                f" {'ok' if ok else 'OVER'}"
            )
        if args.static:
            wall, cpu = time.perf_counter(), time.process_time()
            frames = app.static_frames()
            print(
                f"  book frames: {len(frames.index)} combinations, {len(frames.frames)} distinct, "
                f"{frames.nbytes / 1e6:.2f} MB of {APP_BUDGET_BYTES / 1e6:.0f} MB, precomputed in "
                f"{time.perf_counter() - wall:.1f} s wall / {time.process_time() - cpu:.1f} s CPU"
            )
    print(f"\n{len(failures)} points over the targets (judged on CPU time)")
    for failure in failures:
        print(f"  {failure}")


if __name__ == "__main__":
    main()
