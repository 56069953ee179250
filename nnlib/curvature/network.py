"""The Hessian of a network's loss, used through Hessian-vector products (lecture 2).

For parameters theta (flattened to one vector of N numbers) and a fixed batch, H = d^2 L / dtheta^2.
Storing H takes N^2 numbers, but the product H v costs about two backward passes:
H v = d/d eps grad L(theta + eps v) at eps = 0, computed here as forward-mode over reverse-mode
differentiation (``torch.func.jvp`` of ``torch.func.grad``). Everything else is built on it:

* :func:`dense_hessian`: all of H, for models of up to a few thousand parameters;
* :func:`lanczos`: the Krylov tridiagonalisation T = V^T H V (with full reorthogonalisation);
* :func:`top_eigenvalues`: the largest eigenvalues as Ritz values of T;
* :func:`hutchinson_trace`: tr H = E[v^T H v] for Rademacher vectors v;
* :func:`spectral_density`: stochastic Lanczos quadrature, a smoothed histogram of all eigenvalues;
  :func:`probe_mass` and :func:`negative_mass` read shares of the spectrum from it, one estimate per
  probe vector, so their spread is an error bar.

The model is evaluated with ``torch.func.functional_call`` in eval mode (dropout off, batch norm on
its running statistics); its weights, gradients and train/eval mode are left as they were. theta
holds the trainable parameters (:mod:`nnlib.params`): frozen ones stay fixed. ``loss_fn`` is any
``loss_fn(outputs, targets)``: a ``torch.nn.functional`` loss or a loss module, with any
reduction (per-example losses, ``reduction="none"``, are averaged; ``"sum"`` gives the Hessian of
the sum). Every function takes ``device`` (default :func:`nnlib.get_device`, CUDA when
present): the products run there, the results come back on the CPU.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import grad, jvp, vjp

from nnlib import utils
from nnlib.params import fixed_tensors, flatten_params, loss_of_params, unflatten_params
from nnlib.utils import check_positive, check_positive_int, get_device, model_mode

__all__ = [
    "dense_hessian",
    "hutchinson_trace",
    "hvp",
    "lanczos",
    "negative_mass",
    "power_iteration",
    "probe_mass",
    "spectral_density",
    "top_eigenvalues",
]


class _Flat:
    """theta (:mod:`nnlib.params`: the trainable parameters) and the buffers, in ``dtype``."""

    def __init__(self, model: nn.Module, dtype: torch.dtype | None, device: torch.device):
        self.model = model
        self.theta = flatten_params(model).to(device=device, dtype=dtype)
        self.buffers = fixed_tensors(model, device, dtype)  # buffers and frozen parameters

    @property
    def n(self) -> int:
        return self.theta.numel()

    def unflatten(self, vector: torch.Tensor) -> dict[str, torch.Tensor]:
        return unflatten_params(self.model, vector)


def _scalar(loss: torch.Tensor) -> torch.Tensor:
    """The loss as one number: per-example losses (``reduction="none"``) are averaged."""
    return loss if loss.dim() == 0 else loss.mean()


def _loss_function(model, loss_fn, inputs, targets, dtype, device=None):
    """(flat view, theta -> loss) for a fixed batch, computed on ``device`` (default
    :func:`nnlib.get_device`); nothing about the model is changed (not even where it lives)."""
    device = torch.device(device) if device is not None else get_device()
    flat = _Flat(model, dtype, device)
    inputs = inputs.to(device=device, dtype=dtype if inputs.is_floating_point() else None)
    targets = targets.to(device)

    loss = loss_of_params(model, loss_fn, inputs, targets, flat.buffers)
    return flat, lambda theta: _scalar(loss(theta))


def hvp(
    model, loss_fn, inputs, targets, vector: torch.Tensor, dtype=None, device=None
) -> torch.Tensor:
    """H v for the loss of ``model`` on one batch; ``vector`` is flat (N,), like the result
    (returned where ``vector`` is)."""
    with model_mode(model, False):
        flat, loss_of = _loss_function(model, loss_fn, inputs, targets, dtype, device)
        if vector.shape != (flat.n,):
            raise ValueError(
                f"Invalid vector of shape {tuple(vector.shape)}: the model has {flat.n} parameters"
            )
        tangent = vector.to(device=flat.theta.device, dtype=flat.theta.dtype)
        return _hessian_times(grad(loss_of), flat.theta, tangent).to(vector.device)


def _hessian_times(gradient, theta: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
    """H v as the directional derivative of the gradient, (d/dt) grad f(theta + t v) at t = 0
    (forward over reverse). Some losses' double backward (``F.mse_loss``'s) writes into a zero
    tensor that forward mode cannot hold ("ZeroTensors are immutable"), and some (``huber_loss``)
    have no forward-mode derivative; then H v = v^T H, the vector-Jacobian product of the
    gradient, since H is symmetric (reverse over reverse)."""
    try:
        return jvp(gradient, (theta,), (vector,))[1]
    except (RuntimeError, NotImplementedError) as error:
        if "ZeroTensor" not in str(error) and "forward AD" not in str(error):
            raise
        return vjp(gradient, theta)[1](vector)[0]


def _hvp_operator(model, loss_fn, inputs, targets, dtype, device=None):
    flat, loss_of = _loss_function(model, loss_fn, inputs, targets, dtype, device)
    gradient = grad(loss_of)

    def matvec(vector: torch.Tensor) -> torch.Tensor:
        return _hessian_times(gradient, flat.theta, vector)

    return flat, matvec


def dense_hessian(
    model, loss_fn, inputs, targets, dtype=None, max_params: int = 5000, device=None
) -> torch.Tensor:
    """All of H (N x N), by one Hessian-vector product per basis vector (batched with vmap);
    computed on ``device``, returned on the CPU."""
    with model_mode(model, False):
        flat, matvec = _hvp_operator(model, loss_fn, inputs, targets, dtype, device)
        if flat.n > max_params:
            raise ValueError(
                f"Invalid model for a dense Hessian: {flat.n} parameters > max_params={max_params}"
            )
        eye = torch.eye(flat.n, dtype=flat.theta.dtype, device=flat.theta.device)
        H = torch.vmap(matvec)(eye)
    return (0.5 * (H + H.T)).cpu()


def lanczos(matvec, n: int, steps: int, start: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Lanczos tridiagonalisation with full reorthogonalisation.

    Returns (T, V): the columns of V (n x m) are orthonormal Lanczos vectors and T = V^T H V is
    m x m tridiagonal, m = ``steps`` (fewer if the Krylov space is exhausted). The eigenvalues of
    T (Ritz values) approximate H's extreme eigenvalues first.
    """
    steps = min(check_positive_int("steps", steps), n)
    basis = torch.zeros(steps, n, dtype=start.dtype, device=start.device)
    alphas, betas = [], []
    v = start / start.norm()
    for j in range(steps):
        basis[j] = v
        w = matvec(v)
        alphas.append(torch.dot(w, v))
        for _ in range(2):  # reorthogonalise twice against every earlier vector
            w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
        beta = w.norm()
        if j == steps - 1 or beta < 1e-10 * max(1.0, abs(alphas[-1].item())):
            break
        betas.append(beta)
        v = w / beta
    m = len(alphas)
    T = torch.diag(torch.stack(alphas))
    if m > 1:
        off = torch.stack(betas[: m - 1])
        T = T + torch.diag(off, 1) + torch.diag(off, -1)
    return T, basis[:m].T


