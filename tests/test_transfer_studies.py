"""Lecture 7 additions: distillation loss against torch, layer probes, and the study set-ups
on tiny sizes (shapes, pairing, determinism; the notebook runs them at full size)."""

import pytest
import torch

from nncourse.lecture7 import transfer as study
from nnlib import transfer
from nnlib.transfer.distill import distillation_loss
from nnlib.transfer.probing import best_cut, probe_layers


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
def test_distillation_loss_equals_torchs_kl_div_times_t_squared(temperature):
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(7, 10, generator=g), 3 * torch.randn(7, 10, generator=g)
    expected = temperature**2 * torch.nn.functional.kl_div(
        torch.log_softmax(s / temperature, 1),
        torch.log_softmax(t / temperature, 1),
        log_target=True,
        reduction="batchmean",
    )
    assert torch.allclose(distillation_loss(s, t, temperature), expected, atol=1e-6)
    assert distillation_loss(t, t, temperature).abs() < 1e-6  # a perfect student


def test_distillation_loss_rejects_bad_input():
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3), 0.0)
    with pytest.raises(ValueError, match="shape"):
        distillation_loss(torch.zeros(2, 3), torch.zeros(2, 4))


def _tiny_digits(n=60):
    train, _, test = study.digit_tasks()["digits"]
    return (train[0][:300], train[1][:300]), (test[0][:n], test[1][:n])


def test_probe_layers_pairs_seeds_and_best_cut_takes_the_highest_mean():
    train, test = _tiny_digits()
    net = transfer.glyph_cnn()
    probes = probe_layers(net, train, test, cuts=(None, "conv2"), k=2, seeds=(0, 1))
    assert list(probes) == [None, "conv2"] and all(len(v) == 2 for v in probes.values())
    fake = {
        None: torch.tensor([0.5, 0.7]),
        "conv1": torch.tensor([0.9, 0.1]),
        "fc": torch.tensor([0.7, 0.6]),
    }
    assert best_cut(fake) == "fc"


def test_digit_tasks_share_labels_and_permute_pixels_identically():
    tasks = study.digit_tasks()
    for (x, y), (xp, yp) in zip(tasks["digits"], tasks["permuted digits"], strict=True):
        assert torch.equal(y, yp)
        assert torch.equal(x.flatten(1).sort(1).values, xp.flatten(1).sort(1).values)
    assert [len(part[0]) for part in tasks["digits"]] == [988, 270, 539]


def test_similarity_of_a_set_with_itself_is_one():
    x = torch.rand(40, 1, 8, 8)
    y = torch.arange(40) // 4  # ten classes, each with odd and even positions
    sim = study.glyph_digit_similarity((x, y), (x, y))
    assert torch.allclose(sim["glyph_to_digit"], torch.ones(10), atol=1e-5)
    assert (sim["digit_to_digit"] < 1).all()


def test_relative_change_is_zero_for_a_copy_and_positive_after_a_step():
    net = transfer.glyph_cnn(10)
    assert study.relative_change(net, net) == 0.0
    other = transfer.glyph_cnn(10)
    assert study.relative_change(net, other, "fc") > 0


def _assert_accuracies_per_seed(out: dict, n_seeds: int, n_test: int) -> None:
    """Each arm holds one accuracy per seed, and each is a count of correct test images / n."""
    for arm, values in out.items():
        values = torch.as_tensor(values, dtype=torch.float64)
        assert values.shape == (n_seeds,), arm
        counts = values * n_test
        assert ((values >= 0) & (values <= 1)).all(), arm
        torch.testing.assert_close(counts, counts.round(), atol=1e-4, rtol=0)


def test_greedy_pretraining_reports_every_stage_and_the_end_to_end_baseline():
    train, test = _tiny_digits()
    out = study.greedy_pretraining(train, test, depth=2, steps_per_stage=3, seeds=(0, 1))
    assert list(out) == ["end to end, lr=2", "end to end", "stage 1", "stage 2"]
    _assert_accuracies_per_seed(out, 2, len(test[1]))
    again = study.greedy_pretraining(train, test, depth=2, steps_per_stage=3, seeds=(0, 1))
    assert all(torch.equal(out[k], again[k]) for k in out)  # a seed fixes the run


