r"""Adam and its relatives: AdamW, Adamax, NAdam (lecture 5a).

Adam (Kingma and Ba 2015) combines momentum with RMSprop's scaling and corrects both averages for
their zero start (:func:`adam_update`). Three tensors per parameter (theta, m, v): 3x the memory of
plain SGD. ``amsgrad`` uses the running maximum of v_t. ``weight_decay`` adds lambda theta to the
gradient (L2 inside Adam); ``decoupled_weight_decay=True``, which is what **AdamW** sets
(Loshchilov and Hutter 2019), instead shrinks theta <- theta (1 - eta lambda) before the step,
outside the adaptive scaling. Adamax replaces sqrt(v) by an infinity norm
(:func:`adamax_update`); NAdam uses a Nesterov-style look-ahead on the momentum
(:func:`nadam_update`). Each class keeps torch's state keys and calls its function.
"""

from __future__ import annotations

import torch

from nnlib.optim.base import (
    ElementwiseOptimizer,
    apply_weight_decay,
    check_betas,
    check_non_negative,
)

__all__ = [
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "adam_update",
    "adamax_update",
    "nadam_update",
]


def adam_update(
    theta: torch.Tensor,
    g: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    t: int,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
    v_max: torch.Tensor | None = None,
) -> None:
    r"""Step t (from 1) of Adam, in place on theta, m, v (and v_max)::

        input: η (lr), β₁, β₂ (betas), θ₀ (params), λ (weight_decay), ε (eps)
        initialize: m₀ = 0, v₀ = 0, vmax₀ = 0
        for t = 1, 2, ...
            gₜ = ∇L(θₜ₋₁)
            if decoupled_weight_decay: θₜ₋₁ ← θₜ₋₁ (1 - ηλ)
            else: gₜ ← gₜ + λ θₜ₋₁
            mₜ = β₁ mₜ₋₁ + (1 - β₁) gₜ
            vₜ = β₂ vₜ₋₁ + (1 - β₂) gₜ²
            m̂ₜ = mₜ / (1 - β₁ᵗ)
            v̂ₜ = vₜ / (1 - β₂ᵗ)
                (amsgrad: vmaxₜ = max(vmaxₜ₋₁, vₜ), v̂ₜ = vmaxₜ / (1 - β₂ᵗ))
            θₜ = θₜ₋₁ - η m̂ₜ / (√v̂ₜ + ε)
        return θₜ

    Pass ``v_max`` (zeros at the start) for amsgrad.
    """
    beta1, beta2 = betas
    g = apply_weight_decay(
        theta, g, lr=lr, weight_decay=weight_decay, decoupled=decoupled_weight_decay
    )
    m.lerp_(g, 1 - beta1)  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    if v_max is not None:
        v = torch.maximum(v_max, v, out=v_max)  # amsgrad: v_max_t = max(v_max_{t-1}, v_t)
    m_hat = m / (1 - beta1**t)  # bias corrections: the averages' weight lost to the zero start
    v_hat = v / (1 - beta2**t)
    theta.addcdiv_(m_hat, v_hat.sqrt_().add_(eps), value=-lr)  # theta - eta m_hat / (sqrt + eps)


