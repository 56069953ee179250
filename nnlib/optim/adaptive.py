r"""Per-parameter step sizes from gradient statistics: Adagrad, RMSprop, Adadelta (lecture 5a).

* Adagrad (Duchi et al. 2011): s_t = s_{t-1} + g_t^2, theta -= eta_t g_t / (sqrt(s_t) + eps) with
  eta_t = eta / (1 + (t - 1) lr_decay). The sum only grows, so steps decay.
* RMSprop (Tieleman and Hinton 2012): s_t = alpha s_{t-1} + (1 - alpha) g_t^2, a decaying average
  instead of a sum; ``centered`` subtracts the squared mean gradient; ``momentum`` adds a buffer.
* Adadelta (Zeiler 2012): s_t as RMSprop, then Delta = sqrt(u_{t-1} + eps) / sqrt(s_t + eps) g_t and
  u_t = rho u_{t-1} + (1 - rho) Delta^2: a unit-consistent step with no global learning rate.

Each divides by a running root-mean-square of the gradient: a diagonal estimate of the curvature.
"""

from __future__ import annotations

import torch

from nnlib.optim.base import ElementwiseOptimizer, apply_weight_decay, check_non_negative

__all__ = [
    "Adadelta",
    "Adagrad",
    "RMSprop",
    "adadelta_update",
    "adagrad_update",
    "rmsprop_update",
]


def adagrad_update(
    theta: torch.Tensor,
    g: torch.Tensor,
    s: torch.Tensor,
    t: int,
    *,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
) -> None:
    r"""Step t (from 1) of Adagrad, in place on theta and s:

    input: η (lr), θ₀ (params), λ (weight_decay), τ (initial_accumulator_value),
        δ (lr_decay), ε (eps)
    initialize: s₀ = τ
    for t = 1, 2, ...
        gₜ = ∇L(θₜ₋₁) + λ θₜ₋₁
        ηₜ = η / (1 + (t - 1) δ)
        sₜ = sₜ₋₁ + gₜ²
        θₜ = θₜ₋₁ - ηₜ gₜ / (√sₜ + ε)
    return θₜ
    """
    g = apply_weight_decay(theta, g, lr=lr, weight_decay=weight_decay)
    eta_t = lr / (1 + (t - 1) * lr_decay)
    s.addcmul_(g, g)  # s_t = s_{t-1} + g_t^2
    theta.addcdiv_(g, s.sqrt().add_(eps), value=-eta_t)  # theta - eta_t g / (sqrt(s_t) + eps)


def rmsprop_update(
    theta: torch.Tensor,
    g: torch.Tensor,
    s: torch.Tensor,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    b: torch.Tensor | None = None,
    m: torch.Tensor | None = None,
) -> None:
    r"""One step of RMSprop, in place on theta, s and (when used) b and m::

        input: η (lr), α (alpha), θ₀ (params), λ (weight_decay), β (momentum), ε (eps), centered
        initialize: s₀ = 0, b₀ = 0, m₀ = 0
        for t = 1, 2, ...
            gₜ = ∇L(θₜ₋₁) + λ θₜ₋₁
            sₜ = α sₜ₋₁ + (1 - α) gₜ²
            if centered: mₜ = α mₜ₋₁ + (1 - α) gₜ, rₜ = √(sₜ - mₜ²) + ε
            else: rₜ = √sₜ + ε
            if β > 0: bₜ = β bₜ₋₁ + gₜ / rₜ, θₜ = θₜ₋₁ - η bₜ
            else: θₜ = θₜ₋₁ - η gₜ / rₜ
        return θₜ

    Note, as in torch: epsilon is added outside the square root. Pass the momentum buffer ``b``
    (zeros at the start) when momentum > 0 and the mean gradient ``m`` (zeros) when ``centered``.
    """
    if centered and m is None:
        raise ValueError(
            "Invalid m: None (centered=True needs the mean gradient m, zeros at first)"
        )
    if momentum > 0 and b is None:
        raise ValueError(
            "Invalid b: None (momentum > 0 needs the momentum buffer b, zeros at first)"
        )
    g = apply_weight_decay(theta, g, lr=lr, weight_decay=weight_decay)
    s.mul_(alpha).addcmul_(g, g, value=1 - alpha)  # s_t = alpha s_{t-1} + (1 - alpha) g_t^2
    if centered:
        m.lerp_(g, 1 - alpha)  # m_t = alpha m_{t-1} + (1 - alpha) g_t
        r = s.addcmul(m, m, value=-1).sqrt_().add_(eps)  # r_t = sqrt(s_t - m_t^2) + eps
    else:
        r = s.sqrt().add_(eps)  # r_t = sqrt(s_t) + eps
    if momentum > 0:
        b.mul_(momentum).addcdiv_(g, r)  # b_t = beta b_{t-1} + g_t / r_t
        theta.add_(b, alpha=-lr)  # theta_t = theta_{t-1} - eta b_t
    else:
        theta.addcdiv_(g, r, value=-lr)  # theta_t = theta_{t-1} - eta g_t / r_t


