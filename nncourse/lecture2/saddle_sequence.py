"""SGD through a sequence of saddles: a two-layer linear network from a small start (lecture 2).

The network maps x to W2 W1 x and learns a target map T = U diag(s) V^T (s_1 > s_2 > ...) from
examples x ~ N(0, I), y = T x, by SGD on minibatches. With E[x x^T] = I the loss on the whole
distribution is f = 1/2 ||W2 W1 - T||_F^2. From a small start the network learns the modes of T one
at a time: near W = 0 it sits at a saddle, and after learning modes 1..i it sits near the next one,
where f = 1/2 sum_{j > i} s_j^2 and, with a spare hidden unit, the Hessian has the eigenvalue
-s_{i+1} (the scalar case f = 1/2 (s - a b)^2 at a = b = 0 has the eigenvalues +-s).

All seeds run at once; the gradients are written out (no autograd), the Hessians at the plateaus
come from :func:`torch.autograd.functional.hessian` on f.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nnlib import utils

__all__ = [
    "SaddleSequence",
    "hessian_min_eigenvalue",
    "levels",
    "plateau_eigenvalues",
    "plateau_steps",
    "run",
    "target",
]


def target(strengths=(4.0, 2.0, 1.0), seed: int = 0) -> torch.Tensor:
    """T = U diag(strengths) V^T with random orthogonal U, V (float64, square)."""
    n = len(strengths)
    generator = utils.generator(seed)
    u, _ = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    return u @ torch.diag(torch.tensor(strengths, dtype=torch.float64)) @ v.T


@dataclass
class SaddleSequence:
    """Per step (rows) and seed (columns): the loss f and the norm of its gradient; and the
    weights (W1, W2) of every seed at every step, to evaluate the Hessian where wanted."""

    loss: torch.Tensor
    grad_norm: torch.Tensor
    w1: torch.Tensor  # steps x seeds x hidden x n
    w2: torch.Tensor  # steps x seeds x n x hidden


def _population(T, w1, w2):
    residual = w2 @ w1 - T
    loss = 0.5 * residual.pow(2).sum((-2, -1))
    g1, g2 = w2.transpose(-2, -1) @ residual, residual @ w1.transpose(-2, -1)
    return loss, (g1.pow(2).sum((-2, -1)) + g2.pow(2).sum((-2, -1))).sqrt()


def run(
    T: torch.Tensor,
    seeds=range(5),
    hidden: int = 4,
    init: float = 1e-3,
    lr: float = 0.05,
    batch_size: int = 8,
    steps: int = 600,
) -> SaddleSequence:
    """SGD on 1/(2B) ||(W2 W1 - T) X||^2 over minibatches X of B examples, one run per seed."""
    utils.check_positive("init", init)
    seeds = list(seeds)
    n = T.shape[0]
    generators = [utils.generator(s) for s in seeds]

    def draw(*shape):
        return torch.stack(
            [torch.randn(*shape, generator=g, dtype=torch.float64) for g in generators]
        )

    w1, w2 = init * draw(hidden, n), init * draw(n, hidden)
    w1s, w2s = torch.empty(steps + 1, *w1.shape, dtype=torch.float64), None
    w2s = torch.empty(steps + 1, *w2.shape, dtype=torch.float64)
    for t in range(steps + 1):
        w1s[t], w2s[t] = w1, w2
        if t == steps:
            break
        x = draw(n, batch_size)
        residual = (w2 @ w1 - T) @ x @ x.transpose(-2, -1) / batch_size
        w1, w2 = (
            w1 - lr * w2.transpose(-2, -1) @ residual,
            w2 - lr * residual @ w1.transpose(-2, -1),
        )
    loss, grad_norm = _population(T, w1s, w2s)
    return SaddleSequence(loss, grad_norm, w1s, w2s)


def hessian_min_eigenvalue(T: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor) -> float:
    """The smallest eigenvalue of the Hessian of f = 1/2 ||W2 W1 - T||^2 at (W1, W2)."""

    def f(a, b):
        return 0.5 * (b @ a - T).pow(2).sum()

    blocks = torch.autograd.functional.hessian(f, (w1, w2))
    sizes = (w1.numel(), w2.numel())
    H = torch.cat(
        [
            torch.cat([blocks[i][j].reshape(sizes[i], sizes[j]) for j in range(2)], 1)
            for i in range(2)
        ]
    )
    return torch.linalg.eigvalsh(H).min().item()


def levels(strengths) -> list[float]:
    """The loss at the saddle after modes 1..i are learned: 1/2 sum_{j > i} s_j^2, i = 0, 1, ..."""
    s = [float(v) ** 2 for v in strengths]
    return [0.5 * sum(s[i:]) for i in range(len(s) + 1)]


def plateau_steps(run: SaddleSequence, strengths) -> torch.Tensor:
    """For each seed, the step of plateau i = 1 .. len(strengths) - 1: where the gradient norm is
    smallest between the loss's fall below the geometric mean of levels i - 1 and i and its fall
    below that of levels i and i + 1 (the last level, 0, counted as levels[-2] / 100)."""
    level = levels(strengths)
    level[-1] = level[-2] / 100
    gates = [(level[i] * level[i + 1]) ** 0.5 for i in range(len(level) - 1)]
    steps = torch.empty(len(strengths) - 1, run.loss.shape[1], dtype=torch.long)
    for seed in range(run.loss.shape[1]):
        below = [int((run.loss[:, seed] < g).double().argmax()) for g in gates]
        for i in range(1, len(gates)):
            window = run.grad_norm[below[i - 1] : below[i], seed]
            steps[i - 1, seed] = below[i - 1] + int(window.argmin())
    return steps


def plateau_eigenvalues(T: torch.Tensor, run: SaddleSequence, steps: torch.Tensor) -> torch.Tensor:
    """The Hessian's smallest eigenvalue at ``steps`` (plateaus x seeds, as
    :func:`plateau_steps` gives them), in the same layout."""
    return torch.tensor(
        [
            [
                hessian_min_eigenvalue(T, run.w1[k, seed], run.w2[k, seed])
                for seed, k in enumerate(row.tolist())
            ]
            for row in steps
        ]
    )
