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

from nncourse import stats
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
    orientation_tuning,
    permute_pixels,
    replace_head,
    thin_cnn,
    train_classifier,
)
from nnlib.transfer.distill import distillation_loss
from nnlib.transfer.pretrain import TEST_SEED
from nnlib.utils import check_positive_int

__all__ = [
    "EARLY_CUT",
    "METHODS",
    "SPLIT",
    "bn_shift",
    "bn_small_batches",
    "choose_rates",
    "compare_methods",
    "contenders",
    "digit_filing",
    "digit_tasks",
    "disguised_digits",
    "fine_tune_lr_sweep",
    "fitnets",
    "glyph_digit_similarity",
    "greedy_pretraining",
    "held_out_glyphs",
    "invert",
    "orientation_swing",
    "random_glyph_cnn",
    "relative_change",
    "rescale",
    "results_table",
    "sigmoid_mlp",
    "signal_scales",
    "size_similarity",
    "smoothed_like",
    "transfer_depth",
    "tune_rates",
    "tune_student",
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


@torch.no_grad()
def digit_filing(pretrained: nn.Module, digits_xy, glyphs_xy) -> dict[str, torch.Tensor]:
    """Does the source network read some digit as one of its glyph classes?

    ``digit_purity``: for each digit class, the fraction of its images that the source network
    files under the single glyph class it picks most often for that digit; ``glyph_recall``:
    for each glyph class, the fraction of its own (held-out) images filed under it. A digit that
    were a glyph class in disguise would be filed as consistently as a glyph class is."""
    pretrained.eval()
    (x, y), (xg, yg) = digits_xy, glyphs_xy
    filed, filed_glyphs = pretrained(x).argmax(1), pretrained(xg).argmax(1)
    n_glyphs = int(yg.max()) + 1
    purity = [
        torch.bincount(filed[y == c], minlength=n_glyphs).max() / (y == c).sum()
        for c in range(int(y.max()) + 1)
    ]
    recall = [(filed_glyphs[yg == c] == c).float().mean() for c in range(n_glyphs)]
    return {"digit_purity": torch.stack(purity), "glyph_recall": torch.stack(recall)}


def random_glyph_cnn(
    seed: int, n_classes: int = 100, images: torch.Tensor | None = None
) -> nn.Sequential:
    """A glyph network of the pretrained one's architecture, freshly initialized (with
    ``seed``) and never trained, in eval mode: the control for "learned" features. With
    ``images``, its batch-norm statistics are estimated on them (one pass of ``update_bn``),
    as the pretrained network's were on its own training images: a fair control, whose BN
    layers normalize what they see instead of assuming mean 0 and variance 1."""
    with torch.random.fork_rng():
        utils.manual_seed(seed)
        model = glyph_cnn(n_classes)
    if images is not None:
        with torch.no_grad():
            update_bn([images], model)
    return model.eval()


def disguised_digits(digits_xy, digit: int, glyphs_xy, glyph_class: int | None = None):
    """The positive control of :func:`digit_filing`: the digits with every image of ``digit``
    replaced by images of glyph class ``glyph_class`` (default: ``digit``) taken from
    ``glyphs_xy``, as many as there were. A digit that *is* a glyph class: the filing test
    must flag it."""
    (x, y), (xg, yg) = digits_xy, glyphs_xy
    glyph_class = digit if glyph_class is None else glyph_class
    mask = y == digit
    pick = (yg == glyph_class).nonzero().flatten()[: int(mask.sum())]
    if len(pick) < int(mask.sum()):
        raise ValueError(
            f"Invalid glyphs_xy: {len(pick)} images of class {glyph_class}, "
            f"{int(mask.sum())} needed"
        )
    x = x.clone()
    x[mask] = xg[pick]
    return x, y


@torch.no_grad()
def orientation_swing(model: nn.Module, n_angles: int = 12) -> torch.Tensor:
    """Per first-layer filter, how much its strongest response to a bar changes as the bar
    turns: (max - min) / max |response| over ``n_angles`` angles (0: no preference)."""
    _, tuning = orientation_tuning(model, n_angles)
    swing = tuning.max(0).values - tuning.min(0).values
    return swing / tuning.abs().max(0).values.clamp(min=1e-12)  # a silent filter: 0


def relative_change(before: nn.Module, after: nn.Module, block: str = "conv1") -> float:
    """||W_after - W_before|| / ||W_before|| over the weights of ``block``: how far training
    moved it."""
    old = torch.cat([p.flatten() for p in getattr(before, block).parameters()])
    new = torch.cat([p.flatten() for p in getattr(after, block).parameters()])
    return ((new - old).norm() / old.norm()).item()


def _steps(steps: int | dict, k: int | None) -> int:
    """The number of Adam steps of a run with ``k`` labels per class: ``steps`` itself, or
    ``steps[k]`` when it is a dict keyed by k."""
    if isinstance(steps, dict):
        if k not in steps:
            raise ValueError(f"Invalid steps: no entry for k = {k} in {steps}")
        steps = steps[k]
    return check_positive_int("steps", steps)


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
    """Validation accuracy of training from scratch and of fine-tuning every layer at each
    learning rate: rows = lrs, columns = seeds (:func:`tune_rates` for these two arms)."""
    grid = {arm: lrs for arm in ("scratch", "all layers")}
    sweep = tune_rates(pretrained, train_xy, val_xy, grid, ks=(k,), seeds=seeds, steps=steps)
    return {arm: sweep[(arm, k)] for arm in grid}


def tune_rates(
    pretrained: nn.Module,
    train_xy,
    val_xy,
    grid: dict[str, Sequence[float]],
    ks: Sequence[int] = (1, 10),
    seeds: Sequence[int] = (100, 101),
    steps: int | dict = 150,
) -> dict[tuple[str, int], torch.Tensor]:
    """Validation accuracy of every method (the keys of ``grid``) at each of its learning
    rates, for each k, on the tuning subsets drawn with ``seeds`` (not the study's seeds):
    ``{(method, k): tensor (rates, seeds)}``. ``steps`` may be a dict keyed by k. The runs go
    side by side on the CPU's cores."""
    runs = [
        (method, k, lr, seed)
        for method in grid
        for k in ks
        for lr in grid[method]
        for seed in seeds
    ]

    def run(method_k_lr_seed) -> float:
        method, k, lr, seed = method_k_lr_seed
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        return _run(method, pretrained, x, y, *val_xy, seed, _steps(steps, k), None, lr)

    values = iter(parallel_map(run, runs))
    return {
        (method, k): torch.tensor([[next(values) for _ in seeds] for _ in grid[method]])
        for method in grid
        for k in ks
    }


def choose_rates(
    sweep: dict[tuple[str, int], torch.Tensor], grid: dict[str, Sequence[float]]
) -> dict[tuple[str, int], float]:
    """The rate with the best mean validation accuracy over the tuning seeds, per method and
    k; ties at two decimals go to the smaller rate (grids are listed smallest first)."""
    chosen = {}
    for (method, k), accuracies in sweep.items():
        best = int(accuracies.mean(1).round(decimals=2).argmax())
        chosen[(method, k)] = grid[method][best]
    return chosen


def size_similarity(
    pretrained: nn.Module,
    train_xy,
    test_xy,
    rates: dict[tuple[str, int], float],
    small_ks: Sequence[int] = (1, 10),
    large_ks: Sequence[int | None] = (None,),
    small_seeds: Sequence[int] = (0, 1, 2, 3, 4),
    large_seeds: Sequence[int] = (0, 1),
    steps: int | dict = 150,
) -> dict[tuple[str, int | None], torch.Tensor]:
    """``compare_methods`` with tuned rates ``rates[(method, k)]``; a size that was not tuned
    (all labels) takes the rate tuned at the largest small k. More seeds at the small sizes,
    where the spread is large. ``steps`` may be a dict keyed by k."""
    tuned = {method: rate for (method, k), rate in rates.items() if k == max(small_ks)}
    large_rates = {(m, k): tuned[m] for m in tuned for k in large_ks}
    small = compare_methods(
        pretrained, train_xy, test_xy, small_ks, seeds=small_seeds, steps=steps, lrs=rates
    )
    large = compare_methods(
        pretrained, train_xy, test_xy, large_ks, seeds=large_seeds, steps=steps, lrs=large_rates
    )
    return {**small, **large}


def transfer_depth(
    pretrained: nn.Module,
    train_xy,
    test_xy,
    lr: float,
    k: int = 10,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 150,
    copies: Sequence[int] | None = None,
) -> dict[int, torch.Tensor]:
    """Yosinski et al. (2014)'s question: a fresh glyph network whose first ``n`` blocks are
    copied from ``pretrained`` (weights and BN statistics; ``n = 0``: nothing copied, scratch),
    then every block trained on ``k`` labels per class at ``lr`` (BN statistics updated).
    Returns ``{n: test accuracy per seed}`` for each ``n`` in ``copies`` (default: ``0 ...``
    the number of blocks below the head)."""
    names = [n for n, _ in pretrained.named_children()][:-1]
    copies = list(range(len(names) + 1) if copies is None else copies)
    if not all(0 <= n <= len(names) for n in copies):
        raise ValueError(f"Invalid copies: {copies} (each from 0 to {len(names)})")
    runs = [(n, seed) for n in copies for seed in seeds]

    def run(n_seed) -> float:
        n, seed = n_seed
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        utils.manual_seed(seed)
        model = glyph_cnn(int(y.max()) + 1)
        for name in names[:n]:
            getattr(model, name).load_state_dict(getattr(pretrained, name).state_dict())
        groups = [{"params": model.parameters(), "lr": lr}]
        train_classifier(model, x, y, groups, steps=steps, seed=seed)
        return accuracy(model, *test_xy)

    values = parallel_map(run, runs)
    return {
        n: torch.tensor(values[i * len(seeds) : (i + 1) * len(seeds)]) for i, n in enumerate(copies)
    }


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


def bn_small_batches(
    pretrained: nn.Module,
    train_xy,
    test_xy,
    lr: float,
    batch_size: int = 2,
    k: int = 10,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 150,
) -> dict[str, torch.Tensor]:
    """Every layer fine-tuned with minibatches of ``batch_size`` images, BN statistics kept at
    the source's (``"frozen"``) or updated on the target batches (``"updated"``): test accuracy
    per seed, the same subset for both arms."""

    def run_seed(seed: int) -> dict[str, float]:
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        out = {}
        for arm, bn in (("frozen", "frozen"), ("updated", "train")):
            tuned = fine_tune(
                pretrained,
                x,
                y,
                lr=lr,
                decay=1.0,
                bn=bn,
                steps=steps,
                batch_size=batch_size,
                seed=seed,
            )
            out[arm] = accuracy(tuned, *test_xy)
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


def signal_scales(train_xy, depth: int = 4, seed: int = 0) -> dict[str, list[float]]:
    """Why a deep sigmoid MLP trains badly from PyTorch's default initialization, measured at
    that initialization on the training images, per hidden layer (first to last):
    ``"signal"``, how much the layer's output varies across images (the standard deviation
    over images, averaged over units); ``"gradient"``, the norm of the loss gradient on the
    layer's weights."""
    x, y = train_xy
    utils.manual_seed(seed)
    model = sigmoid_mlp(depth)
    signal, h = [], model.flatten(x)
    for i in range(depth):
        h = getattr(model, f"hidden{i + 1}")(h)
        signal.append(h.std(0).mean().item())
    nn.functional.cross_entropy(model.head(h), y).backward()
    gradient = [getattr(model, f"hidden{i + 1}")[0].weight.grad.norm().item() for i in range(depth)]
    return {"signal": signal, "gradient": gradient}


def greedy_pretraining(
    train_xy,
    test_xy,
    depth: int = 4,
    steps_per_stage: int = 150,
    lr: float = 2.0,
    seeds: Sequence[int] = (0, 1, 2),
    end_to_end_lrs: Sequence[float] | None = None,
    fine_tune_steps: int = 0,
    end_to_end_steps: int | None = None,
) -> dict[str, torch.Tensor]:
    """Greedy supervised layer-wise pretraining (Bengio et al. 2007) of a deep sigmoid MLP with
    plain SGD, against training the same network end to end for as many steps.

    Greedy: stage ``l`` adds hidden layer ``l`` and a fresh head on top of the layers trained
    so far (kept fixed) and trains the two for ``steps_per_stage`` steps; with
    ``fine_tune_steps``, all layers are then trained together for that many steps
    (``"greedy + fine-tune"``: what makes the stages *pre*training). End to end: all layers
    from the start for ``end_to_end_steps`` steps (default ``depth * steps_per_stage``, the
    stages' budget; pass ``depth * steps_per_stage + fine_tune_steps`` for the greedy arm's whole
    budget) at each rate of ``end_to_end_lrs`` (default: ``lr``), under ``"end to end, lr=..."``,
    plus ``"end to end"`` at ``lr``.
    Returns test accuracies per seed, including the accuracy after every greedy stage
    (``"stage l"``)."""
    x, y = train_xy
    rates = list(end_to_end_lrs or [lr])
    budget = depth * steps_per_stage if end_to_end_steps is None else end_to_end_steps

    def run_seed(seed: int) -> dict[str, float]:
        out = {}
        for rate in rates:
            utils.manual_seed(seed)
            model = sigmoid_mlp(depth)
            _sgd_fit(model, model.parameters(), x, y, budget, rate, seed)
            out[f"end to end, lr={rate:g}"] = accuracy(model, *test_xy)
        if lr not in rates:
            utils.manual_seed(seed)
            model = sigmoid_mlp(depth)
            _sgd_fit(model, model.parameters(), x, y, budget, lr, seed)
            out[f"end to end, lr={lr:g}"] = accuracy(model, *test_xy)
        out["end to end"] = out[f"end to end, lr={lr:g}"]
        utils.manual_seed(seed)
        full = sigmoid_mlp(depth)
        for stage in range(1, depth + 1):
            trunk = nn.Sequential(*[full[i] for i in range(stage + 1)])  # flatten, hidden1..stage
            head = nn.Linear(full.head.in_features, full.head.out_features)
            stack = nn.Sequential(trunk, head)
            new = list(getattr(full, f"hidden{stage}").parameters()) + list(head.parameters())
            _sgd_fit(stack, new, x, y, steps_per_stage, lr, seed + 1000 * stage)
            out[f"stage {stage}"] = accuracy(stack, *test_xy)
        if fine_tune_steps:
            _sgd_fit(stack, stack.parameters(), x, y, fine_tune_steps, lr, seed + 5000)
            out["greedy + fine-tune"] = accuracy(stack, *test_xy)
        return out

    return _per_seed(run_seed, seeds)


def smoothed_like(teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """The control for "soft targets carry the teacher's dark knowledge": per image, the
    teacher's top class smoothed toward uniform, ``(1 - eps) onehot + eps / K``, with ``eps``
    chosen (by bisection) so that its entropy equals that of the teacher's soft targets
    ``softmax(teacher_logits / temperature)``. Returned as logits ``temperature * log q``, so
    that the distillation loss at ``temperature`` matches the student to ``q``: the same
    softness, but no ranking of the wrong classes."""
    p = torch.softmax(teacher_logits / temperature, dim=1)
    wanted = -(p * p.clamp_min(1e-30).log()).sum(1)
    n_classes = p.shape[1]
    onehot = nn.functional.one_hot(p.argmax(1), n_classes).to(p.dtype)
    low, high = torch.zeros(len(p), dtype=p.dtype), torch.ones(len(p), dtype=p.dtype)
    for _ in range(50):  # the entropy grows with eps, from 0 to log K
        eps = (low + high) / 2
        q = (1 - eps)[:, None] * onehot + eps[:, None] / n_classes
        below = -(q * q.clamp_min(1e-30).log()).sum(1) < wanted
        low, high = torch.where(below, eps, low), torch.where(below, high, eps)
    eps = (low + high) / 2
    q = (1 - eps)[:, None] * onehot + eps[:, None] / n_classes
    return temperature * q.log()


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
    student_lr: float = 1e-3,
) -> dict[str, torch.Tensor]:
    """FitNets (Romero et al. 2015) on the digits with ``k`` labels per class, per seed.

    Students (``thin_cnn``) trained on the labels after: no stage 1 (``"labels only"``); stage 1
    with hints from the pretrained network's ``conv2`` (``"hints"``); stage 1 with hints from a
    randomly initialised network of the same shape (``"random-teacher hints"``, the control).
    ``"hints + distillation"`` follows stage 1 with knowledge distillation at ``temperature``
    from a teacher (the pretrained network fine-tuned on the same labels at ``lr``) on all
    training images (their labels unused), then the labels. ``"hints + smoothed labels"`` is
    its control: the same, with the teacher's soft targets replaced by its top class smoothed
    to the same entropy (:func:`smoothed_like`). Also returns the teacher's accuracy. Every
    student trains (distillation and labels) at Adam rate ``student_lr``, e.g. the rate
    :func:`tune_student` picks."""
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
        with torch.no_grad():
            teacher_logits = teacher.eval()(x_all)
        targets = {
            "hints + distillation": teacher_logits,
            "hints + smoothed labels": smoothed_like(teacher_logits, temperature),
        }
        for name, target in targets.items():
            student = students[name] = copy.deepcopy(students["hints"])
            groups = [{"params": student.parameters(), "lr": student_lr}]
            train_classifier(student, x_all, target, groups, steps, seed=seed, loss_fn=loss_fn)
        for name, student in students.items():
            groups = [{"params": student.parameters(), "lr": student_lr}]
            train_classifier(student, x, y, groups, steps, seed=seed)
            out[name] = accuracy(student, *test_xy)
        return out

    return _per_seed(run_seed, seeds)


def tune_student(
    train_xy,
    val_xy,
    lrs: Sequence[float],
    k: int = 10,
    seeds: Sequence[int] = (100, 101),
    steps: int = 150,
) -> torch.Tensor:
    """Validation accuracy of the thin student (``thin_cnn``) trained on ``k`` labels per class
    alone, at each Adam rate in ``lrs``, on the tuning subsets drawn with ``seeds`` (not the
    study's): a tensor (rates, seeds), tuned as the teacher's rate was in part a."""
    runs = [(lr, seed) for lr in lrs for seed in seeds]

    def run(lr_seed) -> float:
        lr, seed = lr_seed
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        utils.manual_seed(seed)
        student = thin_cnn()
        train_classifier(
            student, x, y, [{"params": student.parameters(), "lr": lr}], steps, seed=seed
        )
        return accuracy(student, *val_xy)

    return torch.tensor(parallel_map(run, runs)).reshape(len(lrs), len(seeds))


EARLY_CUT = "conv1"  # the "early features" arm's codes
METHODS = ("scratch", "early features", "features", "last layers", "all layers")
DEFAULT_LRS = {
    "scratch": 3e-3,
    "early features": 1e-2,
    "features": 1e-2,
    "last layers": 1e-2,
    "all layers": 1e-3,
}


def _run(method, pretrained, x, y, x_test, y_test, seed, steps, cache, lr) -> float:
    """Test accuracy of one method trained at Adam rate ``lr`` on ``(x, y)``."""
    n_classes = int(y.max()) + 1
    if method == "scratch":
        utils.manual_seed(seed)
        model = glyph_cnn(n_classes)
        groups = [{"params": model.parameters(), "lr": lr}]
        train_classifier(model, x, y, groups, steps=steps, seed=seed)
        return accuracy(model, x_test, y_test)
    if method == "all layers":
        model = fine_tune(pretrained, x, y, lr=lr, decay=1.0, bn="train", steps=steps, seed=seed)
        return accuracy(model, x_test, y_test)
    if method in ("features", "early features"):
        cut = "fc" if method == "features" else EARLY_CUT
        return linear_probe(pretrained, (x, y), (x_test, y_test), cut, seed, steps, cache, lr=lr)
    top = replace_head(copy.deepcopy(pretrained), n_classes, seed=seed)
    top = nn.Sequential(top.fc, top.head)
    codes = extract_features(pretrained, x, "conv3", flatten=False, cache=cache)
    codes_test = extract_features(pretrained, x_test, "conv3", flatten=False, cache=cache)
    train_classifier(top, codes, y, [{"params": top.parameters(), "lr": lr}], steps, seed=seed)
    return accuracy(top, codes_test, y_test)


def contenders(
    results: dict[tuple[str, int | None], torch.Tensor], k: int | None, alpha: float = 0.05
) -> dict[str, object]:
    """The methods not detectably below the best one at ``k``: ``{method: interval}``, where
    the interval is the paired t-interval of the best method minus this one (``None`` for the
    best itself), at level ``1 - alpha / m`` for the ``m`` comparisons (Bonferroni). A method
    stays when its interval reaches zero."""
    table = {m: v for (m, size), v in results.items() if size == k}
    best = max(table, key=lambda m: table[m].mean().item())
    level = 1 - alpha / (len(table) - 1)
    out: dict[str, object] = {best: None}
    for method, values in table.items():
        if method != best:
            gap = stats.paired_difference(table[best], values, level)
            if gap.low <= 0:
                out[method] = gap
    return out


def results_table(results: dict[tuple[str, int | None], torch.Tensor], digits: int = 2) -> str:
    """``compare_methods`` results as text: one row per method, one column per k, each cell
    the mean over seeds ± their standard deviation, to ``digits`` decimals (two by default:
    trained accuracies of a few seeds do not support a third)."""
    methods = list(dict.fromkeys(m for m, _ in results))
    ks = list(dict.fromkeys(k for _, k in results))
    width = 2 * digits + 7  # "0.66 ± 0.05"
    name = max(len("method"), *(len(m) for m in methods))
    header = f"{'method':<{name}} | " + " | ".join(
        f"{'k = ' + str(k or 'all'):<{width}}" for k in ks
    )
    lines = [header.rstrip()]
    for method in methods:
        cells = []
        for k in ks:
            v = results[(method, k)]
            spread = v.std().item() if len(v) > 1 else 0.0
            cells.append(f"{v.mean():.{digits}f} ± {spread:.{digits}f}")
        lines.append(f"{method:<{name}} | " + " | ".join(cells))
    return "\n".join(lines)


def compare_methods(
    pretrained: nn.Module,
    train_xy: tuple[torch.Tensor, torch.Tensor],
    test_xy: tuple[torch.Tensor, torch.Tensor],
    ks: Sequence[int | None],
    methods: Sequence[str] = METHODS,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int | dict = 150,
    lrs: dict | None = None,
) -> dict[tuple[str, int | None], torch.Tensor]:
    """Test accuracy of each method for each k (labels per class; None = all) and seed.

    Seed s draws the same k-shot subset for every method (a paired comparison) and seeds the
    initialization and the minibatch order. Returns ``{(method, k): accuracies per seed}``.
    Every (k, seed, method) run is independent: they run side by side on the CPU's cores
    (:func:`nncourse.parallel.parallel_map`). ``lrs`` gives each method's Adam rate, keyed by
    ``(method, k)`` or by ``method``; a method it does not name takes ``DEFAULT_LRS``.
    ``steps`` is the number of Adam steps of every run, or a dict of it keyed by k.
    """
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"Invalid methods: unknown method {method!r} (choose from {METHODS})")
    for k in ks:
        _steps(steps, k)
    lrs = lrs or {}
    cache: dict = {}
    runs = [(k, seed, method) for k in ks for seed in seeds for method in methods]

    def run(k_seed_method) -> float:
        k, seed, method = k_seed_method
        x, y = few_shot_subset(*train_xy, k, seed=seed)
        lr = lrs.get((method, k), lrs.get(method, DEFAULT_LRS[method]))
        return _run(method, pretrained, x, y, *test_xy, seed, _steps(steps, k), cache, lr)

    results: dict = {}
    for (k, _, method), value in zip(runs, parallel_map(run, runs), strict=True):
        results.setdefault((method, k), []).append(value)
    return {key: torch.tensor(values) for key, values in results.items()}
