"""Lecture 4's learning-rate sweep: S networks trained one after another against the same S
networks stacked in one ``studies.normalization.StackedModels`` (``torch.func.vmap``).

Times 20 SGD steps (batch 100) of the 8-layer BN MLP for S = 5 and S = 35 (the notebook's 7 rates x
5 seeds) and prints the ratio sequential / stacked.
"""

import torch
from _timing import best_of
from torch import nn

from nncourse.lecture4 import normalization as study
from nnlib import models, train

STEPS = 20


def main() -> None:
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(100, 40, generator=g), torch.randint(0, 10, (100,), generator=g)
    for n_models in (5, 35):
        nets = []
        for seed in range(n_models):
            torch.manual_seed(seed)
            nets.append(study.deep_relu_mlp(True))
        optimizers = [torch.optim.SGD(n.parameters(), lr=0.1, momentum=0.9) for n in nets]

        def sequential(nets=nets, optimizers=optimizers):
            for net, opt in zip(nets, optimizers, strict=True):
                for _ in range(STEPS):
                    opt.zero_grad()
                    nn.functional.cross_entropy(net(x), y).backward()
                    opt.step()

        stack = models.StackedModels(lambda: study.deep_relu_mlp(True), range(n_models))
        optimizer = torch.optim.SGD(stack.parameters(), lr=0.1, momentum=0.9)

        def stacked(stack=stack, optimizer=optimizer):
            train.fit_batched(stack, optimizer, [(x, y)] * STEPS, 1, progress=False)

        t_seq, t_stack = best_of(sequential), best_of(stacked)
        print(
            f"S = {n_models:>2}: sequential {t_seq * 1e3:7.1f} ms, stacked {t_stack * 1e3:7.1f} ms "
            f"for {STEPS} steps; ratio sequential / stacked = {t_seq / t_stack:.2f}"
        )


if __name__ == "__main__":
    main()
