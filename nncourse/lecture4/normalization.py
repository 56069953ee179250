"""Experiment set-ups of lecture 4 (normalization): many seeds (and learning rates) at once.

Many networks train at once as one :class:`nnlib.models.StackedModels` (batch norm and its
running statistics included) with ``train.fit_batched`` as the training loop;
:func:`scale_gradients` gives every network its own learning rate.
* :func:`gd_steps`: gradient descent's steps to a tolerance on least squares (input scaling);
* :func:`bn_lr_sweep`: final validation accuracy over learning rates x seeds, with or without BN.
* :func:`smoothness_over_training`: Santurkar et al. (2018)'s probes along the gradient direction
  at checkpoints of training, per seed.
* :class:`NoisyBatchNorm1d` and :func:`noise_injection_study`: Santurkar et al. (2018)'s batch
  norm with a random, ever-changing shift and scale after it (covariate shift put back on purpose).
* :func:`small_batch_study`: a small MLP (:func:`small_mlp`) or 1-D CNN (:func:`small_cnn1d`)
  with each normalization, trained at several batch sizes, each at its own learning rate chosen
  on the validation split by :func:`tune_rates`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from nncourse.parallel import parallel_map
from nnlib import analytic_surfaces, data, init, loss_slices, models, norm, train, utils
from nnlib.losses import per_model_loss
from nnlib.regularization import averaging
from nnlib.utils import check_positive_int

__all__ = [
    "CONV_NORMALIZATIONS",
    "NORMALIZATIONS",
    "NoisyBatchNorm1d",
    "bn_lr_sweep",
    "deep_relu_mlp",
    "gd_steps",
    "noise_injection_study",
    "renorm_recipe_study",
    "scale_gradients",
    "small_batch_bn_mechanisms",
    "small_batch_lr_tuning",
    "small_batch_study",
    "small_cnn1d",
    "small_mlp",
    "smoothness_over_training",
    "tune_rates",
]


def _forever(loader):
    """The loader's batches, pass after pass (each pass reshuffled)."""
    while True:
        yield from loader


def _scaled_by(factors: torch.Tensor):
    return lambda grad: grad * factors


def scale_gradients(stack: models.StackedModels, factors) -> None:
    """Multiply network s's gradients by ``factors[s]`` (a hook on every stacked parameter).

    With SGD at learning rate 1 (momentum or not, no weight decay) network s then trains exactly
    as with learning rate ``factors[s]``: the velocity is linear in the gradients.
    """
    factors = torch.as_tensor(factors, dtype=next(stack.parameters()).dtype)
    for param in stack.parameters():
        param.register_hook(_scaled_by(factors.view((-1,) + (1,) * (param.dim() - 1))))


def _global_seed() -> int:
    """The seed of torch's global generator (set by ``utils.manual_seed``, so already shifted by
    the replication; ``init.init_model`` shifts it once more, which keeps replications apart),
    reduced to the range ``utils.replicated_seed`` accepts."""
    return torch.initial_seed() % 2**32


def deep_relu_mlp(
    use_bn: bool,
    depth: int = 8,
    width: int = 64,
    position: str = "before",
    norm_layer: Callable[[int], nn.Module] = norm.BatchNorm1d,
):
    """The lecture's deep MLP for MNIST-1D (40 inputs, 10 classes), Kaiming-initialised, with
    ``norm_layer`` (batch norm) before (or ``position="after"``) each ReLU when ``use_bn``."""
    widths = [40] + [width] * depth + [10]
    net = models.mlp(widths, norm=norm_layer if use_bn else None, norm_position=position)
    return init.init_model(net, "kaiming", seed=_global_seed())


