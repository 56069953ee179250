"""Flat parameter vectors, with one convention for the whole library (foundation).

theta is the concatenation, in ``named_parameters`` order, of the parameters that require
gradients: the ones training moves. Frozen parameters (``requires_grad=False``) are not part of
theta; they keep their values when a vector is loaded back or substituted with
``torch.func.functional_call``. Curvature (Hessians over theta), loss slices (directions in
theta) and the SciPy runner all use these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.func import functional_call

__all__ = [
    "fixed_tensors",
    "flatten",
    "flatten_params",
    "load_params_",
    "loss_of_params",
    "trainable_parameters",
    "unflatten_params",
]


def trainable_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """(name, parameter) for every parameter of ``model`` that requires gradients, in order."""
    return [(name, p) for name, p in model.named_parameters() if p.requires_grad]


def flatten(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """One detached vector made of the given tensors (parameters, gradients), in order."""
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def flatten_params(model: nn.Module) -> torch.Tensor:
    """theta: the trainable parameters of ``model`` as one detached vector (N,)."""
    return flatten(p for _, p in trainable_parameters(model))


def unflatten_params(model: nn.Module, theta: torch.Tensor) -> dict[str, torch.Tensor]:
    """{name: tensor} shaped like ``model``'s trainable parameters, read from the flat ``theta``
    (views of it, so gradients flow back to theta); for ``functional_call``."""
    named = trainable_parameters(model)
    total = sum(p.numel() for _, p in named)
    if theta.shape != (total,):
        raise ValueError(
            f"Invalid theta of shape {tuple(theta.shape)}: the model has {total} trainable "
            "parameters"
        )
    pieces = theta.split([p.numel() for _, p in named])
    return {name: piece.view_as(p) for (name, p), piece in zip(named, pieces, strict=True)}


@torch.no_grad()
def load_params_(model: nn.Module, theta: torch.Tensor) -> nn.Module:
    """Copy ``theta`` into ``model``'s trainable parameters, in place; returns the model."""
    parameters = dict(model.named_parameters())
    for name, value in unflatten_params(model, theta).items():
        parameters[name].copy_(value)
    return model


def fixed_tensors(model: nn.Module, device=None, dtype=None) -> dict[str, torch.Tensor]:
    """What theta leaves out, {name: tensor}: the buffers and the frozen parameters, detached and
    moved to ``device`` (floating-point ones to ``dtype`` too). Passed to ``functional_call``
    with ``unflatten_params(model, theta)``, the model runs wherever theta is."""
    frozen = [(k, p) for k, p in model.named_parameters() if not p.requires_grad]
    return {
        k: v.detach().to(device=device, dtype=dtype if v.is_floating_point() else None)
        for k, v in [*model.named_buffers(), *frozen]
    }


def loss_of_params(
    model: nn.Module, loss_fn, inputs: torch.Tensor, targets, fixed: dict | None = None
) -> Callable[[torch.Tensor], torch.Tensor]:
    """L(theta) = loss_fn(f(inputs; theta), targets) on one batch, as a function of the flat
    vector theta, with the model's other tensors held at ``fixed`` (default
    :func:`fixed_tensors`). The model itself is never changed; ``torch.func`` can differentiate
    the function (Hessians, Hessian-vector products) and slices evaluate it along lines and
    planes."""
    fixed = fixed_tensors(model) if fixed is None else fixed

    def loss_of(theta: torch.Tensor) -> torch.Tensor:
        tensors = (unflatten_params(model, theta), fixed)
        return loss_fn(functional_call(model, tensors, (inputs,)), targets)

    return loss_of
