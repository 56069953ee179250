"""nnlib BatchNorm1d forward + backward against torch.nn.BatchNorm1d on a (256, 1024) input, in
training mode; best of several repeats, ratio printed (nnlib's is plain tensor code, torch's a
fused kernel)."""

import torch
from _timing import best_of
from torch import nn

from nnlib import norm


def main() -> None:
    x = torch.randn(256, 1024, requires_grad=True)
    results = {}
    for name, layer in (("nnlib", norm.BatchNorm1d(1024)), ("torch", nn.BatchNorm1d(1024))):

        def step(layer=layer):
            layer(x).sum().backward()

        results[name] = best_of(step, repeat=5, number=50)
    for name, seconds in results.items():
        print(f"{name} BatchNorm1d forward + backward, (256, 1024): {seconds * 1e6:8.1f} us")
    print(f"nnlib / torch time ratio: {results['nnlib'] / results['torch']:.2f}")


if __name__ == "__main__":
    main()
