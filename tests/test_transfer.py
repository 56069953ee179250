"""Transfer learning (lecture 7): the glyph source task, the shipped weights and the layer-wise
tools, the pretraining script, and the few-label helpers."""

import hashlib
import json
from importlib import resources

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nncourse.lecture7 import apps, figures
from nncourse.lecture7 import transfer as study
from nncourse.lecture7.transfer import _run
from nnlib import transfer
from nnlib.transfer import pretrain

WEIGHTS = resources.files("nnlib.transfer") / "weights"


def _model(seed=0, n_classes=10):
    torch.manual_seed(seed)
    return transfer.glyph_cnn(n_classes)


# --- the source task -------------------------------------------------------------------------


def test_glyphs_are_deterministic_balanced_and_in_range():
    x, y = transfer.make_glyphs(300, n_classes=30, seed=4)
    x2, y2 = transfer.make_glyphs(300, n_classes=30, seed=4)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert x.shape == (300, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() >= 0 and x.max() <= 1 and x.sum() > 0
    assert torch.equal(torch.bincount(y), torch.full((30,), 10))
    other, _ = transfer.make_glyphs(300, n_classes=30, seed=5)
    assert not torch.equal(x, other)


def test_glyph_classes_differ_from_each_other():
    alphabet = transfer.glyph_alphabet(100)
    assert alphabet.shape[0] == 100
    assert not torch.equal(alphabet[0], alphabet[1])


def test_rendering_draws_a_horizontal_bar_where_it_should():
    bar = torch.tensor([[[[-0.9, 0.0], [0.9, 0.0]]]])
    image = transfer.source_task.render_segments(bar, torch.tensor([0.3]))[0, 0]
    assert image[3:5].sum() > 0 and image[:2].sum() == 0 and image[6:].sum() == 0


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 10, "n_classes": 0}, {"n": 10, "chunk": -1}])
def test_glyphs_reject_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="Invalid"):
        transfer.make_glyphs(**kwargs)


# --- the shipped weights ---------------------------------------------------------------------


