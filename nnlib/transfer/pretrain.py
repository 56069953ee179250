"""Regenerate the shipped glyph-network weights: ``python -m nnlib.transfer.pretrain``.

Generates the 100-class glyph source task (``nnlib.transfer.source_task``), trains
``glyph_cnn`` on it with Adam and a cosine learning-rate schedule, measures its accuracy on a
freshly generated held-out set (another seed, same alphabet), and writes

* ``glyph_cnn.pt``: the state dict (``torch.save``);
* ``glyph_cnn.json``: the source accuracy, data sizes, seeds, hyperparameters, the sha256 of
  the file and of the tensors, the torch version, the thread count and the time taken.

Deterministic: every random draw comes from a seed, the thread count is fixed (one thread by
default, which is also fastest when another process shares the CPU) and
``torch.use_deterministic_algorithms(True)`` is on, so a rerun with the same torch version and
thread count writes the same tensors. The full run takes about a minute on a 2-core CPU;
``--quick`` (small data, one epoch) is what the test suite runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import torch
from torch import nn

from nnlib.train import EpochMeans, correct_fraction, train_steps
from nnlib.transfer.network import INFO, WEIGHTS, glyph_cnn, state_checksum
from nnlib.transfer.source_task import make_glyphs
from nnlib.utils import REPLICATION_VARIABLE, check_positive_int, replication

__all__ = ["FULL", "QUICK", "main", "pretrain"]

FULL = {"n_train": 60000, "n_test": 5000, "epochs": 10, "batch_size": 128, "lr": 3e-3}
QUICK = {"n_train": 1200, "n_test": 400, "epochs": 1, "batch_size": 128, "lr": 3e-3}
TRAIN_SEED, TEST_SEED, INIT_SEED = 0, 1, 0
DEFAULT_OUT = Path(__file__).parent / "weights"


@torch.no_grad()
def source_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of ``model`` (in eval mode) on source images ``x`` with labels ``y``."""
    model.eval()
    return correct_fraction(torch.cat([model(chunk) for chunk in x.split(1024)]), y).item()


def pretrain(
    n_train: int,
    n_test: int,
    epochs: int,
    batch_size: int,
    lr: float,
    threads: int = 1,
    progress: bool = True,
) -> tuple[nn.Module, dict]:
    """Train the glyph network from scratch on the source task; returns (model, record)."""
    for name, value in (("n_train", n_train), ("n_test", n_test), ("epochs", epochs)):
        check_positive_int(name, value)
    check_positive_int("batch_size", batch_size)
    check_positive_int("threads", threads)
    if replication() != 0:
        # make_glyphs draws through nnlib.utils.generator; the shipped weights use the seeds as is.
        raise ValueError(
            f"Invalid {REPLICATION_VARIABLE}: {replication()} (the shipped weights are trained "
            "in replication 0; unset it)"
        )
    threads_before = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    start = time.perf_counter()
    x, y = make_glyphs(n_train, seed=TRAIN_SEED)
    x_test, y_test = make_glyphs(n_test, seed=TEST_SEED)
    torch.manual_seed(INIT_SEED)
    model = glyph_cnn(n_classes=int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = -(-n_train // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * steps_per_epoch)
    order = torch.Generator().manual_seed(TRAIN_SEED)
    for epoch in range(1, epochs + 1):
        batches = ((x[b], y[b]) for b in torch.randperm(n_train, generator=order).split(batch_size))
        meter = EpochMeans()
        loss_fn = nn.functional.cross_entropy
        train_steps(
            model, optimizer, batches, loss_fn, scheduler=schedule, callbacks=[meter], device="cpu"
        )
        if progress:
            print(f"epoch {epoch:>2}/{epochs}: train loss {meter.means()['loss']:.4f}", flush=True)
    record = {
        "source_test_accuracy": round(source_accuracy(model, x_test, y_test), 4),
        "source_train_accuracy": round(source_accuracy(model, x[:n_test], y[:n_test]), 4),
        "n_classes": int(y.max()) + 1,
        "n_train": n_train,
        "n_test": n_test,
        "train_seed": TRAIN_SEED,
        "test_seed": TEST_SEED,
        "init_seed": INIT_SEED,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "threads": threads,
        "torch_version": torch.__version__.split("+")[0],
        "state_sha256": state_checksum(model),
        "seconds": round(time.perf_counter() - start, 1),
    }
    torch.use_deterministic_algorithms(False)
    torch.set_num_threads(threads_before)
    return model.eval(), record


def save(model: nn.Module, record: dict, out: Path) -> Path:
    """Write the weights and the JSON record (with the file's sha256) into the folder ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    weights = out / WEIGHTS
    torch.save(model.state_dict(), weights)
    record = {**record, "file_sha256": hashlib.sha256(weights.read_bytes()).hexdigest()}
    (out / INFO).write_text(json.dumps(record, indent=2) + "\n")
    return weights


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, one epoch (for tests)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the files")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (fixes the sums)")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    model, record = pretrain(**config, threads=args.threads)
    weights = save(model, record, args.out)
    size = weights.stat().st_size / 1024
    print(
        f"source test accuracy {record['source_test_accuracy']:.4f}; "
        f"{weights.name} {size:.0f} KiB; time {record['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
