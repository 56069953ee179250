"""The glyph network of lecture 7: its architecture, its shipped pretrained weights, checksums.

The network is an ``nn.Sequential`` of named blocks, so that every tool speaks in layer names:

=======  ===========================================  ============
block    modules                                      output shape
=======  ===========================================  ============
conv1    conv 3x3, 1 -> 16, BN, ReLU                  (16, 8, 8)
conv2    conv 3x3, 16 -> 32, BN, ReLU, max-pool 2     (32, 4, 4)
conv3    conv 3x3, 32 -> 64, BN, ReLU, max-pool 2     (64, 2, 2)
fc       flatten, linear 256 -> 128, ReLU             (128,)
head     linear 128 -> classes (100 glyphs)           (classes,)
=======  ===========================================  ============
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from importlib import resources

import torch
from torch import nn

from nnlib.utils import check_positive_int

__all__ = ["BLOCKS", "glyph_cnn", "load_pretrained", "pretrained_info", "state_checksum"]

BLOCKS = ("conv1", "conv2", "conv3", "fc", "head")
WEIGHTS = "glyph_cnn.pt"
INFO = "glyph_cnn.json"


def glyph_cnn(n_classes: int = 100, channels=(16, 32, 64), width: int = 128) -> nn.Sequential:
    """The architecture above, freshly initialised (PyTorch's default initialization)."""
    n_classes = check_positive_int("n_classes", n_classes)
    c1, c2, c3 = (check_positive_int("channels", c) for c in channels)
    width = check_positive_int("width", width)

    def conv(c_in, c_out, pool):
        layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out)]
        return nn.Sequential(*layers, nn.ReLU(), *([nn.MaxPool2d(2)] if pool else []))

    return nn.Sequential(
        OrderedDict(
            conv1=conv(1, c1, pool=False),
            conv2=conv(c1, c2, pool=True),
            conv3=conv(c2, c3, pool=True),
            fc=nn.Sequential(nn.Flatten(), nn.Linear(4 * c3, width), nn.ReLU()),
            head=nn.Linear(width, n_classes),
        )
    )


def _package_file(name: str):
    return resources.files("nnlib.transfer") / "weights" / name


def pretrained_info() -> dict:
    """The record written with the shipped weights: source accuracy, data sizes, seed, checksums,
    the torch version and the time the pretraining script took."""
    return json.loads(_package_file(INFO).read_text())


def load_pretrained(path=None) -> nn.Sequential:
    """The glyph network pretrained on the 100-class source task (weights shipped in nnlib, or
    from ``path``), in eval mode."""
    if path is None:
        with resources.as_file(_package_file(WEIGHTS)) as file:
            state = torch.load(file, map_location="cpu", weights_only=True)
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    model = glyph_cnn(n_classes=state["head.weight"].shape[0])
    model.load_state_dict(state)
    return model.eval()


def state_checksum(model_or_state) -> str:
    """sha256 over every tensor of a state dict (names, shapes and bytes, in order): equal for
    equal weights, whatever file format stores them."""
    state = model_or_state.state_dict() if isinstance(model_or_state, nn.Module) else model_or_state
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