def test_fitnets_study_runs_every_arm_with_the_random_teacher_control():
    train, test = _tiny_digits()
    net = transfer.glyph_cnn()
    out = study.fitnets(net, train, test, lr=1e-3, k=2, seeds=(0,), hint_steps=2, steps=2)
    assert set(out) == {
        "teacher",
        "labels only",
        "hints",
        "random-teacher hints",
        "hints + distillation",
        "hints + smoothed labels",
    }
    _assert_accuracies_per_seed(out, 1, len(test[1]))


def test_smoothed_labels_keep_the_top_class_and_the_soft_targets_entropy():
    g = torch.Generator().manual_seed(0)
    logits = 4 * torch.randn(6, 10, generator=g)
    temperature = 4.0
    q = torch.softmax(study.smoothed_like(logits, temperature) / temperature, 1)
    p = torch.softmax(logits / temperature, 1)

    def entropy(probs):
        return -(probs * probs.log()).sum(1)

    assert torch.equal(q.argmax(1), p.argmax(1))
    assert torch.allclose(entropy(q), entropy(p), atol=1e-5)
    others = q.clone()
    others[torch.arange(6), q.argmax(1)] = float("nan")
    assert torch.allclose(
        others.nanmean(1), others.nan_to_num(0).amax(1)
    )  # the wrong classes: all equal
    assert not torch.allclose(entropy(q), entropy(torch.softmax(logits, 1)), atol=1e-2)


def test_transfer_depth_runs_only_the_copies_asked_for():
    train, test = _tiny_digits()
    depths = study.transfer_depth(
        transfer.load_pretrained(), train, test, 1e-3, k=2, seeds=(0, 1), steps=2, copies=(1, 3)
    )
    assert sorted(depths) == [1, 3] and all(v.shape == (2,) for v in depths.values())
    with pytest.raises(ValueError, match="copies"):
        study.transfer_depth(transfer.load_pretrained(), train, test, 1e-3, copies=(5,))


def test_bn_shift_returns_four_paired_arms():
    train, test = _tiny_digits()
    out = study.bn_shift(
        transfer.glyph_cnn(),
        study.invert(train),
        study.invert(test),
        1e-3,
        k=2,
        seeds=(0, 1),
        steps=2,
    )
    assert set(out) == {
        "features, source statistics",
        "features, target statistics",
        "fine-tune, frozen",
        "fine-tune, updated",
    }
    _assert_accuracies_per_seed(out, 2, len(test[1]))


def test_few_labels_figure_takes_different_seed_counts_per_k():
    from nncourse.lecture7 import figures

    table = {
        (m, k): torch.full((n,), 0.5 + 0.1 * i)
        for i, m in enumerate(("scratch", "all layers"))
        for k, n in ((1, 5), (10, 5), (None, 3))
    }
    fig = figures.few_labels_figure({"digits": table}, "digits", k_index=2)
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylim()[0] == 0.0  # bars start at zero


def test_depth_figure_legend_sits_below_every_point():
    from nncourse.lecture7 import figures

    depths = {
        "a": {n: torch.tensor([0.9, 0.95]) + 0.01 * n for n in range(5)},
        "b": {n: torch.tensor([0.85, 0.88]) for n in range(5)},
    }
    fig = figures.depth_figure(depths)
    ax = fig.axes[0]
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    lowest = ax.transData.transform((0, 0.85))[1]  # display coordinates
    assert box.y1 < lowest


def test_lr_sweep_rows_are_rates_columns_seeds_and_match_a_single_run():
    pretrained = transfer.load_pretrained()
    train, val = _tiny_digits()
    sweep = study.fine_tune_lr_sweep(
        pretrained, train, val, [1e-3, 1e-2], k=2, seeds=(5, 6), steps=3
    )
    assert set(sweep) == {"scratch", "all layers"}
    assert all(v.shape == (2, 2) for v in sweep.values())
    x, y = transfer.few_shot_subset(*train, 2, seed=6)
    tuned = transfer.fine_tune(pretrained, x, y, lr=1e-2, decay=1.0, bn="train", steps=3, seed=6)
    assert sweep["all layers"][1, 1].item() == pytest.approx(transfer.accuracy(tuned, *val))


