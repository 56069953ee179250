"""Shared bookkeeping for nnlib's optimizers: per-parameter state created lazily in one place.

Each optimizer class validates its hyperparameters in ``__init__`` (PyTorch's messages), lists the
state it keeps per parameter (``state_keys``), and implements ``update(theta, g, state, group)``:
the maths of one step for one parameter tensor, one statement per line of the formula. The base
class loops over groups and parameters, so param groups and ``state_dict`` work as in torch.optim.
"""

from __future__ import annotations

import torch
from torch.optim.optimizer import Optimizer

__all__ = ["ElementwiseOptimizer", "check_betas", "check_non_negative"]


def check_non_negative(what: str, value: float) -> None:
    if not value >= 0.0:
        raise ValueError(f"Invalid {what}: {value}")


def check_betas(betas) -> None:
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


class ElementwiseOptimizer(Optimizer):
    """Base class: ``state_keys`` names the zero-initialised tensors kept per parameter."""

    state_keys: tuple[str, ...] = ()

    def init_state(self, theta: torch.Tensor, group: dict) -> dict:
        state = {"step": torch.tensor(0.0)}
        for key in self.state_keys:
            state[key] = torch.zeros_like(theta, memory_format=torch.preserve_format)
        return state

    def update(self, theta: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for theta in group["params"]:
                if theta.grad is None:
                    continue
                state = self.state[theta]
                if not state:
                    state.update(self.init_state(theta, group))
                if "step" in state:  # SGD keeps no step count, like torch's
                    state["step"] += 1
                g = -theta.grad if group.get("maximize", False) else theta.grad
                self.update(theta, g, state, group)
        return loss
