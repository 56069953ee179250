"""Seeding, device choice, timing, argument checks and divergence detection.

Foundation module: used by every lecture, imports nothing else from nnlib.
"""

from __future__ import annotations

import math
import os
import random
import time
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch

__all__ = [
    "DivergenceError",
    "Timer",
    "check_finite",
    "check_fraction",
    "check_positive",
    "check_positive_int",
    "format_bytes",
    "generator",
    "get_device",
    "manual_seed",
    "model_mode",
    "progress_bar",
    "replicated_seed",
    "replication",
    "seed_everything",
]

REPLICATION_VARIABLE = "NNLIB_REPLICATION"
REPLICATION_STRIDE = 1000


def progress_bar(iterable, *, progress: bool = True, **kwargs):
    """``tqdm.auto.tqdm(iterable)``, off when ``progress=False`` or ``TQDM_DISABLE`` is set.

    tqdm reads ``TQDM_DISABLE`` only as a default, so a caller passing ``disable=`` overrides it;
    this helper keeps the variable in force. The notebooks' stored outputs are made with it set,
    so the book shows no frozen bars.
    """
    from tqdm.auto import tqdm

    hidden = os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes")
    return tqdm(iterable, disable=hidden or not progress, leave=False, **kwargs)


def replication() -> int:
    """The replication the course runs as: the integer in ``NNLIB_REPLICATION`` (0 when unset).

    Replication 0 is the book as published. ``make replicate`` runs every notebook under 1 and 2,
    where every seed is shifted (:func:`replicated_seed`), so each finding is tested on new draws.
    """
    text = os.environ.get(REPLICATION_VARIABLE, "").strip() or "0"
    if not text.isdigit():
        raise ValueError(f"Invalid {REPLICATION_VARIABLE}: {text!r} (must be an integer >= 0)")
    return int(text)


def replicated_seed(seed: int) -> int:
    """``seed + 1000 r`` in replication ``r`` (:func:`replication`): the one place every seed of
    the course passes through, so that a replication changes every random draw at once."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"Invalid seed: {seed!r} (must be an integer in [0, 2**32))")
    return (int(seed) + REPLICATION_STRIDE * replication()) % 2**32


def generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` seeded with :func:`replicated_seed` ``(seed)``."""
    return torch.Generator(device=device).manual_seed(replicated_seed(seed))


def manual_seed(seed: int) -> int:
    """``torch.manual_seed(replicated_seed(seed))``: seeds torch's global generator (initial
    weights, dropout masks) for run ``seed``; returns ``seed``."""
    torch.manual_seed(replicated_seed(seed))
    return int(seed)


def seed_everything(seed: int) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and CUDA) with one integer.

    Every notebook calls this at the top so that its printed numbers repeat run after run. The
    generators get :func:`replicated_seed` ``(seed)``, so a replication shifts them too.
    Returns ``seed``, so ``seed = seed_everything(0)`` reads naturally.
    """
    shifted = replicated_seed(seed)
    random.seed(shifted)
    np.random.seed(shifted)
    torch.manual_seed(shifted)  # also seeds every CUDA device
    os.environ["PYTHONHASHSEED"] = str(shifted)
    return int(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """The device to compute on: CUDA when present, else the CPU.

    ``prefer="cpu"`` forces the CPU; ``prefer="cuda"`` insists on a GPU and raises if there is none.
    """
    if prefer not in (None, "cpu", "cuda"):
        raise ValueError(f"Invalid prefer: {prefer!r} (must be None, 'cpu' or 'cuda')")
    if prefer == "cuda" and not torch.cuda.is_available():
        raise ValueError("prefer='cuda' but no CUDA device is available")
    if prefer == "cpu":
        return torch.device("cpu")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Timer:
    """Wall-clock timer, used as a context manager.

    >>> with Timer() as t:
    ...     _ = sum(range(1000))
    >>> t.seconds >= 0
    True
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start: float | None = None

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start

    def __repr__(self) -> str:
        return f"Timer(seconds={self.seconds:.4f})"


class DivergenceError(ArithmeticError):
    """A run produced a non-finite or exploding value. Carries the step and the value."""

    def __init__(self, step: int, value: float, what: str = "loss") -> None:
        self.step = step
        self.value = value
        self.what = what
        super().__init__(f"diverged at step {step}: {what} = {value:.4g}")


def check_finite(value: float, step: int, what: str = "loss", limit: float = 1e12) -> float:
    """Return ``value`` if it is finite and below ``limit`` in size, else raise DivergenceError."""
    value = float(value)
    if not math.isfinite(value) or abs(value) > limit:
        raise DivergenceError(step, value, what)
    return value


def format_bytes(n: float) -> str:
    """A byte count in binary units: 1536 -> '1.5 KiB'."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    for unit in units:
        if abs(n) < 1024 or unit == units[-1]:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def check_positive(name: str, value: Real, *, allow_zero: bool = False) -> float:
    """Validate a real hyperparameter that must be > 0 (or >= 0); the error names ``name``."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Invalid {name}: {value!r} (must be a finite number {bound})")
    return float(value)


def check_positive_int(name: str, value: Integral) -> int:
    """Validate an integer that must be >= 1; the error names ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r} (must be a positive integer)")
    return int(value)


def check_fraction(name: str, value: Real, *, closed: bool = False) -> float:
    """Validate a probability-like number in [0, 1) (or [0, 1] when ``closed``)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    upper_ok = ok and (value <= 1 if closed else value < 1)
    if not ok or value < 0 or not upper_ok:
        interval = "[0, 1]" if closed else "[0, 1)"
        raise ValueError(f"Invalid {name}: {value!r} (must be in {interval})")
    return float(value)


@contextmanager
def model_mode(model: torch.nn.Module, training: bool):
    """Run the block with ``model.train(training)``, then give the model back the mode it had,
    also when the block raises. ``with model_mode(model, False): ...`` evaluates without the risk
    of leaving a network in eval mode for the next training step."""
    was_training = model.training
    model.train(training)
    try:
        yield model
    finally:
        model.train(was_training)