def bn_lr_sweep(
    splits,
    lrs: Sequence[float],
    seeds: Sequence[int],
    use_bn: bool,
    position: str = "before",
    epochs: int = 3,
    batch_size: int = 100,
    norm_layer: Callable[[int], nn.Module] = norm.BatchNorm1d,
) -> dict[str, torch.Tensor]:
    """Train :func:`deep_relu_mlp` (with ``norm_layer`` when ``use_bn``) with SGD (momentum 0.9)
    for every learning rate and seed, all runs at once (every run sees the same minibatches).
    Returns tensors of shape (len(lrs), len(seeds)): ``accuracy`` (validation, eval mode),
    ``train_loss`` (mean over the last epoch, train mode) and ``diverged`` (a non-finite
    training loss)."""
    train_x, train_y = splits.train.tensors
    val_x, val_y = splits.val.tensors
    pairs = list(itertools.product(lrs, seeds))
    stack = models.StackedModels(
        lambda: deep_relu_mlp(use_bn, position=position, norm_layer=norm_layer),
        [s for _, s in pairs],
    )
    scale_gradients(stack, [lr for lr, _ in pairs])  # learning rate 1 x scaled gradient
    optimizer = torch.optim.SGD(stack.parameters(), lr=1.0, momentum=0.9)
    loader = data.TensorBatches(train_x, train_y, batch_size, seed=0)
    curves = train.fit_batched(stack, optimizer, loader, epochs, progress=False)
    shape = (len(lrs), len(seeds))
    return {
        "accuracy": train.accuracy(stack, val_x, val_y).double().view(shape),
        "train_loss": curves["train_loss"][-1].double().view(shape),
        "diverged": (~torch.isfinite(curves["train_loss"]).all(dim=0)).view(shape),
    }


def gd_steps(x: torch.Tensor, y: torch.Tensor, tol: float = 1e-6, max_steps: int = 100_000):
    """Steps of gradient descent at the best fixed step 2 / (lambda_min + lambda_max) on least
    squares 1/(2n)||x w - y||^2, from w = 0, until ||w - w*|| <= tol ||w*||.

    Runs the update on the error e = w - w*, which GD maps to (I - lr H) e with H = x^T x / n.
    """
    problem = analytic_surfaces.LeastSquares(x, y)
    hessian, w_star = problem.hessian(), problem.solution()
    eigenvalues = torch.linalg.eigvalsh(hessian)
    lr = 2.0 / (eigenvalues[0] + eigenvalues[-1]).item()
    step_matrix = torch.eye(len(w_star), dtype=hessian.dtype) - lr * hessian
    error, target = -w_star, tol * w_star.norm().item()
    for step in range(max_steps + 1):
        if error.norm().item() <= target:
            return step
        error = step_matrix @ error
    raise ValueError(f"GD did not reach tol={tol} in {max_steps} steps")


def smoothness_over_training(
    splits,
    use_bn: bool,
    seeds: Sequence[int],
    lr: float = 0.05,
    steps: int = 200,
    every: int = 20,
    step_sizes=(0.05, 0.1, 0.2, 0.3, 0.4),
    batch_size: int = 100,
) -> dict[str, torch.Tensor]:
    """Santurkar et al. (2018)'s measurements while training the deep MLP (SGD, momentum 0.9),
    all seeds at once.

    Every ``every`` steps, on the minibatch about to be used for the next step, with g the
    gradient there and eta in ``step_sizes`` (:func:`nnlib.loss_slices.loss_along_gradient`):

    * ``loss_range``: max - min of L(theta - eta g) over eta (variation of the loss);
    * ``gradient_change``: max over eta of ||grad L(theta - eta g) - g|| (gradient
      predictiveness: smaller is more predictive);
    * ``beta``: max over eta of ||grad L(theta - eta g) - g|| / ||eta g|| (the paper's effective
      beta-smoothness: a local estimate of the smoothness constant L along the step).

    Returns those as tensors (len(seeds), checkpoints), and ``step`` (checkpoints,).
    """
    train_x, train_y = splits.train.tensors
    steps, every = check_positive_int("steps", steps), check_positive_int("every", every)
    etas = torch.tensor(step_sizes)
    stack = models.StackedModels(lambda: deep_relu_mlp(use_bn), seeds)
    optimizer = torch.optim.SGD(stack.parameters(), lr=lr, momentum=0.9)
    batches = _forever(data.TensorBatches(train_x, train_y, batch_size, seed=0))
    rows = {"loss_range": [], "gradient_change": [], "beta": []}
    checkpoints = range(0, steps + 1, every)
    for _ in checkpoints:
        chunk = list(itertools.islice(batches, every))
        probe = loss_slices.loss_along_gradient(stack, per_model_loss, *chunk[0], etas)
        change = probe["gradient_change"]
        rows["loss_range"].append(probe["loss"].max(dim=1).values - probe["loss"].min(dim=1).values)
        rows["gradient_change"].append(change.max(dim=1).values)
        rows["beta"].append((change / (etas * probe["gradient_norm"][:, None])).max(dim=1).values)
        train.fit_batched(stack, optimizer, chunk, 1, progress=False)
    result = {key: torch.stack(value, dim=1) for key, value in rows.items()}
    result["step"] = torch.tensor(list(checkpoints))
    return result


