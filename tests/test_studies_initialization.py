import math

import pytest
import torch

from nncourse.lecture3 import figures as init_viz
from nncourse.lecture3 import initialization as study
from nnlib import data


@pytest.mark.parametrize("c", [0.5, 1.0, 2.0])
def test_scaled_kaiming_gradients_change_by_c_per_layer(c):
    rows = study.scaled_kaiming_stats(c, depth=12, width=128)
    ratio = rows[0].activation_grad_std / rows[-1].activation_grad_std
    assert 0.5 < ratio / c ** (11 / 2) < 2


def test_train_mlps_returns_per_epoch_curves_per_seed():
    splits = data.mnist1d()
    small = data.Splits(
        torch.utils.data.TensorDataset(*[t[:200] for t in splits.train.tensors]),
        torch.utils.data.TensorDataset(*[t[:100] for t in splits.val.tensors]),
        splits.test,
        splits.n_classes,
    )
    curves = study.train_mlps([40, 16, 10], "relu", "kaiming", n_seeds=3, epochs=2, splits=small)
    assert curves["train_loss"].shape == (2, 3) and curves["eval_accuracy"].shape == (2, 3)
    curves = study.train_mlps([40, 16, 10], "tanh", std=0.1, n_seeds=2, epochs=1, splits=small)
    assert torch.isfinite(curves["train_loss"]).all()
    with pytest.raises(ValueError, match="exactly one"):
        study.train_mlps([40, 10], "relu", "kaiming", std=0.1, splits=small)
    with pytest.raises(ValueError, match="exactly one"):
        study.train_mlps([40, 10], "relu", splits=small)


@pytest.mark.parametrize(("std", "near_uniform"), [(1e-4, True), (1.0, False)])
def test_train_mlps_draws_the_weights_at_the_given_scale(std, near_uniform):
    """With lr = 0 the loss is that of the initial networks: ln 10 (a uniform guess) when the
    weights are tiny, far above it when they are N(0, 1) (zeroed weights would give ln 10 too)."""
    curves = study.train_mlps([40, 32, 10], "tanh", std=std, n_seeds=2, epochs=1, lr=0.0)
    gap = (curves["train_loss"][0] - math.log(10)).abs()
    assert bool((gap < 1e-3).all()) == near_uniform and bool((gap > 0.5).all()) != near_uniform


def test_lecture3_figures_draw():
    runs = {"c = 1": study.scaled_kaiming_stats(1.0, depth=3, width=16)}
    assert len(init_viz.regimes_figure(runs).axes) == 2
    curves = {"a": torch.rand(4, 3), "b": torch.rand(4, 3)}
    assert init_viz.training_bands_figure(curves, "loss", logy=True).axes[0].get_ylabel() == "loss"
    norms = {"λ_max = 1.1": ([1, 10], [1.1, 1.1**10], 1.1)}
    assert init_viz.matrix_power_figure(norms).axes[0].get_yscale() == "log"
    assert math.isfinite(rows_std := runs["c = 1"][0].activation_std) and rows_std > 0
