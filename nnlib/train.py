"""The one training loop of nnlib, and ``fit`` / ``evaluate`` built on it, with history and
callbacks.

:func:`train_steps` is the only place where nnlib takes a minibatch step: zero the gradients, run
the model, compute the loss (plus an optional penalty), backpropagate, step the optimizer (and a
per-step scheduler), record the loss, and ask the callbacks whether to stop. Everything that trains
goes through it: :func:`fit` (epochs, validation, early stopping), :func:`fit_steps` (a fixed step
count), :func:`fit_batched` (many networks at once), the LR range test, the studies and transfer
learning. A non-finite loss stops the run cleanly; the history says at which step and with which
value. ``fit`` puts the model in train mode for each epoch and in eval mode (under
``torch.no_grad``) for validation. A tqdm bar shows progress when ``progress=True``.

The training functions take ``device`` (default :func:`nnlib.get_device`: CUDA when present, else
the CPU): the model is moved there (and stays there) and every batch follows it, so the same call
runs on a laptop or a GPU. ``evaluate`` and ``accuracy`` run where the model is.
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable

import torch
from torch import nn

from nnlib.losses import per_model_loss
from nnlib.utils import (
    DivergenceError,
    check_finite,
    check_positive_int,
    get_device,
    model_mode,
    progress_bar,
)

__all__ = [
    "Callback",
    "EarlyStopping",
    "EpochMeans",
    "History",
    "accuracy",
    "correct_fraction",
    "evaluate",
    "fit",
    "fit_batched",
    "fit_steps",
    "place",
    "train_steps",
]


class History:
    """Per-epoch records of one run: ``history["val_loss"]`` is a list with one value per epoch.

    ``step_loss`` keeps the loss of every minibatch; ``diverged`` holds the DivergenceError if
    the run blew up; ``stopped_at`` is the epoch a callback stopped the run at, if any.
    """

    def __init__(self) -> None:
        self.records: dict[str, list[float]] = defaultdict(list)
        self.step_loss: list[float] = []
        self.diverged: DivergenceError | None = None
        self.stopped_at: int | None = None

    def append(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.records[key].append(value)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.records:
            raise KeyError(f"no record {key!r}; have {sorted(self.records)}")
        return self.records[key]

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records.get("epoch", []))

    def best(self, key: str = "val_loss", mode: str = "min") -> tuple[int, float]:
        """(epoch, value) of the best record of ``key``."""
        values = self[key]
        pick = min if mode == "min" else max
        index = values.index(pick(values))
        return self["epoch"][index], values[index]

    def summary(self, digits: int = 4) -> str:
        """One line: epochs run, last values rounded to ``digits``, and how the run ended."""
        if self.diverged is not None:
            return f"{len(self)} epochs completed, then {self.diverged}"
        last = ", ".join(
            f"{k}={v[-1]:.{digits}f}" for k, v in self.records.items() if k != "epoch" and v
        )
        ending = f" (stopped early at epoch {self.stopped_at})" if self.stopped_at else ""
        return f"{len(self)} epochs: {last}{ending}"

    def __repr__(self) -> str:
        return f"History({self.summary()})"


class Callback:
    """Hook into the training loop. Return True from ``on_step_end`` (after every minibatch step
    of :func:`train_steps`) or ``on_epoch_end`` (after every epoch of :func:`fit`) to stop."""

    def on_step_end(self, step: int, logs: dict, model: nn.Module) -> bool:
        return False

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: nn.Module) -> bool:
        return False

    def on_train_end(self, model: nn.Module) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best=True`` the model gets back the weights of its best epoch at the end.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (must be 'min' or 'max')")
        if min_delta < 0:
            raise ValueError(f"Invalid min_delta: {min_delta!r} (must be >= 0)")
        self.monitor = monitor
        self.patience = check_positive_int("patience", patience)
        self.min_delta = min_delta
        self.sign = 1.0 if mode == "min" else -1.0
        self.restore_best = restore_best
        self.best_value = float("inf")
        self.best_epoch: int | None = None
        self.best_state: dict | None = None
        self.wait = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: nn.Module) -> bool:
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, not in logs {sorted(logs)}")
        value = self.sign * logs[self.monitor]
        if value < self.best_value - self.min_delta:
            self.best_value, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = copy.deepcopy(model.state_dict())
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, model: nn.Module) -> None:
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)


def correct_fraction(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fraction of argmax predictions (over the last dim) equal to ``targets``: the one accuracy
    formula of nnlib. Logits (N, C) give a 0-d tensor; stacked logits (S, N, C) one value per
    network (S,)."""
    if outputs.shape[-2:-1] != targets.shape[-1:]:
        raise ValueError(
            f"Invalid shapes: outputs {tuple(outputs.shape)} must be (..., N, C) for targets "
            f"{tuple(targets.shape)}"
        )
    return (outputs.argmax(dim=-1) == targets).float().mean(dim=-1)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device=None):
    """Accuracy of ``model`` on inputs ``x`` with labels ``y``, in eval mode (mode restored): a
    float, or one accuracy per network (a tensor (S,)) for stacked networks
    (:class:`nnlib.models.StackedModels`)."""
    device = device or _device_of(model)
    with model_mode(model, False):
        fraction = correct_fraction(model(x.to(device)), y.to(device))
    return fraction.item() if fraction.dim() == 0 else fraction


