"""Experiment set-ups of lecture 7 (transfer learning): the digit target tasks, the source
network checks, the tuned size-by-similarity study, batch norm on a shifted target, greedy
layer-wise pretraining and FitNets with its controls.

Every study returns plain numbers (tensors of accuracies per seed); the notebook states its
claims about them. Seeds are paired: seed ``s`` draws the same k-shot subset for every arm.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from nncourse.parallel import parallel_map
from nnlib import data, utils
from nnlib.regularization.averaging import update_bn
from nnlib.train import fit_steps
from nnlib.transfer import (
    accuracy,
    extract_features,
    few_shot_subset,
    fine_tune,
    glyph_cnn,
    hint_pretrain,
    linear_probe,
    make_glyphs,
    permute_pixels,
    replace_head,
    thin_cnn,
    train_classifier,
)
from nnlib.transfer.distill import distillation_loss
from nnlib.transfer.pretrain import TEST_SEED
from nnlib.utils import check_positive_int

__all__ = [
    "METHODS",
    "SPLIT",
    "bn_shift",
    "compare_methods",
    "digit_tasks",
    "fine_tune_lr_sweep",
    "fitnets",
    "glyph_digit_similarity",
    "greedy_pretraining",
    "held_out_glyphs",
    "invert",
    "relative_change",
    "rescale",
    "results_table",
    "sigmoid_mlp",
    "size_similarity",
]

SPLIT = (0.55, 0.15, 0.30)  # train pool, validation (for tuning), test (as in a 0.7/0.3 split)


def digit_tasks() -> dict[str, tuple]:
    """The target tasks: scikit-learn's digits and the same digits with one fixed pixel
    permutation; each ``(train, val, test)`` of ``(x, y)`` pairs, identical splits."""
    splits = data.digits(as_images=True, fractions=SPLIT)
    digits = (splits.train.tensors, splits.val.tensors, splits.test.tensors)
    permuted = tuple((permute_pixels(x), y) for x, y in digits)
    return {"digits": digits, "permuted digits": permuted}


def held_out_glyphs(n: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` glyphs drawn with the pretraining script's held-out seed (never trained on)."""
    return make_glyphs(n, seed=TEST_SEED)


