import pytest
import torch

from nncourse.lecture6 import digits as sparse_study
from nncourse.lecture6 import figures as reg_viz
from nncourse.lecture6 import runs, sparsity
from nnlib import regularization as R


def test_l1_proximal_step_is_a_gradient_step_then_soft_thresholding():
    w = torch.tensor([1.0, -1.0, 0.05, -0.02, 0.0], dtype=torch.float64)
    grad = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    before = w.clone()
    new = R.l1_proximal_step(w, grad, lr=0.1, l1=0.5)  # threshold 0.05
    torch.testing.assert_close(new, torch.tensor([0.85, -0.95, 0.0, 0.0, 0.0], dtype=torch.float64))
    assert torch.equal(w, before)  # the input is left alone
    assert torch.equal(R.l1_proximal_step(w, grad, lr=0.1, l1=0.0), w - 0.1 * grad)
    with pytest.raises(ValueError, match="Invalid lr"):
        R.l1_proximal_step(w, grad, lr=0.0, l1=0.1)
    with pytest.raises(ValueError, match="Invalid l1"):
        R.l1_proximal_step(w, grad, lr=0.1, l1=-1.0)


def test_proximal_descent_gives_exact_zeros_where_subgradient_descent_does_not():
    x, y, w_true = sparsity.sparse_regression(seed=1)
    assert int((w_true != 0).sum()) == 5
    prox = sparsity.l1_descent(R.l1_proximal_step, x, y, l1=0.1)
    sub = sparsity.l1_descent(sparsity.subgradient_step, x, y, l1=0.1)
    assert torch.equal(prox != 0, w_true != 0)
    assert int((sub == 0).sum()) == 0
    with pytest.raises(ValueError, match="Invalid nonzero"):
        sparsity.sparse_regression(d=3, nonzero=4)


def test_digits_study_seeds_draw_their_own_training_images():
    study = sparse_study.DigitsStudy(epochs=1)
    (x0, y0), (x1, _) = study.tensors("train", 0), study.tensors("train", 1)
    assert len(y0) == 108 and len(study.tensors("val", 0)[1]) == 288
    assert not torch.equal(x0, x1)
    assert torch.equal(study.tensors("test", 0)[0], study.tensors("test", 1)[0])
    pool = torch.cat([study.splits.train.tensors[1], study.splits.val.tensors[1]])
    drawn = torch.cat([y0, study.tensors("val", 0)[1]])
    assert torch.equal(pool.sort().values, drawn.sort().values)  # the same 396 images
    fixed = sparse_study.DigitsStudy(epochs=1, vary_split=False)
    assert torch.equal(fixed.tensors("train", 3)[0], fixed.splits.train.tensors[0])
    model, _ = study.train(2)
    x2, y2 = study.tensors("train", 2)
    with torch.no_grad():
        expected = (model(x2).argmax(1) == y2).float().mean().item()
    assert study.accuracy(model, "train", 2) == pytest.approx(expected)  # seed 2's own images


def test_label_noise_replaces_a_fraction_of_labels_by_other_classes():
    clean = sparse_study.DigitsStudy(epochs=1, train_fraction=0.2)
    noisy = sparse_study.DigitsStudy(epochs=1, train_fraction=0.2, label_noise=0.3)
    for split in ("train", "val"):
        (x, y), (xn, yn) = clean.tensors(split, 4), noisy.tensors(split, 4)
        assert torch.equal(x, xn)  # the same images
        wrong = (y != yn).float().mean().item()
        assert 0.2 < wrong < 0.4  # about 0.3 of them relabelled, never to the true class
    assert torch.equal(clean.tensors("test")[1], noisy.tensors("test")[1])  # test stays clean
    assert torch.equal(noisy.tensors("train", 4)[1], noisy.tensors("train", 4)[1])  # seeded
    assert not torch.equal(noisy.tensors("train", 4)[1], noisy.tensors("train", 5)[1])
    with pytest.raises(ValueError, match="Invalid label_noise"):
        sparse_study.DigitsStudy(label_noise=1.5)


def test_weight_norm_and_shared_errors():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 4.0]]))
        model[0].bias.fill_(100.0)  # biases are not counted
    assert runs.weight_norm(model) == pytest.approx(5.0)
    x, y = torch.eye(2), torch.tensor([0, 0])
    right = torch.nn.Sequential(torch.nn.Linear(2, 2))
    with torch.no_grad():
        right[0].weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
        right[0].bias.zero_()
    # model gets image 1 wrong (class 1), right gets neither wrong: 0 of 1 shared
    assert runs.shared_errors([model, right], x, y) == 0.0
    assert runs.shared_errors([model, model], x, y) == 1.0