def adadelta_update(
    theta: torch.Tensor,
    g: torch.Tensor,
    s: torch.Tensor,
    u: torch.Tensor,
    *,
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
) -> None:
    r"""One step of Adadelta, in place on theta, s and u:

    input: η (lr), ρ (rho), θ₀ (params), λ (weight_decay), ε (eps)
    initialize: s₀ = 0, u₀ = 0
    for t = 1, 2, ...
        gₜ = ∇L(θₜ₋₁) + λ θₜ₋₁
        sₜ = ρ sₜ₋₁ + (1 - ρ) gₜ²
        Δₜ = √(uₜ₋₁ + ε) gₜ / √(sₜ + ε)
        uₜ = ρ uₜ₋₁ + (1 - ρ) Δₜ²
        θₜ = θₜ₋₁ - η Δₜ
    return θₜ
    """
    g = apply_weight_decay(theta, g, lr=lr, weight_decay=weight_decay)
    s.mul_(rho).addcmul_(g, g, value=1 - rho)  # s_t = rho s_{t-1} + (1 - rho) g_t^2
    rms_s = s.add(eps).sqrt_()  # sqrt(s_t + eps)
    delta = u.add(eps).sqrt_().div_(rms_s).mul_(g)  # Delta_t = sqrt(u_{t-1} + eps) g_t / rms_s
    u.mul_(rho).addcmul_(delta, delta, value=1 - rho)  # u_t = rho u_{t-1} + (1 - rho) Delta_t^2
    theta.add_(delta, alpha=-lr)  # theta_t = theta_{t-1} - eta Delta_t


class Adagrad(ElementwiseOptimizer):
    """torch.optim.Adagrad's algorithm, names and defaults; the maths: :func:`adagrad_update`."""

    hyperparameter_keys = ("lr", "lr_decay", "weight_decay", "eps")

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        check_non_negative("learning rate", lr)
        check_non_negative("lr_decay value", lr_decay)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("initial_accumulator_value value", initial_accumulator_value)
        check_non_negative("epsilon value", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "eps": eps,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def init_state(self, theta, group):
        return {
            "step": torch.tensor(0.0),
            "sum": torch.full_like(theta, group["initial_accumulator_value"]),
        }

    def update(self, theta, g, state, group):
        adagrad_update(theta, g, state["sum"], float(state["step"]), **self.hyperparameters(group))


class RMSprop(ElementwiseOptimizer):
    """torch.optim.RMSprop's algorithm, names and defaults; the maths: :func:`rmsprop_update`."""

    hyperparameter_keys = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("alpha value", alpha)
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def init_state(self, theta, group):
        state = {"step": torch.tensor(0.0), "square_avg": torch.zeros_like(theta)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(theta)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(theta)
        return state

    def update(self, theta, g, state, group):
        rmsprop_update(
            theta,
            g,
            state["square_avg"],
            b=state.get("momentum_buffer"),
            m=state.get("grad_avg"),
            **self.hyperparameters(group),
        )


class Adadelta(ElementwiseOptimizer):
    """torch.optim.Adadelta's algorithm, names and defaults; the maths: :func:`adadelta_update`."""

    hyperparameter_keys = ("lr", "rho", "eps", "weight_decay")

    state_keys = ("square_avg", "acc_delta")

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        check_non_negative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative("epsilon value", eps)
        check_non_negative("weight_decay value", weight_decay)
        super().__init__(
            params,
            {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize},
        )

    def update(self, theta, g, state, group):
        adadelta_update(
            theta, g, state["square_avg"], state["acc_delta"], **self.hyperparameters(group)
        )
