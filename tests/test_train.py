import pytest
import torch
from torch import nn

from nnlib import data, models, train


def _problem(seed=0):
    splits = data.blobs(n=300, centers=3, std=0.8, seed=seed)
    return (
        splits,
        data.make_loader(splits.train, batch_size=32, seed=seed),
        data.make_loader(splits.val, batch_size=64, shuffle=False),
    )


def test_fit_learns_an_easy_problem_and_logs_every_epoch():
    _, train_loader, val_loader = _problem()
    model = models.mlp([2, 16, 3])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train.fit(
        model, optimizer, train_loader, epochs=15, val_loader=val_loader, progress=False
    )
    assert len(history) == 15 and history["epoch"] == list(range(1, 16))
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert len(history.step_loss) == 15 * len(train_loader)
    assert history.diverged is None and history.stopped_at is None
    assert "15 epochs" in history.summary()


def test_fit_reports_divergence_with_step_and_value():
    _, train_loader, _ = _problem()
    model = models.mlp([2, 16, 3])
    optimizer = torch.optim.SGD(model.parameters(), lr=1e6)
    history = train.fit(
        model, optimizer, train_loader, epochs=5, loss_fn=nn.CrossEntropyLoss(), progress=False
    )
    assert history.diverged is not None
    assert history.diverged.step == len(history.step_loss) + 1
    assert "diverged at step" in history.summary()


def test_early_stopping_stops_and_restores_the_best_weights():
    _, train_loader, val_loader = _problem()
    model = models.mlp([2, 32, 3])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    stopper = train.EarlyStopping(patience=2, min_delta=1e9)  # nothing counts as improving
    history = train.fit(
        model,
        optimizer,
        train_loader,
        20,
        val_loader=val_loader,
        callbacks=[stopper],
        progress=False,
    )
    assert history.stopped_at == 3 and len(history) == 3
    assert stopper.best_epoch == 1
    restored = train.evaluate(model, val_loader)["loss"]
    assert restored == pytest.approx(history["val_loss"][0], rel=1e-5)


def test_early_stopping_validates_its_arguments():
    with pytest.raises(ValueError, match="mode"):
        train.EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience"):
        train.EarlyStopping(patience=0)
    stopper = train.EarlyStopping(monitor="val_accuracy", mode="max")
    with pytest.raises(ValueError, match="val_accuracy"):
        stopper.on_epoch_end(1, {"train_loss": 1.0}, models.mlp([1, 1]))


def test_evaluate_uses_eval_mode_and_restores_the_previous_mode():
    _, _, val_loader = _problem()
    model = models.mlp([2, 16, 3], dropout=0.5)
    model.train()
    first = train.evaluate(model, val_loader)
    second = train.evaluate(model, val_loader)
    assert first == second  # dropout off: deterministic
    assert model.training


def test_fit_steps_schedulers_once_per_epoch():
    _, train_loader, val_loader = _problem()
    model = models.mlp([2, 8, 3])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = train.fit(model, optimizer, train_loader, 3, scheduler=scheduler, progress=False)
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.1)
    train.fit(
        model, optimizer, train_loader, 2, val_loader=val_loader, scheduler=plateau, progress=False
    )


def test_fit_rejects_bad_arguments():
    model = models.mlp([2, 3])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        train.fit(model, optimizer, [], epochs=0)
    with pytest.raises(ValueError, match="train_loader"):
        train.fit(model, optimizer, [], epochs=1, progress=False)


def test_regression_losses_log_no_accuracy():
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    loader = [(x, y.unsqueeze(1))]
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train.fit(model, optimizer, loader, 50, loss_fn=nn.MSELoss(), progress=False)
    assert "train_accuracy" not in history
    assert history["train_loss"][-1] < 1e-3
    epoch, value = history.best("train_loss")
    assert value == min(history["train_loss"]) and epoch == history["epoch"][-1]


def test_the_device_path_runs_with_the_device_given_explicitly():
    """Training, batched seeds, curvature and slices take ``device``; on CPU given explicitly
    they give the same numbers as the default (which is the CPU on a machine without CUDA)."""
    from nnlib import curvature, loss_slices, models, optim

    def run(**device):
        torch.manual_seed(0)
        model = models.mlp([3, 5, 2])
        x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
        history = train.fit_steps(
            model, optim.SGD(model.parameters(), lr=0.1), [(x, y)], 5, **device
        )
        many = models.stacked_mlp([3, 4, 2], n_models=3)
        curves = train.fit_batched(
            many, optim.SGD(many.parameters(), lr=0.1), [(x, y)], 2, **device
        )
        H = curvature.dense_hessian(model, nn.functional.cross_entropy, x, y, **device)
        d1, d2 = loss_slices.random_direction(model, 1), loss_slices.random_direction(model, 2)
        grid = torch.linspace(-1, 1, 3)
        plane = loss_slices.plane_losses(
            model, nn.functional.cross_entropy, x, y, d1, d2, grid, grid, **device
        )
        return history.step_loss, curves["train_loss"], H, plane

    default, explicit = run(), run(device="cpu")
    assert default[0] == explicit[0]
    for a, b in zip(default[1:], explicit[1:], strict=True):
        assert a.device.type == "cpu"
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert train.place(nn.Linear(2, 2), "cpu") == torch.device("cpu")


def test_batched_accuracy_and_scheduler():
    from nnlib import data, models, optim, train

    splits = data.blobs(n=300, seed=0)
    many = models.stacked_mlp([2, 8, 3], n_models=2)
    x, y = splits.train.tensors
    opt = optim.SGD(many.parameters(), lr=0.1)
    result = train.fit_batched(
        many,
        opt,
        [(x, y)],
        3,
        eval_data=(x, y),
        progress=False,
        scheduler=torch.optim.lr_scheduler.StepLR(opt, 1, 0.5),
    )
    assert result["eval_accuracy"].shape == (3, 2)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)