class NoisyBatchNorm1d(norm.BatchNorm1d):
    """Batch norm whose output, in training mode, is then scaled and shifted per feature by
    random amounts drawn anew at every step (Santurkar et al. 2018, "noisy BatchNorm"):
    ``y * s + m`` with ``m ~ N(0, mean_noise²)`` and ``log s ~ N(0, scale_noise²)``. The layer
    above sees inputs whose mean and variance change at every step: internal covariate shift,
    put back on purpose. Eval mode is plain batch norm with the running statistics."""

    def __init__(self, num_features: int, mean_noise: float = 0.5, scale_noise: float = 0.25):
        super().__init__(num_features)
        self.mean_noise, self.scale_noise = mean_noise, scale_noise

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        if not self.training:
            return y
        shift = torch.randn(self.num_features, dtype=y.dtype) * self.mean_noise
        scale = torch.exp(torch.randn(self.num_features, dtype=y.dtype) * self.scale_noise)
        return y * scale + shift


def noise_injection_study(
    splits, seeds: Sequence[int], lrs: Sequence[float] = (0.1, 0.3), epochs: int = 3
) -> dict[str, torch.Tensor]:
    """:func:`bn_lr_sweep` with :class:`NoisyBatchNorm1d` in place of batch norm: ``accuracy``
    and ``train_loss`` of shape (len(lrs), len(seeds)). A seed's network starts from the
    weights and sees the minibatches of the same seed in :func:`bn_lr_sweep` with and without
    batch norm, whose runs are its controls."""
    sweep = bn_lr_sweep(splits, lrs, seeds, True, epochs=epochs, norm_layer=NoisyBatchNorm1d)
    return {key: sweep[key] for key in ("accuracy", "train_loss")}


NORMALIZATIONS: dict[str, Callable[[int], nn.Module] | None] = {
    "none": None,
    "batch norm": norm.BatchNorm1d,
    "batch renorm": norm.BatchRenorm1d,
    "group norm (8 groups)": lambda width: norm.GroupNorm(8, width),
    "layer norm": norm.LayerNorm,
}

#: The normalizations of :func:`small_cnn1d`, each a factory ``channels -> layer`` for inputs
#: (N, C, L). Layer norm over (C, L) is group norm with one group (``LayerNorm(C)`` wants C as
#: the last dimension and rejects (N, C, L)); instance norm averages over L alone, per example
#: and channel, and gets a learnt scale and shift (``affine=True``, torch's default is False)
#: like the others.
CONV_NORMALIZATIONS: dict[str, Callable[[int], nn.Module] | None] = {
    "none": None,
    "batch norm": norm.BatchNorm1d,
    "batch renorm": norm.BatchRenorm1d,
    "group norm (4 groups)": lambda channels: norm.GroupNorm(4, channels),
    "layer norm (1 group)": lambda channels: norm.GroupNorm(1, channels),
    "instance norm": lambda channels: norm.InstanceNorm1d(channels, affine=True),
}


def small_mlp(normalization: str) -> nn.Sequential:
    """MLP 40-64-64-64-10 for MNIST-1D with one of :data:`NORMALIZATIONS` before each ReLU."""
    net = models.mlp([40, 64, 64, 64, 10], norm=NORMALIZATIONS[normalization])
    return init.init_model(net, "kaiming", seed=_global_seed())


def small_cnn1d(normalization: str, channels: Sequence[int] = (8, 16)) -> nn.Sequential:
    """1-D CNN for MNIST-1D with one of :data:`CONV_NORMALIZATIONS` after each convolution.

    The 40 features are read as a signal of length 40 with one channel. Each stage is
    Conv1d (kernel 5, stride 2, padding 2; no bias when a normalization follows, which would
    remove it) -> normalization -> ReLU, halving the length: 40 -> 20 -> 10 with the default
    ``channels``; then flatten and a linear layer to the 10 classes. Kaiming-initialised.
    """
    make_norm = CONV_NORMALIZATIONS[normalization]
    layers: list[nn.Module] = [nn.Unflatten(1, (1, 40))]
    c_in, length = 1, 40
    for c_out in channels:
        layers.append(nn.Conv1d(c_in, c_out, 5, stride=2, padding=2, bias=make_norm is None))
        if make_norm is not None:
            layers.append(make_norm(c_out))
        layers.append(nn.ReLU())
        c_in, length = c_out, (length + 1) // 2
    layers += [nn.Flatten(), nn.Linear(c_in * length, 10)]
    return init.init_model(nn.Sequential(*layers), "kaiming", seed=_global_seed())


