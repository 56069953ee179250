"""The device path (issue 19): training, batched seeds, curvature and a loss slice on CUDA
against the CPU, each printed as a speed-up; where no GPU exists it says so and checks the path
with ``device="cpu"`` given explicitly.

Run as ``python bench/gpu_path.py`` (not ``cuda.py``: a script of that name in bench/ would
shadow the ``cuda`` package that torch imports).
"""

import torch
from _timing import best_of
from torch import nn

from nnlib import curvature, data, loss_slices, models, optim, train


def workloads(device):
    """name -> a function running one workload on ``device`` (models built fresh each time)."""
    torch.manual_seed(0)
    x, y = torch.randn(4096, 40), torch.randint(0, 10, (4096,))
    batches = data.TensorBatches(x, y, 256, seed=0)
    ce = nn.functional.cross_entropy

    def fit():
        model = models.mlp([40, 512, 512, 10])
        train.fit_steps(model, optim.Adam(model.parameters()), batches, 50, device=device)

    def seeds():
        many = models.stacked_mlp([40, 256, 10], n_models=64)
        train.fit_batched(
            many, optim.Adam(many.parameters()), batches, 2, progress=False, device=device
        )

    def eigen():
        model = models.mlp([40, 256, 10])
        curvature.top_eigenvalues(model, ce, x, y, k=3, steps=30, device=device)

    def plane():
        model = models.mlp([40, 256, 10])
        d1, d2 = loss_slices.random_direction(model, 1), loss_slices.random_direction(model, 2)
        grid = torch.linspace(-1, 1, 21)
        loss_slices.plane_losses(model, ce, x, y, d1, d2, grid, grid, device=device)

    return {
        "fit (50 steps)": fit,
        "64 seeds": seeds,
        "top eigenvalues": eigen,
        "21x21 slice": plane,
    }


def main() -> None:
    cpu = {name: best_of(run, repeat=2) for name, run in workloads("cpu").items()}
    if not torch.cuda.is_available():
        print("no CUDA device here: the device path ran on the CPU, given explicitly")
        for name, seconds in cpu.items():
            print(f"{name:<16} cpu {seconds:7.3f} s")
        return
    gpu_runs = workloads("cuda")
    for run in gpu_runs.values():  # warm up kernels and the allocator
        run()
    torch.cuda.synchronize()

    def timed(run):
        def call():
            run()
            torch.cuda.synchronize()

        return best_of(call, repeat=3)

    print(f"CUDA device: {torch.cuda.get_device_name()} (last column: speed-up, cpu / cuda)")
    for name, run in gpu_runs.items():
        seconds = timed(run)
        speed_up = cpu[name] / seconds
        print(f"{name:<16} cpu {cpu[name]:7.3f} s  cuda {seconds:7.3f} s  x{speed_up:6.1f}")


if __name__ == "__main__":
    main()
