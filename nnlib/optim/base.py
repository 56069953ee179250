r"""Shared bookkeeping for nnlib's optimizers, and the one weight-decay rule they all use.

Each optimizer module holds one function per algorithm (``sgd_update``, ``adam_update``, ...),
written like its formula, one statement per line: it takes the parameter, its gradient and its
state tensors and updates the parameter and the state **in place**, with the in-place operations
torch.optim uses (``mul_``, ``add_``, ``lerp_``, ``addcmul_``, ``addcdiv_``) in torch's order, so
the numbers equal torch's to round-off and a step costs what torch's costs. The optimizer class
validates its hyperparameters in ``__init__`` (PyTorch's messages), creates the state it keeps per
parameter, and implements ``update(theta, g, state, group)``, which calls the function on the
state's tensors. The base class counts steps and loops over groups and parameters, so param
groups and ``state_dict`` work as in torch.optim.

Weight decay with strength λ (``weight_decay``) comes in two kinds, chosen by one
flag (:func:`apply_weight_decay`)::

    L2 (coupled):  gₜ ← gₜ + λ θₜ₋₁           the gradient of (λ/2) ‖θ‖²
    decoupled:     θₜ₋₁ ← θₜ₋₁ (1 - ηλ)       (AdamW, Loshchilov and Hutter 2019)

For plain SGD the two are the same step; inside an adaptive method the L2 term is rescaled by the
method's denominator and the decoupled one is not.
"""

from __future__ import annotations

import torch
from torch.optim.optimizer import Optimizer

__all__ = ["ElementwiseOptimizer", "apply_weight_decay", "check_betas", "check_non_negative"]


def check_non_negative(what: str, value: float) -> None:
    if not value >= 0.0:
        raise ValueError(f"Invalid {what}: {value}")


def check_betas(betas) -> None:
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def apply_weight_decay(
    theta: torch.Tensor,
    g: torch.Tensor,
    *,
    lr: float,
    weight_decay: float,
    decoupled: bool = False,
) -> torch.Tensor:
    r"""Weight decay lambda (``weight_decay``) applied to theta and g; returns the gradient to use.

    ``decoupled=False`` (L2): returns g + lambda theta, a new tensor (the gradient passed in is
    not changed), theta unchanged. ``decoupled=True``: theta <- theta (1 - lr lambda) in place,
    returns g. ``weight_decay = 0`` changes nothing and returns g.
    """
    if weight_decay == 0:
        return g
    if decoupled:
        theta.mul_(1 - lr * weight_decay)
        return g
    return g.add(theta, alpha=weight_decay)


class ElementwiseOptimizer(Optimizer):
    """Base class: ``state_keys`` names the zero-initialised tensors kept per parameter."""

    state_keys: tuple[str, ...] = ()
    hyperparameter_keys: tuple[str, ...] = ()  # the group's keys the rule function takes

    def hyperparameters(self, group: dict) -> dict:
        """``{key: group[key]}`` for ``hyperparameter_keys``: the update function's keywords."""
        return {key: group[key] for key in self.hyperparameter_keys}

    def init_state(self, theta: torch.Tensor, group: dict) -> dict:
        state = {"step": torch.tensor(0.0)}
        for key in self.state_keys:
            state[key] = torch.zeros_like(theta, memory_format=torch.preserve_format)
        return state

    def update(self, theta: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        """One step of one parameter, in place: the rule function on ``theta`` and the tensors
        in ``state``, with the group's hyperparameters."""
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
                self.advance(theta, theta.grad, state, group)
        return loss

    def advance(self, theta: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        """One step of one parameter: count it, negate ``grad`` to maximize, then ``update``."""
        if "step" in state:  # SGD keeps no step count, like torch's
            state["step"] += 1
        g = -grad if group.get("maximize", False) else grad
        self.update(theta, g, state, group)