def adamax_update(
    theta: torch.Tensor,
    g: torch.Tensor,
    m: torch.Tensor,
    u: torch.Tensor,
    t: int,
    *,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> None:
    r"""Step t (from 1) of Adamax, in place on theta, m and u::

        input: η (lr), β₁, β₂ (betas), θ₀ (params), λ (weight_decay), ε (eps)
        initialize: m₀ = 0, u₀ = 0
        for t = 1, 2, ...
            gₜ = ∇L(θₜ₋₁) + λ θₜ₋₁
            mₜ = β₁ mₜ₋₁ + (1 - β₁) gₜ
            uₜ = max(β₂ uₜ₋₁, |gₜ| + ε)
            θₜ = θₜ₋₁ - η mₜ / ((1 - β₁ᵗ) uₜ)
        return θₜ

    Note, as in torch: epsilon is added to |g_t| inside the maximum.
    """
    beta1, beta2 = betas
    g = apply_weight_decay(theta, g, lr=lr, weight_decay=weight_decay)
    m.lerp_(g, 1 - beta1)  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
    torch.maximum(u.mul_(beta2), g.abs().add_(eps), out=u)  # u_t = max(beta2 u_{t-1}, |g_t| + eps)
    theta.addcdiv_(m, u, value=-lr / (1 - beta1**t))  # theta - eta m_t / ((1 - beta1^t) u_t)


def nadam_update(
    theta: torch.Tensor,
    g: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    mu_product: torch.Tensor,
    t: int,
    *,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
) -> None:
    r"""Step t (from 1) of NAdam (Dozat 2016, torch's variant), in place on theta, m, v and the
    0-d tensor mu_product::

        input: η (lr), β₁, β₂ (betas), θ₀ (params), λ (weight_decay), ψ (momentum_decay), ε (eps)
        initialize: m₀ = 0, v₀ = 0, Π₀ = 1 (mu_product)
        for t = 1, 2, ...
            gₜ = ∇L(θₜ₋₁)
            if decoupled_weight_decay: θₜ₋₁ ← θₜ₋₁ (1 - ηλ)
            else: gₜ ← gₜ + λ θₜ₋₁
            μₜ = β₁ (1 - ½ 0.96^(tψ)),  μₜ₊₁ = β₁ (1 - ½ 0.96^((t+1)ψ))
            Πₜ = Πₜ₋₁ μₜ
            mₜ = β₁ mₜ₋₁ + (1 - β₁) gₜ
            vₜ = β₂ vₜ₋₁ + (1 - β₂) gₜ²
            m̂ₜ = μₜ₊₁ mₜ / (1 - Πₜ μₜ₊₁) + (1 - μₜ) gₜ / (1 - Πₜ)
            v̂ₜ = vₜ / (1 - β₂ᵗ)
            θₜ = θₜ₋₁ - η m̂ₜ / (√v̂ₜ + ε)
        return θₜ

    The look-ahead: m-hat mixes the *next* step's momentum on m_t with the current gradient, so
    the step already includes the momentum that Nesterov's method would apply after it.
    """
    beta1, beta2 = betas
    g = apply_weight_decay(
        theta, g, lr=lr, weight_decay=weight_decay, decoupled=decoupled_weight_decay
    )
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product *= mu  # Pi_t, a 0-d tensor rounded as torch rounds it
    pi = float(mu_product)
    m.lerp_(g, 1 - beta1)  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)  # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    v_hat = v / (1 - beta2**t)
    denominator = v_hat.sqrt_().add_(eps)  # sqrt(v_hat_t) + eps
    # theta_t = theta_{t-1} - eta m_hat_t / denominator, m_hat_t's two terms one at a time:
    theta.addcdiv_(g, denominator, value=-lr * (1 - mu) / (1 - pi))
    theta.addcdiv_(m, denominator, value=-lr * mu_next / (1 - pi * mu_next))


def _check(lr, betas, eps, weight_decay):
    check_non_negative("learning rate", lr)
    check_non_negative("epsilon value", eps)
    check_betas(betas)
    check_non_negative("weight_decay value", weight_decay)


class Adam(ElementwiseOptimizer):
    """torch.optim.Adam's algorithm, names and defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8);
    the maths: :func:`adam_update`."""

    hyperparameter_keys = ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay")

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
        decoupled_weight_decay: bool = False,
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
                "decoupled_weight_decay": decoupled_weight_decay,
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
        adam_update(
            theta,
            g,
            state["exp_avg"],
            state["exp_avg_sq"],
            float(state["step"]),
            v_max=state.get("max_exp_avg_sq"),
            **self.hyperparameters(group),
        )


class AdamW(Adam):
    """torch.optim.AdamW: Adam with ``decoupled_weight_decay=True`` (weight_decay 1e-2)."""

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
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


class Adamax(ElementwiseOptimizer):
    """torch.optim.Adamax's algorithm, names and defaults; the maths: :func:`adamax_update`."""

    hyperparameter_keys = ("lr", "betas", "eps", "weight_decay")

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
        adamax_update(
            theta,
            g,
            state["exp_avg"],
            state["exp_inf"],
            float(state["step"]),
            **self.hyperparameters(group),
        )


class NAdam(ElementwiseOptimizer):
    """torch.optim.NAdam's algorithm, names and defaults; the maths: :func:`nadam_update`."""

    hyperparameter_keys = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "momentum_decay",
        "decoupled_weight_decay",
    )

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
        nadam_update(
            theta,
            g,
            state["exp_avg"],
            state["exp_avg_sq"],
            state["mu_product"],
            float(state["step"]),
            **self.hyperparameters(group),
        )
