r"""Reusing a network block by block (lecture 7): replace the head, freeze and unfreeze blocks,
keep batch-norm statistics fixed, give early blocks smaller learning rates.

Every tool speaks in the names of the model's top-level blocks (``model.named_children()``).
Fine-tuning (Yosinski et al. 2014; Oquab et al. 2014) replaces the head (``replace_head``),
freezes what should not move (``freeze``) and trains the rest, early blocks with smaller learning
rates: block ``l`` of ``L`` gets ``lr_l = base_lr * decay ** (L - 1 - l)``
(``layerwise_param_groups``; "discriminative fine-tuning", Howard and Ruder 2018). Batch norm keeps
running statistics; ``freeze_bn_statistics`` keeps them at their pretrained values even in train
mode (the BN layers always normalize in eval mode).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from nnlib import utils
from nnlib.utils import check_positive, check_positive_int

__all__ = [
    "freeze",
    "freeze_bn_statistics",
    "layer_names",
    "layerwise_param_groups",
    "replace_head",
    "trainable_layers",
    "unfreeze",
]


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
    after ``nnlib.utils.manual_seed(seed)``); the rest of the model is kept as is."""
    n_classes = check_positive_int("n_classes", n_classes)
    name = layer_names(model)[-1]
    old = getattr(model, name)
    if not isinstance(old, nn.Linear):
        raise ValueError(f"Invalid model: its last block {name!r} is not an nn.Linear")
    with torch.random.fork_rng():
        utils.manual_seed(seed)
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
