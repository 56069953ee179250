import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nnlib import init, models

SAME_AS_TORCH = [
    ("xavier_uniform_", {}),
    ("xavier_normal_", {"gain": 2.0}),
    ("kaiming_uniform_", {}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_uniform_", {"a": 0.2, "nonlinearity": "leaky_relu"}),
    ("orthogonal_", {"gain": 1.5}),
    ("normal_", {"mean": 0.5, "std": 2.0}),
    ("uniform_", {"a": -1.0, "b": 3.0}),
]


@pytest.mark.parametrize("name, kwargs", SAME_AS_TORCH)
@pytest.mark.parametrize("shape", [(30, 20), (8, 3, 5, 5), (5, 40)])
def test_initializers_draw_exactly_what_torch_draws(name, kwargs, shape):
    ours, theirs = torch.empty(shape), torch.empty(shape)
    getattr(init, name)(ours, generator=torch.Generator().manual_seed(0), **kwargs)
    getattr(nn.init, name)(theirs, generator=torch.Generator().manual_seed(0), **kwargs)
    assert torch.equal(ours, theirs)


def test_constant_zeros_ones():
    t = torch.empty(3, 4)
    assert torch.equal(init.zeros_(t), torch.zeros(3, 4))
    assert torch.equal(init.ones_(t), torch.ones(3, 4))
    assert torch.equal(init.constant_(t, 0.3), torch.full((3, 4), 0.3))


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 7), min_size=2, max_size=5))
def test_fans_match_torch(shape):
    t = torch.empty(shape)
    assert init.fan_in_and_fan_out(t) == nn.init._calculate_fan_in_and_fan_out(t)


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_table(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        nn.init.calculate_gain(nonlinearity, param)
    )


def test_statistics_of_the_other_schemes():
    g = torch.Generator().manual_seed(0)
    w = init.lecun_normal_(torch.empty(400, 250), generator=g)
    assert w.std().item() == pytest.approx(1 / math.sqrt(250), rel=0.02)
    u = init.fan_in_uniform_(torch.empty(400, 250), generator=g)
    assert u.abs().max() <= 1 / math.sqrt(250)
    assert u.var().item() == pytest.approx(1 / (3 * 250), rel=0.03)
    d = init.defazio_bottou_(torch.empty(400, 100), c=2.0, generator=g)
    assert d.var().item() == pytest.approx(2.0 / math.sqrt(400 * 100), rel=0.03)
    tn = init.trunc_normal_(torch.empty(200_000), mean=0.0, std=1.0, a=-1.0, b=2.0, generator=g)
    assert tn.min() >= -1.0 and tn.max() <= 2.0
    expected = torch.distributions.Normal(0.0, 1.0)
    z = expected.cdf(torch.tensor(2.0)) - expected.cdf(torch.tensor(-1.0))
    mean = (
        torch.exp(expected.log_prob(torch.tensor(-1.0)))
        - torch.exp(expected.log_prob(torch.tensor(2.0)))
    ) / z
    assert tn.mean().item() == pytest.approx(mean.item(), abs=0.01)


def test_orthogonal_rows_are_orthonormal():
    for shape in ((20, 50), (50, 20), (8, 4, 3, 3)):
        w = init.orthogonal_(
            torch.empty(shape), gain=2.0, generator=torch.Generator().manual_seed(0)
        )
        flat = w.reshape(shape[0], -1)
        gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        torch.testing.assert_close(gram, 4.0 * torch.eye(len(gram)), atol=1e-5, rtol=0)


def test_sparse_zeros_per_column():
    w = init.sparse_(
        torch.empty(40, 25), sparsity=0.3, std=0.5, generator=torch.Generator().manual_seed(0)
    )
    zeros = (w == 0).sum(dim=0)
    assert (zeros == math.ceil(0.3 * 40)).all()
    assert w[w != 0].std().item() == pytest.approx(0.5, rel=0.15)


