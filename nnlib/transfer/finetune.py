"""Few-label experiments with the pretrained glyph network (lecture 7).

Four ways to get a digit classifier from k labelled images per class:

* ``"scratch"``: the same architecture, freshly initialised, all layers trained;
* ``"features"``: the frozen pretrained network as a feature extractor, a linear classifier
  (logistic regression) trained on its ``fc`` codes;
* ``"last layers"``: ``conv1``-``conv3`` frozen (with their BN statistics), ``fc`` and a new head
  fine-tuned;
* ``"all layers"``: everything fine-tuned, early blocks with smaller learning rates
  (``layerwise_param_groups``), BN statistics frozen or updated (``bn``).

Frozen blocks are deterministic functions of the input, so ``"features"`` and ``"last layers"``
train only the small top on cached codes (``extract_features``): the same result as running the
frozen blocks at every step, at a fraction of the cost.

Also here: ``few_shot_subset`` and ``permute_pixels`` (the dissimilar target task), and FitNets
hint training (Romero et al. 2015), which transfers a teacher's middle layer into a student of
another shape.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import torch
from torch import nn

from nnlib import utils
from nnlib.data import TensorBatches
from nnlib.train import accuracy, fit_steps
from nnlib.transfer.distill import hint_loss
from nnlib.transfer.features import extract_features
from nnlib.transfer.freezing import freeze_bn_statistics, layerwise_param_groups, replace_head
from nnlib.utils import check_positive, check_positive_int

__all__ = [
    "few_shot_subset",
    "fine_tune",
    "hint_pretrain",
    "linear_probe",
    "permute_pixels",
    "thin_cnn",
    "train_classifier",
]


def few_shot_subset(
    x: torch.Tensor, y: torch.Tensor, k: int | None, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``k`` examples of every class, drawn without replacement with ``seed`` (``k=None``: all).

    The result is sorted by original position, so it does not depend on class order.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: x has {len(x)} rows, y has {len(y)}")
    if k is None:
        return x, y
    k = check_positive_int("k", k)
    counts = torch.bincount(y)
    present = counts[counts > 0]
    if k > present.min():
        raise ValueError(f"Invalid k: {k} (the smallest class has only {int(present.min())})")
    g = utils.generator(seed)
    chosen = []
    for label in torch.nonzero(counts).flatten():
        members = torch.nonzero(y == label).flatten()
        chosen.append(members[torch.randperm(len(members), generator=g)[:k]])
    index = torch.cat(chosen).sort().values
    return x[index], y[index]


def permute_pixels(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Images with their pixels shuffled by one fixed permutation (``seed``): the same
    information and labels, but no spatial structure left for convolutional filters to use."""
    order = torch.randperm(x[0].numel(), generator=utils.generator(seed))
    return x.flatten(1)[:, order].reshape(x.shape)


def train_classifier(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    param_groups,
    steps: int = 150,
    batch_size: int = 64,
    seed: int = 0,
    loss_fn=None,
) -> list[float]:
    """Adam on ``param_groups`` (a list of groups or of parameters) for ``steps`` minibatch
    steps of ``min(batch_size, len(x))`` examples, reshuffled each pass with ``seed``
    (``data.TensorBatches`` fed to ``train.fit_steps``). Returns the loss of every step. The
    model is in train mode (frozen BN layers stay in eval mode)."""
    batch_size = min(check_positive_int("batch_size", batch_size), len(x))
    batches = TensorBatches(x, y, batch_size, seed=seed)
    optimizer = torch.optim.Adam(param_groups)
    return fit_steps(model, optimizer, batches, steps, loss_fn, device=x.device).step_loss


def fine_tune(
    pretrained: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float = 3e-3,
    decay: float = 0.3,
    bn: str = "frozen",
    steps: int = 150,
    batch_size: int = 64,
    seed: int = 0,
) -> nn.Module:
    """A copy of ``pretrained`` with a new head, every block fine-tuned with per-layer learning
    rates ``lr * decay ** depth``; ``bn="frozen"`` keeps the pretrained BN statistics,
    ``bn="train"`` lets them move to the target data (and normalizes each training batch with
    its own statistics)."""
    if bn not in ("frozen", "train"):
        raise ValueError(f"Invalid bn: {bn!r} (must be 'frozen' or 'train')")
    model = replace_head(copy.deepcopy(pretrained), int(y.max()) + 1, seed=seed)
    if bn == "frozen":
        freeze_bn_statistics(model)
    groups = layerwise_param_groups(model, lr, decay)
    train_classifier(model, x, y, groups, steps=steps, batch_size=batch_size, seed=seed)
    return model