def small_batch_study(
    splits,
    names: Sequence[str],
    batch_sizes: Sequence[int],
    seeds: Sequence[int],
    steps: int = 400,
    lr: float | Mapping[str, float] = 0.02,
    model: Callable[[str], nn.Module] = small_mlp,
    evaluate: str = "val",
) -> dict[str, torch.Tensor]:
    """Accuracy (eval mode) on the ``evaluate`` split (``"val"`` or ``"test"``) of
    ``model(name)`` (:func:`small_mlp` or :func:`small_cnn1d`) per normalization name, batch size
    and seed after ``steps`` SGD steps (momentum 0.9) at learning rate ``lr`` (one for all, or
    name -> its own, e.g. from :func:`tune_rates`). The seeds of one (name, batch size) are
    trained at once (:class:`~nnlib.models.StackedModels`), the pairs side by side on the CPU's
    cores (:func:`nncourse.parallel.parallel_map`). Returns name -> tensor
    (len(batch_sizes), len(seeds)).
    """
    train_x, train_y = splits.train.tensors
    val_x, val_y = _held_out(splits, evaluate)
    steps = check_positive_int("steps", steps)

    def run(config) -> torch.Tensor:
        name, batch_size = config
        stack = models.StackedModels(lambda: model(name), seeds)
        rate = lr[name] if isinstance(lr, Mapping) else lr
        optimizer = torch.optim.SGD(stack.parameters(), lr=rate, momentum=0.9)
        loader = data.TensorBatches(train_x, train_y, batch_size, seed=batch_size)
        batches = list(itertools.islice(_forever(loader), steps))
        train.fit_batched(stack, optimizer, batches, 1, progress=False)
        return train.accuracy(stack, val_x, val_y).double()

    accuracies = iter(parallel_map(run, itertools.product(names, batch_sizes)))
    return {name: torch.stack([next(accuracies) for _ in batch_sizes]) for name in names}


def _held_out(splits, evaluate: str) -> tuple[torch.Tensor, torch.Tensor]:
    if evaluate not in ("val", "test"):
        raise ValueError(f"evaluate must be 'val' or 'test', not {evaluate!r}")
    return getattr(splits, evaluate).tensors


def small_batch_lr_tuning(
    splits,
    names: Sequence[str],
    lrs: Sequence[float],
    batch_size: int,
    seed: int,
    steps: int = 300,
    model: Callable[[str], nn.Module] = small_mlp,
) -> dict[str, torch.Tensor]:
    """Validation accuracy (eval mode) per normalization name and learning rate (len(lrs),) of
    one seed's ``model(name)`` after ``steps`` SGD steps (momentum 0.9) at ``batch_size``, as
    :func:`small_batch_study` trains it: the learning rates of one name train at once, as copies
    of the same network with scaled gradients (:func:`scale_gradients`)."""
    train_x, train_y = splits.train.tensors
    val_x, val_y = splits.val.tensors
    steps = check_positive_int("steps", steps)

    def run(name) -> torch.Tensor:
        stack = models.StackedModels(lambda: model(name), [seed] * len(lrs))
        scale_gradients(stack, list(lrs))  # learning rate 1 x scaled gradient
        optimizer = torch.optim.SGD(stack.parameters(), lr=1.0, momentum=0.9)
        loader = data.TensorBatches(train_x, train_y, batch_size, seed=batch_size)
        batches = list(itertools.islice(_forever(loader), steps))
        train.fit_batched(stack, optimizer, batches, 1, progress=False)
        return train.accuracy(stack, val_x, val_y).double()

    return dict(zip(names, parallel_map(run, list(names)), strict=True))


def tune_rates(
    splits,
    names: Sequence[str],
    lrs: Sequence[float],
    batch_size: int,
    seeds: Sequence[int],
    steps: int = 300,
    model: Callable[[str], nn.Module] = small_mlp,
) -> tuple[dict[str, float], dict[str, torch.Tensor]]:
    """Each name's learning rate from ``lrs`` with the highest validation accuracy, averaged
    over ``seeds`` (:func:`small_batch_lr_tuning` per seed; the test split is never used).
    Returns (name -> chosen rate, name -> mean validation accuracy per rate (len(lrs),))."""
    runs = [
        small_batch_lr_tuning(splits, names, lrs, batch_size, seed, steps, model) for seed in seeds
    ]
    means = {name: torch.stack([run[name] for run in runs]).mean(dim=0) for name in names}
    chosen = {name: float(lrs[int(mean.argmax())]) for name, mean in means.items()}
    return chosen, means