def test_sparse_zeros_fall_on_every_row_alike_and_at_the_ends():
    """Each column's zeros are a uniform random subset of its rows: over 4000 columns every row
    is zero in about 30 % of them (a binomial spread of 0.7 % each way)."""
    w = init.sparse_(torch.empty(40, 4000), 0.3, generator=torch.Generator().manual_seed(1))
    per_row = (w == 0).float().mean(dim=1)
    assert ((per_row - 0.3).abs() < 0.035).all()
    assert (init.sparse_(torch.empty(5, 7), 0.0) != 0).all()
    assert (init.sparse_(torch.empty(5, 7), 1.0) == 0).all()


def test_init_model_applies_to_every_layer_and_bias():
    net = init.init_model(models.mlp([10, 20, 20, 3]), "kaiming", bias=0.1, seed=1)
    for layer in (net[0], net[2], net[4]):
        assert torch.equal(layer.bias, torch.full_like(layer.bias, 0.1))
    expected = nn.init.kaiming_normal_(
        torch.empty(20, 10), nonlinearity="relu", generator=torch.Generator().manual_seed(1)
    )
    assert torch.equal(net[0].weight, expected)
    stacked = init.init_model(models.stacked_mlp([10, 20, 3], n_models=4), "orthogonal")
    for s in range(4):
        w = stacked.stacked_params()["0.weight"][s]
        torch.testing.assert_close(w.T @ w, torch.eye(10), atol=1e-5, rtol=0)
    assert (
        len({stacked.stacked_params()["0.weight"][s].sum().item() for s in range(4)}) == 4
    )  # each network its own draw
    for scheme in init.SCHEMES:
        init.init_model(models.mlp([6, 8, 2]), scheme)


def test_output_bias_from_priors():
    layer = nn.Linear(4, 3)
    init.output_bias_from_priors(layer, [7, 2, 1])
    torch.testing.assert_close(torch.softmax(layer.bias, 0), torch.tensor([0.7, 0.2, 0.1]))
    with pytest.raises(ValueError, match="class_frequencies"):
        init.output_bias_from_priors(layer, [0.5, 0.5])


def test_predicted_linear_std_matches_simulation():
    torch.manual_seed(0)
    width, sigma, k = 512, 1.05 / math.sqrt(512), 10
    h = torch.randn(2000, width)
    for _ in range(k):
        h = h @ (torch.randn(width, width) * sigma)
    assert h.std().item() == pytest.approx(init.predicted_linear_std(k, sigma, width), rel=0.1)


def test_bad_inputs():
    with pytest.raises(ValueError, match="std"):
        init.normal_(torch.empty(3), std=-1.0)
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="at least 2"):
        init.xavier_normal_(torch.empty(5))
    with pytest.raises(ValueError, match="sparsity"):
        init.sparse_(torch.empty(4, 4), sparsity=1.5)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(torch.empty(4, 4), mode="fan_avg")
    with pytest.raises(ValueError, match="scheme"):
        init.init_model(models.mlp([2, 2]), "glorot")


@pytest.mark.parametrize("sigma_squared_times_width", [1.0, 2.0, 3.0])
def test_predicted_relu_std_matches_simulation(sigma_squared_times_width):
    torch.manual_seed(0)
    width, k = 512, 6
    sigma = math.sqrt(sigma_squared_times_width / width)
    h = 0.5 * torch.randn(2000, width, dtype=torch.float64)
    for layer in range(k):
        if layer > 0:
            h = torch.relu(h)
        h = h @ (torch.randn(width, width, dtype=torch.float64) * sigma)
    predicted = init.predicted_relu_std(k, sigma, width, input_std=0.5)
    assert h.std().item() == pytest.approx(predicted, rel=0.2)  # each layer's scale is random


def test_predicted_relu_std_is_flat_at_kaimings_variance():
    sigma = math.sqrt(2 / 256)
    stds = [init.predicted_relu_std(k, sigma, 256) for k in (1, 5, 20)]
    assert stds == pytest.approx([math.sqrt(2)] * 3)
    with pytest.raises(ValueError, match="Invalid k"):
        init.predicted_relu_std(0, sigma, 256)
