"""Lecture 6 figures, the widget, the study harness and the BN-aware line through weight space."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

import nnlib
import nnlib.regularization as R
from nncourse import plotting, widgets
from nncourse.lecture6 import apps, figures
from nncourse.lecture6 import boundaries as moons
from nncourse.lecture6 import digits as regularization_study
from nnlib import loss_slices, models, params

BOUNDARY_PARAMS = [
    widgets.Param("l2", "log", 1e-4, min=1e-4, max=10.0),
    widgets.Param("dropout", "float", 0.0, min=0.0, max=0.9, step=0.1),
]


def test_boundary_widget_survives_every_control_at_its_extremes():
    app = apps.boundary()
    visited = widgets.drive_to_extremes(app)
    assert {name for name, _, _ in visited} == {"l2", "dropout"}
    assert isinstance(app.last_figure, Figure)
    assert "decay" in app.last_figure.axes[0].get_title()


def test_the_toy_uses_decoupled_weight_decay():
    (x, y), _ = moons.toy_problem()
    model = moons.fit_toy_classifier(x, y, weight_decay=0.5, steps=3)
    nnlib.utils.manual_seed(0)
    reference = models.mlp([2, 64, 64, 2])
    opt = torch.optim.AdamW(reference.parameters(), lr=0.02, weight_decay=0.5)
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(reference(x), y).backward()
        opt.step()
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_stronger_weight_decay_gives_a_simpler_fit():
    (x, y), _ = moons.toy_problem()
    loose = moons.fit_toy_classifier(x, y, weight_decay=1e-4)
    tight = moons.fit_toy_classifier(x, y, weight_decay=10.0)
    train_accuracy = [(m(x).argmax(1) == y).float().mean().item() for m in (loose, tight)]
    assert train_accuracy[0] == 1.0 > train_accuracy[1]
    gx, gy, probs = moons.probability_grid(tight, (-1, 1, -1, 1), resolution=7)
    assert probs.shape == gx.shape == gy.shape == (7, 7)
    with pytest.raises(ValueError, match="Invalid dropout"):
        moons.fit_toy_classifier(x, y, dropout=1.0)


def test_gallery_and_histograms_draw():
    images = torch.rand(3, 1, 8, 8)
    fig = figures.augmentation_gallery(images, {"original": None, "rotate": R.RandomRotation(10)})
    # one panel per transform, titled with its name, its images side by side (one pixel apart)
    original, rotated = fig.axes
    assert [ax.get_title() for ax in fig.axes] == ["original", "rotate"]
    strip = original.get_images()[0].get_array()
    assert strip.shape == (8, 3 * 9 - 1)
    for i in range(3):
        torch.testing.assert_close(
            torch.as_tensor(np.asarray(strip[:, 9 * i : 9 * i + 8])),
            images[i, 0].clamp(0, 1).double(),
        )
    rotated_strip = np.asarray(rotated.get_images()[0].get_array())
    assert not np.allclose(np.nan_to_num(rotated_strip), np.nan_to_num(np.asarray(strip)))
    # a grid of named columns with a label per row (the mixup figure)
    fig = figures.image_grid(
        {"r = 1": images, "r = 0": 1 - images}, row_labels=["a", "b", "c"], title="t"
    )
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["r = 1", "r = 0"]
    mosaic = ax.get_images()[0].get_array()
    torch.testing.assert_close(
        torch.as_tensor(mosaic[:8, 10:18].filled(0)), (1 - images[0, 0]).clamp(0, 1).double()
    )
    fig = figures.weight_histograms({"a": torch.randn(100), "b": torch.randn(50)})
    (legend,) = fig.legends  # under the plot, off the data
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]
    assert fig.axes[0].get_legend() is None


def test_plot_curves_accepts_x_values():
    fig = plotting.plot_curves({"c": [1.0, 2.0, 3.0]}, x=[0.5, 1.0, 1.5])
    assert list(fig.axes[0].lines[0].get_xdata()) == [0.5, 1.0, 1.5]


def test_line_losses_with_bn_recompute_statistics_at_each_point():
    torch.manual_seed(0)
    net = models.mlp([4, 8, 3], norm="batch").eval()
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    start = params.flatten_params(net)
    end = start + 0.3 * torch.randn_like(start)
    losses = loss_slices.line_losses(
        net, F.cross_entropy, x, y, start, end, [0.0, 0.5], bn_inputs=x
    )
    for a, loss in zip((0.0, 0.5), losses, strict=True):
        probe = copy.deepcopy(net)
        torch.nn.utils.vector_to_parameters((1 - a) * start + a * end, probe.parameters())
        torch.optim.swa_utils.update_bn([x], probe)
        with torch.no_grad():
            expected = F.cross_entropy(probe.eval()(x), y)
        assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    stale = loss_slices.line_losses(net, F.cross_entropy, x, y, start, end, [0.0, 0.5])
    assert (stale - losses).abs().max() > 1e-3  # the running statistics did change
    torch.testing.assert_close(params.flatten_params(net), start)  # the model is untouched


def test_study_trains_and_reports():
    study = regularization_study.DigitsStudy(epochs=2)
    assert len(study.splits.train) == 108
    model, history = study.train(0)
    assert len(history) == 2 and not model.training
    x, y = study.tensors("test")
    with torch.no_grad():
        expected = (model(x).argmax(1) == y).double().mean().item()
    assert study.accuracy(model) == pytest.approx(expected, abs=1e-6)
    assert study.accuracy(model(study.tensors("test")[0])) == study.accuracy(model)
    results = study.compare({"plain": {}}, seeds=[0, 1])
    assert len(results["plain"]) == 2 and results["plain"][0] == study.accuracy(model)
    with pytest.raises(ValueError, match="Invalid optimizer"):
        study.train(0, optimizer="lbfgs")
    with pytest.raises(ValueError, match="Invalid split"):
        study.tensors("holdout")
    assert regularization_study.mean_spread([1.0, 3.0]) == (2.0, 1.0)
    with pytest.raises(ValueError, match="Invalid values"):
        regularization_study.mean_spread([])
