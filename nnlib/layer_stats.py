"""Per-layer statistics of a network's forward and backward pass (lecture 3).

:func:`layer_statistics` runs one batch through the model with hooks on every activation module
and reports, per hidden layer (the k-th activation module, paired with the k-th Linear/Conv layer
in ``model.modules()`` order, which in an MLP or a plain CNN is the layer before it):

* the mean and standard deviation of the activations (outputs of the activation module),
* the fraction of saturated units (|tanh| > 0.99, sigmoid outside [0.01, 0.99]) or dead ones
  (ReLU output exactly 0), per activation value,
* the standard deviation of the gradient reaching those activations, and of the layer's weight
  gradient,
* the update-to-weight ratio lr ||grad W|| / ||W|| that one SGD step of size ``lr`` would make.

The gradients come from ``torch.autograd.grad``: no ``.grad`` is written and no step is taken, so
the parameters leave exactly as they came (a BatchNorm layer in training mode still updates its
running statistics, as in any forward pass).
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
    weight_grad_std: float | None  # None when the weight gradients were not asked for
    update_ratio: float | None
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
    model: nn.Module,
    inputs,
    targets,
    loss_fn=None,
    lr: float = 0.1,
    sample: int = 2000,
    weight_gradients: bool = True,
) -> list[LayerStats]:
    """Forward and backward statistics of every activation layer of ``model`` on one batch.

    ``weight_gradients=False`` leaves out the weight gradients' statistics (None): the backward
    pass then computes only the gradients that reach the activations, skipping each layer's
    weight-gradient matrix product.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    acts = [m for m in model.modules() if isinstance(m, _ACTIVATIONS)]
    layers = [m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d)]
    pairs = list(zip(acts, layers, strict=False))
    if not pairs:
        return []
    outputs: dict[nn.Module, torch.Tensor] = {}
    handles = [
        act.register_forward_hook(lambda module, args, out: outputs.__setitem__(module, out))
        for act in acts
    ]
    try:
        loss = loss_fn(model(inputs), targets)
    finally:
        for handle in handles:
            handle.remove()
    trained = [
        layer.weight for _, layer in pairs if weight_gradients and layer.weight.requires_grad
    ]
    wanted = [outputs[act] for act, _ in pairs] + trained
    grads = torch.autograd.grad(loss, wanted, allow_unused=True)  # None where unused
    act_grads = grads[: len(pairs)]
    weight_grads = dict(zip(trained, grads[len(pairs) :], strict=True))
    rows = []
    for index, ((act, layer), act_grad) in enumerate(zip(pairs, act_grads, strict=True)):
        out, w = outputs[act].detach(), layer.weight.detach()
        gw, ratio = None, None
        if weight_gradients:  # a frozen or unused layer has a zero gradient
            gw = weight_grads.get(layer.weight)
            gw = torch.zeros_like(w) if gw is None else gw
            ratio = (lr * gw.norm() / w.norm().clamp_min(1e-30)).item()
        flat = out.reshape(-1)
        pick = torch.linspace(0, flat.numel() - 1, min(sample, flat.numel())).long()
        rows.append(
            LayerStats(
                index=index,
                kind=type(act).__name__,
                activation_mean=out.mean().item(),
                activation_std=out.std().item(),
                saturated=_saturation(act, out),
                activation_grad_std=0.0 if act_grad is None else act_grad.std().item(),
                weight_grad_std=None if gw is None else gw.std().item(),
                update_ratio=ratio,
                values=flat[pick].clone(),
            )
        )
    return rows
