"""Every interactive figure of the course, specified once.

Each app is a function in its lecture's ``apps`` module (``nncourse.lecture1.apps.jensen``), named
for what it shows, that returns a :class:`~nncourse.widgets.FigureApp`: a pure figure function from
the lecture's figure module, its controls (:class:`~nncourse.widgets.Param`), and the grid the book
precomputes. Notebooks display ``apps.<app>()`` after ``from nncourse.lectureN import apps``; the
registry names it ``lectureN.<app>``. The tests drive and the benchmark (``bench/widgets.py``) times
every app in :data:`REGISTRY`, so a notebook, its tests and its benchmark cannot disagree on a
widget's controls.

An app that shows a notebook's own results (``lecture7.few_labels``) takes them as arguments;
its registry entry carries a small example of them for the tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from nncourse.widgets import FigureApp

__all__ = ["REGISTRY", "AppSpec", "all_apps", "register"]


@dataclass(frozen=True)
class AppSpec:
    """A registered app: ``make(**example())`` builds it."""

    name: str  # "<lecture>.<app>": notebooks call nncourse.<lecture>.apps.<app>(...)
    make: Callable[..., FigureApp]
    example: Callable[[], dict] = field(default=dict)

    def build(self) -> FigureApp:
        return self.make(**self.example())


REGISTRY: dict[str, AppSpec] = {}


def register(example: Callable[[], dict] | None = None):
    """Record an app function in :data:`REGISTRY` under ``<lecture>.<function>``, for example
    ``lecture1.jensen`` for ``nncourse.lecture1.apps.jensen``."""

    def decorate(make):
        name = f"{make.__module__.split('.')[1]}.{make.__name__}"
        REGISTRY[name] = AppSpec(name, make, example or dict)
        return make

    return decorate


def all_apps() -> Iterator[tuple[str, FigureApp]]:
    """(name, app) for every registered app, built with its example arguments."""
    for name, spec in REGISTRY.items():
        yield name, spec.build()


# Imported last: each lecture's apps module registers its apps.
from nncourse.lecture0 import apps as _lecture0  # noqa: E402, F401
from nncourse.lecture1 import apps as _lecture1  # noqa: E402, F401
from nncourse.lecture2 import apps as _lecture2  # noqa: E402, F401
from nncourse.lecture3 import apps as _lecture3  # noqa: E402, F401
from nncourse.lecture4 import apps as _lecture4  # noqa: E402, F401
from nncourse.lecture5 import apps as _lecture5  # noqa: E402, F401
from nncourse.lecture6 import apps as _lecture6  # noqa: E402, F401
from nncourse.lecture7 import apps as _lecture7  # noqa: E402, F401
