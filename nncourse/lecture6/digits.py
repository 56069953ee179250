"""The overfitting set-up of lecture 6, so that every technique is compared on equal terms.

About 11 labelled images per class from scikit-learn's 8x8 digits (108 images) train an MLP
[64, 256, 256, 10] with SGD and momentum for 80 epochs: it reaches 100 % training accuracy and
about 88 % test accuracy. 288 images are held out for validation (early stopping, choosing
hyperparameters) and the remaining 1401 measure test accuracy. A technique is a set of keyword
options for :meth:`DigitsStudy.train`; :meth:`DigitsStudy.compare` runs each over several seeds.

With ``vary_split=True`` (the default) a seed fixes the initialization, the minibatch order *and*
which 108 of the 396 non-test images train (the other 288 validate), so the spread over seeds
includes the luck of the draw of the training set. The test images are the same for every seed,
so seeds and techniques are compared on the same digits. ``vary_split=False`` keeps the split
drawn with ``data_seed`` for every seed.

``label_noise=q`` replaces each training and validation label, with probability ``q``, by one of
the nine other classes drawn uniformly (seeded by the split's seed, so every technique trained on
seed ``s`` sees the same wrong labels); the test labels stay clean. It makes a regime where a
network that memorizes its training set pays for it on the test digits.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import TensorDataset

from nncourse.parallel import parallel_grid, parallel_map
from nnlib import data, models, optim, train, utils
from nnlib.utils import check_fraction, check_positive_int

__all__ = ["DigitsStudy", "mean_spread"]


def mean_spread(values: Sequence[float]) -> tuple[float, float]:
    """(mean, half-range) of a list of results over seeds."""
    if not values:
        raise ValueError("Invalid values: empty")
    return statistics.fmean(values), (max(values) - min(values)) / 2


@dataclass
class DigitsStudy:
    train_fraction: float = 0.06
    epochs: int = 80
    lr: float = 0.05
    momentum: float = 0.9
    batch_size: int = 32
    hidden: Sequence[int] = (256, 256)
    data_seed: int = 0
    vary_split: bool = True
    label_noise: float = 0.0
    splits: data.Splits = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fraction = check_fraction("train_fraction", self.train_fraction)
        check_fraction("label_noise", self.label_noise)
        check_positive_int("epochs", self.epochs)
        self.splits = data.digits(
            as_images=True, fractions=(fraction, 0.16, 0.84 - fraction), seed=self.data_seed
        )

    def split_for(self, seed: int | None) -> tuple[TensorDataset, TensorDataset]:
        """The (train, val) datasets of ``seed``: with ``vary_split``, a seeded permutation of the
        396 non-test images (108 train, the rest validate); else (or for ``seed=None``) the split
        drawn with ``data_seed``."""
        if seed is None or not self.vary_split:
            train_set, val_set = self.splits.train, self.splits.val
            seed = self.data_seed
        else:
            x = torch.cat([self.splits.train.tensors[0], self.splits.val.tensors[0]])
            y = torch.cat([self.splits.train.tensors[1], self.splits.val.tensors[1]])
            order = torch.randperm(len(y), generator=utils.generator(seed))
            n = len(self.splits.train)
            train_set = TensorDataset(x[order[:n]], y[order[:n]])
            val_set = TensorDataset(x[order[n:]], y[order[n:]])
        if self.label_noise == 0.0:
            return train_set, val_set
        return self._noisy(train_set, seed, 0), self._noisy(val_set, seed, 1)

    def _noisy(self, dataset: TensorDataset, seed: int, part: int) -> TensorDataset:
        x, y = dataset.tensors
        gen = utils.generator(50_000 + 2 * seed + part)
        wrong = torch.rand(len(y), generator=gen) < self.label_noise
        shift = torch.randint(1, 10, (len(y),), generator=gen)  # never the true class
        return TensorDataset(x, torch.where(wrong, (y + shift) % 10, y))

    def tensors(
        self, split: str = "test", seed: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and labels of ``split``; train and val are those of ``seed`` (see
        :meth:`split_for`), test is the same for every seed."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"Invalid split: {split!r} (choose 'train', 'val' or 'test')")
        if split == "test":
            return self.splits.test.tensors
        train_set, val_set = self.split_for(seed)
        return (train_set if split == "train" else val_set).tensors

    def model(self, seed: int, dropout: float = 0.0, norm: str | None = None) -> nn.Sequential:
        """Flatten -> MLP [64, *hidden, 10], initialised after ``torch.manual_seed(seed)``."""
        utils.manual_seed(seed)
        return nn.Sequential(
            nn.Flatten(), models.mlp([64, *self.hidden, 10], dropout=dropout, norm=norm)
        )

    def train_loader(self, seed: int):
        """Minibatches of the training images of ``seed``, shuffled with ``seed``."""
        return self._loader(seed, seed)

    def _loader(self, split_seed: int, order_seed: int) -> data.TensorBatches:
        x, y = self.split_for(split_seed)[0].tensors
        return data.TensorBatches(x, y, self.batch_size, seed=order_seed, drop_last=False)

    def train(
        self,
        seed: int,
        *,
        dropout: float = 0.0,
        norm: str | None = None,
        optimizer: str = "sgd",
        weight_decay: float = 0.0,
        lr: float | None = None,
        epochs: int | None = None,
        schedule: Callable | None = None,
        split_seed: int | None = None,
        validate: bool = True,
        **fit_options,
    ) -> tuple[nn.Module, train.History]:
        """Train one model; ``optimizer`` is "sgd" (momentum), "adam" (L2 inside the gradient)
        or "adamw" (decoupled decay); ``schedule(optimizer)`` may return an LR scheduler;
        other options (penalty, batch_transform, loss_fn, callbacks) go to ``train.fit``.

        ``seed`` fixes the initialization and the minibatch order, and (unless ``split_seed``
        is given) the training and validation images; ``split_seed`` lets several
        initializations share one split, e.g. for the members of an ensemble. ``validate=False``
        skips the validation pass after every epoch (the history then has no ``val_`` records;
        the trained weights are the same): a third faster, for runs judged by test accuracy."""
        split_seed = seed if split_seed is None else split_seed
        model = self.model(seed, dropout, norm)
        lr = lr if lr is not None else (self.lr if optimizer == "sgd" else 1e-3)
        opt = self._optimizer(optimizer, model, lr, weight_decay)
        history = train.fit(
            model,
            opt,
            self._loader(split_seed, seed),
            epochs or self.epochs,
            val_loader=[self.tensors("val", split_seed)] if validate else None,
            scheduler=schedule(opt) if schedule else None,
            progress=False,
            **fit_options,
        )
        return model.eval(), history

    def train_seeds(self, seeds: Sequence[int], **options) -> list[tuple[nn.Module, train.History]]:
        """``[self.train(seed, **options) for seed in seeds]``, with the seeds trained side by
        side on the CPU's cores (:func:`nncourse.parallel.parallel_map`, one thread each)."""
        return parallel_map(lambda seed: self.train(seed, **options), seeds)

    def _optimizer(self, name: str, model: nn.Module, lr: float, weight_decay: float):
        if name == "sgd":
            return optim.SGD(
                model.parameters(), lr=lr, momentum=self.momentum, weight_decay=weight_decay
            )
        if name == "adam":
            return optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        if name == "adamw":
            return optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        raise ValueError(f"Invalid optimizer: {name!r} (choose 'sgd', 'adam' or 'adamw')")

    @torch.no_grad()
    def accuracy(self, model_or_probs, split: str = "test", seed: int | None = None) -> float:
        """Accuracy of a model (run in eval mode) or of given class probabilities on ``split``
        (train and val: those of ``seed``)."""
        x, y = self.tensors(split, seed)
        if isinstance(model_or_probs, nn.Module):
            return train.accuracy(model_or_probs, x, y)
        return train.correct_fraction(model_or_probs, y).item()

    def compare(
        self, techniques: Mapping[str, Mapping], seeds: Sequence[int] = range(5)
    ) -> dict[str, list[float]]:
        """Test accuracy of each technique (a dict of ``train`` options) for every seed; all
        runs side by side on the CPU's cores."""
        return parallel_grid(
            lambda name, seed: self.accuracy(
                self.train(seed, validate=False, **dict(techniques[name]))[0]
            ),
            techniques,
            seeds,
        )
