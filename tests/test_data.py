import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import data


def test_mnist1d_is_generated_offline_with_the_standard_split():
    splits = data.mnist1d(val_fraction=0.2, seed=0)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (3200, 800, 1000)
    assert splits.input_shape == (40,)
    assert splits.n_classes == 10
    x, y = splits.train.tensors
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert set(y.unique().tolist()) == set(range(10))
    again = data.mnist1d(val_fraction=0.2, seed=0)
    assert torch.equal(again.val.tensors[0], splits.val.tensors[0])


def test_mnist1d_arrays_are_generated_once_then_read_from_the_cache(tmp_path, monkeypatch):
    import mnist1d.data
    import numpy as np

    calls = []

    def make_dataset(args):  # a stand-in generator: the cache, not the data, is under test
        calls.append(args.seed)
        rng = np.random.default_rng(args.seed)
        return {
            "x": rng.normal(size=(6, 40)),
            "y": np.arange(6),
            "x_test": rng.normal(size=(2, 40)),
            "y_test": np.arange(2),
        }

    monkeypatch.setenv("NNLIB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(mnist1d.data, "make_dataset", make_dataset)
    data._mnist1d_arrays.cache_clear()
    try:
        generated = data._mnist1d_arrays(7)
        assert calls == [7] and data.mnist1d_cache_path(7).is_file()
        assert list(tmp_path.iterdir()) == [data.mnist1d_cache_path(7)], "no partial file is left"
        data._mnist1d_arrays.cache_clear()
        read = data._mnist1d_arrays(7)
        assert calls == [7], "the second process reads the file"
        for a, b in zip(generated, read, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        data.mnist1d_cache_path(7).write_bytes(b"not an npz file")
        data._mnist1d_arrays.cache_clear()
        again = data._mnist1d_arrays(7)
        assert calls == [7, 7], "an unreadable file is generated again"
        assert all(np.array_equal(a, b) for a, b in zip(generated, again, strict=True))
    finally:
        data._mnist1d_arrays.cache_clear()


def test_digits_as_vectors_and_images():
    vectors = data.digits()
    images = data.digits(as_images=True)
    total = len(vectors.train) + len(vectors.val) + len(vectors.test)
    assert total == 1797
    assert vectors.input_shape == (64,) and images.input_shape == (1, 8, 8)
    assert vectors.train.tensors[0].max() <= 1.0 and vectors.train.tensors[0].min() >= 0.0
    assert torch.equal(images.train.tensors[0].flatten(1), vectors.train.tensors[0])


@pytest.mark.parametrize("make", [data.moons, data.blobs])
def test_toy_sets_are_seeded_2d_classification(make):
    a, b, c = make(seed=3), make(seed=3), make(seed=4)
    assert a.input_shape == (2,)
    assert torch.equal(a.train.tensors[0], b.train.tensors[0])
    assert not torch.equal(a.train.tensors[0], c.train.tensors[0])
    assert a.n_classes >= 2


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 200),
    train=st.floats(0.05, 1.0),
    val_share=st.floats(0.0, 1.0),
    seed=st.integers(0, 1000),
)
def test_split_partitions_the_data(n, train, val_share, seed):
    val = (1 - train) * val_share
    fractions = (train, val, 1 - train - val)
    x = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    y = torch.arange(n) % 2
    if round(train * n) == 0:
        with pytest.raises(ValueError, match="fractions"):
            data.split(x, y, fractions, seed)
        return
    splits = data.split(x, y, fractions, seed)
    parts = [s.tensors[0].flatten() for s in (splits.train, splits.val, splits.test)]
    assert sorted(torch.cat(parts).tolist()) == list(
        range(n)
    )  # a partition: nothing lost or doubled
    assert abs(len(splits.train) - train * n) <= 1


def test_split_rejects_bad_input():
    x, y = torch.zeros(10, 2), torch.zeros(10, dtype=torch.int64)
    with pytest.raises(ValueError, match="sum to"):
        data.split(x, y, (0.5, 0.3, 0.3))
    with pytest.raises(ValueError, match="fractions"):
        data.split(x, y, (0.5, 0.5))
    with pytest.raises(ValueError, match="fractions"):
        data.split(x, y, (1.2, -0.1, -0.1))
    with pytest.raises(ValueError, match="empty"):
        data.split(torch.zeros(0, 2), torch.zeros(0), (0.8, 0.1, 0.1))
    with pytest.raises(ValueError, match="differ in length"):
        data.split(x, y[:5])


def test_make_loader_shuffles_reproducibly_without_replacement():
    dataset = data.split(torch.arange(50.0).unsqueeze(1), torch.zeros(50), (1, 0, 0)).train

    def order(seed):
        loader = data.make_loader(dataset, batch_size=8, seed=seed)
        return torch.cat([x.flatten() for x, _ in loader]).tolist()

    assert order(1) == order(1)
    assert order(1) != order(2)
    assert sorted(order(1)) == sorted(dataset.tensors[0].flatten().tolist())


def test_make_loader_rejects_bad_arguments():
    dataset = data.split(torch.zeros(10, 1), torch.zeros(10), (1, 0, 0)).train
    for bad in (0, -4, 2.5):
        with pytest.raises(ValueError, match="batch_size"):
            data.make_loader(dataset, batch_size=bad)
    with pytest.raises(ValueError, match="empty"):
        data.make_loader(torch.utils.data.TensorDataset(torch.zeros(0, 1)), batch_size=2)


def test_generators_reject_bad_arguments():
    with pytest.raises(ValueError, match="noise"):
        data.moons(noise=-0.1)
    with pytest.raises(ValueError, match="val_fraction"):
        data.mnist1d(val_fraction=1.0)


def test_tensor_batches_reshuffle_every_pass_and_drop_the_short_batch():
    x, y = torch.arange(10.0).view(10, 1), torch.arange(10)
    batches = data.TensorBatches(x, y, batch_size=4, seed=3)
    assert len(batches) == 2
    first, second = list(batches), list(batches)
    assert [len(b[0]) for b in first] == [4, 4]
    for xb, yb in first:
        assert torch.equal(xb.view(-1).long(), yb)  # pairs stay together
    assert not all(torch.equal(a[1], b[1]) for a, b in zip(first, second, strict=True))
    again = list(data.TensorBatches(x, y, batch_size=4, seed=3))
    assert all(torch.equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    keep = data.TensorBatches(x, y, batch_size=4, seed=3, drop_last=False)
    assert len(keep) == 3 and sorted(torch.cat([b[1] for b in keep]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="Invalid x, y"):
        data.TensorBatches(x, y[:5], batch_size=2)
