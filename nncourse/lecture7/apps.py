"""Lecture 7: accuracy against the number of labels per class, per transfer method."""

import torch

from nncourse.apps import register
from nncourse.lecture7 import figures
from nncourse.widgets import FigureApp, Param

__all__ = ["distillation_temperature", "few_labels"]


def _example() -> dict:
    """A small made-up results table of the shape ``transfer.compare_methods`` returns."""
    ks = (1, 5, None)
    methods = {"scratch": 0.5, "linear probe": 0.7, "fine-tune": 0.8}
    table = {
        (method, k): torch.tensor(
            [base * (1 - 0.3 / (1 + (k or 100))) + 0.01 * s for s in range(3)]
        )
        for method, base in methods.items()
        for k in ks
    }
    return {
        "results": {"digits": table, "inverted digits": {key: v - 0.1 for key, v in table.items()}}
    }


@register(example=_example)
def few_labels(results: dict, n_all: int = 126) -> FigureApp:
    """Test accuracy against labels per class for each method, on a chosen target task;
    ``results[task][(method, k)]`` as ``transfer.compare_methods`` returns it, with "all labels"
    drawn at ``n_all`` labels per class."""
    ks = list(dict.fromkeys(k for table in results.values() for _, k in table))
    names = ", ".join("all" if k is None else str(k) for k in ks)
    return FigureApp(
        figures.few_labels_figure,
        [
            Param("task", "choice", next(iter(results)), options=list(results)),
            Param("k_index", "int", 0, min=0, max=len(ks) - 1, label=f"k: {names}"),
        ],
        static={"k_index": list(range(len(ks)))},
        title="accuracy against labels per class",
        results=results,
        n_all=n_all,
    )


def _temperature_example() -> dict:
    """Made-up logits of a confident teacher and an untrained student for one image."""
    return {
        "teacher_logits": torch.tensor([1.0, 0.5, 7.0, 2.0, -1.0, 0.0, 0.5, 3.0, 1.5, -0.5]),
        "student_logits": torch.zeros(10),
    }


@register(example=_temperature_example)
def distillation_temperature(teacher_logits, student_logits) -> FigureApp:
    """The teacher's soft targets and the distillation gradient's size as the temperature
    T moves (``figures.temperature_figure``)."""
    return FigureApp(
        figures.temperature_figure,
        [Param("temperature", "log", 4.0, min=1.0, max=20.0, label="temperature T")],
        static={"temperature": [1.0, 2.0, 4.0, 8.0, 16.0]},
        title="distillation temperature",
        teacher_logits=teacher_logits,
        student_logits=student_logits,
    )
