"""Lecture 6's longer runs, kept out of the notebook so that its cells show the experiment.

Each function trains or evaluates networks of a :class:`~nncourse.lecture6.digits.DigitsStudy`
and returns plain numbers: the snapshot ensemble of one seed, the SWA / EMA run of one seed,
the loss and error along the line from the SWA weights through the last iterate, the weight norm
of a network, the calibration of each network of a list, the share of errors members have in
common, ensembles of networks trained on the same images, one augmentation's run, and exercise
6.4's stale-then-repaired batch-norm statistics.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from nncourse import stats
from nncourse.lecture6.digits import DigitsStudy
from nncourse.parallel import parallel_grid
from nnlib import loss_slices, params, schedules
from nnlib import regularization as R

__all__ = [
    "augmented_accuracy",
    "calibration",
    "decay_table",
    "eval_train_loss",
    "same_image_ensembles",
    "shared_errors",
    "snapshot_run",
    "stale_then_repaired",
    "swa_line",
    "swa_run",
    "weight_norm",
]


def weight_norm(model: nn.Module) -> float:
    """Euclidean norm of all the weights that a penalty would decay (biases excluded)."""
    return torch.cat([w.detach().flatten() for w in R.decay_parameters(model)]).norm().item()


def decay_table(swept, lr: float, steps: int) -> str:
    """The weight-decay sweep as a table: for each (optimizer, λ) of ``swept`` (rows of (test
    accuracy, weight norm, ...) per seed), λ, the decay ηλT over ``steps`` steps at learning
    rate ``lr``, the test accuracy's mean and 95 % interval over the seeds and the mean weight
    norm."""
    lines = [f"{'':9s} {'λ':>5s} {'ηλT':>6s}  test accuracy{'':26s}weight norm"]
    for (opt_name, lam), rows in swept.items():
        test, norm = list(zip(*rows, strict=True))[:2]
        name = {"adamw": "AdamW", "adam": "Adam + L2"}[opt_name]
        mean_norm = sum(norm) / len(norm)
        shown = f"{mean_norm:.3g}" if mean_norm > 1e-6 else "< 1e-6"
        interval = str(stats.mean_interval(list(test))).split(" (")[0]
        lines.append(f"{name:9s} {lam:5g} {lr * lam * steps:6.3g}  {interval:39s}{shown}")
    return "\n".join(lines)


def snapshot_run(study: DigitsStudy, seed: int, cycle: int = 16, lr: float = 0.1):
    """(test accuracy of the last snapshot, of the ensemble of all snapshots) for one run with
    cosine annealing and warm restarts every ``cycle`` epochs, a snapshot at each cycle's end."""
    collector = R.SnapshotCollector(cycle_length=cycle)

    def warm_restarts(opt):
        return schedules.scheduler(opt, schedules.cosine_warm_restarts_lr, T_0=cycle)

    study.train(seed, lr=lr, schedule=warm_restarts, callbacks=[collector], validate=False)
    test_x, _ = study.tensors("test")
    last = study.accuracy(collector.snapshots[-1])
    return last, study.accuracy(R.ensemble_predict(collector.snapshots, test_x))


def swa_run(study: DigitsStudy, seed: int, switch: int = 40, factor: float = 4.0):
    """One MLP + BN run at the study's learning rate for ``switch`` epochs, then ``factor``
    times higher, with SWA (one snapshot per epoch from epoch ``switch + 1``) and an EMA of
    weights and BN buffers (decay 0.8, from epoch 1) collected as it trains.

    Returns (last iterate, SWA model after update_bn, test accuracies of: the last iterate, SWA
    with the last iterate's BN statistics, SWA after update_bn, the EMA with its averaged BN
    buffers, the EMA after update_bn)."""
    net = study.model(seed, norm="batch")
    swa = R.AveragedModel(net)
    ema = R.AveragedModel(net, multi_avg_fn=R.get_ema_multi_avg_fn(0.8), use_buffers=True)

    def high_then_constant(opt):
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda epoch: 1.0 if epoch < switch else factor
        )

    callbacks = [R.SWACallback(swa, start=switch + 1), R.SWACallback(ema, start=1)]
    net, _ = study.train(
        seed, norm="batch", schedule=high_then_constant, callbacks=callbacks, validate=False
    )
    accuracies = [study.accuracy(net), study.accuracy(swa)]
    R.update_bn([study.tensors("train", seed)], swa)
    accuracies += [study.accuracy(swa), study.accuracy(ema)]
    R.update_bn([study.tensors("train", seed)], ema)
    return net, swa, [*accuracies, study.accuracy(ema)]


