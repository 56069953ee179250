import pytest
import torch
from torch import nn

from nnlib import loss_slices, models, params


def _setup(widths=(8, 16, 12, 4), activation="relu", seed=0):
    torch.manual_seed(seed)
    model = models.mlp(list(widths), activation=activation)
    x, y = torch.randn(50, widths[0]), torch.randint(0, widths[-1], (50,))
    return model, nn.CrossEntropyLoss(), x, y


def test_flatten_round_trip():
    model, *_ = _setup()
    theta = params.flatten_params(model)
    pieces = params.unflatten_params(model, theta)
    for name, p in model.named_parameters():
        assert torch.equal(pieces[name], p)
    with pytest.raises(ValueError, match="parameters"):
        params.unflatten_params(model, theta[:-1])


def test_frozen_parameters_are_left_out_of_theta_and_kept_on_load():
    model, *_ = _setup()
    model[0].weight.requires_grad_(False)
    frozen = model[0].weight.detach().clone()
    theta = params.flatten_params(model)
    assert theta.numel() == sum(p.numel() for p in model.parameters()) - frozen.numel()
    assert "0.weight" not in params.unflatten_params(model, theta)
    params.load_params_(model, torch.zeros_like(theta))
    assert torch.equal(model[0].weight, frozen)
    assert all(p.abs().sum() == 0 for p in model.parameters() if p.requires_grad)


def test_filter_normalization_gives_each_filter_the_weights_norm():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3), nn.LayerNorm(3)
    )
    direction = params.unflatten_params(model, loss_slices.random_direction(model, seed=1))
    for name, p in model.named_parameters():
        d = direction[name]
        if p.dim() >= 2:
            torch.testing.assert_close(
                d.reshape(len(d), -1).norm(dim=1), p.reshape(len(p), -1).norm(dim=1)
            )
        else:
            assert torch.equal(d, torch.zeros_like(d))  # biases and norm parameters are left out
    kept = params.unflatten_params(
        model, loss_slices.random_direction(model, seed=1, one_dim="keep")
    )
    assert kept["0.bias"].abs().sum() > 0
    raw = loss_slices.random_direction(model, seed=1, filter_normalize=False)
    assert not torch.allclose(raw, loss_slices.random_direction(model, seed=1))
    with pytest.raises(ValueError, match="one_dim"):
        loss_slices.random_direction(model, one_dim="drop")


@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu"])
def test_fast_plane_equals_point_by_point_loop(activation):
    model, loss_fn, x, y = _setup(activation=activation)
    d1, d2 = (
        loss_slices.random_direction(model, 0, one_dim="keep"),
        loss_slices.random_direction(model, 1),
    )
    alphas, betas = torch.linspace(-1, 1, 5), torch.linspace(-0.5, 1.5, 4)
    fast = loss_slices.plane_losses(model, loss_fn, x, y, d1, d2, alphas, betas)
    slow = loss_slices.plane_losses(model, loss_fn, x, y, d1, d2, alphas, betas, fast=False)
    assert fast.shape == (5, 4)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-6)
    # and each grid point is what a plain forward pass with those weights gives
    theta = params.flatten_params(model) + alphas[1] * d1 + betas[2] * d2
    out = torch.func.functional_call(model, params.unflatten_params(model, theta), (x,))
    assert fast[1, 2].item() == pytest.approx(loss_fn(out, y).item(), rel=1e-5)


@pytest.mark.parametrize(
    "loss_fn",
    [
        nn.functional.cross_entropy,
        nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1),
        nn.CrossEntropyLoss(weight=torch.linspace(0.5, 2, 4), ignore_index=2),
        lambda out, y: nn.functional.mse_loss(out, nn.functional.one_hot(y, 4).float()),
    ],
    ids=["functional", "sum-smoothing", "weight-ignore", "other loss"],
)
def test_fast_plane_equals_loop_for_every_cross_entropy_option_and_other_losses(loss_fn):
    """The fast path hands cross-entropy its outputs as (1, classes, samples): every option of
    torch's loss must give the value it gives on (samples, classes); other losses get those."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 12, bias=False), nn.Tanh(), nn.Linear(12, 4)
    )
    x, y = torch.randn(50, 8), torch.randint(0, 4, (50,))
    d1, d2 = loss_slices.random_direction(model, 0), loss_slices.random_direction(model, 1)
    alphas, betas = torch.linspace(-1, 1, 3), torch.linspace(-0.5, 1.5, 4)
    fast = loss_slices.plane_losses(model, loss_fn, x, y, d1, d2, alphas, betas)
    slow = loss_slices.plane_losses(model, loss_fn, x, y, d1, d2, alphas, betas, fast=False)
    assert fast.shape == (3, 4)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-6)


def test_plane_falls_back_for_other_models_and_keeps_the_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 4))
    x, y = torch.randn(30, 8), torch.randint(0, 4, (30,))
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    d = loss_slices.random_direction(model, 0)
    grid = loss_slices.plane_losses(model, nn.CrossEntropyLoss(), x, y, d, d, [0.0, 1.0], [0.0])
    assert grid.shape == (2, 1) and model.training
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))


def test_line_losses_hit_both_ends():
    model, loss_fn, x, y = _setup()
    start = params.flatten_params(model)
    end = start + loss_slices.random_direction(model, 3)
    line = loss_slices.line_losses(model, loss_fn, x, y, start, end, [0.0, 0.5, 1.0])
    out_end = torch.func.functional_call(model, params.unflatten_params(model, end), (x,))
    assert line[0].item() == pytest.approx(loss_fn(model(x), y).item(), rel=1e-6)
    assert line[2].item() == pytest.approx(loss_fn(out_end, y).item(), rel=1e-6)


def test_pca_projection_recovers_a_planar_path():
    t = torch.linspace(0, 1, 20).unsqueeze(1)
    u, v = torch.zeros(50), torch.zeros(50)
    u[0], v[1] = 1.0, 1.0
    path = 3 * (1 - t) * u + (1 - t) ** 2 * v
    coords, directions, explained = loss_slices.pca_projection(path)
    assert explained.sum().item() == pytest.approx(1.0)
    torch.testing.assert_close(coords @ directions + path[-1], path, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="thetas"):
        loss_slices.pca_projection(path[:2])


def test_permuted_hidden_units_compute_the_same_function_and_alignment_undoes_it():
    torch.manual_seed(0)
    net = models.mlp([5, 12, 3], activation="tanh")
    x = torch.randn(20, 5)
    permutation = torch.randperm(12, generator=torch.Generator().manual_seed(1))
    permuted = loss_slices.permute_hidden_units(net, permutation)
    assert not torch.equal(permuted[0].weight, net[0].weight)
    torch.testing.assert_close(permuted(x), net(x))
    recovered = loss_slices.align_hidden_units(net, permuted)
    aligned = loss_slices.permute_hidden_units(permuted, recovered)
    for p, q in zip(aligned.parameters(), net.parameters(), strict=True):
        assert torch.equal(p, q)
    with pytest.raises(ValueError, match="permutation"):
        loss_slices.permute_hidden_units(net, torch.zeros(12, dtype=torch.long))
    with pytest.raises(ValueError, match="one-hidden-layer"):
        loss_slices.permute_hidden_units(models.mlp([5, 4, 4, 3]), torch.arange(4))
