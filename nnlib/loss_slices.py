"""Slices through the loss surface of a real network (lecture 2); closed-form test surfaces are
:mod:`nnlib.analytic_surfaces`.

The loss of a network lives in N dimensions; we look at it along lines and planes through
parameter space:

* :func:`line_losses`: L((1 - a) theta_0 + a theta_1), e.g. from initialization to solution
  (Goodfellow et al. 2015) or between two solutions;
* :func:`random_direction`: a Gaussian direction, filter-normalised (Li et al. 2018) so that every
  filter (row of a weight matrix, output channel of a convolution) of the direction has the norm of
  the same filter of the weights. One-dimensional parameters (biases, normalization scales) are set
  to zero in the direction by default, as in Li et al.; ``one_dim="keep"`` keeps them Gaussian;
* :func:`plane_losses`: L(theta + a d1 + b d2) on a grid. For an ``nn.Sequential`` MLP the first
  layer's pre-activations are affine in (a, b), X (W + a D + b E)^T = X W^T + a X D^T + b X E^T, so
  they cost three matrix products for the whole grid; each grid point then runs the later
  layers as plain tensor operations, without module dispatch;
* :func:`pca_projection`: the top two principal directions of a training trajectory;
* :func:`permute_hidden_units` and :func:`align_hidden_units`: weight-space symmetry of a
  one-hidden-layer MLP. Permuting the hidden units (rows of W_1 and b_1, columns of W_2) leaves the
  function unchanged; matching the units of one network to another's (Hungarian algorithm on the
  similarity of their weights) before averaging is "weight matching" (Ainsworth et al. 2023).

No function changes the caller's model: parameters are substituted with ``functional_call``.
Vectors follow :mod:`nnlib.params`: the trainable parameters, frozen ones left where they are.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.func import functional_call

from nnlib import utils
from nnlib.models import StackedModels
from nnlib.params import (
    fixed_tensors,
    flatten_params,
    load_params_,
    loss_of_params,
    trainable_parameters,
    unflatten_params,
)
from nnlib.utils import get_device, model_mode

__all__ = [
    "align_hidden_units",
    "line_losses",
    "loss_along_gradient",
    "pca_projection",
    "permute_hidden_units",
    "plane_losses",
    "random_direction",
]


@torch.no_grad()
def _loss_at(model, loss_fn, inputs, targets, theta, fixed) -> float:
    """The loss with parameters theta (and ``fixed``: buffers, frozen parameters)."""
    return loss_of_params(model, loss_fn, inputs, targets, fixed)(theta).item()


def _to_device(device, *tensors):
    """``device`` (default :func:`nnlib.get_device`) and the tensors moved there."""
    device = torch.device(device) if device is not None else get_device()
    return (device, *(t.to(device) for t in tensors))


def line_losses(
    model, loss_fn, inputs, targets, start, end, alphas, bn_inputs=None, device=None
) -> torch.Tensor:
    """Loss at (1 - a) start + a end for each a in ``alphas`` (a outside [0, 1] extrapolates).

    For a network with batch norm, ``bn_inputs`` recomputes the running statistics at every
    point (one pass with ``regularization.update_bn``) before the loss is evaluated in eval mode:
    each point of the line is then the network it would be after training ends there.
    Computed on ``device`` (default :func:`nnlib.get_device`); the model stays where it is.
    """
    device, inputs, targets, start, end = _to_device(device, inputs, targets, start, end)
    if bn_inputs is not None:
        bn_inputs = bn_inputs.to(device)
        return _line_losses_bn(model, loss_fn, inputs, targets, start, end, alphas, bn_inputs)
    fixed = fixed_tensors(model, device)
    with model_mode(model, False):
        return torch.tensor(
            [
                _loss_at(model, loss_fn, inputs, targets, (1 - a) * start + a * end, fixed)
                for a in torch.as_tensor(alphas).tolist()
            ]
        )


@torch.no_grad()
def _line_losses_bn(model, loss_fn, inputs, targets, start, end, alphas, bn_inputs):
    from nnlib.regularization.averaging import update_bn

    probe = copy.deepcopy(model).eval().to(start.device)
    losses = []
    for a in torch.as_tensor(alphas).tolist():
        load_params_(probe, (1 - a) * start + a * end)
        update_bn([bn_inputs], probe)
        losses.append(loss_fn(probe(inputs), targets).item())
    return torch.tensor(losses)


def random_direction(
    model: nn.Module, seed: int = 0, filter_normalize: bool = True, one_dim: str = "zero"
) -> torch.Tensor:
    """A random direction in parameter space: a flat vector like ``nnlib.params.flatten_params``.

    With ``filter_normalize`` each filter d_i (slice along dim 0 of a parameter with two or more
    dimensions) is rescaled to ||d_i|| = ||w_i||. One-dimensional parameters are zeroed
    (``one_dim="zero"``) or kept as drawn (``"keep"``).
    """
    if one_dim not in ("zero", "keep"):
        raise ValueError(f"Invalid one_dim: {one_dim!r} (must be 'zero' or 'keep')")
    generator = utils.generator(seed)
    pieces = []
    for _, p in trainable_parameters(model):
        d = torch.randn(p.shape, generator=generator, dtype=p.dtype)
        if p.dim() <= 1:
            d = torch.zeros_like(d) if one_dim == "zero" else d
        elif filter_normalize:
            w = p.detach()
            d_norm = d.reshape(len(d), -1).norm(dim=1).clamp_min(torch.finfo(d.dtype).tiny)
            w_norm = w.reshape(len(w), -1).norm(dim=1)
            d = d * (w_norm / d_norm).view(-1, *([1] * (d.dim() - 1)))
        pieces.append(d.reshape(-1))
    return torch.cat(pieces)


def _mlp_layers(model: nn.Module):
    """The (Linear, elementwise activation) chain of a Sequential MLP, or None if it is not one."""
    if not isinstance(model, nn.Sequential) or not isinstance(model[0], nn.Linear):
        return None
    elementwise = (
        nn.ReLU,
        nn.Tanh,
        nn.Sigmoid,
        nn.LeakyReLU,
        nn.GELU,
        nn.ELU,
        nn.Identity,
        nn.Dropout,
    )
    if not all(isinstance(m, (nn.Linear, *elementwise)) for m in model):
        return None
    return list(model)


_IN_PLACE = {nn.ReLU: torch.relu_, nn.Tanh: torch.tanh_, nn.Sigmoid: torch.sigmoid_}


def _plane_mlp(model, loss_fn, inputs, targets, center, d1, d2, alphas, betas):
    """Fast path for Sequential MLPs. The first layer's pre-activations are affine in (a, b), so
    they cost three matrix products for the whole grid; each later layer's weights W + a D + b E
    are formed for a whole row at once. Activations are kept as (1, units, samples): BLAS
    multiplies W h faster than h^T W^T for narrow layers, and torch's cross-entropy is fastest
    with the classes along dim 1."""
    p0, p1, p2 = (unflatten_params(model, v) for v in (center, d1, d2))
    layers = _mlp_layers(model)
    has_bias = layers[0].bias is not None

    def first_layer(p):  # W x^T (+ b): (1, units, samples)
        bias = p["0.bias"] if has_bias else None
        return torch.nn.functional.linear(inputs, p["0.weight"], bias).T.contiguous().unsqueeze(0)

    z0, z1, z2 = first_layer(p0), first_layer(p1), first_layer(p2)  # three products for the grid
    betas = torch.as_tensor(betas, dtype=z0.dtype).reshape(-1).to(z0.device)
    loss_of = _loss_of_columns(loss_fn, targets)
    rows = []
    for a in torch.as_tensor(alphas).tolist():
        z_a = z0.add(z1, alpha=a)  # shared by the whole row
        weights = _row_weights(layers, p0, p1, p2, a, betas)
        row = [
            loss_of(_rest_of_mlp(layers, weights, j, z_a.add(z2, alpha=b)))
            for j, b in enumerate(betas.tolist())
        ]
        rows.append(torch.stack(row))
    return torch.stack(rows)


def _row_weights(layers, p0, p1, p2, a, betas):
    """For each layer after the first: name -> the weights p0 + a p1 + b p2 of every grid point
    (a, b) of the row, one (1, out, in) weight and (1, out, 1) bias per b."""
    b = betas.view(-1, 1, 1)
    weights = {}
    for index, module in enumerate(layers[1:], start=1):
        if isinstance(module, nn.Linear):
            names = [f"{index}.weight"] + ([f"{index}.bias"] if module.bias is not None else [])
            for name in names:
                w0, w1, w2 = (
                    p[name] if p[name].dim() == 2 else p[name][:, None] for p in (p0, p1, p2)
                )
                weights[name] = torch.addcmul(w0.add(w1, alpha=a), b, w2).split(1)
    return weights


def _rest_of_mlp(layers, weights, j, h):
    """The layers after the first on pre-activations h (1, units, samples) at grid point j of the
    row; returns the outputs (1, outputs, samples)."""
    for index, module in enumerate(layers[1:], start=1):
        if isinstance(module, nn.Linear):
            weight = weights[f"{index}.weight"][j]
            if module.bias is None:
                h = torch.bmm(weight, h)
            else:
                h = torch.baddbmm(weights[f"{index}.bias"][j], weight, h)
        elif type(module) in _IN_PLACE:
            h = _IN_PLACE[type(module)](h)  # h is a fresh tensor: safe to overwrite
        elif not isinstance(module, nn.Dropout):
            h = module(h)
    return h


def _loss_of_columns(loss_fn, targets):
    """``loss_fn`` as a function of outputs laid out (1, outputs, samples). A reducing
    cross-entropy of class indices takes them as they are (torch's (N, C, d_1) form, with the
    same value, and its fastest layout: the classes along dim 1); any other loss gets the usual
    (samples, outputs) view ``outputs[0].T``."""
    if targets.dim() == 1 and not targets.is_floating_point():
        reduces = loss_fn is torch.nn.functional.cross_entropy or (
            type(loss_fn) is nn.CrossEntropyLoss and loss_fn.reduction != "none"
        )
        if reduces:
            column = targets[None]
            return lambda outputs: loss_fn(outputs, column)
    return lambda outputs: loss_fn(outputs[0].T, targets)


@torch.no_grad()
def plane_losses(
    model,
    loss_fn,
    inputs,
    targets,
    d1,
    d2,
    alphas,
    betas,
    center=None,
    fast: bool = True,
    device=None,
) -> torch.Tensor:
    """Loss at center + a d1 + b d2 for every a in ``alphas`` (rows) and b in ``betas`` (columns).

    ``center`` defaults to the model's current parameters. ``fast=False`` forces the plain loop of
    forward passes that the fast path is tested (and benchmarked) against. Computed on ``device``
    (default :func:`nnlib.get_device`); the model stays where it is, the losses come back on the
    CPU.
    """
    center = flatten_params(model) if center is None else center
    device, inputs, targets, center, d1, d2 = _to_device(device, inputs, targets, center, d1, d2)
    fixed = fixed_tensors(model, device)
    with model_mode(model, False):
        if fast and _mlp_layers(model) is not None and _all_trainable_and_indexed(model):
            return _plane_mlp(model, loss_fn, inputs, targets, center, d1, d2, alphas, betas).cpu()
        rows = []
        for a in torch.as_tensor(alphas).tolist():
            rows.append(
                [
                    _loss_at(model, loss_fn, inputs, targets, center + a * d1 + b * d2, fixed)
                    for b in torch.as_tensor(betas).tolist()
                ]
            )
        return torch.tensor(rows)


def _all_trainable_and_indexed(model: nn.Sequential) -> bool:
    named = list(model.named_parameters())
    return len(named) == len(trainable_parameters(model)) and all(
        name.split(".")[0].isdigit() for name, _ in named
    )


def pca_projection(thetas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Project a trajectory (T, N) of parameter vectors on its top two principal directions.

    The trajectory is centred at its last point (the solution), as in Li et al. (2018). Returns
    (coordinates (T, 2), directions (2, N), fraction of variance explained by each).
    """
    if thetas.ndim != 2 or len(thetas) < 3:
        raise ValueError(f"Invalid thetas of shape {tuple(thetas.shape)}: need (T >= 3, N)")
    centred = thetas - thetas[-1]
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    directions = vh[:2]
    explained = s[:2] ** 2 / (s**2).sum()
    return centred @ directions.T, directions, explained