def test_tuning_picks_the_best_mean_rate_and_ties_go_to_the_smaller_rate():
    grid = {"scratch": (1e-3, 1e-2), "features": (1e-3, 1e-2)}
    sweep = {
        ("scratch", 1): torch.tensor([[0.5, 0.6], [0.7, 0.8]]),
        ("features", 1): torch.tensor([[0.801, 0.8], [0.8, 0.799]]),  # tie at 2 decimals
    }
    assert study.choose_rates(sweep, grid) == {("scratch", 1): 1e-2, ("features", 1): 1e-3}
    pretrained = transfer.load_pretrained()
    train, val = _tiny_digits()
    real = study.tune_rates(pretrained, train, val, grid, ks=(2,), seeds=(5, 6), steps=2)
    assert set(real) == {("scratch", 2), ("features", 2)}
    assert all(v.shape == (2, 2) for v in real.values())


def test_contenders_drop_a_method_detectably_below_the_best():
    results = {
        ("a", 1): torch.tensor([0.90, 0.91, 0.92, 0.93, 0.94]),
        ("b", 1): torch.tensor([0.80, 0.81, 0.82, 0.83, 0.84]),  # 0.1 below, seed for seed
        ("c", 1): torch.tensor([0.95, 0.85, 0.97, 0.87, 0.96]),  # noisy: not detectably below
    }
    kept = study.contenders(results, 1)
    assert set(kept) == {"a", "c"} and kept["a"] is None


def test_transfer_depth_zero_blocks_is_training_from_scratch():
    pretrained = transfer.load_pretrained()
    train, test = _tiny_digits()
    depths = study.transfer_depth(pretrained, train, test, 1e-3, k=2, seeds=(0,), steps=2)
    assert sorted(depths) == [0, 1, 2, 3, 4]
    scratch = study.compare_methods(
        pretrained,
        train,
        test,
        ks=(2,),
        methods=("scratch",),
        seeds=(0,),
        steps=2,
        lrs={"scratch": 1e-3},
    )
    assert depths[0].item() == pytest.approx(scratch[("scratch", 2)].item())


def test_digit_filing_of_glyphs_as_digits_is_their_recall():
    pretrained = transfer.load_pretrained()
    glyphs = study.held_out_glyphs(200)
    filing = study.digit_filing(pretrained, glyphs, glyphs)  # glyphs filed as "digits"
    assert (filing["digit_purity"] >= filing["glyph_recall"]).all()
    assert filing["glyph_recall"].shape == (100,)


def test_signal_scales_shrink_by_the_sigmoid_factor():
    train, _ = _tiny_digits()
    scales = study.signal_scales(train)
    signal = torch.tensor(scales["signal"])
    ratios = signal[1:] / signal[:-1]
    assert ((ratios > 0.1) & (ratios < 0.2)).all()  # 1 / (4 sqrt 3) = 0.144
    assert scales["gradient"][0] < scales["gradient"][-1]


def test_greedy_fine_tune_and_rate_sweep_add_their_arms():
    train, test = _tiny_digits()
    out = study.greedy_pretraining(
        train,
        test,
        depth=2,
        steps_per_stage=2,
        seeds=(0,),
        end_to_end_lrs=(0.5, 2.0),
        fine_tune_steps=2,
    )
    assert {"end to end, lr=0.5", "end to end, lr=2", "greedy + fine-tune"} <= set(out)
    assert torch.equal(out["end to end"], out["end to end, lr=2"])


def test_greedy_end_to_end_budget_defaults_to_the_stages_and_can_match_the_whole(monkeypatch):
    train, test = _tiny_digits()
    seen = []
    fit = study._sgd_fit

    def spy(model, params, x, y, steps, lr, seed):
        seen.append((len(list(model.children())), steps))
        return fit(model, params, x, y, steps, lr, seed)

    monkeypatch.setattr(study, "_sgd_fit", spy)
    kwargs = dict(depth=2, steps_per_stage=2, seeds=(0,), fine_tune_steps=3)
    study.greedy_pretraining(train, test, **kwargs)
    study.greedy_pretraining(train, test, end_to_end_steps=7, **kwargs)
    # the end-to-end MLP has 4 children (flatten, two hidden, head); it is fitted first
    end_to_end = [steps for children, steps in seen if children == 4]
    assert end_to_end == [4, 7]


