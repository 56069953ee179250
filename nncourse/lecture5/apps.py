"""Lecture 5: the optimizer race on 2-D surfaces, the learning-rate schedules, and a walk along
the top Hessian eigenvector of a sharp and a flat solution."""

import torch

from nncourse.apps import register
from nncourse.lecture5 import race_figures, schedule_figures
from nncourse.widgets import FigureApp, Param

__all__ = ["SCHEDULES", "eigen_walk", "race", "schedules"]


# The schedules schedule_figures.schedule_figure draws (keep in step with its table).
SCHEDULES = [
    "step",
    "exponential",
    "1/t",
    "cosine",
    "warm restarts",
    "cyclic",
    "one-cycle",
    "warm-up then cosine",
]


def _racer(name: str, key: str, extra: list[Param]) -> list[Param]:
    """The switch, the learning-rate multiplier and the decay rates of one racer."""
    return [
        Param(key, "bool", True, label="race", group=name),
        Param(f"{key}_lr", "log", 1.0, min=0.1, max=10.0, label="lr ×", group=name),
        *extra,
    ]


def _rate(name: str, key: str, label: str, value: float, low: float, high: float) -> Param:
    return Param(key, "float", value, min=low, max=high, step=0.01, label=label, group=name)


@register()
def race() -> FigureApp:
    """Choose the racers, each one's learning rate (a multiple of its base rate, printed in the
    legend) and momentum or decay rates, the surface, the start, the number of steps, and the
    size of the gradient noise."""
    params = [
        Param("surface", "choice", "rosenbrock", options=list(race_figures.RACE_SURFACES)),
        # Up to 500 steps: a redraw steps six racers through their classes, and at 500 steps
        # the whole compute (race and figure) measured 48 to 65 ms on the course's CPU over
        # every surface, with and without noise, against the 100 ms target (bench/widgets.py).
        Param("steps", "int", 300, min=10, max=500, step=10),
        Param("noise", "float", 0.0, min=0.0, max=0.2, step=0.01, label="gradient noise"),
        Param("start_dx", "float", 0.0, min=-0.5, max=0.5, step=0.05, label="start Δx₁"),
        Param("start_dy", "float", 0.0, min=-0.5, max=0.5, step=0.05, label="start Δx₂"),
        *_racer("SGD", "sgd", []),
        *_racer("momentum", "momentum", [_rate("momentum", "momentum_beta", "β", 0.9, 0, 0.99)]),
        *_racer("Nesterov", "nesterov", [_rate("Nesterov", "nesterov_beta", "β", 0.9, 0.05, 0.99)]),
        *_racer("Adagrad", "adagrad", []),
        *_racer("RMSprop", "rmsprop", [_rate("RMSprop", "rmsprop_alpha", "α", 0.99, 0, 0.999)]),
        *_racer(
            "Adam",
            "adam",
            [
                _rate("Adam", "adam_beta1", "β₁", 0.9, 0.0, 0.99),
                _rate("Adam", "adam_beta2", "β₂", 0.999, 0.5, 0.999),
            ],
        ),
    ]
    # The book: every surface, with and without gradient noise, at the default racers; the
    # per-racer settings, start and steps are for the live notebook (each would multiply the
    # number of frames).
    fixed_in_book = [p.name for p in params if p.name not in ("surface", "noise")]
    return FigureApp(
        race_figures.race_figure,
        params,
        static={"noise": [0.0, 0.02, 0.1], **dict.fromkeys(fixed_in_book, 1)},
        title="optimizers racing on a 2-D surface",
    )


@register()
def schedules() -> FigureApp:
    """One learning-rate schedule over a chosen number of steps."""
    return FigureApp(
        schedule_figures.schedule_figure,
        [
            Param("schedule", "choice", "cosine", options=SCHEDULES),
            Param("steps", "int", 100, min=10, max=1000, step=10, continuous_update=True),
        ],
        static={"steps": [10, 50, 100, 500, 1000]},
        title="learning-rate schedules",
    )


def _walk_example() -> dict:
    """Two made-up loss profiles of the shape the lecture 5c notebook measures."""
    t = torch.linspace(-3.0, 3.0, 25)
    return {
        "profiles": {
            "flat": {"t": t, "loss": 0.01 + 0.15 * t**2, "lam": 0.3},
            "sharp": {"t": t, "loss": 0.01 + 0.25 * t**2 + 0.02 * t**4, "lam": 0.5},
        }
    }


@register(example=_walk_example)
def eigen_walk(profiles: dict) -> FigureApp:
    """Move a point t along each solution's top Hessian eigenvector and compare the losses;
    ``profiles[name]`` holds ``t``, ``loss`` and ``lam`` (all on the same grid of t)."""
    t = next(iter(profiles.values()))["t"]
    low, high = float(t[0]), float(t[-1])
    return FigureApp(
        schedule_figures.eigen_walk_figure,
        [Param("offset", "float", 0.0, min=low, max=high, step=0.25, label="step t along v")],
        static={"offset": [low + (high - low) * k / 8 for k in range(9)]},
        title="walking along the top Hessian eigenvector",
        profiles=profiles,
    )
