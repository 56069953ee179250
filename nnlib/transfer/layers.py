"""The pretrained glyph network and the tools that reuse it layer by layer (lecture 7).

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

Transfer learning with it (Yosinski et al. 2014; Oquab et al. 2014):

* **feature extraction**: run the frozen blocks up to a cut and train a new classifier on their
  outputs, the *codes* (``extract_features``);
* **fine-tuning**: replace the head (``replace_head``), freeze what should not move (``freeze``)
  and train the rest, early blocks with smaller learning rates: block ``l`` of ``L`` gets
  ``lr_l = base_lr * decay ** (L - 1 - l)`` (``layerwise_param_groups``; "discriminative
  fine-tuning", Howard and Ruder 2018);
* **batch norm** keeps running statistics; ``freeze_bn_statistics`` keeps them at their
  pretrained values even in train mode (the BN layers always normalize in eval mode).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable
from importlib import resources

import torch
from torch import nn

from nnlib.utils import check_positive, check_positive_int

__all__ = [
    "BLOCKS",
    "extract_features",
    "freeze",
    "freeze_bn_statistics",
    "glyph_cnn",
    "layer_names",
    "layerwise_param_groups",
    "load_pretrained",
    "orientation_tuning",
    "pretrained_info",
    "replace_head",
    "state_checksum",
    "strongest_patches",
    "trainable_layers",
    "unfreeze",
]

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


def layer_names(model: nn.Module) -> list[str]:
    """The names of the model's top-level blocks, first to last."""
    return [name for name, _ in model.named_children()]


def _check_layers(model: nn.Module, layers, argument: str = "layers") -> list[str]:
    if isinstance(layers, str):
        layers = [layers]
    layers = list(layers)
    known = layer_names(model)
    for name in layers:
        if name not in known:
            raise ValueError(f"Invalid {argument}: unknown layer {name!r} (choose from {known})")
    return layers


def replace_head(model: nn.Sequential, n_classes: int, seed: int = 0) -> nn.Sequential:
    """Swap the last block for a fresh ``nn.Linear`` with ``n_classes`` outputs (initialised
    after ``torch.manual_seed(seed)``); the rest of the model is kept as is."""
    n_classes = check_positive_int("n_classes", n_classes)
    name = layer_names(model)[-1]
    old = getattr(model, name)
    if not isinstance(old, nn.Linear):
        raise ValueError(f"Invalid model: its last block {name!r} is not an nn.Linear")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        setattr(model, name, nn.Linear(old.in_features, n_classes))
    return model


def _set_requires_grad(model: nn.Module, layers, flag: bool) -> nn.Module:
    for name in _check_layers(model, layers):
        for parameter in getattr(model, name).parameters():
            parameter.requires_grad_(flag)
    return model


def freeze(model: nn.Module, layers: str | Iterable[str]) -> nn.Module:
    """Stop gradients to every parameter of the named blocks (``requires_grad = False``).

    Their batch-norm *statistics* still move in train mode; ``freeze_bn_statistics`` stops those.
    """
    return _set_requires_grad(model, layers, False)


def unfreeze(model: nn.Module, layers: str | Iterable[str]) -> nn.Module:
    """Let the named blocks train again (``requires_grad = True``)."""
    return _set_requires_grad(model, layers, True)


def trainable_layers(model: nn.Module) -> list[str]:
    """Names of the blocks that have at least one parameter with ``requires_grad``."""
    return [
        name
        for name, block in model.named_children()
        if any(p.requires_grad for p in block.parameters())
    ]


def _keep_eval(module: nn.Module, inputs) -> None:
    module.train(False)


def freeze_bn_statistics(model: nn.Module, layers: str | Iterable[str] | None = None) -> list:
    """Keep every batch-norm layer (of the named blocks, or of the whole model) in eval mode:
    it normalizes with its running statistics and never updates them, even after
    ``model.train()``. Its affine parameters still train unless frozen too.

    Returns the hook handles; ``handle.remove()`` undoes it (then call ``model.train()``).
    """
    blocks = (
        [model]
        if layers is None
        else [getattr(model, name) for name in _check_layers(model, layers)]
    )
    handles = []
    for block in blocks:
        for module in block.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.train(False)
                handles.append(module.register_forward_pre_hook(_keep_eval))
    return handles