def loss_along_gradient(model, loss_fn, inputs, targets, step_sizes) -> dict[str, torch.Tensor]:
    """Santurkar et al. (2018)'s smoothness probes at the current weights, in training mode.

    With g the gradient at theta, returns for each step size eta the loss L(theta - eta g)
    (``loss``, (k,)), the gradient change ||grad L(theta - eta g) - g|| (``gradient_change``,
    (k,)) and ||g|| (``gradient_norm``). A smooth landscape shows a small loss range and small
    gradient changes. For stacked networks (:class:`nnlib.models.StackedModels`), ``loss_fn``
    returns one loss per network (``losses.per_model_loss``) and each network is probed along
    its own gradient: the results gain a leading network dim, (S, k) and (S,). The model's
    weights, gradients and buffers are left as they were (batch-norm running statistics too).
    """
    per_network = 1 if isinstance(model, StackedModels) else 0
    theta = {name: p.detach() for name, p in trainable_parameters(model)}
    saved = {k: v.clone() for k, v in model.state_dict().items()}

    def loss_and_grad(point):  # the model's own buffers: batch norm uses the batch statistics
        point = {name: value.clone().requires_grad_(True) for name, value in point.items()}
        losses = loss_fn(functional_call(model, point, (inputs,)), targets)
        grads = torch.autograd.grad(losses.sum(), list(point.values()))
        return losses.detach(), torch.cat([g.flatten(per_network) for g in grads], dim=-1)

    with model_mode(model, True):
        try:
            _, g = loss_and_grad(theta)
            losses, changes = [], []
            for eta in torch.as_tensor(step_sizes).tolist():
                loss, g_eta = loss_and_grad(_step(theta, g, eta, per_network))
                losses.append(loss)
                changes.append((g_eta - g).norm(dim=-1))
            return {
                "loss": torch.stack(losses, dim=-1),
                "gradient_change": torch.stack(changes, dim=-1),
                "gradient_norm": g.norm(dim=-1),
            }
        finally:
            model.load_state_dict(saved)