def test_shipped_file_matches_its_recorded_checksums_and_size():
    info = transfer.pretrained_info()
    data = (WEIGHTS / "glyph_cnn.pt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == info["file_sha256"]
    assert transfer.state_checksum(transfer.load_pretrained()) == info["state_sha256"]
    assert len(data) <= 2 * 1024**2


def test_shipped_weights_reach_the_recorded_source_accuracy():
    info = transfer.pretrained_info()
    model = transfer.load_pretrained()
    assert not model.training
    x, y = transfer.make_glyphs(info["n_test"], n_classes=info["n_classes"], seed=info["test_seed"])
    accuracy = pretrain.source_accuracy(model, x, y)
    assert accuracy == pytest.approx(info["source_test_accuracy"], abs=2e-3)
    assert accuracy > 0.8


# --- the pretraining script ------------------------------------------------------------------


def test_quick_pretraining_run_is_deterministic_and_writes_a_consistent_record(tmp_path, capsys):
    assert pretrain.main(["--quick", "--out", str(tmp_path / "a")]) == 0
    assert "source test accuracy" in capsys.readouterr().out
    pretrain.main(["--quick", "--out", str(tmp_path / "b")])
    a = json.loads((tmp_path / "a" / "glyph_cnn.json").read_text())
    b = json.loads((tmp_path / "b" / "glyph_cnn.json").read_text())
    assert a["state_sha256"] == b["state_sha256"]
    assert a["n_train"] == pretrain.QUICK["n_train"]
    weights = tmp_path / "a" / "glyph_cnn.pt"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == a["file_sha256"]
    model = transfer.load_pretrained(weights)
    assert transfer.state_checksum(model) == a["state_sha256"]
    # one quick epoch on 1200 glyphs of 100 classes: well above chance (0.01), short of learned
    assert 0.02 < a["source_test_accuracy"] < 0.9
    assert not torch.are_deterministic_algorithms_enabled()


# --- layer-wise tools ------------------------------------------------------------------------


def test_layer_names_and_head_replacement():
    model = transfer.load_pretrained()
    assert transfer.layer_names(model) == list(transfer.BLOCKS)
    before = model.conv1[0].weight.clone()
    transfer.replace_head(model, 7)
    assert model.head.out_features == 7 and model(torch.rand(2, 1, 8, 8)).shape == (2, 7)
    assert torch.equal(model.conv1[0].weight, before)


def test_freeze_and_unfreeze_by_layer_name():
    model = _model()
    transfer.freeze(model, ["conv1", "conv2", "conv3"])
    assert transfer.trainable_layers(model) == ["fc", "head"]
    transfer.unfreeze(model, "conv3")
    assert transfer.trainable_layers(model) == ["conv3", "fc", "head"]


@pytest.mark.parametrize(
    "call", [transfer.freeze, transfer.unfreeze, transfer.freeze_bn_statistics]
)
def test_unknown_layer_names_raise(call):
    with pytest.raises(ValueError, match="unknown layer 'conv9'"):
        call(_model(), ["conv1", "conv9"])


def test_frozen_parameters_do_not_change_during_training():
    model = _model()
    transfer.freeze(model, ["conv1", "conv2"])
    frozen = {n: p.clone() for n, p in model.named_parameters() if not p.requires_grad}
    moving = {n: p.clone() for n, p in model.named_parameters() if p.requires_grad}
    x, y = torch.rand(32, 1, 8, 8), torch.randint(0, 10, (32,))
    groups = transfer.layerwise_param_groups(model, 1e-2, 0.5)
    transfer.train_classifier(model, x, y, groups, steps=10, batch_size=16)
    for name, value in frozen.items():
        assert torch.equal(dict(model.named_parameters())[name], value), name
    assert all(not torch.equal(dict(model.named_parameters())[n], v) for n, v in moving.items())


def test_frozen_bn_statistics_stay_put_in_train_mode_and_updated_ones_move():
    x, y = torch.rand(32, 1, 8, 8) * 3, torch.randint(0, 10, (32,))
    stats = {}
    for mode in ("frozen", "moving"):
        model = _model()
        if mode == "frozen":
            transfer.freeze_bn_statistics(model)
        before = model.conv2[1].running_mean.clone()
        transfer.train_classifier(model, x, y, model.parameters(), steps=3, batch_size=16)
        assert model.training
        stats[mode] = torch.equal(model.conv2[1].running_mean, before)
    assert stats == {"frozen": True, "moving": False}


def test_frozen_bn_statistics_only_in_the_named_blocks_and_undoable():
    model = _model()
    handles = transfer.freeze_bn_statistics(model, ["conv1"])
    model.train()
    model(torch.rand(4, 1, 8, 8))
    assert not model.conv1[1].training and model.conv2[1].training
    for handle in handles:
        handle.remove()
    model.train()
    model(torch.rand(4, 1, 8, 8))
    assert model.conv1[1].training


def test_layerwise_groups_have_decaying_rates_and_cover_each_trainable_parameter_once():
    model = _model()
    transfer.freeze(model, "conv1")
    groups = transfer.layerwise_param_groups(model, 0.1, 0.5, weight_decay=1e-4)
    assert [g["name"] for g in groups] == ["conv2", "conv3", "fc", "head"]
    assert [g["lr"] for g in groups] == pytest.approx([0.0125, 0.025, 0.05, 0.1])
    ids = [id(p) for g in groups for p in g["params"]]
    trainable = [id(p) for p in model.parameters() if p.requires_grad]
    assert sorted(ids) == sorted(trainable) and len(set(ids)) == len(ids)
    optimizer = torch.optim.SGD(groups, lr=1.0)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.0125, 0.025, 0.05, 0.1])
    assert optimizer.param_groups[0]["weight_decay"] == 1e-4


@pytest.mark.parametrize("kwargs", [{"base_lr": 0.0}, {"base_lr": 0.1, "decay": 1.5}])
def test_layerwise_groups_reject_bad_rates(kwargs):
    with pytest.raises(ValueError, match=r"Invalid (base_lr|decay)"):
        transfer.layerwise_param_groups(_model(), **kwargs)