def test_lecture6_figures_draw():
    fig = reg_viz.boundary_grid_figure([(1e-5, 0.0), (0.1, 0.0), (1e-5, 0.5)])
    assert sum(ax.get_visible() for ax in fig.axes) == 3
    assert "initialization 0" in fig.get_suptitle()  # the network drawn is named
    probs = torch.softmax(torch.randn(50, 3, generator=torch.Generator().manual_seed(0)), 1)
    diagrams = {"a": R.reliability(probs, torch.zeros(50, dtype=torch.long))}
    fig = reg_viz.reliability_figure(diagrams)
    assert fig.axes[0].get_xlim() == (0.0, 1.0)
    counts = [int(t.get_text()) for t in fig.axes[0].texts]
    assert sum(counts) == 50  # every prediction's bin count is written
    # in a row above the unit square, where neither the bars nor the diagonal can cross them
    assert all(t.get_position()[1] > 1.0 for t in fig.axes[0].texts)
    line = {
        "train loss": torch.tensor([1.0, 0.1, 0.2]),
        "test error": torch.tensor([0.3, 0.2, 0.25]),
    }
    fig = reg_viz.swa_line_figure(line, torch.tensor([0.0, 0.5, 1.0]), "t")
    assert [ax.get_title() for ax in fig.axes] == ["train loss", "test error"]
    fig = reg_viz.decay_sweep_figure(
        [1.0, 3.0], {"AdamW": {1.0: ([0.5, 0.6], [3.0, 4.0])}}, xlabel="ηλT"
    )
    assert fig.axes[1].get_yscale() == "log"
    assert [ax.get_xlabel() for ax in fig.axes] == ["ηλT", "ηλT"]


def test_train_seeds_gives_the_serial_runs():
    study = sparse_study.DigitsStudy(epochs=2)
    side_by_side = study.train_seeds([1, 0], dropout=0.5)
    for seed, (model, history) in zip([1, 0], side_by_side, strict=True):
        serial, serial_history = study.train(seed, dropout=0.5)
        for a, b in zip(model.parameters(), serial.parameters(), strict=True):
            torch.testing.assert_close(a, b)
        assert history["val_loss"] == pytest.approx(serial_history["val_loss"], rel=1e-5)


def test_skipping_validation_trains_the_same_weights():
    study = sparse_study.DigitsStudy(epochs=3)
    checked, history = study.train(1, dropout=0.3)
    unchecked, bare = study.train(1, dropout=0.3, validate=False)
    for a, b in zip(checked.parameters(), unchecked.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert "val_loss" in history and "val_loss" not in bare and len(bare) == 3


def test_toy_scores_are_those_of_the_fitted_network():
    from nncourse.lecture6 import boundaries

    (x, y), (xt, yt) = boundaries.toy_problem()
    model = boundaries.fit_toy_classifier(x, y, weight_decay=1.0, dropout=0.5, seed=3)
    with torch.no_grad():
        confidence = model(xt).softmax(1).amax(1).mean().item()
    fit, test, mean_confidence = boundaries.toy_scores(1.0, 0.5, seed=3)
    assert fit == (model(x).argmax(1) == y).float().mean().item()
    assert test == (model(xt).argmax(1) == yt).float().mean().item()
    assert mean_confidence == pytest.approx(confidence)


def test_decay_table_gives_eta_lambda_t_and_means_per_setting():
    swept = {
        ("adamw", 3.0): [(0.8, 10.0, 0.5), (0.9, 12.0, 0.6)],
        ("adam", 0.1): [(0.1, 0.0, 0.1), (0.1, 0.0, 0.1)],
    }
    header, adamw, adam = runs.decay_table(swept, lr=1e-3, steps=480).splitlines()
    assert adamw.split()[:3] == ["AdamW", "3", "1.44"]  # ηλT = 1e-3 * 3 * 480
    assert adamw.split()[3] == "0.85" and adamw.split()[-1] == "11"
    assert adam.split()[:4] == ["Adam", "+", "L2", "0.1"] and adam.endswith("< 1e-6")
    assert "weight norm" in header
