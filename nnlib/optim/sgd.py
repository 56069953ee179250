r"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (lecture 5).

.. math::
    \begin{aligned}
    &g_t = \nabla L(\theta_{t-1}) + \lambda \theta_{t-1} && \text{(weight\_decay } \lambda) \\
    &b_t = \mu b_{t-1} + (1 - \tau) g_t,\quad b_1 = g_1 && \text{(momentum, dampening)} \\
    &d_t = g_t + \mu b_t \ \text{(nesterov)} \quad \text{or} \quad d_t = b_t \\
    &\theta_t = \theta_{t-1} - \eta\, d_t && \text{(lr } \eta)
    \end{aligned}

Note, as in torch: the buffer starts as the first gradient, so dampening applies from step 2.
The lecture decks write momentum as a velocity, v_t = gamma v_{t-1} + alpha g_t and
theta_t = theta_{t-1} - v_t: with a constant learning rate that is the same iteration with
v_t = eta b_t and gamma = mu (lecture 5 shows both giving identical iterates).
"""

from __future__ import annotations

from torch.optim.optimizer import required

from nnlib.optim.base import ElementwiseOptimizer, check_non_negative

__all__ = ["SGD"]


class SGD(ElementwiseOptimizer):
    """torch.optim.SGD's algorithm, names and defaults."""

    def __init__(
        self,
        params,
        lr: float = required,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        if lr is required:
            raise ValueError("Invalid learning rate: lr is required")
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
        if group["weight_decay"] != 0:
            g = g.add(theta, alpha=group["weight_decay"])
        mu = group["momentum"]
        if mu != 0:
            b = state["momentum_buffer"]
            if b is None:
                b = state["momentum_buffer"] = g.detach().clone()
            else:
                b.mul_(mu).add_(g, alpha=1 - group["dampening"])  # b = mu b + (1 - tau) g
            g = g.add(b, alpha=mu) if group["nesterov"] else b
        theta.add_(g, alpha=-group["lr"])
