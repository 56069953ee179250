import pytest
import torch
from torch import nn

from nnlib import models, train


def test_mlp_layout_and_shapes():
    net = models.mlp([40, 100, 50, 10], activation="tanh", norm="batch", dropout=0.1)
    kinds = [type(m).__name__ for m in net]
    assert kinds == [
        "Linear", "BatchNorm1d", "Tanh", "Dropout",
        "Linear", "BatchNorm1d", "Tanh", "Dropout",
        "Linear",
    ]  # fmt: skip
    assert net(torch.randn(7, 40)).shape == (7, 10)


def test_mlp_without_hidden_layers_is_linear():
    net = models.mlp([3, 2])
    assert len(net) == 1 and isinstance(net[0], nn.Linear)


def test_mlp_accepts_a_norm_factory():
    net = models.mlp([4, 8, 2], norm=lambda width: nn.LayerNorm(width))
    assert isinstance(net[1], nn.LayerNorm) and net[1].normalized_shape == (8,)


@pytest.mark.parametrize("name", sorted(models.ACTIVATIONS))
def test_every_activation_builds(name):
    net = models.mlp([2, 3, 1], activation=name)
    assert net(torch.randn(4, 2)).shape == (4, 1)


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation: 'relu6'"):
        models.mlp([2, 3], activation="relu6")
    with pytest.raises(ValueError, match="widths"):
        models.mlp([2])
    with pytest.raises(ValueError, match="widths"):
        models.mlp([2, 0, 1])
    with pytest.raises(ValueError, match="norm"):
        models.mlp([2, 3, 1], norm="weird")
    with pytest.raises(ValueError, match="dropout"):
        models.mlp([2, 3, 1], dropout=1.0)


def test_small_cnn_on_digit_images():
    net = models.small_cnn(channels=(8, 16), norm="batch")
    assert net(torch.randn(5, 1, 8, 8)).shape == (5, 10)
    assert isinstance(net[1], nn.BatchNorm2d)
    with pytest.raises(ValueError, match="image_size"):
        models.small_cnn(channels=(4, 4, 4, 4), image_size=8)
    with pytest.raises(ValueError, match="activation"):
        models.small_cnn(activation="nope")


def test_stacked_mlp_initialises_like_single_models():
    stacked = models.stacked_mlp([5, 7, 3], n_models=3, seed=10)
    assert stacked.is_mlp  # the batched-matmul path
    torch.manual_seed(11)
    single = models.mlp([5, 7, 3])
    for index in (0, 2):
        weight = stacked.stacked_params()[f"{index}.weight"]
        torch.testing.assert_close(weight[1], single[index].weight)
    x = torch.randn(4, 5)
    torch.testing.assert_close(stacked(x)[1], single(x))
    torch.testing.assert_close(stacked.unstack(1)(x), single(x))


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: torch.optim.Adam(p, lr=1e-2),
    ],
)
def test_batched_training_equals_sequential_runs(make_optimizer):
    torch.manual_seed(0)
    x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
    singles = []
    for s in range(3):
        torch.manual_seed(s)
        singles.append(models.mlp([6, 8, 8, 3], activation="tanh"))
    stacked = models.StackedModels.from_models(singles)
    train.fit_batched(
        stacked, make_optimizer(stacked.parameters()), batches, epochs=3, progress=False
    )
    for s, net in enumerate(singles):
        opt = make_optimizer(net.parameters())
        for _ in range(3):
            for xb, yb in batches:
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(xb), yb).backward()
                opt.step()
        torch.testing.assert_close(stacked(x)[s], net(x), rtol=1e-5, atol=1e-6)


def test_fit_batched_records_curves_and_validates():
    stacked = models.stacked_mlp([4, 6, 2], n_models=5)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    result = train.fit_batched(
        stacked,
        torch.optim.SGD(stacked.parameters(), lr=0.5),
        [(x, y)],
        4,
        eval_data=(x, y),
        progress=False,
    )
    assert result["train_loss"].shape == (4, 5) and result["eval_loss"].shape == (4, 5)
    assert (result["eval_loss"][-1] < result["train_loss"][0]).all()
    with pytest.raises(ValueError, match="n_models"):
        models.stacked_mlp([2, 2], n_models=0)
    with pytest.raises(ValueError, match="same layers"):
        models.StackedModels.from_models([models.mlp([2, 3, 2]), models.mlp([2, 2])])


def test_the_matmul_path_and_the_vmap_path_compute_the_same_networks():
    torch.manual_seed(0)
    nets = [models.mlp([4, 6, 3], activation="tanh") for _ in range(3)]
    fast = models.StackedModels.from_models(nets)
    general = models.StackedModels.from_models(nets)
    general.is_mlp = False  # force torch.func.vmap over functional_call
    x = torch.randn(5, 4)
    torch.testing.assert_close(fast(x), general(x))
    torch.testing.assert_close(fast(x)[2], nets[2](x))


def test_stacked_batch_norm_networks_keep_their_own_running_statistics():
    def make():
        return models.mlp([4, 6, 3], norm="batch")

    stacked = models.StackedModels(make, seeds=[1, 2])
    assert not stacked.is_mlp  # batch norm: the vmap path
    x = torch.randn(8, 4)
    stacked.train()(x)
    for s, seed in enumerate([1, 2]):
        torch.manual_seed(seed)
        alone = make().train()
        alone(x)
        torch.testing.assert_close(stacked.unstack(s).eval()(x), alone.eval()(x))
    with pytest.raises(ValueError, match="seeds"):
        models.StackedModels(make, seeds=[])


def test_rescaling_relu_layers_keeps_the_function():
    from nnlib import models

    torch.manual_seed(0)
    net = models.mlp([5, 8, 3])
    x = torch.randn(10, 5)
    before = net(x).detach()
    models.rescale_relu_layers(net, 0, 2, 7.0)
    torch.testing.assert_close(net(x), before, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        models.rescale_relu_layers(net, 0, 2, -1.0)