def linear_probe(
    pretrained: nn.Module,
    train_xy: tuple[torch.Tensor, torch.Tensor],
    test_xy: tuple[torch.Tensor, torch.Tensor],
    cut: str | None = "fc",
    seed: int = 0,
    steps: int = 150,
    cache: dict | None = None,
    lr: float = 1e-2,
) -> float:
    """Test accuracy of a linear classifier (softmax regression, Adam at rate ``lr``) trained on
    the frozen network's codes at block ``cut``; ``cut=None`` uses the raw pixels (the
    baseline)."""
    if cut is None:
        codes, codes_test = train_xy[0].flatten(1), test_xy[0].flatten(1)
    else:
        codes = extract_features(pretrained, train_xy[0], cut, cache=cache)
        codes_test = extract_features(pretrained, test_xy[0], cut, cache=cache)
    utils.manual_seed(seed)
    linear = nn.Linear(codes.shape[1], int(train_xy[1].max()) + 1)
    groups = [{"params": linear.parameters(), "lr": lr}]
    train_classifier(linear, codes, train_xy[1], groups, steps, seed=seed)
    return accuracy(linear, codes_test, test_xy[1])


def thin_cnn(n_classes: int = 10, width: int = 8) -> nn.Sequential:
    """A thin student for FitNets, with as many weight layers as the glyph network (not deeper):
    four 3x3 conv blocks (width, width, 2 width, 2 width channels, BN, ReLU; max-pool after the
    third and fourth) and a linear head."""
    check_positive_int("width", width)

    def conv(c_in, c_out, pool):
        layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out)]
        return nn.Sequential(*layers, nn.ReLU(), *([nn.MaxPool2d(2)] if pool else []))

    return nn.Sequential(
        OrderedDict(
            conv1=conv(1, width, False),
            conv2=conv(width, width, False),
            conv3=conv(width, 2 * width, True),
            conv4=conv(2 * width, 2 * width, True),
            head=nn.Sequential(
                nn.Flatten(), nn.Linear(8 * width, check_positive_int("n", n_classes))
            ),
        )
    )


def hint_pretrain(
    student: nn.Sequential,
    guided: str,
    hints: torch.Tensor,
    x: torch.Tensor,
    steps: int = 300,
    lr: float = 3e-3,
    seed: int = 0,
) -> list[float]:
    """FitNets stage 1 (Romero et al. 2015): train the student's blocks up to ``guided`` and a
    1x1-convolution regressor r so that r(student's ``guided`` output) matches the teacher's
    ``hints`` for the same inputs ``x`` (no labels needed)::

        minimise over W_guided, W_r:  ½ ‖u_h(x) - r(v_g(x; W_guided); W_r)‖²

    Returns the hint loss of every step; the regressor is thrown away afterwards.
    """
    check_positive("lr", lr)
    names = [n for n, _ in student.named_children()]
    if guided not in names:
        raise ValueError(f"Invalid guided: unknown layer {guided!r} (choose from {names})")
    lower = nn.Sequential(*[getattr(student, n) for n in names[: names.index(guided) + 1]])
    with torch.no_grad():
        shape = lower.eval()(x[:2]).shape
    if shape[2:] != hints.shape[2:] or len(hints) != len(x):
        raise ValueError(
            f"hints of shape {tuple(hints.shape)} do not fit the student's {guided!r} output "
            f"{tuple(shape)} for {len(x)} inputs"
        )
    utils.manual_seed(seed)
    regressor = nn.Conv2d(shape[1], hints.shape[1], kernel_size=1)
    model = nn.Sequential(lower, regressor)
    return train_classifier(
        model,
        x,
        hints,
        [{"params": model.parameters(), "lr": lr}],
        steps=steps,
        seed=seed,
        loss_fn=hint_loss,
    )