def power_iteration(matvec, n: int, steps: int = 500, seed: int = 0, dtype=torch.float64) -> float:
    """The eigenvalue of largest magnitude of a symmetric operator, by repeated multiplication.

    v <- H v / ||H v|| converges to the top eigenvector at rate |lambda_2 / lambda_1| per step;
    the Rayleigh quotient v^T H v then estimates lambda_1 (with its sign).
    """
    check_positive_int("steps", steps)
    v = torch.randn(n, generator=utils.generator(seed), dtype=dtype)
    v = v / v.norm()
    for _ in range(steps):
        w = matvec(v)
        norm = w.norm()
        if norm == 0:
            return 0.0
        v = w / norm
    return torch.dot(v, matvec(v)).item()


def top_eigenvalues(
    model,
    loss_fn,
    inputs,
    targets,
    k: int = 5,
    steps: int = 60,
    seed: int = 0,
    dtype=torch.float64,
    device=None,
) -> torch.Tensor:
    """The k largest eigenvalues of H (descending), as Ritz values of ``steps`` Lanczos steps;
    computed on ``device``, returned on the CPU."""
    check_positive_int("k", k)
    check_positive_int("steps", steps)
    with model_mode(model, False):
        flat, matvec = _hvp_operator(model, loss_fn, inputs, targets, dtype, device)
        g = utils.generator(seed)
        start = torch.randn(flat.n, generator=g, dtype=flat.theta.dtype)
        T, _ = lanczos(matvec, flat.n, max(steps, 2 * k), start.to(flat.theta.device))
    return torch.linalg.eigvalsh(T.cpu()).flip(0)[:k]


