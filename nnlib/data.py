"""Offline datasets, seeded splits and seeded data loaders.

Nothing here downloads: MNIST-1D is generated locally by the ``mnist1d`` package, the digits ship
with scikit-learn, and the 2-D toy sets are drawn from closed-form generators.

Every loader returns a :class:`Splits` of ``torch.utils.data.TensorDataset`` objects, features as
float32 and class labels as int64, so the same training loop runs on all of them.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from nnlib import utils
from nnlib.utils import check_fraction, check_positive, check_positive_int

__all__ = [
    "Splits",
    "TensorBatches",
    "blobs",
    "digits",
    "make_loader",
    "mnist1d",
    "moons",
    "split",
]


@dataclass(frozen=True)
class Splits:
    """Train, validation and test sets of one problem, with its shape facts."""

    train: TensorDataset
    val: TensorDataset
    test: TensorDataset
    n_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.train.tensors[0].shape[1:])

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(getattr(self, k))}" for k in ("train", "val", "test"))
        return f"Splits({sizes}, input_shape={self.input_shape}, n_classes={self.n_classes})"


def _as_tensors(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    if len(x) == 0:
        raise ValueError("Invalid x: the dataset is empty")
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: x has {len(x)} rows, y has {len(y)}")
    return x, y


def split(x, y, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> Splits:
    """Shuffle ``(x, y)`` with ``seed`` and cut it into train/validation/test by ``fractions``.

    ``fractions`` are three numbers in [0, 1] summing to 1; the training part must not be empty.
    """
    x, y = _as_tensors(x, y)
    if len(fractions) != 3:
        raise ValueError(f"Invalid fractions: {fractions!r} (need three: train, val, test)")
    fractions = [check_fraction("fractions", f, closed=True) for f in fractions]
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"Invalid fractions: {fractions!r} sum to {sum(fractions):.6g}, not 1")
    n = len(x)
    n_train = round(fractions[0] * n)
    n_val = round(fractions[1] * n)
    if n_train == 0:
        raise ValueError(f"Invalid fractions: {fractions!r} leave no training data out of {n}")
    order = torch.randperm(n, generator=utils.generator(seed))
    parts = torch.split(order, [n_train, n_val, n - n_train - n_val])
    train, val, test = (TensorDataset(x[idx], y[idx]) for idx in parts)
    return Splits(train, val, test, n_classes=int(y.max()) + 1)


def make_loader(
    dataset, batch_size: int, shuffle: bool = True, seed: int = 0, drop_last: bool = False
) -> DataLoader:
    """A DataLoader whose shuffling order is fixed by ``seed`` (sampling without replacement)."""
    check_positive_int("batch_size", batch_size)
    if len(dataset) == 0:
        raise ValueError("Invalid dataset: it is empty")
    generator = utils.generator(seed)
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator
    )


class TensorBatches:
    """Minibatches ``(x[idx], y[idx])`` of in-memory tensors, reshuffled on every pass by a
    generator seeded with ``seed``; with ``drop_last`` a final short batch is skipped. Indexes
    whole batches at once, so for small tensors it is much faster than a ``DataLoader``, which
    collates one example at a time. Usable wherever a loader is (``train.fit_steps``, ``fit``)."""

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int = 0, drop_last=True
    ) -> None:
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"Invalid x, y: lengths {len(x)} and {len(y)} (equal, non-zero)")
        self.x, self.y = x, y
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.drop_last = drop_last
        self.generator = utils.generator(seed)

    def __iter__(self):
        order = torch.randperm(len(self.x), generator=self.generator)
        for batch in order.split(self.batch_size):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield self.x[batch], self.y[batch]

    def __len__(self) -> int:
        full, rest = divmod(len(self.x), self.batch_size)
        return full + (rest > 0 and not self.drop_last)


MNIST1D_KEYS = ("x", "y", "x_test", "y_test")


def mnist1d_cache_path(seed: int) -> Path:
    """The file that keeps the MNIST-1D arrays generated with ``seed``: generating them costs 1-2 s
    of CPU (the mnist1d package interpolates each signal), reading them a few ms. In the folder
    ``NNLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnlib`` or ``~/.cache/nnlib``; the name holds the
    versions of mnist1d and numpy that generated them."""
    from importlib.metadata import version

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnlib"
    folder = Path(os.environ.get("NNLIB_CACHE_DIR") or cache)
    return folder / f"mnist1d-{version('mnist1d')}-numpy{np.__version__}-seed{seed}.npz"


@lru_cache(maxsize=4)
def _mnist1d_arrays(seed: int):
    path = mnist1d_cache_path(seed)
    # absent or unreadable: generate
    with contextlib.suppress(OSError, ValueError, KeyError), np.load(path) as saved:
        return tuple(saved[key] for key in MNIST1D_KEYS)
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    data = make_dataset(args)
    arrays = tuple(data[key] for key in MNIST1D_KEYS)
    with contextlib.suppress(OSError):  # a read-only home only costs the time
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
        np.savez(partial, **dict(zip(MNIST1D_KEYS, arrays, strict=True)))
        os.replace(partial, path)  # whole or absent, when two processes write at once
    return arrays


def mnist1d(val_fraction: float = 0.2, seed: int = 0) -> Splits:
    """MNIST-1D (Greydanus 2020): 40-sample 1-D signals of the ten digits, generated offline.

    The package's own 4000/1000 train/test split is kept; ``val_fraction`` of the 4000 training
    signals are held out for validation. ``seed`` fixes both the generated data and the hold-out.
    """
    check_fraction("val_fraction", val_fraction)
    x, y, x_test, y_test = _mnist1d_arrays(utils.replicated_seed(seed))
    x, y = _as_tensors(x, y)
    order = torch.randperm(len(x), generator=utils.generator(seed))
    n_val = round(val_fraction * len(x))
    val_idx, train_idx = order[:n_val], order[n_val:]
    test = TensorDataset(*_as_tensors(x_test, y_test))
    return Splits(
        TensorDataset(x[train_idx], y[train_idx]), TensorDataset(x[val_idx], y[val_idx]), test, 10
    )


def digits(as_images: bool = False, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> Splits:
    """scikit-learn's bundled 8x8 handwritten digits (1797 images), pixels scaled to [0, 1].

    ``as_images=False`` gives vectors of 64 features; ``True`` gives tensors of shape (1, 8, 8).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = bunch.data.astype(np.float32) / 16.0
    if as_images:
        x = x.reshape(-1, 1, 8, 8)
    return split(x, bunch.target, fractions, seed)


def moons(n: int = 600, noise: float = 0.15, fractions=(0.7, 0.15, 0.15), seed: int = 0) -> Splits:
    """Two interleaving half circles (scikit-learn's ``make_moons``), two classes."""
    from sklearn.datasets import make_moons

    check_positive_int("n", n)
    check_positive("noise", noise, allow_zero=True)
    x, y = make_moons(n_samples=n, noise=noise, random_state=utils.replicated_seed(seed))
    return split(x, y, fractions, seed)


def blobs(
    n: int = 600, centers: int = 3, std: float = 1.0, fractions=(0.7, 0.15, 0.15), seed: int = 0
) -> Splits:
    """Gaussian blobs in the plane (scikit-learn's ``make_blobs``), one class per centre."""
    from sklearn.datasets import make_blobs

    check_positive_int("n", n)
    check_positive_int("centers", centers)
    check_positive("std", std)
    x, y = make_blobs(
        n_samples=n, centers=centers, cluster_std=std, random_state=utils.replicated_seed(seed)
    )
    return split(x, y, fractions, seed)
