"""Checkers for lecture 7 (transfer learning), parts a and b.

Each checker builds fresh glyph networks (random weights, so nothing needs the shipped file,
except the probe exercise, which probes the shipped network), hands them to the student's
function, and compares what comes back with nnlib's reference. Each knows the common wrong
answers (:class:`~nncourse.grading.Misconception`) and names the one it sees.
"""

from __future__ import annotations

import inspect

import torch

from nncourse.grading import Case, CheckResult, Misconception, check, with_prediction
from nnlib.transfer import extract_features, freeze, glyph_cnn, layerwise_param_groups
from nnlib.transfer.distill import distillation_loss
from nnlib.transfer.probing import best_cut, probe_layers

__all__ = [
    "check_distillation_loss",
    "check_extract_codes",
    "check_freeze_bn_stats",
    "check_hint_loss",
    "check_layerwise_lrs",
    "check_probe_inverted",
    "check_probe_parameters",
    "check_stale_bn_output",
]


def _model(seed: int, n_classes: int = 10):
    torch.manual_seed(seed)
    return glyph_cnn(n_classes)


def _probe_parameters(channels, size, kernel, stride, padding, classes):
    """Weights and biases of a linear probe on the flattened output of a convolution with
    ``channels`` output channels, a square ``kernel``, ``stride`` and ``padding``, applied to
    ``size`` x ``size`` images: the output is ``s`` x ``s`` with
    ``s = (size + 2 padding - kernel) // stride + 1``."""
    side = (size + 2 * padding - kernel) // stride + 1
    return (channels * side * side + 1) * classes


