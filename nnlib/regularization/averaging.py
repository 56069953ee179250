r"""Averaging: ensembles of networks, snapshot ensembles, and averages of one network's weights
(stochastic weight averaging, Polyak averaging, exponential moving averages).

*Ensembles* average the predicted probabilities of M networks, p̄ = (1/M) ∑ₘ pₘ.
*Snapshot ensembles* (Huang et al., 2017) collect the M networks from one run with a cyclical
learning rate, one at the end of each cycle (:class:`SnapshotCollector`).

*Weight averages* keep one network. Stochastic weight averaging (Izmailov et al., 2018) averages
the iterates visited late in training with equal weights::

    w_SWA ← (n w_SWA + w) / (n + 1),

Polyak(-Ruppert) averaging (Polyak and Juditsky, 1992) is the same running mean over all
iterates, and the exponential moving average replaces 1/(n + 1) by a constant 1 - β:
w_EMA ← β w_EMA + (1 - β) w.
Averaged weights need fresh batch-norm statistics: the running means of the last iterate do not
describe the averaged network's activations (:func:`update_bn`).

:class:`AveragedModel`, :func:`update_bn` and the ``get_*_avg_fn`` helpers have the names,
signatures and arithmetic of ``torch.optim.swa_utils``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

from nnlib.train import Callback
from nnlib.utils import check_fraction, check_positive_int, model_mode

__all__ = [
    "AveragedModel",
    "SWACallback",
    "SnapshotCollector",
    "ema_average",
    "ensemble_predict",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "swa_average",
    "update_bn",
]


def _check_decay(decay: float) -> float:
    return check_fraction("decay", decay, closed=True)


def swa_average(averaged: torch.Tensor, current: torch.Tensor, num_averaged) -> torch.Tensor:
    r"""The running mean after one more iterate (SWA, Polyak averaging): returns the new mean:

    w̄ₙ₊₁ = w̄ₙ + (w - w̄ₙ) / (n + 1) = (n w̄ₙ + w) / (n + 1),    n = num_averaged
    """
    return averaged + (current - averaged) / (num_averaged + 1)


def ema_average(ema: torch.Tensor, current: torch.Tensor, decay: float) -> torch.Tensor:
    r"""The exponential moving average after one more iterate: returns the new average:

    w_EMA ← β w_EMA + (1 - β) w,    β = decay
    """
    return decay * ema + (1 - decay) * current


def get_swa_avg_fn() -> Callable:
    """torch's ``get_swa_avg_fn``: ``(w_avg, w, n) ->`` :func:`swa_average`."""

    @torch.no_grad()
    def swa_update(averaged, current, num_averaged):
        return swa_average(averaged, current, num_averaged)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """torch's ``get_ema_avg_fn``: ``(w_ema, w, n) ->`` :func:`ema_average` with ``decay``."""
    decay = _check_decay(decay)

    @torch.no_grad()
    def ema_update(ema, current, num_averaged):
        return ema_average(ema, current, decay)

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """torch's ``get_swa_multi_avg_fn``: :func:`swa_average` in place over lists of tensors."""

    @torch.no_grad()
    def swa_update(averaged: list, current: list, num_averaged) -> None:
        for w_avg, w in zip(averaged, current, strict=True):
            w_avg.copy_(swa_average(w_avg, w, num_averaged))  # copy_ truncates integer buffers

    return swa_update


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """torch's ``get_ema_multi_avg_fn``: :func:`ema_average` in place over lists of tensors."""
    decay = _check_decay(decay)

    @torch.no_grad()
    def ema_update(ema: list, current: list, num_averaged) -> None:
        for w_ema, w in zip(ema, current, strict=True):
            w_ema.copy_(ema_average(w_ema, w, decay))

    return ema_update


