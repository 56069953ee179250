"""nnlib.regularization against PyTorch and closed forms."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.optim import swa_utils

import nnlib.regularization as R
from nnlib import losses, models, optim, train


def _model(seed=0, norm=None):
    torch.manual_seed(seed)
    return models.mlp([6, 16, 16, 3], norm=norm).double()


# ---- penalties -----------------------------------------------------------------------------


def test_penalties_equal_their_closed_forms():
    m = _model()
    weights = [m[0].weight, m[-1].weight, m[2].weight]
    sq = sum(float((w.detach() ** 2).sum()) for w in weights)
    ab = sum(float(w.detach().abs().sum()) for w in weights)
    assert R.l2_penalty(m, 0.3).item() == pytest.approx(0.15 * sq, rel=1e-12)
    assert R.l1_penalty(m, 0.2).item() == pytest.approx(0.2 * ab, rel=1e-12)
    assert R.elastic_net_penalty(m, 0.2, 0.3).item() == pytest.approx(0.2 * ab + 0.15 * sq)
    assert R.decay_parameters(m) == [m[0].weight, m[2].weight, m[4].weight]


def test_l2_penalty_with_sgd_equals_torch_weight_decay():
    a, b = _model(1), _model(1)
    x, y = torch.randn(20, 6, dtype=torch.float64), torch.randint(0, 3, (20,))
    params = list(b.parameters())
    opt_a = optim.SGD(R.decay_parameters(a), lr=0.1)
    opt_a.add_param_group({"params": [p for p in a.parameters() if p.ndim < 2]})
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.05},
        {"params": [p for p in params if p.ndim < 2]},
    ]
    opt_b = torch.optim.SGD(groups, lr=0.1)
    for _ in range(5):
        for model, opt, pen in ((a, opt_a, 0.05), (b, opt_b, 0.0)):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y) + R.l2_penalty(model, pen)
            loss.backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)


@settings(deadline=None)
@given(st.floats(0.0, 2.0), st.lists(st.floats(-3, 3), min_size=1, max_size=20))
def test_soft_threshold_is_the_l1_proximal_map(tau, values):
    w = torch.tensor(values, dtype=torch.float64)
    p = w.clone()
    R.soft_threshold_([p], tau)
    expected = torch.where(w.abs() <= tau, torch.zeros_like(w), w - tau * w.sign())
    torch.testing.assert_close(p, expected)
    assert R.sparsity([p], tol=0.0) >= float((w.abs() <= tau).double().mean()) - 1e-12


@pytest.mark.parametrize(
    "call",
    [
        lambda m: R.l2_penalty(m, -1.0),
        lambda m: R.l1_penalty(m, float("nan")),
        lambda m: R.Penalty(l1=-0.1),
        lambda m: R.l2_penalty([], 0.1),
        lambda m: R.soft_threshold_(m, -1),
    ],
)
def test_bad_penalties_raise(call):
    with pytest.raises(ValueError, match="Invalid"):
        call(_model())


def test_fit_adds_the_penalty_to_training_only():
    torch.manual_seed(0)
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    runs = []
    for pen in (None, R.Penalty(l2=1.0)):
        m = _model().float()
        opt = optim.SGD(m.parameters(), lr=0.1)
        hist = train.fit(m, opt, [(x, y)], 20, val_loader=[(x, y)], penalty=pen, progress=False)
        runs.append((hist, sum(w.norm().item() for w in R.decay_parameters(m))))
    (plain, plain_norm), (penalized, pen_norm) = runs
    assert pen_norm < 0.8 * plain_norm
    assert plain["train_loss"][0] == pytest.approx(penalized["train_loss"][0])  # data loss logged


# ---- dropout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_dropout_draws_torchs_mask(p):
    x = torch.randn(200, 30)
    torch.manual_seed(4)
    expected = nn.Dropout(p)(x)
    torch.manual_seed(4)
    got = R.Dropout(p)(x)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_dropout_is_identity_in_eval_and_scaled_variant_multiplies():
    x = torch.randn(50, 8)
    assert torch.equal(R.Dropout(0.3).eval()(x), x)
    torch.testing.assert_close(R.Dropout(0.3, scale_at_test=True).eval()(x), 0.7 * x)


@pytest.mark.parametrize("scale_at_test", [False, True])
def test_dropout_training_mean_matches_the_test_network(scale_at_test):
    torch.manual_seed(0)
    layer = R.Dropout(0.4, scale_at_test=scale_at_test)
    x = torch.rand(1, 10, dtype=torch.float64) + 0.5
    samples = layer(x.expand(200_000, 10))
    kept = (samples != 0).double().mean()
    assert float(kept) == pytest.approx(0.6, abs=0.005)
    test_output = layer.eval()(x)
    torch.testing.assert_close(samples.mean(0, keepdim=True), test_output, rtol=0.01, atol=0)


def test_dropout_inplace_and_bad_p():
    x = torch.ones(4, 4)
    R.Dropout(0.5, inplace=True).eval()(x)
    assert torch.equal(x, torch.ones(4, 4))
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="Invalid p"):
            R.Dropout(p)


def test_geometric_mean_of_subnetworks_is_the_scaled_network():
    torch.manual_seed(0)
    linear = nn.Linear(8, 4).double()
    x = torch.randn(5, 8, dtype=torch.float64)
    for p in (0.2, 0.5, 0.8):
        got = R.subnetwork_geometric_mean(linear, x, p)
        torch.testing.assert_close(got, linear(x).softmax(1), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="Invalid linear"):
        R.subnetwork_geometric_mean(nn.Linear(17, 2), torch.randn(1, 17), 0.5)


def test_mc_dropout_predict_approaches_eval_and_restores_modes():
    torch.manual_seed(0)
    m = models.mlp([5, 32, 3], dropout=0.2)
    x = torch.randn(10, 5)
    m.train()
    probs = R.mc_dropout_predict(m, x, n_samples=400)
    assert m.training and all(layer.training for layer in m.modules())
    torch.testing.assert_close(probs.sum(1), torch.ones(10))
    assert (probs - m.eval()(x).softmax(1)).abs().max() < 0.1
    with pytest.raises(ValueError, match="no Dropout"):
        R.mc_dropout_predict(models.mlp([5, 3]), x)


# ---- label smoothing and mixup --------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(2, 7), st.integers(1, 9), st.integers(0, 999))
def test_label_smoothing_equals_torch(eps, k, n, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=g, dtype=torch.float64) * 3
    y = torch.randint(0, k, (n,), generator=g)
    expected = F.cross_entropy(logits, y, label_smoothing=eps)
    got = losses.cross_entropy(logits, y, label_smoothing=eps)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(R.LabelSmoothingCrossEntropy(eps)(logits, y), expected)


def test_label_smoothing_bad_inputs():
    with pytest.raises(ValueError, match="Invalid smoothing"):
        R.LabelSmoothingCrossEntropy(1.2)
    with pytest.raises(ValueError, match="Invalid shapes"):
        losses.cross_entropy(torch.randn(3, 4), torch.zeros(4, dtype=torch.long))


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 5.0), st.integers(2, 20), st.integers(0, 999))
def test_mixup_is_a_convex_combination(alpha, n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, dtype=torch.float64, generator=g)
    y = torch.randint(0, 4, (n,), generator=g)
    mixed, soft, lam = R.mixup(x, y, alpha, 4, torch.Generator().manual_seed(seed))
    assert 0.0 <= lam <= 1.0
    torch.testing.assert_close(soft.sum(1), torch.ones(n, dtype=torch.float64))
    # each mixed input is lam * x_i + (1 - lam) * x_j with label weights to match
    onehot = F.one_hot(y, 4).double()
    partner = ((mixed - lam * x).unsqueeze(1) - (1 - lam) * x.unsqueeze(0)).abs().amax(2)
    j = partner.argmin(1)
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x[j])
    torch.testing.assert_close(soft, lam * onehot + (1 - lam) * onehot[j])
    again = R.mixup(x, y, alpha, 4, torch.Generator().manual_seed(seed))
    assert torch.equal(again[0], mixed) and again[2] == lam


def test_mixup_lambda_follows_beta():
    g = torch.Generator().manual_seed(0)
    x, y = torch.zeros(2, 1), torch.zeros(2, dtype=torch.long)
    lams = torch.tensor([R.mixup(x, y, 0.4, 2, g)[2] for _ in range(4000)])
    assert float(lams.mean()) == pytest.approx(0.5, abs=0.02)
    beta_var = 0.25 / (2 * 0.4 + 1)
    assert float(lams.var()) == pytest.approx(beta_var, rel=0.08)


@pytest.mark.parametrize("alpha", [0.0, -1.0, float("inf")])
def test_mixup_bad_alpha(alpha):
    with pytest.raises(ValueError, match="Invalid alpha"):
        R.Mixup(alpha, 10)


# ---- augmentation --------------------------------------------------------------------------


def _images(n=6, seed=0):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_geometric_transforms_against_exact_cases():
    x = _images()
    torch.testing.assert_close(R.rotate(x, 90.0), torch.rot90(x, 1, dims=(2, 3)))
    torch.testing.assert_close(R.rotate(x, -90.0), torch.rot90(x, -1, dims=(2, 3)))
    torch.testing.assert_close(R.rotate(x, 0.0), x)
    torch.testing.assert_close(R.stretch(x, 1.0, 1.0), x)
    torch.testing.assert_close(R.shear(x, 0.0), x)
    assert torch.equal(R.hflip(x), x.flip(-1))


def test_random_crop_is_a_shift_with_zero_fill():
    x = _images(1).expand(50, 1, 8, 8)
    out = R.RandomCrop(2)(x, torch.Generator().manual_seed(0))
    for img in out:
        matches = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if torch.equal(img, _shift(x[0], dy, dx))
        ]
        assert len(matches) == 1


def _shift(img, dy, dx):
    padded = F.pad(img, (2, 2, 2, 2))
    return padded[:, 2 + dy : 10 + dy, 2 + dx : 10 + dx]


ALL = [
    R.RandomFlip(),
    R.RandomRotation(20),
    R.RandomStretch(0.2),
    R.RandomShear(0.3),
    R.RandomCrop(1),
    R.IntensityJitter(),
    R.GaussianNoise(0.1),
]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, len(ALL)))
def test_augment_is_seeded_keeps_labels_and_shapes(seed, k):
    x, y = _images(5), torch.arange(5)
    first = R.Augment(*ALL[:k], seed=seed)(x, y)
    second = R.Augment(*ALL[:k], seed=seed)(x, y)
    assert torch.equal(first[0], second[0]) and first[1] is y
    assert first[0].shape == x.shape
    flat = R.Augment(*ALL[:k], seed=seed, shape=(1, 8, 8))(x.flatten(1), y)[0]
    assert torch.equal(flat, first[0].flatten(1))


def test_augment_changes_images_and_identity_settings_do_not():
    x, y = _images(), torch.arange(6)
    assert not torch.equal(R.Augment(R.RandomRotation(15), seed=0)(x, y)[0], x)
    zero = R.Augment(R.RandomRotation(0), R.RandomShear(0), R.GaussianNoise(0), R.RandomCrop(0))
    torch.testing.assert_close(zero(x, y)[0], x)


@pytest.mark.parametrize(
    "make",
    [
        lambda: R.RandomFlip(1.5),
        lambda: R.RandomRotation(-1),
        lambda: R.RandomStretch(1.0),
        lambda: R.RandomCrop(-1),
        lambda: R.GaussianNoise(-0.1),
        lambda: R.IntensityJitter(contrast=2.0),
        lambda: R.stretch(_images(), 0.0, 1.0),
        lambda: R.rotate(torch.zeros(8, 8), 10.0),
    ],
)
def test_bad_augmentations_raise(make):
    with pytest.raises(ValueError, match="Invalid"):
        make()


# ---- averaging -----------------------------------------------------------------------------


def _train_steps(model, steps, seed=0):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        x = torch.randn(16, 6, generator=g, dtype=torch.float64)
        y = torch.randint(0, 3, (16,), generator=g)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        yield model


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize(
    "fns",
    [
        (None, None),
        ((R.get_ema_multi_avg_fn(0.9), swa_utils.get_ema_multi_avg_fn(0.9)), None),
        (None, (R.get_ema_avg_fn(0.8), swa_utils.get_ema_avg_fn(0.8))),
        (None, (R.get_swa_avg_fn(), swa_utils.get_swa_avg_fn())),
    ],
)
def test_averaged_model_equals_torch(use_buffers, fns):
    multi, single = fns
    model = _model(2, norm="batch")
    ours = R.AveragedModel(
        model,
        multi_avg_fn=multi and multi[0],
        avg_fn=single and single[0],
        use_buffers=use_buffers,
    )
    theirs = swa_utils.AveragedModel(
        model,
        multi_avg_fn=multi and multi[1],
        avg_fn=single and single[1],
        use_buffers=use_buffers,
    )
    for m in _train_steps(model, 12):
        ours.update_parameters(m)
        theirs.update_parameters(m)
    assert int(ours.n_averaged) == int(theirs.n_averaged) == 12
    for (name, a), (_, b) in zip(
        ours.module.state_dict().items(), theirs.module.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14, msg=name)


def test_swa_is_the_mean_of_the_iterates():
    model = _model(3)
    avg = R.AveragedModel(model)
    snapshots = []
    for m in _train_steps(model, 7):
        avg.update_parameters(m)
        snapshots.append([p.detach().clone() for p in m.parameters()])
    for k, p in enumerate(avg.module.parameters()):
        torch.testing.assert_close(p, torch.stack([s[k] for s in snapshots]).mean(0))


def test_update_bn_equals_torch():
    model = _model(4, norm="batch")
    list(_train_steps(model, 5))
    x = torch.randn(64, 6, dtype=torch.float64)
    loader = [(x[i : i + 16], None) for i in range(0, 64, 16)]
    ours, theirs = copy.deepcopy(model).eval(), copy.deepcopy(model).eval()
    R.update_bn(loader, ours)
    swa_utils.update_bn([b[0] for b in loader], theirs)
    assert not ours.training
    for (name, a), (_, b) in zip(
        ours.state_dict().items(), theirs.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14, msg=name)
    bn = ours[1]
    assert bn.momentum == 0.1
    torch.testing.assert_close(bn.running_mean, ours[0](x).mean(0), rtol=1e-10, atol=1e-12)


def test_ensemble_predict_and_snapshot_collector():
    members = [_model(s).float() for s in range(3)]
    x = torch.randn(7, 6)
    probs = R.ensemble_predict(members, x)
    expected = torch.stack([m(x).softmax(1) for m in members]).mean(0)
    torch.testing.assert_close(probs, expected)
    with pytest.raises(ValueError, match="empty"):
        R.ensemble_predict([], x)
    collector = R.SnapshotCollector(cycle_length=3)
    m = _model().float()
    y = torch.randint(0, 3, (7,))
    train.fit(
        m, optim.SGD(m.parameters(), lr=0.1), [(x, y)], 9, callbacks=[collector], progress=False
    )
    assert len(collector.snapshots) == 3
    assert all(not s.training for s in collector.snapshots)
    torch.testing.assert_close(collector.snapshots[-1](x), m.eval()(x))


@pytest.mark.parametrize("decay", [-0.1, 1.1])
def test_bad_decay_raises(decay):
    with pytest.raises(ValueError, match="Invalid decay"):
        R.get_ema_multi_avg_fn(decay)


def test_early_stopping_restores_the_best_weights():
    torch.manual_seed(0)
    x, y = torch.randn(40, 6), torch.randint(0, 3, (40,))
    xv, yv = torch.randn(40, 6), torch.randint(0, 3, (40,))  # unrelated labels: val loss rises
    m = _model().float()
    stopper = R.EarlyStopping(patience=3)
    snapshots = {}

    class Record(train.Callback):
        def on_epoch_end(self, epoch, logs, model):
            snapshots[epoch] = copy.deepcopy(model.state_dict())
            return False

    hist = train.fit(
        m,
        optim.SGD(m.parameters(), lr=0.5),
        [(x, y)],
        200,
        val_loader=[(xv, yv)],
        callbacks=[Record(), stopper],
        progress=False,
    )
    best_epoch, _ = hist.best("val_loss")
    assert hist.stopped_at == best_epoch + 3 < 200
    for name, value in m.state_dict().items():
        torch.testing.assert_close(value, snapshots[best_epoch][name])