@pytest.mark.parametrize("upto", transfer.BLOCKS)
def test_extracted_features_equal_the_truncated_forward_pass(upto):
    model = _model()
    model.train()
    x = torch.rand(6, 1, 8, 8)
    features = transfer.extract_features(model, x, upto)
    names = transfer.layer_names(model)
    truncated = nn.Sequential(*list(model.children())[: names.index(upto) + 1]).eval()
    with torch.no_grad():
        expected = truncated(x).flatten(1)
    assert torch.allclose(features, expected)
    assert model.training, "the model's mode is restored"


def test_feature_cache_returns_stored_codes_and_notices_changes():
    model, x = _model(), torch.rand(6, 1, 8, 8)
    cache = {}
    first = transfer.extract_features(model, x, "conv2", cache=cache)
    assert transfer.extract_features(model, x, "conv2", cache=cache) is first
    assert len(cache) == 1
    with torch.no_grad():
        model.conv1[0].weight.mul_(2)
    changed = transfer.extract_features(model, x, "conv2", cache=cache)
    assert len(cache) == 2 and not torch.equal(changed, first)
    transfer.extract_features(model, x + 1, "conv2", cache=cache)
    assert len(cache) == 3


def test_extract_features_rejects_unknown_layer():
    with pytest.raises(ValueError, match="Invalid upto: unknown layer 'pool'"):
        transfer.extract_features(_model(), torch.rand(1, 1, 8, 8), "pool")


def test_filter_pictures_have_one_entry_per_filter():
    model = transfer.load_pretrained()
    patches = transfer.strongest_patches(model, torch.rand(20, 1, 8, 8), top=5)
    assert patches.shape == (16, 3, 3)
    angles, responses = transfer.orientation_tuning(model, 6)
    assert angles.tolist() == [0, 30, 60, 90, 120, 150] and responses.shape == (6, 16)


# --- few labels ------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(1, 12), min_size=2, max_size=6),
    k_fraction=st.floats(0, 1),
    seed=st.integers(0, 2**16),
)
def test_few_shot_subset_takes_exactly_k_per_class_deterministically(counts, k_fraction, seed):
    y = torch.cat([torch.full((c,), label) for label, c in enumerate(counts)])
    y = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(1))]
    x = torch.arange(len(y)).float()[:, None]
    k = max(1, round(k_fraction * min(counts)))
    xs, ys = transfer.few_shot_subset(x, y, k, seed=seed)
    assert torch.equal(torch.bincount(ys, minlength=len(counts)), torch.full((len(counts),), k))
    assert torch.equal(y[xs[:, 0].long()], ys), "examples keep their own labels"
    assert len(set(xs[:, 0].tolist())) == len(xs), "no example twice"
    again = transfer.few_shot_subset(x, y, k, seed=seed)
    assert torch.equal(again[0], xs)


def test_few_shot_subset_rejects_k_larger_than_a_class_and_bad_k():
    y = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2])
    x = torch.zeros(8, 2)
    with pytest.raises(ValueError, match=r"Invalid k: 3 .*only 2"):
        transfer.few_shot_subset(x, y, 3)
    with pytest.raises(ValueError, match="Invalid k"):
        transfer.few_shot_subset(x, y, 0)
    assert transfer.few_shot_subset(x, y, None)[1] is y


def test_permuted_pixels_keep_the_values_and_scramble_the_layout():
    x = torch.rand(5, 1, 8, 8)
    p = transfer.permute_pixels(x, seed=3)
    assert p.shape == x.shape and torch.equal(
        p.flatten(1).sort(1).values, x.flatten(1).sort(1).values
    )
    assert not torch.equal(p, x) and torch.equal(p, transfer.permute_pixels(x, seed=3))


def test_cheap_methods_equal_training_the_frozen_network_itself():
    """'last layers' on cached codes = fine-tuning fc and head of the whole frozen network."""
    pretrained = transfer.load_pretrained()
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(40, 1, 8, 8, generator=g), torch.arange(40) % 4
    cached = _run("last layers", pretrained, x, y, x, y, 0, 5, {}, 1e-2)
    import copy

    model = transfer.replace_head(copy.deepcopy(pretrained), 4, seed=0)
    transfer.freeze(model, ["conv1", "conv2", "conv3"])
    transfer.freeze_bn_statistics(model)
    params = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": 1e-2}]
    transfer.train_classifier(model, x, y, params, steps=5, seed=0)
    assert transfer.accuracy(model, x, y) == pytest.approx(cached, abs=1e-6)