class AveragedModel(nn.Module):
    """A copy of ``model`` whose parameters hold a running average of ``model``'s parameters.

    The first :meth:`update_parameters` copies the weights; later calls apply ``avg_fn`` (one
    tensor at a time) or ``multi_avg_fn`` (lists of tensors), by default the equal-weight running
    mean (SWA / Polyak). ``use_buffers=True`` averages buffers (BN statistics) too; otherwise the
    buffers are copied from ``model`` at every update, as in PyTorch.
    """

    def __init__(
        self,
        model: nn.Module,
        device: torch.device | None = None,
        avg_fn: Callable | None = None,
        multi_avg_fn: Callable | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("Invalid avg_fn/multi_avg_fn: give at most one of them")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", torch.tensor(0, dtype=torch.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model: nn.Module) -> list[torch.Tensor]:
        tensors = itertools.chain(model.parameters(), model.buffers() if self.use_buffers else ())
        return [t.detach() for t in tensors]

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """Fold ``model``'s current weights into the average."""
        averaged = self._tensors(self.module)
        current = [t.to(a.device) for a, t in zip(averaged, self._tensors(model), strict=True)]
        if self.n_averaged == 0:
            for a, t in zip(averaged, current, strict=True):
                a.copy_(t)
        else:
            self._average(averaged, current)
        if not self.use_buffers:
            for b_avg, b in zip(self.module.buffers(), model.buffers(), strict=True):
                b_avg.copy_(b.detach().to(b_avg.device))
        self.n_averaged += 1

    def _average(self, averaged: list, current: list) -> None:
        if self.avg_fn is not None:
            for a, t in zip(averaged, current, strict=True):
                a.copy_(self.avg_fn(a, t, self.n_averaged.to(a.device)))
        else:
            (self.multi_avg_fn or get_swa_multi_avg_fn())(averaged, current, self.n_averaged)


def _batchnorms(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def update_bn(loader: Iterable, model: nn.Module, device: torch.device | None = None) -> None:
    """Recompute every BatchNorm layer's running mean and variance with one pass over ``loader``:
    statistics are reset, momentum set to None (an equal-weight cumulative average over the
    batches), and restored afterwards. Batches may be tensors or (inputs, ...) tuples."""
    layers = _batchnorms(model)
    if not layers:
        return
    momenta = {layer: layer.momentum for layer in layers}
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None
    with model_mode(model, True):
        for batch in loader:
            inputs = batch[0] if isinstance(batch, list | tuple) else batch
            model(inputs.to(device) if device is not None else inputs)
    for layer, momentum in momenta.items():
        layer.momentum = momentum


@torch.no_grad()
def ensemble_predict(models: Sequence[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """Mean of the members' softmax probabilities, (N, classes); members are run in eval mode
    and their modes restored."""
    if len(models) == 0:
        raise ValueError("Invalid models: the ensemble is empty")
    total = 0
    for model in models:
        with model_mode(model, False):
            total = total + model(x).softmax(dim=-1)
    return total / len(models)


class SnapshotCollector(Callback):
    """Keep a copy of the model at the end of every ``cycle_length`` epochs (the ends of the
    cycles of a warm-restart schedule), for a snapshot ensemble."""

    def __init__(self, cycle_length: int) -> None:
        self.cycle_length = check_positive_int("cycle_length", cycle_length)
        self.snapshots: list[nn.Module] = []

    def on_epoch_end(self, epoch: int, logs: dict, model: nn.Module) -> bool:
        if epoch % self.cycle_length == 0:
            self.snapshots.append(copy.deepcopy(model).eval())
        return False


class SWACallback(Callback):
    """Fold the model into ``averaged`` (an :class:`AveragedModel`) at the end of every epoch
    from ``start`` on."""

    def __init__(self, averaged: AveragedModel, start: int) -> None:
        self.averaged = averaged
        self.start = check_positive_int("start", start)

    def on_epoch_end(self, epoch: int, logs: dict, model: nn.Module) -> bool:
        if epoch >= self.start:
            self.averaged.update_parameters(model)
        return False
