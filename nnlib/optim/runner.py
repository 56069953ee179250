"""Run an optimizer on an analytic surface from a batch of starting points (lectures 1 and 5).

``run(landscape, method, x0, steps)`` accepts either a step rule (an object with
``step(landscape, x) -> (x_new, counts)``: :class:`~nnlib.optim.ExactQuadraticStep`,
:class:`~nnlib.optim.Backtracking`, :class:`~nnlib.optim.Newton`) or a factory that builds a
``torch.optim.Optimizer`` from a parameter list (``lambda p: GradientDescent(p, lr=0.1)``). The
rows of ``x0`` are independent starting points run together in one tensor. Each row stops on its
own when a stopping criterion holds, and is frozen (and reported) if it diverges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch

from nnlib.params import flatten, flatten_params, load_params_, trainable_parameters
from nnlib.utils import check_positive, check_positive_int

__all__ = ["StepRule", "Trajectory", "describe_run", "minimize_module", "run", "run_scipy"]


class StepRule(Protocol):
    def step(self, landscape, x: torch.Tensor) -> tuple[torch.Tensor, dict]: ...


@dataclass
class Trajectory:
    """Points, values and gradient norms of every start at every step, and how each run ended.

    ``points`` has shape (T + 1, B, dim); ``values`` and ``grad_norms`` (T + 1, B). After a row
    stops or diverges its entries repeat its final state. ``stopped_at[b]`` / ``diverged_at[b]``
    are the step numbers (-1 if it did not). ``evaluations`` counts, per row, the gradient,
    function value and Hessian evaluations the method itself asked for.
    """

    points: torch.Tensor
    values: torch.Tensor
    grad_norms: torch.Tensor
    stopped_at: torch.Tensor
    diverged_at: torch.Tensor
    evaluations: dict[str, torch.Tensor] = field(default_factory=dict)
    method: str = ""

    @property
    def steps_taken(self) -> torch.Tensor:
        """Steps each row actually took (until it stopped, diverged, or ran out of steps)."""
        last = torch.full_like(self.stopped_at, self.points.shape[0] - 1)
        last = torch.where(self.stopped_at >= 0, self.stopped_at, last)
        return torch.where(self.diverged_at >= 0, self.diverged_at, last)

    def final(self) -> torch.Tensor:
        return self.points[-1]

    def row(self, b: int) -> Trajectory:
        """The trajectory of one starting point (still with a batch axis of size 1)."""
        return Trajectory(
            self.points[:, b : b + 1],
            self.values[:, b : b + 1],
            self.grad_norms[:, b : b + 1],
            self.stopped_at[b : b + 1],
            self.diverged_at[b : b + 1],
            {k: v[b : b + 1] for k, v in self.evaluations.items()},
            self.method,
        )


def _torch_stepper(factory: Callable, landscape, x: torch.Tensor):
    param = x.clone().requires_grad_(True)
    optimizer = factory([param])

    def step(x_now: torch.Tensor):
        with torch.no_grad():
            param.copy_(x_now)
        param.grad = landscape.gradient(x_now)  # one gradient per row, in closed form
        optimizer.step()
        return param.detach().clone(), {"gradient": 1}

    return step, type(optimizer).__name__


def run(
    landscape,
    method,
    x0,
    steps: int,
    *,
    grad_tol: float | None = None,
    step_tol: float | None = None,
    divergence_limit: float = 1e12,
) -> Trajectory:
    """Run ``method`` for up to ``steps`` steps from each row of ``x0`` (shape (dim,) or (B, dim)).

    A row stops when ||grad f|| < ``grad_tol`` or ||x_{t+1} - x_t|| < ``step_tol`` (if given),
    and is marked diverged at the first step whose value is not finite or exceeds
    ``divergence_limit`` in size.
    """
    check_positive_int("steps", steps)
    for name, tol in (("grad_tol", grad_tol), ("step_tol", step_tol)):
        if tol is not None:
            check_positive(name, tol)
    x = landscape._points(x0).clone()
    if x.ndim == 1:
        x = x.unsqueeze(0)
    if x.ndim != 2:
        raise ValueError(f"Invalid x0 of shape {tuple(x.shape)}: need (dim,) or (B, dim)")
    if hasattr(method, "step") and not isinstance(method, type | torch.optim.Optimizer):
        stepper, name = (lambda x_now: method.step(landscape, x_now)), repr(method)
    elif callable(method):
        stepper, name = _torch_stepper(method, landscape, x)
    else:
        raise ValueError(f"Invalid method: {method!r} (a step rule or an optimizer factory)")

    batch = x.shape[0]
    active = torch.ones(batch, dtype=torch.bool)
    stopped_at = torch.full((batch,), -1)
    diverged_at = torch.full((batch,), -1)
    evaluations: dict[str, torch.Tensor] = {}
    points, values = [x.clone()], [landscape.value(x)]
    grad_norms = [landscape.gradient(x).norm(dim=-1)]
    for t in range(1, steps + 1):
        if not active.any():
            break
        x_new, counts = stepper(x)
        for key, count in counts.items():
            evaluations[key] = evaluations.get(key, torch.zeros(batch)) + active * count
        moved = (x_new - x).norm(dim=-1)
        x = torch.where(active.unsqueeze(-1), x_new, x)
        value = landscape.value(x)
        grad_norm = landscape.gradient(x).norm(dim=-1)
        blown = active & (~torch.isfinite(value) | (value.abs() > divergence_limit))
        diverged_at[blown] = t
        active &= ~blown
        done = torch.zeros_like(active)
        if grad_tol is not None:
            done |= grad_norm < grad_tol
        if step_tol is not None:
            done |= moved < step_tol
        stopped_at[active & done] = t
        active &= ~done
        points.append(x.clone())
        values.append(value)
        grad_norms.append(grad_norm)
    return Trajectory(
        torch.stack(points),
        torch.stack(values),
        torch.stack(grad_norms),
        stopped_at,
        diverged_at,
        evaluations,
        name,
    )


def run_scipy(landscape, method: str, x0, steps: int, grad_tol: float = 1e-8) -> Trajectory:
    """SciPy's quasi-Newton and conjugate-gradient methods ("L-BFGS-B", "BFGS", "CG") for
    comparison, one starting point at a time; iterates recorded through SciPy's callback.
    """
    from scipy.optimize import minimize

    if method not in ("L-BFGS-B", "BFGS", "CG"):
        raise ValueError(f"Invalid method: {method!r} (choose 'L-BFGS-B', 'BFGS' or 'CG')")
    check_positive_int("steps", steps)
    starts = landscape._points(x0).reshape(-1, landscape.dim)

    def fun(z):
        p = torch.as_tensor(z, dtype=torch.float64)
        return landscape.value(p).item(), landscape.gradient(p).numpy()

    runs = []
    for start in starts:
        path = [start.numpy().copy()]
        result = minimize(
            fun,
            path[0],
            jac=True,
            method=method,
            callback=lambda z, path=path: path.append(np.array(z, copy=True)),
            options={"maxiter": steps, "gtol": grad_tol},
        )
        runs.append((torch.as_tensor(np.array(path)), result))
    length = max(len(path) for path, _ in runs)
    points = torch.stack([torch.cat([p, p[-1:].expand(length - len(p), -1)]) for p, _ in runs], 1)
    values = landscape.value(points)
    grad_norms = landscape.gradient(points).norm(dim=-1)
    stopped = torch.tensor([len(p) - 1 if r.success else -1 for p, r in runs])
    evaluations = {
        "gradient": torch.tensor([float(r.njev) for _, r in runs]),
        "value": torch.tensor([float(r.nfev) for _, r in runs]),
    }
    diverged = torch.full_like(stopped, -1)
    return Trajectory(points, values, grad_norms, stopped, diverged, evaluations, method)


def _portable(minima: torch.Tensor, final: torch.Tensor) -> str:
    """The distance as a bound when it is below 1e-6 (its digits are round-off there), else to
    two significant digits."""
    distance = (minima - final).norm(dim=-1).min().item()
    return "< 1e-6" if distance < 1e-6 else f"{distance:.1e}"


def describe_run(name: str, trajectory: Trajectory, landscape=None, row: int = 0) -> str:
    """One line per run: steps, evaluations asked for, and the distance to the nearest known
    minimum of ``landscape`` (or the final value when it has none)."""
    evals = trajectory.evaluations
    counts = " ".join(
        f"{label} {int(evals[key][row]) if key in evals else 0:>5}"
        for key, label in (("gradient", "grads"), ("value", "values"), ("hessian", "Hessians"))
    )
    if trajectory.diverged_at[row] >= 0:
        return f"{name:<18} diverged at step {int(trajectory.diverged_at[row])}"
    steps = int(trajectory.steps_taken[row])
    final = trajectory.points[steps, row]
    if landscape is not None and landscape.minima:
        minima = torch.tensor(landscape.minima, dtype=final.dtype)
        where = f"distance to nearest minimum {_portable(minima, final)}"
    else:
        where = f"final value {trajectory.values[steps, row].item():.3e}"
    status = "" if trajectory.stopped_at[row] >= 0 else " (not converged)"
    return f"{name:<18} steps {steps:>5} | {counts} | {where}{status}"


def minimize_module(
    module, loss_of, method: str = "CG", max_iter: int = 100, grad_tol: float = 1e-6
):
    """Minimise ``loss_of(module)`` over the module's trainable parameters with SciPy's methods
    ("CG", "L-BFGS-B", "BFGS"), in float64; the module ends at the solution. Returns SciPy's result
    (``nit``, ``nfev``, ``njev``, ``fun``)."""
    from scipy.optimize import minimize

    if method not in ("L-BFGS-B", "BFGS", "CG"):
        raise ValueError(f"Invalid method: {method!r} (choose 'L-BFGS-B', 'BFGS' or 'CG')")
    params = [p for _, p in trainable_parameters(module)]

    def fun(z):
        load_params_(module, torch.as_tensor(z))
        module.zero_grad()
        loss = loss_of(module)
        loss.backward()
        return loss.item(), flatten(p.grad for p in params).double().numpy()

    start = flatten_params(module).double().numpy()
    result = minimize(
        fun, start, jac=True, method=method, options={"maxiter": max_iter, "gtol": grad_tol}
    )
    load_params_(module, torch.as_tensor(result.x))
    module.zero_grad()
    return result
