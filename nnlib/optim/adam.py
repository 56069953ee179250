r"""Adam and its relatives: AdamW, Adamax, NAdam (lecture 5).

Adam (Kingma and Ba 2015) combines momentum with RMSprop's scaling and corrects both averages for
their zero start:

.. math::
    \begin{aligned}
    &m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
    &v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
    &\hat m_t = m_t / (1 - \beta_1^t), \qquad \hat v_t = v_t / (1 - \beta_2^t) \\
    &\theta_t = \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)
    \end{aligned}

Three tensors per parameter (theta, m, v): 3x the memory of plain SGD. ``amsgrad`` uses the running
maximum of v_t. ``weight_decay`` adds lambda theta to the gradient (L2 inside Adam); **AdamW**
(Loshchilov and Hutter 2019) instead shrinks theta <- theta (1 - eta lambda) before the step,
decoupled from the adaptive scaling. Adamax replaces sqrt(v) by an infinity norm; NAdam uses a
Nesterov-style look-ahead on the momentum. All follow torch's arithmetic step for step.
"""

from __future__ import annotations

import math

import torch

from nnlib.optim.base import ElementwiseOptimizer, check_betas, check_non_negative

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "adam_first_steps"]


def _check(lr, betas, eps, weight_decay):
    check_non_negative("learning rate", lr)
    check_non_negative("epsilon value", eps)
    check_betas(betas)
    check_non_negative("weight_decay value", weight_decay)


class Adam(ElementwiseOptimizer):
    """torch.optim.Adam's algorithm, names and defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8)."""

    decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        _check(lr, betas, eps, weight_decay)
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "amsgrad": amsgrad,
                "maximize": maximize,
            },
        )

    def init_state(self, theta, group):
        state = {
            "step": torch.tensor(0.0),
            "exp_avg": torch.zeros_like(theta),
            "exp_avg_sq": torch.zeros_like(theta),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(theta)
        return state

    def update(self, theta, g, state, group):
        t = state["step"].item()
        lr, (beta1, beta2), eps, wd = (
            group["lr"],
            group["betas"],
            group["eps"],
            group["weight_decay"],
        )
        if wd != 0 and self.decoupled:
            theta.mul_(1 - lr * wd)  # AdamW: decay the weights themselves
        elif wd != 0:
            g = g + wd * theta  # Adam: L2 penalty folded into the gradient
        m = state["exp_avg"].lerp_(g, 1 - beta1)
        v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        if group["amsgrad"]:
            v = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denominator = (v.sqrt() / math.sqrt(bias_correction2)).add_(eps)
        theta.addcdiv_(m, denominator, value=-lr / bias_correction1)


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2)."""

    decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class Adamax(ElementwiseOptimizer):
    """torch.optim.Adamax: u_t = max(beta2 u_{t-1}, |g_t| + eps) and
    theta -= eta / (1 - beta1^t) m_t / u_t."""

    state_keys = ("exp_avg", "exp_inf")

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        _check(lr, betas, eps, weight_decay)
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "maximize": maximize,
            },
        )

    def update(self, theta, g, state, group):
        t = state["step"].item()
        (beta1, beta2), eps = group["betas"], group["eps"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * theta
        m = state["exp_avg"].lerp_(g, 1 - beta1)
        u = torch.maximum(state["exp_inf"].mul_(beta2), g.abs().add_(eps), out=state["exp_inf"])
        theta.addcdiv_(m, u, value=-group["lr"] / (1 - beta1**t))


class NAdam(ElementwiseOptimizer):
    """torch.optim.NAdam: Adam with a Nesterov look-ahead, momentum schedule
    mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), psi = momentum_decay."""

    state_keys = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ):
        _check(lr, betas, eps, weight_decay)
        check_non_negative("momentum_decay value", momentum_decay)
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "momentum_decay": momentum_decay,
                "decoupled_weight_decay": decoupled_weight_decay,
                "maximize": maximize,
            },
        )

    def init_state(self, theta, group):
        state = super().init_state(theta, group)
        state["mu_product"] = torch.tensor(1.0)
        return state

    def update(self, theta, g, state, group):
        t = state["step"].item()
        lr, (beta1, beta2), psi = group["lr"], group["betas"], group["momentum_decay"]
        if group["weight_decay"] != 0:
            if group["decoupled_weight_decay"]:
                theta.mul_(1 - lr * group["weight_decay"])
            else:
                g = g + group["weight_decay"] * theta
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"].item()
        m = state["exp_avg"].lerp_(g, 1 - beta1)
        v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denominator = (v / (1 - beta2**t)).sqrt().add_(group["eps"])
        theta.addcdiv_(g, denominator, value=-lr * (1.0 - mu) / (1.0 - mu_product))
        theta.addcdiv_(m, denominator, value=-lr * mu_next / (1.0 - mu_product * mu_next))


def adam_first_steps(
    steps: int = 5, betas=(0.9, 0.999), bias_correction: bool = True, g: float = 1.0
):
    """Adam's step length (in units of lr) for the first ``steps`` steps of a constant gradient g.

    Without bias correction m_1 = (1 - beta1) g and sqrt(v_1) = sqrt(1 - beta2) |g|, so the first
    step is (1 - beta1) / sqrt(1 - beta2) = 3.16 times lr for the defaults, not lr.
    """
    beta1, beta2 = betas
    m = v = 0.0
    lengths = []
    for t in range(1, steps + 1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if bias_correction else (m, v)
        lengths.append(m_hat / v_hat**0.5)
    return lengths
