"""Per-layer statistics of a network's forward and backward pass (lecture 3).

:func:`layer_statistics` runs one batch through the model with hooks on every activation module
and every Linear/Conv layer and reports, per layer:

* the mean and standard deviation of the activations (outputs of the activation module),
* the fraction of saturated units (|tanh| > 0.99, sigmoid outside [0.01, 0.99]) or dead ones
  (ReLU output exactly 0), per activation value,
* the standard deviation of the gradient reaching those activations, and of the layer's weight
  gradient,
* the update-to-weight ratio lr ||grad W|| / ||W|| that one SGD step of size ``lr`` would make.

The hooks are removed afterwards, gradients are restored to what they were, and no step is taken:
the model leaves exactly as it came.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["LayerStats", "layer_statistics"]

_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.ELU, nn.Identity)


@dataclass
class LayerStats:
    """Statistics of one hidden layer (its activation module and the Linear/Conv before it)."""

    index: int
    kind: str
    activation_mean: float
    activation_std: float
    saturated: float
    activation_grad_std: float
    weight_grad_std: float
    update_ratio: float
    values: torch.Tensor  # a sample of activation values, for histograms


def _saturation(module: nn.Module, out: torch.Tensor) -> float:
    if isinstance(module, nn.Tanh):
        return (out.abs() > 0.99).float().mean().item()
    if isinstance(module, nn.Sigmoid):
        return ((out < 0.01) | (out > 0.99)).float().mean().item()
    if isinstance(module, nn.ReLU):
        return (out == 0).float().mean().item()
    return 0.0


def layer_statistics(
    model: nn.Module, inputs, targets, loss_fn=None, lr: float = 0.1, sample: int = 2000
) -> list[LayerStats]:
    """Forward and backward statistics of every activation layer of ``model`` on one batch."""
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    acts = [m for m in model.modules() if isinstance(m, _ACTIVATIONS)]
    weights = [m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d)]
    outputs: dict[nn.Module, torch.Tensor] = {}
    grads: dict[nn.Module, torch.Tensor] = {}

    def keep_output(module, args, out):
        outputs[module] = out.detach()
        out.register_hook(lambda g, module=module: grads.__setitem__(module, g.detach()))

    handles = [m.register_forward_hook(keep_output) for m in acts]
    saved_grads = [p.grad for p in model.parameters()]
    try:
        for p in model.parameters():
            p.grad = None
        loss_fn(model(inputs), targets).backward()
        rows = []
        for index, (act, layer) in enumerate(zip(acts, weights, strict=False)):
            out = outputs[act]
            w = layer.weight
            gw = w.grad if w.grad is not None else torch.zeros_like(w)
            flat = out.reshape(-1)
            pick = torch.linspace(0, flat.numel() - 1, min(sample, flat.numel())).long()
            rows.append(
                LayerStats(
                    index=index,
                    kind=type(act).__name__,
                    activation_mean=out.mean().item(),
                    activation_std=out.std().item(),
                    saturated=_saturation(act, out),
                    activation_grad_std=grads[act].std().item() if act in grads else 0.0,
                    weight_grad_std=gw.std().item(),
                    update_ratio=(lr * gw.norm() / w.detach().norm().clamp_min(1e-30)).item(),
                    values=flat[pick].clone(),
                )
            )
        return rows
    finally:
        for handle in handles:
            handle.remove()
        for p, g in zip(model.parameters(), saved_grads, strict=True):
            p.grad = g