def _class_means(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each class's mean image, centred and scaled to unit length (rows: classes)."""
    means = torch.stack([x[y == c].mean(0) for c in range(int(y.max()) + 1)]).flatten(1)
    means = means - means.mean(1, keepdim=True)
    return means / means.norm(dim=1, keepdim=True)


def glyph_digit_similarity(glyphs_xy, digits_xy) -> dict[str, torch.Tensor]:
    """How digit-like the source classes are, by the correlation of class-mean images.

    Returns ``glyph_to_digit`` (for each glyph class, its correlation with the nearest digit
    class mean), ``digit_to_digit`` (for each digit, its correlation with the nearest *other*
    digit's mean) and ``digit_halves`` (each digit's mean over one half of its images against
    its mean over the other half: what "the same class" looks like)."""
    (xg, yg), (x, y) = glyphs_xy, digits_xy
    glyphs, digits = _class_means(xg, yg), _class_means(x, y)
    between = digits @ digits.T
    between.fill_diagonal_(-1.0)
    half = torch.arange(len(y)) % 2 == 0
    halves = (_class_means(x[half], y[half]) * _class_means(x[~half], y[~half])).sum(1)
    return {
        "glyph_to_digit": (glyphs @ digits.T).max(1).values,
        "digit_to_digit": between.max(1).values,
        "digit_halves": halves,
    }


def relative_change(before: nn.Module, after: nn.Module, block: str = "conv1") -> float:
    """||W_after - W_before|| / ||W_before|| over the weights of ``block``: how far training
    moved it."""
    old = torch.cat([p.flatten() for p in getattr(before, block).parameters()])
    new = torch.cat([p.flatten() for p in getattr(after, block).parameters()])
    return ((new - old).norm() / old.norm()).item()


def _scratch(x, y, lr, steps, seed):
    utils.manual_seed(seed)
    model = glyph_cnn(int(y.max()) + 1)
    train_classifier(model, x, y, [{"params": model.parameters(), "lr": lr}], steps, seed=seed)
    return model


def fine_tune_lr_sweep(
    pretrained: nn.Module,
    train_xy,
    val_xy,
    lrs: Sequence[float],
    k: int = 10,
    seeds: Sequence[int] = (100, 101),
    steps: int = 150,
) -> dict[str, torch.Tensor]:
    """Validation accuracy of training from scratch and of fine-tuning every layer (one
    learning rate for all blocks, BN statistics updated) at each learning rate: rows = lrs,
    columns = seeds. The tuning seeds differ from the study's, so the study's subsets are new.
    The runs are independent and run side by side (:func:`nncourse.parallel.parallel_map`)."""
    arms = ("scratch", "all layers")
    runs = [(arm, lr, seed) for arm in arms for lr in lrs for seed in seeds]

    def run(arm_lr_seed) -> float:
        arm, lr, seed = arm_lr_seed
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        if arm == "scratch":
            return accuracy(_scratch(x, y, lr, steps, seed), *val_xy)
        tuned = fine_tune(pretrained, x, y, lr=lr, decay=1.0, bn="train", steps=steps, seed=seed)
        return accuracy(tuned, *val_xy)

    table = torch.tensor(parallel_map(run, runs)).reshape(len(arms), len(lrs), len(seeds))
    return dict(zip(arms, table, strict=True))


def size_similarity(
    pretrained: nn.Module,
    train_xy,
    test_xy,
    lrs: dict[str, float],
    small_ks: Sequence[int] = (1, 5, 10),
    large_ks: Sequence[int | None] = (50, None),
    small_seeds: Sequence[int] = (0, 1, 2),
    large_seeds: Sequence[int] = (0, 1),
    steps: int = 150,
) -> dict[tuple[str, int | None], torch.Tensor]:
    """``compare_methods`` with tuned rates: scratch at ``lrs["scratch"]``, every layer
    fine-tuned at ``lrs["all layers"]`` with no layer-wise decay and BN statistics updated;
    more seeds at the small sizes, where the spread is large."""
    options = dict(
        steps=steps,
        scratch_lr=lrs["scratch"],
        lr=lrs["all layers"],
        decay=1.0,
        bn="train",
    )
    small = compare_methods(pretrained, train_xy, test_xy, small_ks, seeds=small_seeds, **options)
    large = compare_methods(pretrained, train_xy, test_xy, large_ks, seeds=large_seeds, **options)
    return {**small, **large}


def _per_seed(run_seed, seeds: Sequence[int]) -> dict[str, torch.Tensor]:
    """Run ``run_seed(seed) -> {name: value}`` for every seed, side by side on the CPU's cores
    (:func:`nncourse.parallel.parallel_map`), and stack each name's values into a tensor."""
    rows = parallel_map(run_seed, seeds)
    return {key: torch.tensor([row[key] for row in rows]) for key in rows[0]}


def invert(xy):
    """Contrast-inverted images (1 - x): white ink on black paper, same labels."""
    return 1.0 - xy[0], xy[1]


def rescale(xy, factor: float = 0.2):
    """Images with their contrast scaled by ``factor`` (faint ink for factor < 1), same labels."""
    return factor * xy[0], xy[1]


def bn_shift(
    pretrained: nn.Module,
    train_xy,
    test_xy,
    lr: float,
    k: int = 10,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 150,
) -> dict[str, torch.Tensor]:
    """Batch norm on a target whose statistics differ from the source's, per seed:

    * ``"features, source statistics"`` / ``"features, target statistics"``: a linear classifier
      on the frozen network's ``fc`` codes, with the stored BN statistics or with statistics
      re-estimated on the (unlabelled) target training images (``update_bn``);
    * ``"fine-tune, frozen"`` / ``"fine-tune, updated"``: every layer fine-tuned at ``lr``,
      BN statistics kept at the source's or updated on the target batches.
    """
    adapted = copy.deepcopy(pretrained)
    update_bn([(train_xy[0],)], adapted)
    adapted.eval()

    def run_seed(seed: int) -> dict[str, float]:
        out = {}
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        for name, net in (("source", pretrained), ("target", adapted)):
            codes = extract_features(net, x, "fc")
            codes_test = extract_features(net, test_xy[0], "fc")
            utils.manual_seed(seed)
            linear = nn.Linear(codes.shape[1], 10)
            train_classifier(
                linear, codes, y, [{"params": linear.parameters(), "lr": 1e-2}], steps, seed=seed
            )
            out[f"features, {name} statistics"] = accuracy(linear, codes_test, test_xy[1])
        for bn in ("frozen", "updated"):
            mode = "frozen" if bn == "frozen" else "train"
            tuned = fine_tune(pretrained, x, y, lr=lr, decay=1.0, bn=mode, steps=steps, seed=seed)
            out[f"fine-tune, {bn}"] = accuracy(tuned, *test_xy)
        return out

    return _per_seed(run_seed, seeds)


def sigmoid_mlp(depth: int, width: int = 64, n_in: int = 64, n_classes: int = 10) -> nn.Sequential:
    """A sigmoid MLP with ``depth`` hidden layers (blocks ``hidden1`` ...) and a ``head``."""
    blocks = {"flatten": nn.Flatten()}
    for i in range(depth):
        linear = nn.Linear(n_in if i == 0 else width, width)
        blocks[f"hidden{i + 1}"] = nn.Sequential(linear, nn.Sigmoid())
    blocks["head"] = nn.Linear(width, n_classes)
    return nn.Sequential(OrderedDict(blocks))


def _sgd_fit(model, params, x, y, steps, lr, seed):
    batches = data.TensorBatches(x, y, min(64, len(x)), seed=seed)
    return fit_steps(model, torch.optim.SGD(params, lr=lr), batches, steps).step_loss


def greedy_pretraining(
    train_xy,
    test_xy,
    depth: int = 4,
    steps_per_stage: int = 150,
    lr: float = 2.0,
    seeds: Sequence[int] = (0, 1, 2),
) -> dict[str, torch.Tensor]:
    """Greedy supervised layer-wise pretraining (Bengio et al. 2007) of a deep sigmoid MLP with
    plain SGD, against training the same network end to end for as many steps.

    Greedy: stage ``l`` adds hidden layer ``l`` and a fresh head on top of the layers trained
    so far (kept fixed) and trains the two for ``steps_per_stage`` steps. End to end: all
    layers from the start for ``depth * steps_per_stage`` steps, the same number. Returns test
    accuracies per seed, including the accuracy after every greedy stage (``"stage l"``)."""
    x, y = train_xy

    def run_seed(seed: int) -> dict[str, float]:
        utils.manual_seed(seed)
        model = sigmoid_mlp(depth)
        _sgd_fit(model, model.parameters(), x, y, depth * steps_per_stage, lr, seed)
        out = {"end to end": accuracy(model, *test_xy)}
        utils.manual_seed(seed)
        full = sigmoid_mlp(depth)
        for stage in range(1, depth + 1):
            trunk = nn.Sequential(*[full[i] for i in range(stage + 1)])  # flatten, hidden1..stage
            head = nn.Linear(full.head.in_features, full.head.out_features)
            stack = nn.Sequential(trunk, head)
            new = list(getattr(full, f"hidden{stage}").parameters()) + list(head.parameters())
            _sgd_fit(stack, new, x, y, steps_per_stage, lr, seed + 1000 * stage)
            out[f"stage {stage}"] = accuracy(stack, *test_xy)
        return out

    return _per_seed(run_seed, seeds)


def fitnets(
    pretrained: nn.Module,
    train_xy,
    test_xy,
    lr: float,
    k: int = 10,
    seeds: Sequence[int] = (0, 1, 2),
    hint_steps: int = 300,
    steps: int = 150,
    temperature: float = 4.0,
) -> dict[str, torch.Tensor]:
    """FitNets (Romero et al. 2015) on the digits with ``k`` labels per class, per seed.

    Students (``thin_cnn``) trained on the labels after: no stage 1 (``"labels only"``); stage 1
    with hints from the pretrained network's ``conv2`` (``"hints"``); stage 1 with hints from a
    randomly initialised network of the same shape (``"random-teacher hints"``, the control).
    ``"hints + distillation"`` follows stage 1 with FitNets' stage 2: knowledge distillation at
    ``temperature`` from a teacher (the pretrained network fine-tuned on the same labels at
    ``lr``) on all training images (their labels unused), then the labels. Also returns the
    teacher's accuracy."""
    x_all = train_xy[0]
    with torch.random.fork_rng():
        utils.manual_seed(0)
        random_teacher = glyph_cnn()
    hint_sets = {
        "hints": extract_features(pretrained, x_all, "conv2", flatten=False),
        "random-teacher hints": extract_features(
            random_teacher.eval(), x_all, "conv2", flatten=False
        ),
    }

    def loss_fn(out, target):
        return distillation_loss(out, target, temperature)

    def run_seed(seed: int) -> dict[str, float]:
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        teacher = fine_tune(pretrained, x, y, lr=lr, decay=1.0, bn="train", steps=steps, seed=seed)
        out = {"teacher": accuracy(teacher, *test_xy)}
        students = {}
        for name in ("labels only", "hints", "random-teacher hints"):
            utils.manual_seed(seed)
            students[name] = thin_cnn()
            if name != "labels only":
                hints = hint_sets[name]
                hint_pretrain(students[name], "conv3", hints, x_all, steps=hint_steps, seed=seed)
        students["hints + distillation"] = copy.deepcopy(students["hints"])
        with torch.no_grad():
            teacher_logits = teacher.eval()(x_all)
        student = students["hints + distillation"]
        groups = [{"params": student.parameters(), "lr": 1e-3}]
        train_classifier(student, x_all, teacher_logits, groups, steps, seed=seed, loss_fn=loss_fn)
        for name, student in students.items():
            groups = [{"params": student.parameters(), "lr": 1e-3}]
            train_classifier(student, x, y, groups, steps, seed=seed)
            out[name] = accuracy(student, *test_xy)
        return out

    return _per_seed(run_seed, seeds)


METHODS = ("scratch", "features", "last layers", "all layers")


def _run(
    method, pretrained, x, y, x_test, y_test, seed, steps, cache, scratch_lr, **options
) -> float:
    n_classes = int(y.max()) + 1
    if method == "scratch":
        utils.manual_seed(seed)
        model = glyph_cnn(n_classes)
        groups = [{"params": model.parameters(), "lr": scratch_lr}]
        train_classifier(model, x, y, groups, steps=steps, seed=seed)
        return accuracy(model, x_test, y_test)
    if method == "all layers":
        model = fine_tune(pretrained, x, y, steps=steps, seed=seed, **options)
        return accuracy(model, x_test, y_test)
    if method == "features":
        return linear_probe(pretrained, (x, y), (x_test, y_test), "fc", seed, steps, cache)
    top = replace_head(copy.deepcopy(pretrained), n_classes, seed=seed)
    top = nn.Sequential(top.fc, top.head)
    codes = extract_features(pretrained, x, "conv3", flatten=False, cache=cache)
    codes_test = extract_features(pretrained, x_test, "conv3", flatten=False, cache=cache)
    train_classifier(top, codes, y, [{"params": top.parameters(), "lr": 1e-2}], steps, seed=seed)
    return accuracy(top, codes_test, y_test)


def results_table(results: dict[tuple[str, int | None], torch.Tensor], digits: int = 2) -> str:
    """``compare_methods`` results as text: one row per method, one column per k, each cell
    the mean over seeds ± their standard deviation, to ``digits`` decimals (two by default:
    trained accuracies of a few seeds do not support a third)."""
    methods = list(dict.fromkeys(m for m, _ in results))
    ks = list(dict.fromkeys(k for _, k in results))
    width = 2 * digits + 9
    header = f"{'method':<12} | " + " | ".join(f"{'k = ' + str(k or 'all'):<{width}}" for k in ks)
    lines = [header.rstrip()]
    for method in methods:
        cells = []
        for k in ks:
            v = results[(method, k)]
            spread = v.std().item() if len(v) > 1 else 0.0
            cells.append(f"{v.mean():.{digits}f} ± {spread:.{digits}f}")
        lines.append(f"{method:<12} | " + " | ".join(cells))
    return "\n".join(lines)


def compare_methods(
    pretrained: nn.Module,
    train_xy: tuple[torch.Tensor, torch.Tensor],
    test_xy: tuple[torch.Tensor, torch.Tensor],
    ks: Sequence[int | None],
    methods: Sequence[str] = METHODS,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 150,
    scratch_lr: float = 1e-3,
    **options,
) -> dict[tuple[str, int | None], torch.Tensor]:
    """Test accuracy of each method for each k (labels per class; None = all) and seed.

    Seed s draws the same k-shot subset for every method (a paired comparison) and seeds the
    initialization and the minibatch order. Returns ``{(method, k): accuracies per seed}``.
    Every (k, seed, method) run is independent: they run side by side on the CPU's cores
    (:func:`nncourse.parallel.parallel_map`).
    ``scratch_lr`` is the Adam learning rate of ``"scratch"``; ``options`` go to ``fine_tune``
    (``decay``, ``bn``, ``lr``).
    """
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"Invalid methods: unknown method {method!r} (choose from {METHODS})")
    check_positive_int("steps", steps)
    cache: dict = {}
    runs = [(k, seed, method) for k in ks for seed in seeds for method in methods]

    def run(k_seed_method) -> float:
        k, seed, method = k_seed_method
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        return _run(method, pretrained, x, y, *test_xy, seed, steps, cache, scratch_lr, **options)

    results: dict = {}
    for (k, _, method), value in zip(runs, parallel_map(run, runs), strict=True):
        results.setdefault((method, k), []).append(value)
    return {key: torch.tensor(values) for key, values in results.items()}