def _step(theta: dict, g: torch.Tensor, eta: float, per_network: int) -> dict:
    """theta - eta g, with the flat gradient g cut back into the shapes of theta's tensors."""
    sizes = [t[0].numel() if per_network else t.numel() for t in theta.values()]
    pieces = g.split(sizes, dim=-1)
    return {
        name: value - eta * piece.reshape(value.shape)
        for (name, value), piece in zip(theta.items(), pieces, strict=True)
    }


def _hidden_pair(model: nn.Module) -> tuple[nn.Linear, nn.Linear]:
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    others = [m for m in model.children() if not isinstance(m, nn.Linear) and list(m.parameters())]
    if len(linears) != 2 or others:
        raise ValueError(
            "Invalid model: need a one-hidden-layer MLP (Linear, activation, Linear) without "
            f"other parameters; got {len(linears)} Linear layers"
        )
    return linears[0], linears[1]


def permute_hidden_units(model: nn.Module, permutation: torch.Tensor) -> nn.Module:
    """A copy of a one-hidden-layer MLP whose hidden unit k is unit ``permutation[k]`` of
    ``model``: rows of W_1 and b_1 and columns of W_2 permuted alike. It computes the same function.
    """
    first, second = _hidden_pair(model)
    width = first.out_features
    permutation = torch.as_tensor(permutation)
    if sorted(permutation.tolist()) != list(range(width)):
        raise ValueError(f"Invalid permutation: need a permutation of 0..{width - 1}")
    permuted = copy.deepcopy(model)
    new_first, new_second = _hidden_pair(permuted)
    with torch.no_grad():
        new_first.weight.copy_(first.weight[permutation])
        if first.bias is not None:
            new_first.bias.copy_(first.bias[permutation])
        new_second.weight.copy_(second.weight[:, permutation])
    return permuted


def align_hidden_units(reference: nn.Module, model: nn.Module) -> torch.Tensor:
    """The permutation of ``model``'s hidden units that best matches ``reference``'s: it maximises
    sum_k <w_ref,k, w_model,pi(k)>, where w_k stacks unit k's incoming weights, bias and outgoing
    weights (a linear assignment problem, solved exactly by SciPy's Hungarian algorithm).
    Use it as ``permute_hidden_units(model, align_hidden_units(reference, model))``.
    """
    from scipy.optimize import linear_sum_assignment

    def unit_vectors(net):
        first, second = _hidden_pair(net)
        parts = [first.weight, second.weight.T]
        if first.bias is not None:
            parts.insert(1, first.bias.unsqueeze(1))
        return torch.cat(parts, dim=1).detach().double()

    a, b = unit_vectors(reference), unit_vectors(model)
    if a.shape != b.shape:
        raise ValueError(f"Invalid models: hidden layers of shapes {a.shape} and {b.shape}")
    _, columns = linear_sum_assignment((a @ b.T).numpy(), maximize=True)
    return torch.as_tensor(columns)
