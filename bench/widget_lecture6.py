"""Lecture 6 widget (regularized decision boundary): time of one redraw, compute and render.

Each slider move retrains the toy MLP (``studies.moons.fit_toy_classifier``: 200 full-batch
AdamW steps on 60 points with nnlib's AdamW; target: compute under 100 ms). The reference,
measured in the same run, is the same loop with ``torch.optim.AdamW`` (foreach=False). Prints
best-of-3 times and the ratio; the widget redraws only when a slider is released.
"""

import io

import matplotlib

matplotlib.use("Agg")

import torch
import torch.nn.functional as F
from _timing import best_of

from nncourse.lecture6 import boundaries as moons
from nncourse.lecture6 import figures
from nnlib import models


def torch_reference(x, y, weight_decay=1e-3, dropout=0.2, steps=200):
    torch.manual_seed(0)
    model = models.mlp([2, 64, 64, 2], dropout=dropout)
    opt = torch.optim.AdamW(model.parameters(), lr=0.02, weight_decay=weight_decay, foreach=False)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def main() -> None:
    (x, y), _ = moons.toy_problem()
    torch_reference(x, y, steps=5)  # warm up torch.optim's first-call cost
    compute = best_of(lambda: moons.fit_toy_classifier(x, y, weight_decay=1e-3, dropout=0.2))
    reference = best_of(lambda: torch_reference(x, y))

    strengths = iter(1e-4 * 1.01**k for k in range(100))  # new values: the cache never answers

    def redraw():
        figures.boundary_figure(l2=next(strengths), dropout=0.2).savefig(io.BytesIO(), format="png")

    total = best_of(redraw)
    print(f"compute (nnlib AdamW, 200 steps):        {compute * 1e3:7.1f} ms")
    print(f"reference (torch.optim.AdamW):          {reference * 1e3:7.1f} ms")
    print(f"nnlib / torch time ratio:               {compute / reference:7.2f}")
    print(f"compute + render to PNG:                {total * 1e3:7.1f} ms")
    print(f"render share of a redraw:               {(total - compute) / total:7.0%}")
    print(f"compute target (100 ms) met:            {compute < 0.1}")


if __name__ == "__main__":
    main()
