r"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (lecture 5a).

The maths is :func:`sgd_update`; :class:`SGD` keeps the momentum buffer (the velocity u_t of the
notation page) per parameter. The lecture decks fold the learning rate into the velocity,
v_t = beta v_{t-1} + eta g_t and theta_t = theta_{t-1} - v_t: with a constant learning rate that is
the same iteration with v_t = eta u_t
(:class:`nnlib.optim.VelocityMomentum`; lecture 5a shows both giving identical iterates).
"""

from __future__ import annotations

import torch

from nnlib.optim.base import ElementwiseOptimizer, apply_weight_decay, check_non_negative

__all__ = ["SGD", "sgd_update"]


def sgd_update(
    theta: torch.Tensor,
    g: torch.Tensor,
    u: torch.Tensor | None,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> torch.Tensor | None:
    r"""One step of SGD, in place on theta and u; returns the velocity u::

        input: η (lr), θ₀ (params), λ (weight_decay), β (momentum), τ (dampening), nesterov
        for t = 1, 2, ...
            gₜ = ∇L(θₜ₋₁) + λ θₜ₋₁
            if β ≠ 0:
                uₜ = gₜ if t = 1 else β uₜ₋₁ + (1 - τ) gₜ
                dₜ = gₜ + β uₜ if nesterov else uₜ
            else:
                dₜ = gₜ
            θₜ = θₜ₋₁ - η dₜ
        return θₜ

    Note, as in torch: the velocity starts as a copy of the first gradient (pass ``u=None`` at
    step 1 and keep the tensor returned), so dampening applies from step 2. With ``momentum=0``
    no velocity is kept (u stays None).
    """
    g = apply_weight_decay(theta, g, lr=lr, weight_decay=weight_decay)
    if momentum == 0:
        d = g
    else:
        if u is None:
            u = g.clone()  # u_1 = g_1
        else:
            u.mul_(momentum).add_(g, alpha=1 - dampening)  # u_t = beta u_{t-1} + (1 - tau) g_t
        d = g.add(u, alpha=momentum) if nesterov else u
    theta.add_(d, alpha=-lr)  # theta_t = theta_{t-1} - eta d_t
    return u


class SGD(ElementwiseOptimizer):
    """torch.optim.SGD's algorithm, names and defaults (the maths: :func:`sgd_update`)."""

    hyperparameter_keys = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def init_state(self, theta, group):
        return {"momentum_buffer": None}

    def update(self, theta, g, state, group):
        state["momentum_buffer"] = sgd_update(
            theta, g, state["momentum_buffer"], **self.hyperparameters(group)
        )
