"""Lecture 7: what caching the frozen network's codes buys, and the pretraining budget.

1. Fine-tuning ``fc`` and the head on codes cached once by ``extract_features`` against running
   the frozen ``conv1``-``conv3`` at every step (same result, see tests/test_transfer.py), 150
   steps on all digit training images; time ratio printed.
2. The recorded time of ``python -m nnlib.transfer.pretrain`` against the issue's 10-minute budget.
"""

import copy

import torch
from _timing import best_of
from torch import nn

from nnlib import data, transfer


def main() -> None:
    train_x, train_y = data.digits(as_images=True).train.tensors
    pretrained = transfer.load_pretrained()

    def frozen_network():
        model = transfer.replace_head(copy.deepcopy(pretrained), 10)
        transfer.freeze(model, ["conv1", "conv2", "conv3"])
        transfer.freeze_bn_statistics(model)
        params = [p for p in model.parameters() if p.requires_grad]
        transfer.train_classifier(model, train_x, train_y, [{"params": params, "lr": 1e-2}])

    def cached_codes():
        model = transfer.replace_head(copy.deepcopy(pretrained), 10)
        top = nn.Sequential(model.fc, model.head)
        codes = transfer.extract_features(pretrained, train_x, "conv3", flatten=False)
        transfer.train_classifier(top, codes, train_y, [{"params": top.parameters(), "lr": 1e-2}])

    seconds = {"frozen network": best_of(frozen_network), "cached codes": best_of(cached_codes)}
    for name, value in seconds.items():
        print(f"fine-tune fc + head, 150 steps, {name:<14}: {value * 1e3:7.1f} ms")
    ratio = seconds["frozen network"] / seconds["cached codes"]
    print(f"frozen network / cached codes time ratio: {ratio:.1f}")
    recorded = transfer.pretrained_info()["seconds"]
    print(f"pretraining (recorded): {recorded:.1f} s; budget 600 s; ratio {recorded / 600:.2f}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