def test_compare_methods_returns_one_accuracy_per_seed_and_rejects_unknown_methods():
    pretrained = transfer.load_pretrained()
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(60, 1, 8, 8, generator=g), torch.arange(60) % 3
    results = study.compare_methods(pretrained, (x, y), (x, y), ks=(2,), seeds=(0, 1), steps=3)
    assert set(results) == {(m, 2) for m in study.METHODS}
    assert all(v.shape == (2,) and ((v >= 0) & (v <= 1)).all() for v in results.values())
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        study.compare_methods(pretrained, (x, y), (x, y), ks=(2,), methods=("magic",))
    with pytest.raises(ValueError, match="Invalid bn"):
        transfer.fine_tune(pretrained, x, y, bn="sometimes", steps=1)


def test_hint_training_lowers_the_hint_loss_and_checks_shapes():
    teacher = transfer.load_pretrained()
    x = torch.rand(64, 1, 8, 8)
    hints = transfer.extract_features(teacher, x, "conv2", flatten=False)
    torch.manual_seed(0)
    student = transfer.thin_cnn()
    losses = transfer.hint_pretrain(student, "conv3", hints, x, steps=30)
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="do not fit"):
        transfer.hint_pretrain(student, "conv2", hints, x, steps=1)
    with pytest.raises(ValueError, match="Invalid guided"):
        transfer.hint_pretrain(student, "conv7", hints, x, steps=1)


# --- figures and the widget ------------------------------------------------------------------


def _fake_results():
    ks = (1, 5, None)
    g = torch.Generator().manual_seed(0)
    table = {(m, k): torch.rand(3, generator=g) for m in study.METHODS for k in ks}
    return {"digits": table, "permuted digits": dict(table)}


def test_few_labels_widget_survives_every_control_at_its_extremes():
    from matplotlib.figure import Figure

    from nncourse import widgets

    results = _fake_results()
    app = apps.few_labels(results)
    visited = widgets.drive_to_extremes(app)
    assert {v for n, v, _ in visited if n == "task"} == set(results)
    assert {v for n, v, _ in visited if n == "k_index"} == {0, 2}
    assert isinstance(app.last_figure, Figure)
    assert "k = all" in " ".join(
        ax.get_title() for ax in figures.few_labels_figure(results, "digits", 2).axes
    )
    with pytest.raises(ValueError, match="Invalid k_index"):
        figures.few_labels_figure(results, "digits", 3)
    with pytest.raises(ValueError, match="Invalid task"):
        figures.few_labels_figure(results, "letters", 0)


def test_static_transfer_figures_draw():
    from nncourse.lecture7 import figures

    model = transfer.load_pretrained()
    x = torch.rand(12, 1, 8, 8)
    assert len(figures.image_grid_figure(x, ["a"] * 12, ncols=6).axes) == 12
    angles, tuning = transfer.orientation_tuning(model, 4)
    fig = figures.filters_figure(
        model.conv1[0].weight.detach(), transfer.strongest_patches(model, x), angles, tuning
    )
    assert len(fig.axes) == 3 * 16
    grid = {
        (s, z): {"a": torch.tensor([0.4, 0.6]), "b": 0.7} for s in ("x", "y") for z in ("s", "l")
    }
    fig = figures.size_similarity_figure(grid, bold={(s, z): {"a"} for s, z in grid})
    texts = [(t.get_text(), t.get_fontweight()) for t in fig.axes[0].texts]
    # one value per method and cell (the bold ones in bold), the method names once per row
    assert texts.count(("0.50 ± 0.14", "bold")) == 4 and texts.count(("0.70 ± 0.00", "normal")) == 4
    assert [name for name, _ in texts].count("a") == 2 and len(texts) == 8 + 4
    names = {t.get_text(): t.get_color() for t in fig.axes[0].texts if t.get_text() in "ab"}
    assert names["a"] != names["b"]  # each method in its own colour
