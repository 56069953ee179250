"""nnlib BatchNorm1d forward + backward against torch.nn.BatchNorm1d on a (256, 1024) input, in
training mode; best of several repeats, ratio printed (nnlib's is plain tensor code, torch's a
fused kernel)."""

import time

import torch
from _timing import best_of
from torch import nn

from nnlib import norm


def layers_and_input():
    """nnlib's and torch's BatchNorm1d(1024) and a (256, 1024) input that requires grad."""
    x = torch.randn(256, 1024, requires_grad=True)
    return {"nnlib": norm.BatchNorm1d(1024), "torch": nn.BatchNorm1d(1024)}, x


def forward_backward_time(layer, x, repeat: int = 5, number: int = 50, clock=time.perf_counter):
    def step():
        layer(x).sum().backward()

    return best_of(step, repeat, number, clock)


def main() -> None:
    layers, x = layers_and_input()
    results = {name: forward_backward_time(layer, x) for name, layer in layers.items()}
    for name, seconds in results.items():
        print(f"{name} BatchNorm1d forward + backward, (256, 1024): {seconds * 1e6:8.1f} us")
    print(f"nnlib / torch time ratio: {results['nnlib'] / results['torch']:.2f}")


if __name__ == "__main__":
    main()