def check_probe_parameters(student_fn) -> CheckResult:
    """Exercise 7.1: how many parameters a linear probe on a convolution's codes trains."""
    return check(
        student_fn,
        _probe_parameters,
        [
            Case(
                "16 channels, 28 px, kernel 3, stride 1, padding 1, 10 classes", 16, 28, 3, 1, 1, 10
            ),
            Case(
                "32 channels, 14 px, kernel 3, stride 2, padding 1, 10 classes", 32, 14, 3, 2, 1, 10
            ),
            Case(
                "8 channels, 28 px, kernel 5, stride 1, no padding, 26 classes", 8, 28, 5, 1, 0, 26
            ),
            Case("64 channels, 7 px, kernel 7, stride 1, no padding, 2 classes", 64, 7, 7, 1, 0, 2),
        ],
        name="probe_parameters",
        misconceptions=[
            Misconception(
                "you left out the biases, one per class",
                lambda c, n, k, s, p, m: _probe_parameters(c, n, k, s, p, m) - m,
            ),
            Misconception(
                "you kept the input's size; a convolution without enough padding, or with a "
                "stride, shrinks the image",
                lambda c, n, k, s, p, m: (c * n * n + 1) * m,
            ),
            Misconception(
                "you counted the convolution's own weights; the probe trains only its linear layer",
                lambda c, n, k, s, p, m: c * k * k + (c * ((n + 2 * p - k) // s + 1) ** 2 + 1) * m,
            ),
            Misconception(
                "you forgot one side of the padding: it is added on both sides of the image",
                lambda c, n, k, s, p, m: (c * ((n + p - k) // s + 1) ** 2 + 1) * m,
            ),
        ],
        atol=0,
        rtol=0,
        hint="first the output's side: (size + 2 padding - kernel) // stride + 1.",
    )


def _features_case(upto: str):
    g = torch.Generator().manual_seed(71)
    return torch.rand(5, 1, 8, 8, generator=g), upto


@torch.no_grad()
def _train_mode_codes(x, upto):
    model = _model(3).train()
    for name, block in model.named_children():
        x = block(x)
        if name == upto:
            return x.flatten(1)


def check_extract_codes(student_fn) -> CheckResult:
    """Exercise 7.2: ``extract_codes(model, x, upto)``: run the blocks up to and including
    ``upto`` in eval mode without gradients and flatten to (N, features)."""

    def student(x, upto):
        model = _model(3)
        model.train()
        return student_fn(model, x, upto)

    def reference(x, upto):
        return extract_features(_model(3), x, upto)

    def next_block(x, upto):
        names = ["conv1", "conv2", "conv3", "fc", "head"]
        return extract_features(_model(3), x, names[names.index(upto) + 1])

    return check(
        student,
        reference,
        [
            Case("codes of conv1", *_features_case("conv1")),
            Case("codes of conv3", *_features_case("conv3")),
            Case("codes of fc", *_features_case("fc")),
        ],
        name="extract_codes",
        misconceptions=[
            Misconception(
                "you ran the network in train mode: batch norm normalized each batch with its own "
                "statistics instead of the stored ones",
                _train_mode_codes,
            ),
            Misconception("you ran one block past `upto`", next_block),
            Misconception(
                "you did not flatten the codes to (N, features)",
                lambda x, upto: extract_features(_model(3), x, upto, flatten=False),
            ),
        ],
        # unwrapped: torch.no_grad's wrapper shares one code object among all decorated functions
        forbid=[inspect.unwrap(extract_features)],
        atol=1e-5,
        hint="think about which statistics batch norm must use when the network is a fixed "
        "feature extractor.",
    )


def _group_summary(groups) -> torch.Tensor:
    """(lr, number of parameter tensors, number of weights) per group, first to last."""
    rows = []
    for group in groups:
        params = list(group["params"])
        rows.append([float(group["lr"]), float(len(params)), float(sum(p.numel() for p in params))])
    return torch.tensor(rows, dtype=torch.float64)


def _build(frozen):
    model = _model(5)
    if frozen:
        freeze(model, frozen)
    return model


def _groups_counting_frozen(model, base_lr, decay):
    groups, lr = [], base_lr
    for _, block in reversed(list(model.named_children())):
        params = [p for p in block.parameters() if p.requires_grad]
        if params:
            groups.append({"params": params, "lr": lr})
        lr *= decay
    return groups[::-1]


def _groups_upside_down(model, base_lr, decay):
    groups = _groups_counting_frozen(model, base_lr, 1.0)  # the trainable blocks, first to last
    rates = [base_lr * decay**i for i in range(len(groups))]
    return [{"params": g["params"], "lr": r} for g, r in zip(groups, rates, strict=True)]


def check_layerwise_lrs(student_fn) -> CheckResult:
    """Exercise 7.3: ``layerwise_lrs(model, base_lr, decay)``: one optimizer param group per
    block with trainable parameters, first to last; the last gets ``base_lr`` and each earlier
    one ``decay`` times the next; frozen parameters are left out."""

    def summary(fn):
        return lambda base_lr, decay, frozen: _group_summary(fn(_build(frozen), base_lr, decay))

    def one_rate(model, base_lr, decay):
        return [{"params": [p for p in model.parameters() if p.requires_grad], "lr": base_lr}]

    return check(
        summary(student_fn),
        summary(layerwise_param_groups),
        [
            Case("decay 0.5", 1e-2, 0.5, ()),
            Case("decay 0.1", 3e-3, 0.1, ()),
            Case("no decay", 1e-3, 1.0, ()),
            Case("conv1 and fc frozen", 1e-2, 0.3, ("conv1", "fc")),
        ],
        name="layerwise_lrs",
        misconceptions=[
            Misconception(
                "a frozen block still counted as a step of the decay",
                summary(_groups_counting_frozen),
            ),
            Misconception("you gave every block the same rate in one group", summary(one_rate)),
            Misconception(
                "the rates run the wrong way: the first block got base_lr",
                summary(_groups_upside_down),
            ),
        ],
        forbid=[layerwise_param_groups],
        rtol=1e-9,
        hint="columns are (lr, parameter tensors, weights) per group; walk the blocks from the "
        "head backwards.",
    )


PROBE_CUTS = (None, "conv1", "conv2", "conv3", "fc")


def _probe_case_data():
    """A small digits task (300 training, 100 test images) for the probe exercise."""
    from nncourse.lecture7.transfer import digit_tasks

    train, _, test = digit_tasks()["digits"]
    return (train[0][:300], train[1][:300]), (test[0][:100], test[1][:100])


def _probe_summary(probes) -> torch.Tensor:
    """Mean probe accuracy per cut, in the order pixels, conv1, conv2, conv3, fc."""
    return torch.tensor([float(torch.as_tensor(probes[cut]).mean()) for cut in PROBE_CUTS])


def check_probe_inverted(student_fn, prediction=None) -> CheckResult:
    """Exercise 7.4: ``probe_inverted(pretrained, train_xy, test_xy, k, seeds)`` returns
    ``{cut: accuracies per seed}`` of linear probes on the contrast-inverted images (1 - x) at
    every cut (None = pixels), as ``transfer.linear_probe`` trains them, subsets drawn by
    ``transfer.few_shot_subset`` with each seed. ``prediction`` (the cut you expected to win) is
    reported next to the measured winner, not graded."""
    from nnlib.transfer import load_pretrained

    pretrained = load_pretrained()
    train, test = _probe_case_data()
    memo: dict = {}
    cache: dict = {}  # codes, shared by every reference and misconception call

    def probes(k, seeds, train_x, test_x):
        key = (k, seeds, train_x is train[0], test_x is test[0])
        if key not in memo:
            found = probe_layers(
                pretrained, (train_x, train[1]), (test_x, test[1]), PROBE_CUTS, k, seeds, cache
            )
            memo[key] = _probe_summary(found)
        return memo[key]

    inverted = (1 - train[0], 1 - test[0])

    def reference(k, seeds):
        return probes(k, seeds, *inverted)

    def student(k, seeds):
        return _probe_summary(student_fn(pretrained, train, test, k, tuple(seeds)))

    result = check(
        student,
        reference,
        [Case("5 labels per class, seed 0", 5, (0,)), Case("3 labels per class, seed 1", 3, (1,))],
        name="probe_inverted",
        misconceptions=[
            Misconception(
                "you probed the original digits, not the inverted ones",
                lambda k, seeds: probes(k, seeds, train[0], test[0]),
            ),
            Misconception(
                "you inverted the training images but tested on the original ones",
                lambda k, seeds: probes(k, seeds, inverted[0], test[0]),
            ),
        ],
        forbid=[probe_layers],
        atol=1e-6,
        hint="invert training and test images alike; for each seed draw one k-shot subset "
        "and use it at every cut, passing the same seed to linear_probe.",
    )
    if result:
        measured = best_cut(dict(zip(PROBE_CUTS, reference(5, (0,)), strict=True)))
        shown = measured or "pixels"
        if prediction not in PROBE_CUTS:
            verdict = "write your prediction into prediction_07_4 before measuring to compare"
        else:
            verdict = "as you predicted" if prediction == measured else "not what you predicted"
        result = CheckResult(True, f"{result.message} Best cut measured: {shown} ({verdict}).")
    return result


def _bn_layers(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def _bn_images(kind: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(72)
    if kind == "bright noise":
        return torch.rand(40, 1, 8, 8, generator=g)
    return 1 - 0.5 * torch.rand(25, 1, 8, 8, generator=g)  # "inverted, shifted"


@torch.no_grad()
def _reestimate_by_hand(model, x):
    """Reset the statistics and average them over the one batch x (what update_bn does)."""
    layers = _bn_layers(model)
    momenta = [bn.momentum for bn in layers]
    for bn in layers:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()(x)
    for bn, momentum in zip(layers, momenta, strict=True):
        bn.momentum = momentum
    return model.eval()


def _stale_bn_output(source_mean, source_var, target_mean, target_var, gamma, beta, eps):
    """Mean and standard deviation of an eval-mode batch-norm channel's output on target data of
    mean ``target_mean`` and variance ``target_var`` when it still stores the source statistics:
    y = gamma (x - source_mean) / sqrt(source_var + eps) + beta is affine in x."""
    scale = gamma / (source_var + eps) ** 0.5
    return scale * (target_mean - source_mean) + beta, abs(scale) * target_var**0.5


def check_stale_bn_output(student_fn) -> CheckResult:
    """Exercise 7b.1: what stale (source) batch-norm statistics do to target features."""
    return check(
        student_fn,
        _stale_bn_output,
        [
            Case("target shifted by 2, same variance", 0.0, 1.0, 2.0, 1.0, 1.0, 0.0, 1e-5),
            Case("target darker and flatter", 0.5, 0.25, -0.3, 0.04, 1.5, 0.2, 1e-5),
            Case("a negative scale", 1.0, 4.0, 3.0, 9.0, -0.5, 1.0, 1e-3),
            Case("target statistics equal to the source", 0.2, 2.0, 0.2, 2.0, 2.0, -1.0, 1e-5),
        ],
        name="stale_bn_output",
        misconceptions=[
            Misconception(
                "you normalized with the target's own statistics; in eval mode the layer uses "
                "the stored ones",
                lambda ms, vs, mt, vt, g, b, e: (b, abs(g) * (vt / (vt + e)) ** 0.5),
            ),
            Misconception(
                "you divided by the variance; batch norm divides by the standard deviation",
                lambda ms, vs, mt, vt, g, b, e: (
                    g / (vs + e) * (mt - ms) + b,
                    abs(g / (vs + e)) * vt**0.5,
                ),
            ),
            Misconception(
                "you added the shift beta to the standard deviation; a shift moves only the mean",
                lambda ms, vs, mt, vt, g, b, e: (
                    _stale_bn_output(ms, vs, mt, vt, g, b, e)[0],
                    _stale_bn_output(ms, vs, mt, vt, g, b, e)[1] + b,
                ),
            ),
            Misconception(
                "your standard deviation is negative for a negative gamma; it is |gamma| times",
                lambda ms, vs, mt, vt, g, b, e: (
                    _stale_bn_output(ms, vs, mt, vt, g, b, e)[0],
                    g / (vs + e) ** 0.5 * vt**0.5,
                ),
            ),
        ],
        rtol=1e-6,
        atol=1e-9,
        hint="in eval mode the layer is an affine map of x with fixed coefficients.",
    )


def _distillation_cases():
    g = torch.Generator().manual_seed(73)
    s, t = torch.randn(6, 10, generator=g), 3 * torch.randn(6, 10, generator=g)
    return [
        Case("temperature 4", s, t, 4.0),
        Case("temperature 1", s, t, 1.0),
        Case("a confident teacher, temperature 2", s, 10 * t, 2.0),
    ]


def _kl(p_log, q_log):
    return (p_log.exp() * (p_log - q_log)).sum(1)


def check_distillation_loss(student_fn, prediction=None) -> CheckResult:
    """Exercise 7b.2: ``distillation_loss(student_logits, teacher_logits, temperature)``, the
    batch mean of T² KL(softmax(t/T) || softmax(s/T)) (Hinton et al. 2015)."""

    def logs(s, t, temperature):
        return torch.log_softmax(s / temperature, 1), torch.log_softmax(t / temperature, 1)

    def no_t_squared(s, t, temperature):
        log_s, log_t = logs(s, t, temperature)
        return _kl(log_t, log_s).mean()

    def student_only_softened(s, t, temperature):
        log_s = torch.log_softmax(s / temperature, 1)
        return temperature**2 * _kl(torch.log_softmax(t, 1), log_s).mean()

    def summed(s, t, temperature):
        return len(s) * distillation_loss(s, t, temperature)

    def reversed_kl(s, t, temperature):
        log_s, log_t = logs(s, t, temperature)
        return temperature**2 * _kl(log_s, log_t).mean()

    result = check(
        student_fn,
        distillation_loss,
        _distillation_cases(),
        name="distillation_loss",
        misconceptions=[
            Misconception("you left out the factor T² (the loss shrinks as T grows)", no_t_squared),
            Misconception(
                "you softened only the student's logits, not the teacher's", student_only_softened
            ),
            Misconception("you summed over the batch instead of averaging", summed),
            Misconception(
                "you computed KL(student || teacher): the arguments are swapped", reversed_kl
            ),
        ],
        forbid=[distillation_loss, torch.nn.functional.kl_div],
        atol=1e-5,
        rtol=1e-5,
        hint="soften both sets of logits by the temperature; the result must not depend on how "
        "many examples the batch holds.",
    )
    if prediction is None:
        return result
    return with_prediction(
        result,
        prediction,
        lambda: 4.0**2,
        name="gradient_shrink_factor",
        misconceptions={
            "you gave the factor on the logits; the loss's gradient carries it twice": 4.0,
            "you gave the ratio the other way round; the question asks how many times smaller": (
                1 / 16
            ),
        },
    )


def _bn_forward_summary(fn):
    """After ``fn(model)``, switch to train mode, run two batches of bright images: the outputs,
    every BN layer's running statistics (they must not have moved) and 1 if the BN layers' scale
    and shift still train (0 if not)."""

    def run(seed, shift):
        model = _model(seed)
        fn(model)
        model.train()
        g = torch.Generator().manual_seed(74)
        x = shift + torch.rand(16, 1, 8, 8, generator=g)
        with torch.no_grad():
            model(x)
            out = model(x)
        stats = [t.flatten() for bn in _bn_layers(model) for t in (bn.running_mean, bn.running_var)]
        trains = all(p.requires_grad for bn in _bn_layers(model) for p in bn.parameters())
        return torch.cat([out.flatten(), *stats, torch.tensor([float(trains)])])

    return run


def _eval_once(model):
    model.eval()


def _colleagues_freeze(model):
    """Exercise 7b.3's broken version: a one-time ``eval()`` and ``requires_grad_(False)``."""
    for bn in _bn_layers(model):
        bn.eval()
        bn.requires_grad_(False)


def _frozen_and_fixed(model):
    """The statistics frozen for good, and the scale and shift frozen too."""

    def keep_eval(module, inputs):
        module.train(False)

    for bn in _bn_layers(model):
        bn.train(False)
        bn.register_forward_pre_hook(keep_eval)
        bn.requires_grad_(False)


def _bn_params_frozen(model):
    for bn in _bn_layers(model):
        bn.requires_grad_(False)


def check_freeze_bn_stats(student_fn) -> CheckResult:
    """Exercise 7b.3: ``freeze_bn_stats(model)``: from now on every BN layer normalizes with its
    stored statistics and never updates them, also after ``model.train()``; the rest of the
    model keeps its train-mode behaviour.

    Compared: the outputs of a second forward pass in train mode, every BN layer's running
    statistics, and whether the BN layers' scale and shift still train."""
    from nnlib.transfer import freeze_bn_statistics

    return check(
        _bn_forward_summary(student_fn),
        _bn_forward_summary(freeze_bn_statistics),
        [Case("a fresh network, bright images", 0, 0.0), Case("shifted images", 1, 2.0)],
        name="freeze_bn_stats",
        misconceptions=[
            Misconception(
                "in train mode your batch norm still normalizes with each batch's statistics and "
                "updates the stored ones: model.train() undoes a one-time eval(), and "
                "requires_grad freezes only the scale and shift, not the statistics",
                _bn_forward_summary(_eval_once),
            ),
            Misconception(
                "in train mode your batch norm still normalizes with each batch's statistics and "
                "updates the stored ones, and its scale and shift no longer train: model.train() "
                "undoes a one-time eval(), and requires_grad freezes only the scale and shift, "
                "not the statistics",
                _bn_forward_summary(_colleagues_freeze),
            ),
            Misconception(
                "your statistics stay fixed, and the scale and shift no longer train: "
                "requires_grad_(False) froze them, and they must keep training",
                _bn_forward_summary(_frozen_and_fixed),
            ),
        ],
        forbid=[freeze_bn_statistics],
        atol=1e-5,
        rtol=1e-5,
        hint="model.train() sets every module's mode; something must set the BN layers back "
        "each time they run.",
    )


def _hint_cases():
    g = torch.Generator().manual_seed(75)
    return [
        Case(
            "a batch of 4, 32 channels of 4x4",
            torch.randn(4, 32, 4, 4, generator=g),
            torch.randn(4, 32, 4, 4, generator=g),
        ),
        Case(
            "a batch of 9, 2 channels of 2x2",
            torch.randn(9, 2, 2, 2, generator=g),
            torch.randn(9, 2, 2, 2, generator=g),
        ),
    ]


def check_hint_loss(student_fn) -> CheckResult:
    """Exercise 7b.4: ``hint_loss(regressed, hints)``, FitNets' stage-1 loss: half the squared
    distance over all features of an example, averaged over the examples."""
    from nnlib.transfer.distill import hint_loss

    return check(
        student_fn,
        hint_loss,
        _hint_cases(),
        name="hint_loss",
        misconceptions=[
            Misconception(
                "you averaged over every element (torch's mse_loss) instead of summing over an "
                "example's features",
                lambda r, h: 0.5 * ((r - h) ** 2).mean(),
            ),
            Misconception("you left out the factor 1/2", lambda r, h: 2 * hint_loss(r, h)),
            Misconception(
                "you summed over the batch instead of averaging",
                lambda r, h: len(r) * hint_loss(r, h),
            ),
            Misconception(
                "you took the distance, not its square",
                lambda r, h: 0.5 * (r - h).flatten(1).norm(dim=1).mean(),
            ),
        ],
        forbid=[hint_loss, torch.nn.functional.mse_loss],
        atol=1e-5,
        rtol=1e-5,
        hint="the loss of one example sums over its channels and positions.",
    )
