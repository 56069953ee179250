r"""Shared bookkeeping for nnlib's optimizers, and the one weight-decay rule they all use.

Each optimizer module holds a pure function per algorithm (``sgd_update``, ``adam_update``, ...):
tensors in, tensors out, one statement per line of the formula, so the same function steps a
2-D trajectory or a network and a notebook can show it beside the formula. The functions that
the optimizer race uses (SGD, Adagrad, RMSprop, Adam) are plain arithmetic (``x ** 0.5``, which
torch computes as ``sqrt``), so they step Python floats too. The optimizer class validates
its hyperparameters in ``__init__`` (PyTorch's messages), creates the state it keeps per
parameter, and implements ``update(theta, g, state, group)``, which calls the pure function and
returns its results, the new parameter and state entries, without storing them. The base class
stores them and loops over groups and parameters, so param groups and ``state_dict`` work as in
torch.optim.

Weight decay with strength :math:`\lambda` (``weight_decay``) comes in two kinds, chosen by one
flag (:func:`apply_weight_decay`):

.. math::
    \begin{aligned}
    &\text{L2 (coupled):}\quad g_t \leftarrow g_t + \lambda \theta_{t-1}
        && \text{the gradient of } \tfrac{\lambda}{2}\lVert\theta\rVert^2 \\
    &\text{decoupled:}\quad \theta_{t-1} \leftarrow \theta_{t-1} (1 - \eta \lambda)
        && \text{(AdamW, Loshchilov and Hutter 2019)}
    \end{aligned}

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
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Weight decay lambda (``weight_decay``) applied to (theta, g); returns the new (theta, g).

    ``decoupled=False`` (L2): g + lambda theta, theta unchanged. ``decoupled=True``:
    theta (1 - lr lambda), g unchanged. ``weight_decay = 0`` returns both unchanged.
    """
    if weight_decay == 0:
        return theta, g
    if decoupled:
        return theta * (1 - lr * weight_decay), g
    return theta, g + weight_decay * theta


class ElementwiseOptimizer(Optimizer):
    """Base class: ``state_keys`` names the zero-initialised tensors kept per parameter."""

    state_keys: tuple[str, ...] = ()
    hyperparameter_keys: tuple[str, ...] = ()  # the group's keys the pure update takes

    def hyperparameters(self, group: dict) -> dict:
        """``{key: group[key]}`` for ``hyperparameter_keys``: the update function's keywords."""
        return {key: group[key] for key in self.hyperparameter_keys}

    def init_state(self, theta: torch.Tensor, group: dict) -> dict:
        state = {"step": torch.tensor(0.0)}
        for key in self.state_keys:
            state[key] = torch.zeros_like(theta, memory_format=torch.preserve_format)
        return state

    def update(self, theta, g, state: dict, group: dict) -> tuple:
        """One step's results, computed and not stored: ``(new_theta, {state key: new value})``
        for the state entries the step changes (the pure update function's outputs). Nothing is
        written here; :meth:`advance` writes the state and ``step()`` the parameter."""
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
                theta.copy_(self.advance(theta, theta.grad, state, group))
        return loss

    def advance(self, theta, grad, state: dict, group: dict):
        """One step of one parameter: count it, negate ``grad`` to maximize, ``update``, write
        the new state into ``state``; returns the new parameter. Plain arithmetic on whatever
        ``theta`` is: the optimizer race (:func:`nncourse.lecture5.race`) steps Python floats."""
        if "step" in state:  # SGD keeps no step count, like torch's
            state["step"] += 1
        g = -grad if group.get("maximize", False) else grad
        new_theta, new_state = self.update(theta, g, state, group)
        state.update(new_state)
        return new_theta