def _error(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return 1 - (outputs.argmax(1) == targets).float().mean()


def swa_line(study: DigitsStudy, seed: int, net: nn.Module, swa, alphas: torch.Tensor):
    """Training loss and test error at ``(1 - α) w_SWA + α w_last`` for each α (batch-norm
    statistics recomputed on the training images at every point)."""
    train_x, train_y = study.tensors("train", seed)
    test_x, test_y = study.tensors("test")
    start, end = params.flatten_params(swa.module), params.flatten_params(net)
    common = dict(bn_inputs=train_x)
    return {
        "train loss": loss_slices.line_losses(
            net, F.cross_entropy, train_x, train_y, start, end, alphas, **common
        ),
        "test error": loss_slices.line_losses(
            net, _error, test_x, test_y, start, end, alphas, **common
        ),
    }


@torch.no_grad()
def calibration(members: Sequence[nn.Module], x: torch.Tensor, y: torch.Tensor):
    """Per network: mean confidence minus accuracy, and the expected calibration error (ten
    bins); plus the reliability diagram of all networks' predictions pooled."""
    probs = [m(x).softmax(1) for m in members]
    over = [(p.amax(1).mean() - (p.argmax(1) == y).float().mean()).item() for p in probs]
    ece = [R.reliability(p, y).ece for p in probs]
    pooled = R.reliability(torch.cat(probs), y.repeat(len(members)))
    return over, ece, pooled


@torch.no_grad()
def shared_errors(members: Sequence[nn.Module], x: torch.Tensor, y: torch.Tensor) -> float:
    """Of the test images some member gets wrong, the fraction that every member gets wrong."""
    wrong = torch.stack([m(x).argmax(1) != y for m in members])
    return wrong.all(0).float().mean().item() / wrong.any(0).float().mean().item()


def augmented_accuracy(study: DigitsStudy, transform, seed: int) -> float:
    """Test accuracy of seed ``seed``'s network trained with ``transform`` applied to every
    training batch (``R.Augment``, seeded with ``seed``)."""
    augment = R.Augment(transform, seed=seed)
    return study.accuracy(study.train(seed, batch_transform=augment, validate=False)[0])


@torch.no_grad()
def eval_train_loss(study: DigitsStudy, model: nn.Module, seed: int) -> float:
    """Cross-entropy of ``model`` in eval mode (no dropout masks) on seed ``seed``'s training
    images; the model is left in eval mode."""
    x, y = study.tensors("train", seed)
    return F.cross_entropy(model.eval()(x), y).item()


def same_image_ensembles(study: DigitsStudy, bases, seeds, members: int = 3, **options):
    """For each seed: the ensemble of its network ``bases[k]`` and ``members - 1`` more
    initializations (seeds 100 + 10 seed + i, i = 1, 2, ...) trained on the same images with
    ``options``. Returns lists over the seeds of (ensemble test accuracy, the members' mean test
    accuracy, the share of shared errors)."""
    seeds = list(seeds)
    extra = parallel_grid(
        lambda seed, i: study.train(
            100 + 10 * seed + i, split_seed=seed, validate=False, **options
        )[0],
        seeds,
        range(1, members),
    )
    test_x, test_y = study.tensors("test")
    rows = []
    for seed, base in zip(seeds, bases, strict=True):
        group = [base, *extra[seed]]
        rows.append(
            (
                study.accuracy(R.ensemble_predict(group, test_x)),
                sum(study.accuracy(m) for m in group) / members,
                shared_errors(group, test_x, test_y),
            )
        )
    return [list(column) for column in zip(*rows, strict=True)]


def stale_then_repaired(study: DigitsStudy, seed: int, swa, net: nn.Module, update) -> tuple:
    """Exercise 6.4 on the SWA run of ``seed``: a copy of the averaged network ``swa`` is given
    the batch-norm statistics of the last iterate ``net`` and evaluated (stale), then
    ``update([training images], copy)`` recomputes them and it is evaluated again (repaired).
    Returns (stale, repaired) test accuracies; ``swa`` itself is not changed."""
    repaired = copy.deepcopy(swa)
    norms = [m for m in repaired.modules() if isinstance(m, nn.BatchNorm1d)]
    stale = [m for m in net.modules() if isinstance(m, nn.BatchNorm1d)]
    for mine, old in zip(norms, stale, strict=True):
        mine.running_mean.copy_(old.running_mean)
        mine.running_var.copy_(old.running_var)
    stale_accuracy = study.accuracy(repaired)
    update([study.tensors("train", seed)[0]], repaired)
    return stale_accuracy, study.accuracy(repaired)