def _is_classification(outputs: torch.Tensor, targets: torch.Tensor) -> bool:
    return targets.dtype == torch.int64 and outputs.ndim >= 2 and outputs.shape[-2] == len(targets)


def _device_of(model: nn.Module) -> torch.device:
    return next(itertools.chain(model.parameters(), [torch.empty(0)])).device


def place(model: nn.Module, device: torch.device | str | None = None) -> torch.device:
    """The device to train on, ``device`` or else :func:`nnlib.get_device`, with ``model`` moved
    there in place (its parameters keep their identity, so an optimizer built before still
    works)."""
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    return device


def _mean_logs(sums: dict[str, float], count: int) -> dict[str, float]:
    return {key: value / count for key, value in sums.items()}


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, loss_fn=None, device=None) -> dict[str, float]:
    """Mean loss (and accuracy, for classification) over ``loader`` in eval mode.

    The model's previous train/eval mode is restored afterwards.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = device or _device_of(model)
    with model_mode(model, False):
        sums: dict[str, float] = defaultdict(float)
        count = 0
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            n = len(inputs)
            sums["loss"] += loss_fn(outputs, targets).item() * n
            if _is_classification(outputs, targets):
                sums["accuracy"] += correct_fraction(outputs, targets).item() * n
            count += n
    if count == 0:
        raise ValueError("Invalid loader: it yielded no data")
    return _mean_logs(sums, count)


def train_steps(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable,
    loss_fn: Callable | None = None,
    *,
    steps: int | None = None,
    history: History | None = None,
    penalty: Callable[[nn.Module], torch.Tensor] | None = None,
    batch_transform: Callable | None = None,
    scheduler=None,
    callbacks: Iterable[Callback] = (),
    device: torch.device | str | None = None,
) -> History:
    """The minibatch loop: one pass over ``batches``, or exactly ``steps`` steps cycling through
    them as often as needed. Returns the History (a new one, or ``history`` extended).

    Each step: ``batch_transform(inputs, targets)`` if given (augmentation, mixup), zero the
    gradients, ``loss = loss_fn(model(inputs), targets)``, add ``penalty(model)`` if given (the
    recorded loss is the data loss alone), backward, ``optimizer.step()``, ``scheduler.step()`` if
    given (per step), then every callback's ``on_step_end(step, logs, model)``, with logs
    ``loss``, ``size`` (examples), ``lr`` and, for classification, ``accuracy``. A loss that is a
    vector (one value per network of a :class:`nnlib.models.StackedModels`) is summed before
    backward, so each network gets the gradient of its own loss, and recorded as a tensor. A
    non-finite scalar loss stops the run: ``history.diverged`` says where.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = place(model, device)
    history = history if history is not None else History()
    callbacks = list(callbacks)
    if steps is not None:
        check_positive_int("steps", steps)
        batches = itertools.islice(_cycle(batches), steps)
    model.train()
    for inputs, targets in batches:
        inputs, targets = inputs.to(device), targets.to(device)
        if batch_transform is not None:
            inputs, targets = batch_transform(inputs, targets)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        step = len(history.step_loss) + 1
        if loss.dim() == 0:
            try:
                value = check_finite(loss.item(), step=step)
            except DivergenceError as error:
                history.diverged = error
                break
        else:
            value = loss.detach()
        objective = loss if loss.dim() == 0 else loss.sum()
        if penalty is not None:
            objective = objective + penalty(model)
        objective.backward()
        logs = {"loss": value, "size": len(inputs), "lr": optimizer.param_groups[0]["lr"]}
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        history.step_loss.append(value)
        if _is_classification(outputs, targets):
            fraction = correct_fraction(outputs.detach(), targets)
            logs["accuracy"] = fraction.item() if fraction.dim() == 0 else fraction
        if any([callback.on_step_end(step, logs, model) for callback in callbacks]):
            history.stopped_at = step
            break
    return history


def _cycle(batches: Iterable):
    """Pass over ``batches`` again and again (a fresh iterator each time, so loaders reshuffle)."""
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            raise ValueError("Invalid batches: they yielded no data")


class EpochMeans(Callback):
    """Means over one epoch's steps of the logged loss and accuracy, weighted by batch size."""

    def __init__(self) -> None:
        self.sums: dict = defaultdict(float)
        self.count = 0

    def on_step_end(self, step: int, logs: dict, model: nn.Module) -> bool:
        for key in ("loss", "accuracy"):
            if key in logs:
                self.sums[key] = self.sums[key] + logs[key] * logs["size"]
        self.count += logs["size"]
        return False

    def means(self) -> dict:
        if self.count == 0:
            raise ValueError("Invalid train_loader: it yielded no data")
        return _mean_logs(self.sums, self.count)


