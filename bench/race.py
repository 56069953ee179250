"""Lecture 5 race widget: six optimizers x 300 and x 1000 steps on Rosenbrock with
``nncourse.lecture5.race`` (nnlib's optimizer classes stepping the rows of one small tensor in
place, hand-written partial derivatives on numpy views of it), against the naive reference of a
separate torch.optim + autograd loop per optimizer, measured in the same run.
The widget's whole redraw is timed by ``bench/widgets.py``."""

import torch
from _timing import best_of

from nncourse.lecture5 import race_figures
from nncourse.lecture5.race import race
from nnlib import analytic_surfaces


def naive(surface, steps: int = 300) -> None:
    makers = {
        "SGD": lambda p: torch.optim.SGD(p, lr=1e-3),
        "momentum": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
        "Nesterov": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True),
        "Adagrad": lambda p: torch.optim.Adagrad(p, lr=0.3),
        "RMSprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
        "Adam": lambda p: torch.optim.Adam(p, lr=0.05),
    }
    for make in makers.values():
        x = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
        opt = make([x])
        for _ in range(steps):
            opt.zero_grad()
            surface.value(x).backward()
            opt.step()


def main() -> None:
    surface = analytic_surfaces.Rosenbrock()
    racers = race_figures.race_optimizers(1e-3)
    race(surface, racers, [-1.5, 2.0], 5)  # warm-up
    naive(surface, 5)
    for steps in (300, 1000):
        fast = best_of(lambda: race(surface, racers, [-1.5, 2.0], steps))  # noqa: B023
        slow = best_of(lambda: naive(surface, steps))  # noqa: B023
        print(f"6 optimizers x {steps} steps, race:                 {fast * 1e3:6.1f} ms")
        print(f"6 optimizers x {steps} steps, torch.optim+autograd: {slow * 1e3:6.1f} ms")
        print(f"speed-up: {slow / fast:.1f}x")


if __name__ == "__main__":
    main()
