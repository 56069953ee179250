"""Shared timing helper for the bench scripts (run them as ``python bench/<name>.py``)."""

import time


def best_of(fn, repeat: int = 3, number: int = 1, clock=time.perf_counter) -> float:
    """Best time of ``number`` calls of ``fn``, over ``repeat`` repetitions, per call: wall-clock
    by default, CPU time with ``clock=time.process_time`` (no waiting for a busy core)."""
    times = []
    for _ in range(repeat):
        start = clock()
        for _ in range(number):
            fn()
        times.append((clock() - start) / number)
    return min(times)
