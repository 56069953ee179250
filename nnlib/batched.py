"""Many small MLPs trained at once, for multi-seed experiments (lectures 2, 3 and 5).

S networks of the same shape are stored as stacked tensors, weights (S, d_out, d_in) and biases
(S, d_out), and run together with batched matrix products (``torch.baddbmm``): one call does the
work of S small ones. Their losses are summed before ``backward``, so each network receives
exactly the gradient of its own loss, and any element-wise optimizer (SGD, Adam, ...) trains the
S networks independently, as S sequential runs would (the tests check this).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from nnlib.models import make_activation, mlp
from nnlib.utils import check_positive_int

__all__ = ["BatchedMLP", "fit_batched", "per_model_loss"]


class BatchedMLP(nn.Module):
    """S independent MLPs with widths [d_in, ..., d_out] and one activation, run as one module.

    ``forward(x)`` takes inputs (B, d_in), shared by all networks, or (S, B, d_in), and returns
    logits (S, B, d_out). Network s is initialised exactly like ``mlp(widths)`` after
    ``torch.manual_seed(seed + s)``.
    """

    def __init__(
        self, widths: Sequence[int], n_models: int, activation: str = "relu", seed: int = 0
    ):
        super().__init__()
        n_models = check_positive_int("n_models", n_models)
        singles = []
        for s in range(n_models):
            torch.manual_seed(seed + s)
            singles.append(mlp(widths, activation=activation))
        self._stack(singles, activation)

    @classmethod
    def from_models(cls, models: Sequence[nn.Sequential], activation: str = "relu") -> BatchedMLP:
        """Stack existing ``nnlib.models.mlp`` networks (same widths, no norm or dropout)."""
        batched = cls.__new__(cls)
        nn.Module.__init__(batched)
        batched._stack(list(models), activation)
        return batched

    def _stack(self, singles: list[nn.Sequential], activation: str) -> None:
        linears = [[m for m in single if isinstance(m, nn.Linear)] for single in singles]
        if any(len(ls) != len(linears[0]) for ls in linears):
            raise ValueError("Invalid models: they must all have the same layers")
        self.activation = activation
        self.act = make_activation(activation)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].weight.detach() for ls in linears]).clone())
            for k in range(len(linears[0]))
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].bias.detach() for ls in linears]).clone())
            for k in range(len(linears[0]))
        )

    @property
    def n_models(self) -> int:
        return self.weights[0].shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.expand(self.n_models, *x.shape) if x.dim() == 2 else x
        last = len(self.weights) - 1
        for k, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))  # h W^T + b, per network
            if k < last:
                h = self.act(h)
        return h

    def unstack(self, s: int) -> nn.Sequential:
        """Network s as an ordinary ``nnlib.models.mlp`` (a copy)."""
        widths = [self.weights[0].shape[2]] + [W.shape[1] for W in self.weights]
        single = mlp(widths, activation=self.activation)
        linears = [m for m in single if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer, W, b in zip(linears, self.weights, self.biases, strict=True):
                layer.weight.copy_(W[s])
                layer.bias.copy_(b[s])
        return single


def per_model_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of each network: logits (S, B, C), targets (B,) -> losses (S,)."""
    n_models, batch, classes = logits.shape
    flat = nn.functional.cross_entropy(
        logits.reshape(-1, classes), targets.repeat(n_models), reduction="none"
    )
    return flat.view(n_models, batch).mean(dim=1)


def fit_batched(
    model: BatchedMLP, optimizer, loader, epochs: int, eval_data=None, progress=True, scheduler=None
):
    """Train all networks of ``model`` together; returns per-network mean training loss per epoch
    (epochs, S) and, when ``eval_data=(x, y)`` is given, per-network loss and accuracy on it after
    each epoch. ``scheduler.step()`` is called after every minibatch step."""
    check_positive_int("epochs", epochs)
    train_curve, eval_curve, eval_accuracy = [], [], []
    # TQDM_DISABLE=1 (stored outputs, CI) switches the bar off too: tqdm.notebook ignores it
    hide = not progress or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")
    for _ in tqdm(range(epochs), desc="epochs", disable=hide, leave=False):
        model.train()
        total, count = torch.zeros(model.n_models), 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            losses = per_model_loss(model(inputs), targets)
            losses.sum().backward()  # each network gets the gradient of its own loss
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += losses.detach() * len(inputs)
            count += len(inputs)
        train_curve.append(total / count)
        if eval_data is not None:
            with torch.no_grad():
                logits = model(eval_data[0])
                eval_curve.append(per_model_loss(logits, eval_data[1]))
                eval_accuracy.append((logits.argmax(-1) == eval_data[1]).float().mean(dim=1))
    result = {"train_loss": torch.stack(train_curve)}
    if eval_curve:
        result["eval_loss"] = torch.stack(eval_curve)
        result["eval_accuracy"] = torch.stack(eval_accuracy)
    return result
