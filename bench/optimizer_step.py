"""Step time of each nnlib optimizer against its torch.optim counterpart (foreach off, and torch's
default) on an MLP of about 1M parameters; ratios printed (target: at most 1.5x torch with
foreach off)."""

import time

import torch

from nnlib import models, optim

NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam"]


def step_time(make, model, repeat: int = 5, number: int = 20) -> float:
    opt = make(model.parameters())
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt.step()  # create the state
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            opt.step()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main() -> None:
    torch.manual_seed(0)
    model = models.mlp([784, 1000, 200, 10])
    n = sum(p.numel() for p in model.parameters())
    print(f"MLP with {n:,} parameters; time per step in ms (best of 5 x 20)")
    print("optimizer |   nnlib | torch foreach=False | torch default | ratio (foreach off)")
    for name in NAMES:
        kwargs = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {}
        ours_cls, torch_cls = getattr(optim, name), getattr(torch.optim, name)
        ours = step_time(lambda p, c=ours_cls, k=kwargs: c(p, **k), model)
        plain = step_time(lambda p, c=torch_cls, k=kwargs: c(p, foreach=False, **k), model)
        default = step_time(lambda p, c=torch_cls, k=kwargs: c(p, **k), model)
        times = f"{ours * 1e3:7.2f} | {plain * 1e3:19.2f} | {default * 1e3:13.2f}"
        print(f"{name:<9} | {times} | {ours / plain:.2f}")


if __name__ == "__main__":
    main()
