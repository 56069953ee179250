"""Lecture 2 benchmarks, each printed as a ratio against a reference measured in the same run.

1. A 41 x 41 filter-normalised slice of a 10k-parameter MLP (40-200-10) over 1000 samples:
   ``plane_losses`` (first layer by linearity) against the plain loop of forward passes, and the
   FLOP rate of both against this machine's float32 matmul rate (target: 2x the loop).
2. The top Hessian eigenvalue by Lanczos against dense ``eigvalsh`` where dense is feasible.
3. 20 seeds of a width-32 MLP on MNIST-1D, 5 epochs: one batched model against 20 sequential runs
   (target: at least 4x).
"""

import torch
from _timing import best_of
from torch import nn

from nnlib import curvature, data, loss_slices, models, train


def matmul_rate() -> float:
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    return 2 * 1024**3 / best_of(lambda: a @ b, repeat=5)


def slice_paths():
    """The 41 x 41 slice by the fast path and by the plain loop, as two functions to time."""
    torch.manual_seed(0)
    model = models.mlp([40, 200, 10])
    x, y = torch.randn(1000, 40), torch.randint(0, 10, (1000,))
    loss_fn = nn.CrossEntropyLoss()
    d1, d2 = loss_slices.random_direction(model, 1), loss_slices.random_direction(model, 2)
    grid = torch.linspace(-1, 1, 41)
    return (
        lambda: loss_slices.plane_losses(model, loss_fn, x, y, d1, d2, grid, grid),
        lambda: loss_slices.plane_losses(model, loss_fn, x, y, d1, d2, grid, grid, fast=False),
    )


def slice_bench() -> None:
    fast_path, plain_loop = slice_paths()
    fast, loop = best_of(fast_path), best_of(plain_loop)
    flops = 41 * 41 * 2 * 1000 * (40 * 200 + 200 * 10)  # forward-pass matmul FLOPs of the loop
    peak = matmul_rate()
    effective = flops / fast / peak
    print(
        f"slice 41x41, fast path:       {fast:6.3f} s  ({effective:5.0%} of matmul rate, effective)"
    )
    print(
        f"slice 41x41, plain loop:      {loop:6.3f} s  ({flops / loop / peak:5.0%} of matmul rate)"
    )
    print(f"speed-up of the fast path:    {loop / fast:6.2f}x  (target 2x)")
    print(f"float32 matmul rate measured: {peak / 1e9:6.0f} GFLOP/s")


def eigen_bench() -> None:
    torch.manual_seed(0)
    model = models.mlp([20, 30, 10], activation="tanh")  # 940 parameters: dense is feasible
    x, y = torch.randn(500, 20), torch.randint(0, 10, (500,))
    loss_fn = nn.CrossEntropyLoss()
    lanczos = best_of(lambda: curvature.top_eigenvalues(model, loss_fn, x, y, k=1, steps=30))
    dense = best_of(
        lambda: torch.linalg.eigvalsh(
            curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
        ),
        1,
    )
    top = curvature.top_eigenvalues(model, loss_fn, x, y, k=1, steps=30).item()
    exact = torch.linalg.eigvalsh(
        curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
    )[-1].item()
    print(
        f"top eigenvalue: Lanczos (30 HVPs) {lanczos:6.3f} s, dense + eigvalsh {dense:6.3f} s,"
        f" ratio {dense / lanczos:5.1f}x, relative error {abs(top - exact) / exact:.1e}"
    )


def batched_bench() -> None:
    digits = data.mnist1d()
    loader = data.make_loader(digits.train, 100, seed=0)
    torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1).step()  # warm-up of torch.optim

    def together():
        many = models.stacked_mlp([40, 32, 32, 10], n_models=20, seed=0)
        train.fit_batched(
            many, torch.optim.SGD(many.parameters(), lr=0.1), loader, 5, progress=False
        )

    def one_by_one():
        for seed in range(20):
            torch.manual_seed(seed)
            net = models.mlp([40, 32, 32, 10])
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            for _ in range(5):
                for xb, yb in loader:
                    opt.zero_grad()
                    nn.functional.cross_entropy(net(xb), yb).backward()
                    opt.step()

    fast, slow = best_of(together, 2), best_of(one_by_one, 1)
    print(f"20 seeds x 5 epochs: batched {fast:5.2f} s, sequential {slow:5.2f} s")
    print(f"speed-up of batching: {slow / fast:4.1f}x (target 4x)")


if __name__ == "__main__":
    slice_bench()
    eigen_bench()
    batched_bench()
