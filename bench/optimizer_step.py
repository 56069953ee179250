"""Step time of each nnlib optimizer against its torch.optim counterpart (foreach off, and torch's
default) on an MLP of about 1M parameters, every option with its own code path (momentum,
Nesterov, centered, amsgrad, ...); ratios printed (target: at most 1.1x torch with foreach off;
``bench/check.py`` fails above 1.5x)."""

import time

import torch

from nnlib import models, optim

# label: (nnlib class, torch.optim class, keyword arguments); GradientDescent and VelocityMomentum
# are torch's SGD without and with momentum under other names
CASES = {
    "SGD": ("SGD", "SGD", {"lr": 0.01}),
    "SGD momentum": ("SGD", "SGD", {"lr": 0.01, "momentum": 0.9}),
    "SGD Nesterov": ("SGD", "SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "SGD wd, dampening": (
        "SGD",
        "SGD",
        {"lr": 0.01, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-4},
    ),
    "GradientDescent": ("GradientDescent", "SGD", {"lr": 0.01}),
    "VelocityMomentum": ("VelocityMomentum", "SGD", {"lr": 0.01, "momentum": 0.9}),
    "Adagrad": ("Adagrad", "Adagrad", {}),
    "RMSprop": ("RMSprop", "RMSprop", {}),
    "RMSprop centered": ("RMSprop", "RMSprop", {"centered": True, "momentum": 0.9}),
    "Adadelta": ("Adadelta", "Adadelta", {}),
    "Adam": ("Adam", "Adam", {}),
    "Adam amsgrad": ("Adam", "Adam", {"amsgrad": True}),
    "Adam L2": ("Adam", "Adam", {"weight_decay": 1e-4}),
    "AdamW": ("AdamW", "AdamW", {}),
    "Adamax": ("Adamax", "Adamax", {}),
    "NAdam": ("NAdam", "NAdam", {}),
    "NAdam decoupled": ("NAdam", "NAdam", {"weight_decay": 1e-2, "decoupled_weight_decay": True}),
}


def step_time(make, model, repeat: int = 5, number: int = 20, clock=time.perf_counter) -> float:
    opt = make(model.parameters())
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    opt.step()  # create the state
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        for _ in range(number):
            opt.step()
        best = min(best, (clock() - start) / number)
    return best


def makers(label: str):
    """(nnlib's, torch's with foreach=False, torch's default) optimizer factories for ``label``."""
    ours, theirs, kwargs = CASES[label]
    return (
        lambda p: getattr(optim, ours)(p, **kwargs),
        lambda p: getattr(torch.optim, theirs)(p, foreach=False, **kwargs),
        lambda p: getattr(torch.optim, theirs)(p, **kwargs),
    )


def step_times(
    label: str, model, rounds: int = 5, number: int = 20, clock=time.perf_counter
) -> list[float]:
    """Best step time of each of ``makers(label)``, measured in turns (``rounds`` rounds of
    ``number`` steps each), so a busy spell on a shared machine slows all of them."""
    best = [float("inf")] * 3
    for _ in range(rounds):
        for k, make in enumerate(makers(label)):
            best[k] = min(best[k], step_time(make, model, 1, number, clock))
    return best


def model_of_1m_parameters():
    torch.manual_seed(0)
    return models.mlp([784, 1000, 200, 10])


def main() -> None:
    model = model_of_1m_parameters()
    n = sum(p.numel() for p in model.parameters())
    print(f"MLP with {n:,} parameters; time per step in ms (best of 5 x 20)")
    print("optimizer         |   nnlib | torch foreach=False | torch default | ratio (foreach off)")
    for label in CASES:
        ours, plain, default = step_times(label, model)
        times = f"{ours * 1e3:7.2f} | {plain * 1e3:19.2f} | {default * 1e3:13.2f}"
        print(f"{label:<17} | {times} | {ours / plain:.2f}")


if __name__ == "__main__":
    main()
