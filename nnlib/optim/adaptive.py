r"""Per-parameter step sizes from gradient statistics: Adagrad, RMSprop, Adadelta (lecture 5).

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

from nnlib.optim.base import ElementwiseOptimizer, check_non_negative

__all__ = ["Adadelta", "Adagrad", "RMSprop"]


class Adagrad(ElementwiseOptimizer):
    """torch.optim.Adagrad's algorithm, names and defaults."""

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
        t = state["step"].item()
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * theta
        eta_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        state["sum"].addcmul_(g, g)
        theta.addcdiv_(g, state["sum"].sqrt().add_(group["eps"]), value=-eta_t)


class RMSprop(ElementwiseOptimizer):
    """torch.optim.RMSprop's algorithm, names and defaults."""

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
        alpha = group["alpha"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * theta
        s = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
        if group["centered"]:
            m = state["grad_avg"].lerp_(g, 1 - alpha)
            rms = (s - m * m).sqrt_().add_(group["eps"])
        else:
            rms = s.sqrt().add_(group["eps"])
        if group["momentum"] > 0:
            b = state["momentum_buffer"].mul_(group["momentum"]).addcdiv_(g, rms)
            theta.add_(b, alpha=-group["lr"])
        else:
            theta.addcdiv_(g, rms, value=-group["lr"])


class Adadelta(ElementwiseOptimizer):
    """torch.optim.Adadelta's algorithm, names and defaults."""

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
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * theta
        s = state["square_avg"].mul_(rho).addcmul_(g, g, value=1 - rho)
        rms_g = s.add(eps).sqrt_()
        delta = state["acc_delta"].add(eps).sqrt_().div_(rms_g).mul_(g)  # sqrt(u + eps) / rms_g g
        state["acc_delta"].mul_(rho).addcmul_(delta, delta, value=1 - rho)
        theta.add_(delta, alpha=-group["lr"])
