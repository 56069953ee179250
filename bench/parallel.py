"""Six trainings of lecture 6's study: one after the other in this process (PyTorch's threads),
against ``nncourse.parallel.parallel_map`` (one forked worker per core, one thread each); best of
two repeats, speed-up printed, and whether the accuracies agree."""

import os

import torch
from _timing import best_of

from nncourse.lecture6.digits import DigitsStudy
from nncourse.parallel import default_workers, parallel_map


def main() -> None:
    study = DigitsStudy()
    seeds = range(6)

    def accuracy(seed: int) -> float:
        return study.accuracy(study.train(seed, validate=False)[0])

    accuracy(0)  # warm up this process (imports, first optimizer) before timing either way
    results = {}
    serial = best_of(lambda: results.__setitem__("serial", [accuracy(s) for s in seeds]), 2)
    side = best_of(lambda: results.__setitem__("parallel", parallel_map(accuracy, seeds)), 2)
    print(
        f"cores: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}, "
        f"workers: {default_workers()}, torch threads here: {torch.get_num_threads()}"
    )
    print(f"6 trainings one after the other: {serial:6.2f} s")
    print(f"6 trainings side by side:        {side:6.2f} s")
    print(f"speed-up: {serial / side:.2f}x")
    gap = max(abs(a - b) for a, b in zip(results["serial"], results["parallel"], strict=True))
    print(f"largest accuracy difference (threads vs one thread per worker): {gap:.4f}")


if __name__ == "__main__":
    main()