def _rademacher(n: int, count: int, seed: int, like: torch.Tensor) -> torch.Tensor:
    """``count`` random sign vectors of length n (drawn on the CPU, so seeds agree everywhere),
    with the dtype and device of ``like``."""
    g = utils.generator(seed)
    return (torch.randint(0, 2, (count, n), generator=g) * 2 - 1).to(like)


def hutchinson_trace(
    model,
    loss_fn,
    inputs,
    targets,
    samples: int = 100,
    seed: int = 0,
    dtype=torch.float64,
    device=None,
) -> tuple[float, float]:
    """tr H as the mean of v^T H v over Rademacher v; returns (estimate, standard error)."""
    check_positive_int("samples", samples)
    with model_mode(model, False):
        flat, matvec = _hvp_operator(model, loss_fn, inputs, targets, dtype, device)
        vs = _rademacher(flat.n, samples, seed, flat.theta)
        quads = torch.stack([torch.dot(v, matvec(v)) for v in vs])
    error = quads.std().item() / math.sqrt(samples) if samples > 1 else math.inf
    return quads.mean().item(), error


def spectral_density(
    model,
    loss_fn,
    inputs,
    targets,
    vectors: int = 4,
    steps: int = 40,
    sigma: float | None = None,
    grid_size: int = 400,
    seed: int = 0,
    dtype=torch.float64,
    device=None,
) -> dict[str, torch.Tensor]:
    """Stochastic Lanczos quadrature: the eigenvalue density of H, smoothed by Gaussians.

    For each normalised Rademacher vector v, Lanczos gives nodes theta_j (Ritz values) and weights
    tau_j (squared first components of T's eigenvectors) with sum_j tau_j f(theta_j) ~ v^T f(H) v.
    Averaged over vectors they form a discrete distribution whose mean is tr(H)/N in expectation.
    Returns ``nodes``, ``weights`` (summing to 1), ``probe`` (which vector each node came from),
    and ``grid`` with ``density`` on it.
    """
    check_positive_int("vectors", vectors)
    check_positive_int("steps", steps)
    check_positive_int("grid_size", grid_size)
    if sigma is not None:
        check_positive("sigma", sigma)
    with model_mode(model, False):
        flat, matvec = _hvp_operator(model, loss_fn, inputs, targets, dtype, device)
        nodes, weights = [], []
        for v in _rademacher(flat.n, vectors, seed, flat.theta):
            T, _ = lanczos(matvec, flat.n, steps, v)
            theta, Q = torch.linalg.eigh(T.cpu())
            nodes.append(theta)
            weights.append(Q[0] ** 2 / vectors)
    probe = torch.arange(vectors).repeat_interleave(torch.tensor([len(t) for t in nodes]))
    nodes, weights = torch.cat(nodes), torch.cat(weights)
    spread = (nodes.max() - nodes.min()).item() or 1.0
    sigma = sigma if sigma is not None else 0.01 * spread
    grid = torch.linspace(
        nodes.min().item() - 5 * sigma, nodes.max().item() + 5 * sigma, grid_size, dtype=nodes.dtype
    )
    kernel = torch.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2)
    density = kernel @ weights / (sigma * math.sqrt(2 * math.pi))
    return {"nodes": nodes, "weights": weights, "probe": probe, "grid": grid, "density": density}


def probe_mass(density: dict[str, torch.Tensor], selected: torch.Tensor) -> torch.Tensor:
    """The share of the spectrum in a set of eigenvalues, as seen by each probe vector of
    :func:`spectral_density`: the sum of the quadrature weights tau_j of the ``selected`` nodes
    (a boolean mask over ``density["nodes"]``, e.g. ``density["nodes"] < 0``).

    One value per probe vector (each estimates the same fraction of the N eigenvalues); their
    spread is the estimate's error bar.
    """
    probe = density["probe"]
    if selected.shape != probe.shape or selected.dtype != torch.bool:
        raise ValueError(
            f"Invalid selected: need a boolean mask of shape {tuple(probe.shape)} over the nodes"
        )
    count = int(probe.max()) + 1
    per_probe_weights = density["weights"] * count  # each probe's weights sum to one
    chosen = per_probe_weights * selected.to(per_probe_weights.dtype)
    return torch.zeros(count, dtype=chosen.dtype).index_add_(0, probe, chosen)


def negative_mass(density: dict[str, torch.Tensor], threshold: float = 0.0) -> torch.Tensor:
    """Per probe vector, the share of the spectrum below ``-threshold`` (see :func:`probe_mass`)."""
    check_positive("threshold", threshold, allow_zero=True)
    return probe_mass(density, density["nodes"] < -threshold)