def _train_stack(stack, splits, batch_size: int, steps: int, lr: float, every=None, before=None):
    """SGD (momentum 0.9) on ``stack`` for ``steps`` minibatches of ``batch_size``, as
    :func:`small_batch_study` does; ``before(step)`` runs before each chunk of ``every`` steps."""
    train_x, train_y = splits.train.tensors
    optimizer = torch.optim.SGD(stack.parameters(), lr=lr, momentum=0.9)
    loader = data.TensorBatches(train_x, train_y, batch_size, seed=batch_size)
    batches = list(itertools.islice(_forever(loader), steps))
    every = every or steps
    for start in range(0, steps, every):
        if before is not None:
            before(start)
        train.fit_batched(stack, optimizer, batches[start : start + every], 1, progress=False)
    return stack


def small_batch_bn_mechanisms(
    splits,
    seeds: Sequence[int],
    batch_size: int = 2,
    steps: int = 300,
    lr: float = 0.02,
    evaluate: str = "val",
) -> dict[str, torch.Tensor]:
    """Train :func:`small_mlp` with batch norm at ``batch_size`` (as :func:`small_batch_study`),
    then measure the accuracy on the ``evaluate`` split of each seed's network three ways:
    ``as trained`` (eval
    mode, the running statistics averaged during training), ``recomputed`` (eval mode after one
    pass over the training set in batches of 500 recomputes the running statistics,
    :func:`nnlib.regularization.averaging.update_bn`) and ``train mode, B = 500`` (each
    held-out batch of 500 normalized with its own statistics). Tensors (len(seeds),)."""
    val_x, val_y = _held_out(splits, evaluate)
    stack = models.StackedModels(lambda: small_mlp("batch norm"), seeds)
    _train_stack(stack, splits, batch_size, steps, lr)
    result = {"as trained": [], "recomputed": [], "train mode, B = 500": []}
    for s in range(len(seeds)):
        net = stack.unstack(s)
        result["as trained"].append(train.accuracy(net, val_x, val_y))
        with torch.no_grad(), utils.model_mode(net, True):
            predictions = torch.cat([net(chunk).argmax(1) for chunk in val_x.split(500)])
        result["train mode, B = 500"].append((predictions == val_y).double().mean().item())
        averaging.update_bn(splits.train.tensors[0].split(500), net)
        result["recomputed"].append(train.accuracy(net, val_x, val_y))
    return {key: torch.tensor(value, dtype=torch.float64) for key, value in result.items()}


def renorm_recipe_study(
    splits,
    batch_sizes: Sequence[int],
    seeds: Sequence[int],
    steps: int = 300,
    lr: float = 0.02,
    r_max: float = 3.0,
    d_max: float = 5.0,
    evaluate: str = "val",
) -> torch.Tensor:
    """Accuracy on the ``evaluate`` split (len(batch_sizes), len(seeds)) of the MLP of
    :func:`small_mlp` with batch renormalization trained by the paper's schedule (Ioffe 2017):
    r_max, d_max held at 1 and 0 (plain batch norm) for the first 10 % of the steps, then raised
    linearly to ``r_max`` by 40 % and to ``d_max`` by 30 % of the steps (the paper's 5k, 40k and
    25k steps of a longer run, in proportion), updated every 10 steps; with batch norm's momentum
    0.1, not the paper's moving-average rate 0.01."""

    def make() -> nn.Module:
        layer = lambda width: norm.BatchRenorm1d(width, momentum=0.1, r_max=1.0, d_max=0.0)  # noqa: E731
        net = models.mlp([40, 64, 64, 64, 10], norm=layer)
        return init.init_model(net, "kaiming", seed=_global_seed())

    def ramp(step: int, end: float) -> float:
        return min(max((step / steps - 0.1) / (end - 0.1), 0.0), 1.0)

    val_x, val_y = _held_out(splits, evaluate)
    rows = []
    for batch_size in batch_sizes:
        stack = models.StackedModels(make, seeds)
        layers = [m for m in stack._template[0].modules() if isinstance(m, norm.BatchRenorm1d)]

        def before(step, layers=layers):
            for layer in layers:
                layer.r_max = 1.0 + (r_max - 1.0) * ramp(step, 0.4)
                layer.d_max = d_max * ramp(step, 0.3)

        _train_stack(stack, splits, batch_size, steps, lr, every=10, before=before)
        rows.append(train.accuracy(stack, val_x, val_y).double())
    return torch.stack(rows)
