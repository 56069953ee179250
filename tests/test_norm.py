import pytest
import torch
from torch import nn

from nncourse import widgets
from nncourse.lecture4 import apps, preprocessing_figures
from nnlib import data, loss_slices, models, norm, preprocessing, train

DT = torch.float64


def _pair(ours, theirs):
    ours, theirs = ours.double(), theirs.double()
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


def _compare(ours, theirs, shape, seed=0, steps=3, buffers=True):
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = (torch.randn(shape, generator=g, dtype=DT) * 3 + 1).requires_grad_(True)
        x2 = x.detach().clone().requires_grad_(True)
        ya, yb = ours(x), theirs(x2)
        torch.testing.assert_close(ya, yb)
        dy = torch.randn_like(ya)
        ya.backward(dy)
        yb.backward(dy)
        torch.testing.assert_close(x.grad, x2.grad)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad, msg=name)
    for a, b in zip(ours.buffers(), theirs.buffers(), strict=True):
        if buffers:
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize("kind, shape", [("1d", (16, 5)), ("1d", (8, 5, 7)), ("2d", (6, 5, 4, 3))])
def test_batchnorm_matches_torch(kind, shape, momentum, affine, track):
    cls_ours = norm.BatchNorm1d if kind == "1d" else norm.BatchNorm2d
    cls_torch = nn.BatchNorm1d if kind == "1d" else nn.BatchNorm2d
    kwargs = {"momentum": momentum, "affine": affine, "track_running_stats": track}
    ours, theirs = _pair(cls_ours(5, **kwargs), cls_torch(5, **kwargs))
    _compare(ours, theirs, shape)
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, shape, seed=1, steps=1)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_batchnorm_state_dict_loads_from_torch():
    theirs = nn.BatchNorm1d(4).double()
    theirs(torch.randn(10, 4, dtype=DT) * 2)
    ours = norm.BatchNorm1d(4).double()
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = torch.randn(3, 4, dtype=DT)
    torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.parametrize(
    "shape, normalized", [((6, 10), 10), ((4, 3, 5), (3, 5)), ((2, 3, 4, 4), (4, 4))]
)
def test_layer_norm_matches_torch(shape, normalized):
    ours, theirs = _pair(norm.LayerNorm(normalized), nn.LayerNorm(normalized))
    with torch.no_grad():
        ours.weight.uniform_(0.5, 1.5)
        ours.bias.normal_()
    theirs.load_state_dict(ours.state_dict())
    _compare(ours, theirs, shape)


@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("shape", [(4, 6), (4, 6, 5), (3, 6, 4, 4)])
def test_group_norm_matches_torch(groups, shape):
    ours, theirs = _pair(norm.GroupNorm(groups, 6), nn.GroupNorm(groups, 6))
    _compare(ours, theirs, shape)


@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_matches_torch(affine):
    _compare(
        *_pair(norm.InstanceNorm1d(4, affine=affine), nn.InstanceNorm1d(4, affine=affine)),
        (3, 4, 9),
    )
    _compare(
        *_pair(norm.InstanceNorm2d(4, affine=affine), nn.InstanceNorm2d(4, affine=affine)),
        (3, 4, 5, 5),
    )


def test_batch_renorm_equals_batchnorm_without_correction_and_uses_running_stats():
    renorm = norm.BatchRenorm1d(5, momentum=0.1, r_max=1.0, d_max=0.0).double()
    plain = norm.BatchNorm1d(5, momentum=0.1).double()
    _compare(renorm, plain, (16, 5), buffers=False)  # renorm tracks the biased sigma (Ioffe 2017)
    corrected = norm.BatchRenorm1d(5, momentum=0.1, r_max=3.0, d_max=5.0).double()
    x = torch.randn(16, 5, dtype=DT) * 2 + 3
    for _ in range(150):
        corrected(x)
    # once the running statistics match the batch, r = 1 and d = 0: batch norm again
    torch.testing.assert_close(
        corrected(x), nn.functional.batch_norm(x, None, None, training=True), rtol=1e-3, atol=1e-3
    )
    with pytest.raises(ValueError, match="r_max"):
        norm.BatchRenorm1d(5, r_max=0.5)


def test_hand_derived_batchnorm_gradient():
    x = torch.randn(20, 3, dtype=DT, requires_grad=True)
    gamma = torch.tensor([0.5, 2.0, -1.0], dtype=DT)
    layer = norm.BatchNorm1d(3).double()
    with torch.no_grad():
        layer.weight.copy_(gamma)
    out = layer(x)
    dy = torch.randn_like(out)
    out.backward(dy)
    torch.testing.assert_close(norm.batch_norm_input_grad(dy, x.detach(), gamma), x.grad)


