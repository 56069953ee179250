"""Linear probes at every block of a frozen network (lecture 7): which layer's codes transfer.

A *probe* is a linear classifier trained on the frozen network's codes at one block (the cut);
its test accuracy measures how much of what the target task needs those codes make linearly
available (Yosinski et al. 2014 ask the same question by copying the first n layers).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nnlib.transfer.finetune import few_shot_subset, linear_probe

__all__ = ["best_cut", "probe_layers"]


def probe_layers(
    pretrained: nn.Module,
    train_xy: tuple[torch.Tensor, torch.Tensor],
    test_xy: tuple[torch.Tensor, torch.Tensor],
    cuts: Sequence[str | None] = (None, "conv1", "conv2", "conv3", "fc"),
    k: int = 10,
    seeds: Sequence[int] = (0, 1, 2),
    cache: dict | None = None,
) -> dict[str | None, torch.Tensor]:
    """Test accuracy of a linear probe at each cut (``None``: the raw pixels), one per seed;
    seed ``s`` draws the same ``k``-shot subset for every cut (a paired comparison)."""
    cache = {} if cache is None else cache
    subsets = {seed: few_shot_subset(*train_xy, k, seed=seed) for seed in seeds}
    return {
        cut: torch.tensor(
            [linear_probe(pretrained, subsets[s], test_xy, cut, seed=s, cache=cache) for s in seeds]
        )
        for cut in cuts
    }


def best_cut(probes: dict[str | None, torch.Tensor]) -> str | None:
    """The cut whose probes have the highest mean accuracy (the first one on a tie)."""
    return max(probes, key=lambda cut: probes[cut].mean().item())