def layerwise_param_groups(
    model: nn.Module, base_lr: float, decay: float = 1.0, **options
) -> list[dict]:
    """Optimizer parameter groups, one per block with trainable parameters, first to last.

    The last trainable block gets ``base_lr``; each block before it ``decay`` times the rate of
    the block after it: ``lr_l = base_lr * decay ** (L - 1 - l)`` for trainable blocks
    ``l = 0 .. L-1``. ``decay = 1`` gives one rate for all. Each group also carries the block's
    ``name`` and any ``options`` (e.g. ``weight_decay``); frozen parameters are left out.
    """
    base_lr = check_positive("base_lr", base_lr)
    decay = check_positive("decay", decay)
    if decay > 1:
        raise ValueError(f"Invalid decay: {decay!r} (must be in (0, 1]: early layers move less)")
    names = trainable_layers(model)
    groups = []
    for depth, name in enumerate(reversed(names)):
        params = [p for p in getattr(model, name).parameters() if p.requires_grad]
        groups.append({"params": params, "lr": base_lr * decay**depth, "name": name, **options})
    return groups[::-1]


def _digest(tensors: Iterable[torch.Tensor]) -> str:
    digest = hashlib.sha1()
    for tensor in tensors:
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@torch.no_grad()
def extract_features(
    model: nn.Sequential,
    x: torch.Tensor,
    upto: str = "fc",
    *,
    flatten: bool = True,
    batch_size: int = 1024,
    cache: dict | None = None,
) -> torch.Tensor:
    """The output of block ``upto`` (inclusive) for inputs ``x``, in eval mode, without
    gradients: the network's *codes* for a new classifier. Flattened to (N, features) unless
    ``flatten=False``.

    With a ``cache`` dict, results are stored under a key made of ``upto``, a digest of ``x``
    and a digest of the blocks' weights and statistics, so a repeated call returns the stored
    tensor and a changed model or input never gets a stale one.
    """
    (upto,) = _check_layers(model, upto, argument="upto")
    batch_size = check_positive_int("batch_size", batch_size)
    names = layer_names(model)
    trunk = nn.Sequential(*[getattr(model, n) for n in names[: names.index(upto) + 1]])
    key = None
    if cache is not None:
        key = (upto, flatten, _digest([x]), _digest(trunk.state_dict().values()))
        if key in cache:
            return cache[key]
    was_training = model.training
    model.eval()
    features = torch.cat([trunk(chunk) for chunk in x.split(batch_size)])
    model.train(was_training)
    if flatten:
        features = features.flatten(1)
    if cache is not None:
        cache[key] = features
    return features


@torch.no_grad()
def strongest_patches(model: nn.Sequential, x: torch.Tensor, top: int = 50) -> torch.Tensor:
    """For each first-layer filter, the mean of the ``top`` 3x3 input patches (zero padding, as
    in the network) on which the filter's raw response ``w * patch`` is largest: a picture of
    what the filter responds to in the images ``x``. Returns (filters, 3, 3)."""
    top = check_positive_int("top", top)
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    patches = nn.functional.unfold(x, 3, padding=1).transpose(1, 2).reshape(-1, 9)
    responses = patches @ conv.weight.flatten(1).T  # (N * positions, filters)
    best = responses.topk(min(top, len(patches)), dim=0).indices  # (top, filters)
    return patches[best].mean(dim=0).reshape(-1, 3, 3)


@torch.no_grad()
def orientation_tuning(
    model: nn.Sequential, n_angles: int = 12
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each first-layer filter's strongest raw response to a bar through the centre of an 8x8
    image, drawn like the glyphs, at ``n_angles`` orientations in [0°, 180°).

    Returns (angles in degrees (A,), responses (A, filters))."""
    from nnlib.transfer.source_task import render_segments

    n_angles = check_positive_int("n_angles", n_angles)
    angles = torch.arange(n_angles) * 180.0 / n_angles
    radians = torch.deg2rad(angles)
    tip = 0.8 * torch.stack([torch.cos(radians), torch.sin(radians)], dim=1)
    bars = render_segments(torch.stack([-tip, tip], dim=1)[:, None], torch.full((n_angles,), 0.3))
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    return angles, conv(bars).amax(dim=(2, 3))