def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_loader: Iterable,
    epochs: int,
    *,
    loss_fn: nn.Module | None = None,
    val_loader: Iterable | None = None,
    scheduler=None,
    callbacks: Iterable[Callback] = (),
    device: torch.device | str | None = None,
    progress: bool = True,
    penalty: Callable[[nn.Module], torch.Tensor] | None = None,
    batch_transform: Callable | None = None,
) -> History:
    """Train ``model`` for up to ``epochs`` epochs of :func:`train_steps` and return its
    :class:`History`.

    Logged per epoch: ``train_loss`` (and ``train_accuracy``) as means over the epoch's
    minibatches, ``val_loss`` (and ``val_accuracy``) when ``val_loader`` is given, and ``lr``.
    ``scheduler.step()`` runs once per epoch (``ReduceLROnPlateau`` gets the monitored loss).
    A non-finite loss stops the run; ``history.diverged`` then says where.

    ``penalty(model)``, if given, is added to each training step's loss before ``backward``
    (``train_loss`` logs the data loss alone). ``batch_transform(inputs, targets)`` is applied to
    every training batch (augmentation, mixup); evaluation batches are left alone.
    """
    check_positive_int("epochs", epochs)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = place(model, device)
    callbacks = list(callbacks)
    history = History()
    bar = progress_bar(range(1, epochs + 1), progress=progress, desc="epochs")
    for epoch in bar:
        meter = EpochMeans()
        train_steps(
            model,
            optimizer,
            train_loader,
            loss_fn,
            history=history,
            penalty=penalty,
            batch_transform=batch_transform,
            callbacks=[meter, *callbacks],
            device=device,
        )
        if history.diverged is not None:
            break
        logs = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"]}
        logs.update({f"train_{k}": v for k, v in meter.means().items()})
        if val_loader is not None:
            val_logs = evaluate(model, val_loader, loss_fn, device)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        history.append(logs)
        bar.set_postfix(loss=f"{logs['train_loss']:.4f}")
        if scheduler is not None:
            _step_scheduler(scheduler, logs)
        if history.stopped_at is not None or any(
            [callback.on_epoch_end(epoch, logs, model) for callback in callbacks]
        ):
            history.stopped_at = epoch
            break
    for callback in callbacks:
        callback.on_train_end(model)
    return history


def _step_scheduler(scheduler, logs: dict[str, float]) -> None:
    if hasattr(scheduler, "num_bad_epochs"):  # plateau schedulers (torch's or nnlib's) need a value
        scheduler.step(logs.get("val_loss", logs["train_loss"]))
    else:
        scheduler.step()


def fit_steps(model, optimizer, loader, steps: int, loss_fn=None, device=None) -> History:
    """Train for exactly ``steps`` minibatch steps of :func:`train_steps`, cycling through
    ``loader`` as often as needed (for comparisons at equal step counts, e.g. across batch
    sizes). ``history.step_loss`` holds every step's loss; a non-finite loss stops the run."""
    return train_steps(model, optimizer, loader, loss_fn, steps=steps, device=device)


def fit_batched(
    model,
    optimizer,
    loader,
    epochs: int,
    eval_data=None,
    progress=True,
    scheduler=None,
    device=None,
):
    """Train all networks of a :class:`nnlib.models.StackedModels` together with
    :func:`train_steps` (loss :func:`nnlib.losses.per_model_loss`, ``scheduler.step()`` after
    every minibatch step). Returns per-network mean training loss per epoch (epochs, S) and,
    when ``eval_data=(x, y)`` is given, per-network loss and accuracy on it after each epoch.
    The loader yields (inputs (B, d_in), targets (B,)) shared by all networks, or
    (S, B, d_in), (S, B): one batch per network (e.g. a different data order per seed)."""
    check_positive_int("epochs", epochs)
    device = place(model, device)
    train_curve, eval_curve, eval_accuracy = [], [], []
    for _ in progress_bar(range(epochs), progress=progress, desc="epochs"):
        meter = EpochMeans()
        train_steps(
            model,
            optimizer,
            loader,
            per_model_loss,
            scheduler=scheduler,
            callbacks=[meter],
            device=device,
        )
        train_curve.append(meter.means()["loss"])
        if eval_data is not None:
            with torch.no_grad():
                x, y = eval_data[0].to(device), eval_data[1].to(device)
                logits = model(x)
                eval_curve.append(per_model_loss(logits, y))
                eval_accuracy.append(correct_fraction(logits, y))
    result = {"train_loss": torch.stack(train_curve)}
    if eval_curve:
        result["eval_loss"] = torch.stack(eval_curve)
        result["eval_accuracy"] = torch.stack(eval_accuracy)
    return result
