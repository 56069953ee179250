"""Shared timing helper for the bench scripts (run them as ``python bench/<name>.py``)."""

import time


def best_of(fn, repeat: int = 3, number: int = 1) -> float:
    """Best wall-clock time of ``number`` calls of ``fn``, over ``repeat`` repetitions, per call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)
