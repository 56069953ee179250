"""Every interactive figure of the course, specified once.

Each app is a function, named for what it shows and grouped by concept (``apps.convexity.jensen``),
that returns a :class:`~nnlib.widgets.FigureApp`: a pure figure function from :mod:`nnlib.viz`,
its controls (:class:`~nnlib.widgets.Param`), and the grid the book precomputes. Notebooks
display ``apps.<concept>.<app>()``; the tests drive and the benchmark (``bench/widgets.py``) times
every app in :data:`REGISTRY`, so a notebook, its tests and its benchmark cannot disagree on a
widget's controls.

An app that shows a notebook's own results (``transfer.few_labels``) takes them as arguments;
its registry entry carries a small example of them for the tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from nnlib.widgets import FigureApp

__all__ = ["REGISTRY", "AppSpec", "all_apps", "register"]


@dataclass(frozen=True)
class AppSpec:
    """A registered app: ``make(**example())`` builds it."""

    name: str  # "<concept>.<app>", as notebooks call it: apps.<concept>.<app>(...)
    make: Callable[..., FigureApp]
    example: Callable[[], dict] = field(default=dict)

    def build(self) -> FigureApp:
        return self.make(**self.example())


REGISTRY: dict[str, AppSpec] = {}


def register(example: Callable[[], dict] | None = None):
    """Record an app function in :data:`REGISTRY` under ``<module>.<function>``."""

    def decorate(make):
        name = f"{make.__module__.rsplit('.', 1)[-1]}.{make.__name__}"
        REGISTRY[name] = AppSpec(name, make, example or dict)
        return make

    return decorate


def all_apps() -> Iterator[tuple[str, FigureApp]]:
    """(name, app) for every registered app, built with its example arguments."""
    for name, spec in REGISTRY.items():
        yield name, spec.build()


# Imported last: each module registers its apps.
from nnlib.apps import (  # noqa: E402
    basics,
    convexity,
    descent,
    init,
    nonconvex,
    optimizers,
    preprocessing,
    regularization,
    schedules,
    transfer,
)

__all__ += [
    "basics",
    "convexity",
    "descent",
    "init",
    "nonconvex",
    "optimizers",
    "preprocessing",
    "regularization",
    "schedules",
    "transfer",
]