def test_weight_norm_matches_torch():
    torch.manual_seed(0)
    for module, dim in ((nn.Linear(5, 3), 0), (nn.Conv2d(2, 4, 3), 0), (nn.Linear(4, 6), 1)):
        ours, theirs = module.double(), type(module)(*_args(module)).double()
        theirs.load_state_dict(ours.state_dict())
        norm.weight_norm(ours, dim=dim)
        nn.utils.parametrizations.weight_norm(theirs, dim=dim)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for a, b in zip(ours.state_dict().values(), theirs.state_dict().values(), strict=True):
            torch.testing.assert_close(a, b)
        shape = (
            (2, 5)
            if isinstance(module, nn.Linear) and module.in_features == 5
            else ((2, 4) if isinstance(module, nn.Linear) else (2, 2, 6, 6))
        )
        x = torch.randn(shape, dtype=DT)
        ours(x).sum().backward()
        theirs(x).sum().backward()
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad)
    with pytest.raises(ValueError, match="name"):
        norm.weight_norm(nn.Linear(2, 2), name="kernel")


def _args(module):
    if isinstance(module, nn.Linear):
        return module.in_features, module.out_features
    return module.in_channels, module.out_channels, module.kernel_size


def test_bad_inputs():
    with pytest.raises(ValueError, match="more than one value"):
        norm.BatchNorm1d(3)(torch.randn(1, 3))
    with pytest.raises(ValueError, match="channels"):
        norm.BatchNorm1d(3)(torch.randn(4, 5))
    with pytest.raises(ValueError, match="expected"):
        norm.BatchNorm2d(3)(torch.randn(4, 3))
    with pytest.raises(ValueError, match="does not divide"):
        norm.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="eps"):
        norm.LayerNorm(4, eps=-1e-5)
    with pytest.raises(ValueError, match="momentum"):
        norm.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="last dims"):
        norm.LayerNorm(4)(torch.randn(2, 5))
    with pytest.raises(ValueError, match="momentum"):
        norm.InstanceNorm1d(3, momentum=-0.1)
    x = torch.randn(1, 3)
    layer = norm.BatchNorm1d(3).eval()  # eval: one example is fine, normalised by running stats
    torch.testing.assert_close(layer(x), x / (1 + layer.eps) ** 0.5)


def test_whitening_gives_identity_covariance_and_standardizing_unit_variance():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4000, 4, generator=g, dtype=DT) @ torch.randn(4, 4, generator=g, dtype=DT) + 3
    z = preprocessing.Standardizer().fit_transform(x)
    torch.testing.assert_close(z.mean(0), torch.zeros(4, dtype=DT), atol=1e-10, rtol=0)
    torch.testing.assert_close(z.std(0, unbiased=False), torch.ones(4, dtype=DT))
    for whitener in (preprocessing.PCA(whiten=True, eps=0), preprocessing.ZCAWhitener(eps=0)):
        w = whitener.fit_transform(x)
        torch.testing.assert_close(
            torch.cov(w.T, correction=0), torch.eye(4, dtype=DT), atol=1e-8, rtol=0
        )
    rotated = preprocessing.PCA().fit_transform(x)
    variances = rotated.var(0, unbiased=False)
    assert (variances[:-1] >= variances[1:]).all()  # largest variance first
    with pytest.raises(ValueError, match="not fitted"):
        preprocessing.ZCAWhitener().transform(x)
    with pytest.raises(ValueError, match="features"):
        preprocessing.Standardizer().fit(x).transform(x[:, :2])


def test_norm_position_and_fit_steps_and_loss_along_gradient():
    after = models.mlp([4, 8, 2], norm="batch", norm_position="after")
    assert [type(m).__name__ for m in after] == ["Linear", "ReLU", "BatchNorm1d", "Linear"]
    with pytest.raises(ValueError, match="norm_position"):
        models.mlp([4, 8, 2], norm="batch", norm_position="middle")
    splits = data.blobs(n=200, seed=0)
    net = models.mlp([2, 16, 3], norm=norm.BatchNorm1d)
    history = train.fit_steps(
        net, torch.optim.SGD(net.parameters(), lr=0.1), data.make_loader(splits.train, 32), 25
    )
    assert len(history.step_loss) == 25
    state = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = splits.train.tensors
    probe = loss_slices.loss_along_gradient(net, nn.CrossEntropyLoss(), x, y, [0.0, 0.1])
    assert probe["gradient_change"][0].item() == pytest.approx(0.0, abs=1e-6)
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())


def test_preprocessing_widget_survives_every_extreme():
    app = apps.preprocessing()
    widgets.drive_to_extremes(app)
    title = preprocessing_figures.preprocessing_figure("ZCA-whitened").axes[0].get_title()
    assert "κ = 1" in title
    with pytest.raises(ValueError, match="transform"):
        preprocessing_figures.preprocessing_figure("sphered")