def test_small_batch_arms_share_their_subset_and_differ_only_in_bn():
    pretrained = transfer.load_pretrained()
    train, test = _tiny_digits()
    out = study.bn_small_batches(pretrained, train, test, 1e-3, k=2, seeds=(0, 1), steps=2)
    assert set(out) == {"frozen", "updated"} and all(v.shape == (2,) for v in out.values())


def test_distillation_gradient_matches_autograd_and_levels_off_with_t_squared():
    from nncourse.lecture7 import apps, figures

    g = torch.Generator().manual_seed(0)
    s, t = (
        torch.randn(10, generator=g, dtype=torch.double),
        4 * torch.randn(10, generator=g, dtype=torch.double),
    )
    for temperature in (1.0, 3.0):
        s_ = s.clone().requires_grad_()
        distillation_loss(s_[None], t[None], temperature).backward()
        closed = temperature**2 * figures.distillation_gradient(t, s, temperature)
        assert torch.allclose(s_.grad, closed)
    limit = ((s - s.mean()) - (t - t.mean())).norm() / 10
    big = 1e4**2 * figures.distillation_gradient(t, s, 1e4).norm()
    assert big == pytest.approx(limit.item(), rel=1e-3)
    from nncourse import widgets

    app = apps.distillation_temperature(t, s)
    assert {v for n, v, _ in widgets.drive_to_extremes(app)} >= {1.0, 20.0}


def test_random_control_estimates_its_batch_norm_statistics_on_the_images_given():
    train, _ = _tiny_digits()
    default = study.random_glyph_cnn(3)
    fitted = study.random_glyph_cnn(3, images=train[0])
    bn = fitted.conv1[1]
    assert not bn.training and not default.conv1[1].training
    assert torch.equal(default.conv1[0].weight, fitted.conv1[0].weight)  # same weights
    assert torch.equal(default.conv1[1].running_var, torch.ones(16))  # untouched defaults
    responses = fitted.conv1[0](train[0]).detach()
    assert torch.allclose(bn.running_mean, responses.mean(dim=(0, 2, 3)), atol=1e-5)
    assert bn.momentum == default.conv1[1].momentum  # restored after the pass


def test_disguised_digits_replace_one_digit_with_one_glyph_class():
    _, test = _tiny_digits(200)
    glyphs = transfer.make_glyphs(3000, seed=1)
    x, y = study.disguised_digits(test, 4, glyphs, glyph_class=7)
    mask = test[1] == 4
    assert torch.equal(y, test[1]) and torch.equal(x[~mask], test[0][~mask])
    pool = glyphs[0][glyphs[1] == 7].flatten(1)
    assert all((pool == image.flatten()).all(1).any() for image in x[mask])
    with pytest.raises(ValueError, match="glyphs_xy"):
        study.disguised_digits(test, 4, (glyphs[0][:5], glyphs[1][:5]), glyph_class=7)


def test_steps_may_differ_by_k():
    pretrained = transfer.load_pretrained()
    train, test = _tiny_digits()
    args = (pretrained, train, test, (1, 2), ("scratch",), (0,))
    by_k = study.compare_methods(*args, steps={1: 1, 2: 3}, lrs={"scratch": 1e-2})
    one = study.compare_methods(*args, steps=1, lrs={"scratch": 1e-2})
    three = study.compare_methods(*args, steps=3, lrs={"scratch": 1e-2})
    assert by_k["scratch", 1] == one["scratch", 1]
    assert by_k["scratch", 2] == three["scratch", 2]
    with pytest.raises(ValueError, match="steps"):
        study.compare_methods(*args, steps={1: 1})  # no entry for k = 2


def test_student_tuning_returns_rates_by_seeds():
    train, val = _tiny_digits()
    accuracies = study.tune_student(train, val, (1e-3, 1e-2), k=2, seeds=(0, 1), steps=2)
    assert accuracies.shape == (2, 2) and ((accuracies >= 0) & (accuracies <= 1)).all()
