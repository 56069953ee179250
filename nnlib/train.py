"""A short, readable training loop: ``fit`` and ``evaluate`` with history and callbacks.

``fit`` puts the model in train mode for each epoch and in eval mode (under ``torch.no_grad``)
for validation, records the epoch means in a :class:`History`, stops cleanly when the loss stops
being finite (the history says at which step and with which value), and asks its callbacks after
each epoch whether to stop. A tqdm bar shows progress when ``progress=True``.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

from nnlib.losses import per_model_loss
from nnlib.utils import DivergenceError, check_finite, check_positive_int

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "StopAtValue",
    "evaluate",
    "fit",
    "fit_batched",
    "fit_steps",
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
    """Hook into :func:`fit`. Return True from ``on_epoch_end`` to stop training."""

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


class StopAtValue(Callback):
    """Stop once ``monitor`` falls below ``threshold`` (to compare runs at equal training loss)."""

    def __init__(self, threshold: float, monitor: str = "train_loss"):
        self.threshold = threshold
        self.monitor = monitor

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: nn.Module) -> bool:
        return logs[self.monitor] < self.threshold


def _accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float | None:
    """Fraction of correct argmax predictions, or None when the task is not classification."""
    if targets.dtype != torch.int64 or outputs.ndim != 2:
        return None
    return (outputs.argmax(dim=1) == targets).float().mean().item()


def _mean_logs(sums: dict[str, float], count: int) -> dict[str, float]:
    return {key: value / count for key, value in sums.items()}


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, loss_fn=None, device=None) -> dict[str, float]:
    """Mean loss (and accuracy, for classification) over ``loader`` in eval mode.

    The model's previous train/eval mode is restored afterwards.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    sums: dict[str, float] = defaultdict(float)
    count = 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs)
        n = len(inputs)
        sums["loss"] += loss_fn(outputs, targets).item() * n
        accuracy = _accuracy(outputs, targets)
        if accuracy is not None:
            sums["accuracy"] += accuracy * n
        count += n
    model.train(was_training)
    if count == 0:
        raise ValueError("Invalid loader: it yielded no data")
    return _mean_logs(sums, count)


def _train_epoch(
    model, optimizer, loader, loss_fn, device, history: History, penalty=None, batch_transform=None
) -> dict[str, float]:
    model.train()
    sums: dict[str, float] = defaultdict(float)
    count = 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        if batch_transform is not None:
            inputs, targets = batch_transform(inputs, targets)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        value = check_finite(loss.item(), step=len(history.step_loss) + 1)
        if penalty is not None:
            loss = loss + penalty(model)
        loss.backward()
        optimizer.step()
        history.step_loss.append(value)
        n = len(inputs)
        sums["loss"] += value * n
        accuracy = _accuracy(outputs.detach(), targets)
        if accuracy is not None:
            sums["accuracy"] += accuracy * n
        count += n
    if count == 0:
        raise ValueError("Invalid train_loader: it yielded no data")
    return _mean_logs(sums, count)


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
    device: torch.device | None = None,
    progress: bool = True,
    penalty: Callable[[nn.Module], torch.Tensor] | None = None,
    batch_transform: Callable | None = None,
) -> History:
    """Train ``model`` for up to ``epochs`` epochs and return its :class:`History`.

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
    device = device or next(model.parameters()).device
    callbacks = list(callbacks)
    history = History()
    bar = tqdm(range(1, epochs + 1), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        try:
            train_logs = _train_epoch(
                model, optimizer, train_loader, loss_fn, device, history, penalty, batch_transform
            )
        except DivergenceError as error:
            history.diverged = error
            break
        logs = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"]}
        logs.update({f"train_{k}": v for k, v in train_logs.items()})
        if val_loader is not None:
            val_logs = evaluate(model, val_loader, loss_fn, device)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        history.append(logs)
        bar.set_postfix(loss=f"{logs['train_loss']:.4f}")
        if scheduler is not None:
            _step_scheduler(scheduler, logs)
        if any([callback.on_epoch_end(epoch, logs, model) for callback in callbacks]):
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
    """Train for exactly ``steps`` minibatch steps, cycling through ``loader`` as often as needed
    (for comparisons at equal step counts, e.g. across batch sizes). Returns a History whose
    ``step_loss`` holds every step's loss; a non-finite loss stops the run and is recorded."""
    check_positive_int("steps", steps)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = device or next(model.parameters()).device
    history = History()
    model.train()
    while len(history.step_loss) < steps:
        for inputs, targets in loader:
            if len(history.step_loss) == steps:
                break
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            try:
                value = check_finite(loss.item(), step=len(history.step_loss) + 1)
            except DivergenceError as error:
                history.diverged = error
                return history
            loss.backward()
            optimizer.step()
            history.step_loss.append(value)
    return history


def fit_batched(
    model, optimizer, loader, epochs: int, eval_data=None, progress=True, scheduler=None
):
    """Train all networks of ``model`` together; returns per-network mean training loss per epoch
    (epochs, S) and, when ``eval_data=(x, y)`` is given, per-network loss and accuracy on it after
    each epoch. ``scheduler.step()`` is called after every minibatch step."""
    check_positive_int("epochs", epochs)
    train_curve, eval_curve, eval_accuracy = [], [], []
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress, leave=False):
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
