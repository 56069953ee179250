"""Experiment set-ups of lecture 5a (optimizers): each runs nnlib's optimizer classes themselves.

* :func:`heavy_ball_rates`: heavy ball simulated on a quadratic over a grid of (lr, momentum),
  one ``optim.SGD`` param group per grid point, and the measured per-step rate of each;
* :func:`effective_steps`: Adagrad's and RMSprop's per-coordinate step lr / (sqrt(state) + eps)
  read from the optimizer state at every step of a noisy quadratic;
* :func:`adam_step_lengths`: ``optim.Adam``'s own step under a constant gradient, and the step it
  would take without bias correction, computed from its state (exp_avg, exp_avg_sq), and
  :func:`adam_bias_steps`, how long the difference lasts;
* :class:`SeedBatches` and :func:`optimizer_sweep`: MNIST-1D networks trained per (optimizer,
  learning rate), several seeds at once, each seed with its own initialization and data order;
* :func:`state_bytes` and :func:`traced_peak_bytes`: the memory an optimizer keeps, measured.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch

from nnlib import losses, models, optim, utils
from nnlib.train import fit_batched
from nnlib.utils import check_positive_int

__all__ = [
    "SeedBatches",
    "adam_bias_steps",
    "adam_step_lengths",
    "best_steps",
    "convex_gaps",
    "effective_steps",
    "heavy_ball_rates",
    "log_log_slope",
    "newton_orders",
    "optimizer_sweep",
    "state_bytes",
    "steps_per_rate",
    "steps_to_reach",
    "traced_peak_bytes",
]


def heavy_ball_rates(
    lrs: Sequence[float],
    momenta: Sequence[float],
    eigenvalues: Sequence[float],
    steps: int = 300,
    tail: int = 100,
) -> torch.Tensor:
    """Measured rate of heavy ball (``optim.SGD`` with momentum) on f(x) = 1/2 sum_i lambda_i x_i^2
    at every (momentum, lr) of the grid: (||z_T|| / ||z_{T-tail}||)^(1/tail) with z_t = (x_t,
    x_{t-1}), from x_0 = (1, ..., 1). Shape (len(momenta), len(lrs)); rates above 1 diverge.

    One param group per momentum holds the runs of every lr as rows of one tensor; the lr of each
    row is applied inside its gradient (g = lr lambda x with the group's lr = 1), which is the same
    iteration as SGD(lr) since b_t = beta b_{t-1} + lr g_t is lr times torch's buffer."""
    check_positive_int("steps", steps)
    if not 0 < tail < steps:
        raise ValueError(f"Invalid tail: {tail} (must be in (0, steps))")
    lam = torch.as_tensor(eigenvalues, dtype=torch.float64)
    scale = torch.as_tensor(lrs, dtype=torch.float64).unsqueeze(1) * lam  # lr_j lambda_i
    params = [
        torch.ones(len(lrs), len(lam), dtype=torch.float64, requires_grad=True) for _ in momenta
    ]
    opt = optim.SGD(
        [{"params": [p], "momentum": beta} for p, beta in zip(params, momenta, strict=True)],
        lr=1.0,
    )
    x = torch.stack([p.detach().clone() for p in params])
    norms = []
    for _ in range(steps):
        previous = x
        for p in params:
            p.grad = scale * p.detach()
        opt.step()
        x = torch.stack([p.detach().clone() for p in params])
        norms.append(torch.cat([x, previous], dim=-1).norm(dim=-1))
        if bool((norms[-1] > 1e100).any()):  # stop before overflow; the rate is already clear
            break
    norms = torch.stack(norms)
    tail = min(tail, len(norms) - 1)
    return (norms[-1] / norms[-1 - tail]) ** (1 / tail)


def steps_to_reach(surface, make, x0, tol: float = 1e-6, max_steps: int = 5000) -> int:
    """Steps ``make`` needs until ||x_t - x*|| <= tol ||x_0 - x*|| on ``surface`` (minimum at 0).

    Raises ``RuntimeError`` if ``max_steps`` is not enough: a run that never got there has no
    step count (the sentinel ``max_steps + 1`` would be read as a measurement)."""
    run = optim.run(surface, make, x0, max_steps)
    errors = run.points[:, 0].norm(dim=-1)
    below = (errors <= tol * errors[0]).nonzero()
    if len(below) == 0:
        raise RuntimeError(f"the tolerance {tol} was not reached in {max_steps} steps")
    return int(below[0])


def effective_steps(
    makers: Mapping[str, Callable],
    curvatures: Sequence[float] = (1.0, 10.0),
    noise: Sequence[float] = (1.0, 0.1),
    steps: int = 1000,
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    """Per-coordinate effective step lr / (sqrt(s_t) + eps) of Adagrad (s = ``sum``) or RMSprop
    (s = ``square_avg``) at every step on f(x) = 1/2 sum_i c_i x_i^2 with gradient noise of std
    ``noise[i]`` in coordinate i (the same noise draws for every optimizer). Returns, per name, a
    tensor (steps, dim)."""
    check_positive_int("steps", steps)
    c = torch.as_tensor(curvatures, dtype=torch.float64)
    sigma = torch.as_tensor(noise, dtype=torch.float64)
    draws = torch.randn(steps, len(c), generator=utils.generator(seed), dtype=c.dtype)
    result = {}
    for name, make in makers.items():
        x = torch.ones(len(c), dtype=c.dtype, requires_grad=True)
        opt = make([x])
        group, history = opt.param_groups[0], []
        for t in range(steps):
            x.grad = c * x.detach() + sigma * draws[t]
            opt.step()
            state = opt.state[x]
            s = state["sum"] if "sum" in state else state["square_avg"]
            history.append(group["lr"] / (s.sqrt() + group["eps"]))
        result[name] = torch.stack(history)
    return result


def adam_step_lengths(
    beta2s: Sequence[float], steps: int, lr: float = 1e-3, beta1: float = 0.9
) -> dict[float, dict[str, torch.Tensor]]:
    """``optim.Adam`` under a constant gradient g = 1, one param group per beta2.

    Per beta2: ``corrected``, the step Adam took (|theta_t - theta_{t-1}| / lr), and
    ``uncorrected``, the step it would take from the same state without bias correction,
    exp_avg / (sqrt(exp_avg_sq) + eps) (divided by lr), for t = 1 .. ``steps``."""
    check_positive_int("steps", steps)
    params = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in beta2s]
    opt = optim.Adam(
        [{"params": [p], "betas": (beta1, b2)} for p, b2 in zip(params, beta2s, strict=True)], lr=lr
    )
    taken = {b2: [] for b2 in beta2s}
    without = {b2: [] for b2 in beta2s}
    for _ in range(steps):
        before = [p.detach().clone() for p in params]
        for p in params:
            p.grad = torch.ones_like(p)
        opt.step()
        for p, old, b2 in zip(params, before, beta2s, strict=True):
            state, eps = opt.state[p], opt.param_groups[0]["eps"]
            taken[b2].append(((p.detach() - old).abs() / lr).item())
            without[b2].append((state["exp_avg"] / (state["exp_avg_sq"].sqrt() + eps)).item())
    return {
        b2: {
            "corrected": torch.tensor(taken[b2], dtype=torch.float64),
            "uncorrected": torch.tensor(without[b2], dtype=torch.float64),
        }
        for b2 in beta2s
    }


class SeedBatches:
    """S independent shufflings of the same in-memory data: yields inputs (S, B, d) and targets
    (S, B), batch s drawn in the order of generator ``seed + s``; ``train.fit_batched`` then
    gives network s its own data order. The last short batch is dropped."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, n_models: int, seed=0):
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"Invalid x, y: lengths {len(x)} and {len(y)} (equal, non-zero)")
        self.x, self.y = x, y
        self.batch_size = check_positive_int("batch_size", batch_size)
        check_positive_int("n_models", n_models)
        self.generators = [utils.generator(seed + s) for s in range(n_models)]

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def __iter__(self):
        orders = torch.stack([torch.randperm(len(self.x), generator=g) for g in self.generators])
        for k in range(len(self)):
            idx = orders[:, k * self.batch_size : (k + 1) * self.batch_size]
            yield self.x[idx], self.y[idx]


def optimizer_sweep(
    settings: Mapping[str, tuple[Callable, Sequence[float]]],
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    widths=(40, 128, 10),
    epochs: int = 15,
    batch_size: int = 100,
    seeds: int = 3,
) -> dict[str, dict]:
    """For each ``name: (make(params, lr), lrs)``: train ``seeds`` networks per learning rate
    (seed s: initialization ``mlp`` after ``manual_seed(s)``, data order ``s``), recording training
    and test loss per epoch. The rate with the lowest mean final *validation* loss is chosen (the
    test set plays no part in the choice). Returns per name: ``lrs``, ``val_loss`` (mean final
    validation loss per lr, nan if it diverged), ``val_loss_per_seed`` (per lr, a (seeds,) tensor of
    final validation losses, inf where a seed diverged), ``best_lr``, and ``curves``: the chosen
    rate's ``fit_batched`` dict (``train_loss``, ``eval_loss`` and ``eval_accuracy`` on the test
    set, each (epochs, seeds))."""
    results = {}
    for name, (make, lrs) in settings.items():
        finals, per_seed, curves = [], [], {}
        for lr in lrs:
            model = models.stacked_mlp(list(widths), n_models=seeds, seed=0)
            loader = SeedBatches(*train, batch_size, seeds, seed=0)
            curve = fit_batched(
                model, make(model.parameters(), lr), loader, epochs, eval_data=test, progress=False
            )
            with torch.no_grad():
                each = losses.per_model_loss(model(val[0]), val[1]).detach()
            value = each.mean().item()
            per_seed.append(torch.nan_to_num(each.double(), nan=math.inf))
            finals.append(value if math.isfinite(value) else math.nan)
            curves[lr] = curve
        finite = [(v, lr) for v, lr in zip(finals, lrs, strict=True) if not math.isnan(v)]
        best_lr = min(finite)[1]
        results[name] = {
            "lrs": list(lrs),
            "val_loss": finals,
            "val_loss_per_seed": per_seed,
            "best_lr": best_lr,
            "curves": curves[best_lr],
        }
    return results


def state_bytes(optimizer) -> int:
    """Bytes of every tensor an optimizer keeps in its state (lists of tensors included, as in
    L-BFGS's history of directions and steps); the parameters themselves are not counted."""

    def size(value) -> int:
        if torch.is_tensor(value):
            return value.numel() * value.element_size()
        if isinstance(value, list | tuple):
            return sum(size(v) for v in value)
        return 0

    return sum(size(v) for state in optimizer.state.values() for v in state.values())


def traced_peak_bytes(fn: Callable):
    """Run ``fn()`` under ``tracemalloc`` and return (its result, the peak bytes allocated by
    Python and NumPy meanwhile): the memory a SciPy optimizer keeps, measured (torch's own
    allocations are not traced)."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def adam_bias_steps(beta1: float, beta2: float, tol: float) -> int:
    """The last step t at which ``optim.Adam`` under a constant gradient would step more than the
    fraction ``tol`` differently without bias correction (measured with :func:`adam_step_lengths`,
    run until the uncorrected step is within ``tol`` for good)."""
    if not (0 <= beta1 < 1 and 0 < beta2 < 1):
        raise ValueError(f"Invalid betas: ({beta1}, {beta2}) (each must be in [0, 1))")
    if not tol > 0:
        raise ValueError(f"Invalid tol: {tol} (must be > 0)")
    # past this many steps sqrt(1 - beta2^t) > 1 / (1 + tol) and beta1^t is negligible
    horizon = math.log(1 - 1 / (1 + tol) ** 2) / math.log(beta2)
    steps = int(1.2 * horizon) + int(20 / (1 - beta1)) + 10
    lengths = adam_step_lengths((beta2,), steps, beta1=beta1)[beta2]
    off = ((lengths["uncorrected"] / lengths["corrected"] - 1).abs() > tol).nonzero()
    return int(off.max()) + 1 if len(off) else 0


def convex_gaps(n: int = 10_000, steps: int = 1000, stiff: bool = False) -> dict[str, torch.Tensor]:
    """f(x_k) - f* for k = 1..steps of GD, heavy ball and Nesterov on the convex quadratic
    f(x) = sum_i lambda_i x_i^2 / 2 with lambda_i = i/n (so L = 1 and no useful strong
    convexity), started at x_i = lambda_i^(-1/2) (every eigen-direction carries the same
    f), or with ``stiff`` only in the directions with lambda_i >= 1/2. All three are
    ``optim.SGD`` at lr = 1/L; heavy ball and Nesterov (``nesterov=True``) share the momentum
    raised every step to beta_k = (k - 1)/(k + 2), the schedule of Nesterov's O(1/k^2) method,
    so they differ only in where the gradient is evaluated (a constant beta only gives a
    linear rate that depends on the strong convexity)."""
    lam = torch.arange(1, n + 1, dtype=torch.float64) / n
    start = 1 / lam.sqrt()
    if stiff:
        start = torch.where(lam >= 0.5, start, torch.zeros_like(start))
    gaps = {}
    for name in ("GD", "heavy ball", "Nesterov"):
        x = start.clone().requires_grad_(True)
        momentum = name != "GD"
        opt = optim.SGD([x], lr=1.0, momentum=0.5 if momentum else 0.0, nesterov=name == "Nesterov")
        values = []
        for k in range(1, steps + 1):
            if momentum:
                opt.param_groups[0]["momentum"] = (k - 1) / (k + 2)
            x.grad = lam * x.detach()
            opt.step()
            values.append(0.5 * (lam * x.detach() ** 2).sum().item())
        gaps[name] = torch.tensor(values, dtype=torch.float64)
    return gaps


def log_log_slope(values: torch.Tensor, first: int, last: int) -> float:
    """The least-squares slope of log(values[k - 1]) against log k over k = first..last."""
    k = torch.arange(first, last + 1, dtype=torch.float64)
    design = torch.stack([k.log(), torch.ones_like(k)], 1)
    target = values[first - 1 : last].double().log().unsqueeze(1)
    return torch.linalg.lstsq(design, target).solution[0].item()


def newton_orders(
    x: torch.Tensor, y: torch.Tensor, *, starts: int = 5, l2: float = 1e-3, floor: float = 1e-10
) -> tuple[list[list[float]], list[float]]:
    """Newton's method on logistic regression of the binary labels ``y`` with an L2 term
    ``l2 |w|^2`` on every parameter (float64, the exact Hessian X^T diag(p(1-p)) X / n + 2 l2 I)
    from ``starts`` random initializations (weights N(0, 0.1²) from torch's global generator).
    Returns each start's gradient norms and its estimate of the order of convergence p from
    the last three norms above ``floor`` (where round-off begins): if g_{k+1} = C g_k^p, then
    log(g_{k+2}/g_{k+1}) = p log(g_{k+1}/g_k), whatever C."""
    xa = torch.cat([x.double(), torch.ones(len(x), 1, dtype=torch.float64)], 1)
    n, d = xa.shape
    target = y.double()
    norms, orders = [], []
    for _start in range(starts):
        w = 0.1 * torch.randn(d, dtype=torch.float64)
        history = []
        for _ in range(50):
            p = torch.sigmoid(xa @ w)
            grad = xa.T @ (p - target) / n + 2 * l2 * w
            history.append(grad.norm().item())
            if history[-1] < floor:
                break
            hessian = (xa.T * (p * (1 - p))) @ xa / n + 2 * l2 * torch.eye(d, dtype=torch.float64)
            w = w - torch.linalg.solve(hessian, grad)
        norms.append(history)
        g = [v for v in history if v >= floor][-3:]
        orders.append(math.log(g[2] / g[1]) / math.log(g[1] / g[0]))
    return norms, orders


def steps_per_rate(surface, make, lrs, x0=(1.8, 1.2), max_steps: int = 600, tol: float = 1e-4):
    """Per learning rate in ``lrs``, the steps that ``make(params, lr)`` needs from ``x0`` on
    ``surface`` to bring the gradient norm below ``tol`` (inf if it does not within
    ``max_steps``)."""
    counts = {}
    for lr in lrs:
        run = optim.run(surface, lambda p, lr=lr: make(p, lr), list(x0), max_steps, grad_tol=tol)
        counts[lr] = int(run.steps_taken[0]) if run.stopped_at[0] >= 0 else math.inf
    return counts


def best_steps(surface, make, lrs, x0=(1.8, 1.2), max_steps: int = 600, tol: float = 1e-4):
    """The fewest steps, over the learning rates ``lrs``, that ``make(params, lr)`` needs from
    ``x0`` on ``surface`` to bring the gradient norm below ``tol`` (inf if none does)."""
    return min(steps_per_rate(surface, make, lrs, x0, max_steps, tol).values())