@pytest.mark.parametrize(
    "ours, theirs, shape",
    [
        (norm.BatchNorm1d, nn.BatchNorm1d, (16, 5)),
        (norm.BatchNorm2d, nn.BatchNorm2d, (6, 5, 4, 3)),
        (norm.InstanceNorm1d, nn.InstanceNorm1d, (3, 5, 9)),
        (norm.InstanceNorm2d, nn.InstanceNorm2d, (3, 5, 4, 4)),
    ],
)
@pytest.mark.parametrize(
    "options",
    [
        {"bias": False},
        {"affine": True, "bias": False, "track_running_stats": True},
        {"affine": True, "track_running_stats": True, "momentum": None},
        {"affine": False, "track_running_stats": True, "momentum": 0.3},
        {"dtype": DT, "device": "cpu"},
    ],
)
def test_every_torch_option_of_the_channel_norms(ours, theirs, shape, options):
    """Every keyword torch's layer takes gives the same parameters, buffers, outputs and
    gradients, in training and then in evaluation (instance norm's running statistics too)."""
    a, b = _pair(ours(5, **options), theirs(5, **options))
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    _compare(a, b, shape)
    a.eval()
    b.eval()
    _compare(a, b, shape, seed=1, steps=1)


@pytest.mark.parametrize("options", [{"bias": False}, {"elementwise_affine": False}, {"dtype": DT}])
def test_layer_norm_options(options):
    a, b = _pair(norm.LayerNorm((3, 4), **options), nn.LayerNorm((3, 4), **options))
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    _compare(a, b, (2, 3, 4))


@pytest.mark.parametrize("options", [{"bias": False}, {"affine": False}, {"dtype": DT}])
def test_group_norm_options(options):
    a, b = _pair(norm.GroupNorm(2, 6, **options), nn.GroupNorm(2, 6, **options))
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    _compare(a, b, (4, 6, 5))


def test_weight_norm_over_the_whole_tensor_matches_torch():
    ours, theirs = nn.Linear(4, 3).double(), nn.Linear(4, 3).double()
    theirs.load_state_dict(ours.state_dict())
    norm.weight_norm(ours, dim=None)
    nn.utils.parametrizations.weight_norm(theirs, dim=None)
    for a, b in zip(ours.state_dict().values(), theirs.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    x = torch.randn(5, 4, dtype=DT)
    torch.testing.assert_close(ours(x), theirs(x))
    with pytest.raises(ValueError, match="dim"):
        norm.weight_norm(nn.Linear(2, 2), dim=2)


def _bn_net(layer):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), layer(4), nn.ReLU(), nn.Linear(4, 2)).double()


def test_torch_update_bn_finds_nnlib_batch_norm():
    """swa_utils.update_bn resets the statistics and recomputes them as a cumulative average:
    nnlib's layer ends with the same buffers as torch's, and its momentum restored."""
    x = torch.randn(40, 3, dtype=DT) * 2 + 1
    loader = [x[:10], x[10:25], x[25:]]
    ours, theirs = _bn_net(norm.BatchNorm1d), _bn_net(nn.BatchNorm1d)
    theirs.load_state_dict(ours.state_dict())
    for net in (ours, theirs):
        net(torch.randn(8, 3, dtype=DT))  # some statistics to be reset
        torch.optim.swa_utils.update_bn(loader, net)
    assert ours[1].momentum == 0.1
    assert ours[1].num_batches_tracked.item() == 3
    torch.testing.assert_close(ours[1].running_mean, theirs[1].running_mean)
    torch.testing.assert_close(ours[1].running_var, theirs[1].running_var)


def test_freeze_bn_statistics_finds_nnlib_batch_norm():
    from nnlib import transfer

    net = _bn_net(norm.BatchNorm1d)
    before = net[1].running_mean.clone()
    transfer.freeze_bn_statistics(net)
    net.train()
    net(torch.randn(8, 3, dtype=DT) + 5)
    assert torch.equal(net[1].running_mean, before)


def test_preprocessing_figure_draws_the_tables_centred_problem():
    """The figure's "centred" problem is the lecture table's: kappa of X^T X / n of the centred
    inputs, and PCA rotation leaves it unchanged."""
    from nnlib import analytic_surfaces

    x, y = preprocessing_figures.two_feature_problem()
    x = x - x.mean(dim=0)
    kappa = torch.linalg.cond(analytic_surfaces.LeastSquares(x, y - y.mean()).hessian()).item()
    for transform in ("centred", "PCA-rotated"):
        title = preprocessing_figures.preprocessing_figure(transform).axes[0].get_title()
        assert f"κ = {kappa:.3g}" in title


def test_batch_statistics_widget_spread_shrinks_with_the_batch():
    app = apps.batch_statistics()
    widgets.drive_to_extremes(app)
    from nncourse.lecture4 import figures as norm_figures

    small = norm_figures.batch_statistics_figure(2).axes[0].get_title()
    large = norm_figures.batch_statistics_figure(256).axes[0].get_title()
    assert "σ/√B = 1.41" in small and "σ/√B = 0.12" in large
