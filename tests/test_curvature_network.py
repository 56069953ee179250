import pytest
import torch
from torch import nn

from nnlib import curvature, loss_slices, models


def _problem(widths=(6, 10, 3), activation="tanh", seed=0, n=40):
    torch.manual_seed(seed)
    model = models.mlp(list(widths), activation=activation)
    x = torch.randn(n, widths[0])
    y = torch.randint(0, widths[-1], (n,))
    return model, nn.CrossEntropyLoss(), x, y


def _assert_untouched(model, before, mode):
    assert model.training == mode
    for p, q in zip(model.parameters(), before, strict=True):
        assert torch.equal(p, q) and p.grad is None


def test_hvp_matches_dense_hessian_and_leaves_model_alone():
    model, loss_fn, x, y = _problem()
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    H = curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
    n = sum(p.numel() for p in model.parameters())
    assert H.shape == (n, n)
    torch.testing.assert_close(H, H.T)
    for seed in range(3):
        v = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        torch.testing.assert_close(
            curvature.hvp(model, loss_fn, x, y, v, dtype=torch.float64), H @ v
        )
    _assert_untouched(model, before, mode=True)


def test_dense_hessian_matches_torch_autograd_functional():
    model, loss_fn, x, y = _problem(widths=(3, 4, 2))
    theta = loss_slices.flatten_params(model).double()

    def loss_of(flat):
        params = {k: v.double() for k, v in loss_slices.unflatten_params(model, flat).items()}
        out = torch.func.functional_call(model, params, (x.double(),))
        return loss_fn(out, y)

    expected = torch.autograd.functional.hessian(loss_of, theta)
    torch.testing.assert_close(
        curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64), expected
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_eigenvalues_match_eigvalsh(seed):
    model, loss_fn, x, y = _problem(seed=seed)
    H = curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
    expected = torch.linalg.eigvalsh(H).flip(0)[:4]
    top = curvature.top_eigenvalues(model, loss_fn, x, y, k=4, steps=80, seed=seed)
    assert ((top - expected).abs() / expected.abs()).max() < 1e-4


def test_power_iteration_and_lanczos_on_a_known_matrix():
    Q = torch.linalg.qr(
        torch.randn(30, 30, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ).Q
    values = torch.linspace(-2.0, 1.0, 30, dtype=torch.float64)
    values[-1] = 5.0
    H = Q @ torch.diag(values) @ Q.T
    assert curvature.power_iteration(lambda v: H @ v, 30, steps=300) == pytest.approx(5.0, rel=1e-8)
    T, V = curvature.lanczos(lambda v: H @ v, 30, 30, torch.ones(30, dtype=torch.float64))
    eye = torch.eye(V.shape[1], dtype=torch.float64)
    torch.testing.assert_close(V.T @ V, eye, atol=1e-10, rtol=0)
    torch.testing.assert_close(T, V.T @ H @ V, atol=1e-9, rtol=0)
    torch.testing.assert_close(
        torch.linalg.eigvalsh(T), torch.sort(values).values, atol=1e-8, rtol=0
    )


def test_hutchinson_trace_within_its_error_bars():
    model, loss_fn, x, y = _problem()
    exact = curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64).trace().item()
    estimate, error = curvature.hutchinson_trace(model, loss_fn, x, y, samples=400, seed=0)
    assert abs(estimate - exact) < 4 * error
    assert error < 0.2 * abs(exact)


def test_spectral_density_mean_is_trace_over_n():
    model, loss_fn, x, y = _problem()
    H = curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
    n = H.shape[0]
    result = curvature.spectral_density(model, loss_fn, x, y, vectors=6, steps=30, seed=3)
    assert result["weights"].sum().item() == pytest.approx(1.0)
    mean = (result["weights"] * result["nodes"]).sum().item()
    # exactly the average Rayleigh quotient of the probe vectors ...
    probes = (
        torch.randint(0, 2, (6, n), generator=torch.Generator().manual_seed(3)) * 2 - 1
    ).double()
    rayleigh = ((probes @ H) * probes).sum(1) / (probes * probes).sum(1)
    assert mean == pytest.approx(rayleigh.mean().item(), rel=1e-8)
    # ... and so, in expectation, trace / n
    assert mean == pytest.approx(H.trace().item() / n, rel=0.3)
    grid_step = (result["grid"][1] - result["grid"][0]).item()
    assert (result["density"].sum() * grid_step).item() == pytest.approx(1.0, rel=1e-2)


def test_negative_mass_per_probe_matches_the_exact_fraction():
    model, loss_fn, x, y = _problem(widths=(4, 6, 3), n=30)
    H = curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
    eigenvalues = torch.linalg.eigvalsh(H)
    threshold = 1e-3 * eigenvalues.abs().max().item()
    exact = (eigenvalues < -threshold).double().mean().item()
    n = H.shape[0]
    # with as many Lanczos steps as H has dimensions, each probe's quadrature is exact:
    # its mass below -threshold is v^T 1[H < -threshold] v / v^T v, whose mean over v is exact
    result = curvature.spectral_density(model, loss_fn, x, y, vectors=16, steps=n, seed=0)
    per_probe = curvature.negative_mass(result, threshold)
    assert per_probe.shape == (16,)
    assert ((per_probe >= 0) & (per_probe <= 1 + 1e-9)).all()
    error = per_probe.std().item() / 16**0.5
    assert abs(per_probe.mean().item() - exact) < 4 * error + 1e-9
    assert per_probe.sum().item() / 16 == pytest.approx(
        result["weights"][result["nodes"] < -threshold].sum().item(), rel=1e-9
    )
    near_zero = curvature.probe_mass(result, result["nodes"].abs() <= threshold)
    positive = curvature.probe_mass(result, result["nodes"] > threshold)
    torch.testing.assert_close(
        per_probe + near_zero + positive, torch.ones(16, dtype=torch.float64)
    )
    with pytest.raises(ValueError, match="threshold"):
        curvature.negative_mass(result, -1.0)
    with pytest.raises(ValueError, match="boolean mask"):
        curvature.probe_mass(result, result["nodes"])


def test_curvature_of_the_tiny_mlp_matches_the_closed_form():
    """The two-weight network as an nn.Module: Hessian at w = 0 is [[0, -2tx], [-2tx, 0]]."""

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))

        def forward(self, x):
            return torch.tanh(self.w[0] * torch.tanh(self.w[1] * x))

    x, t = torch.tensor([0.5]), torch.tensor([0.5])
    H = curvature.dense_hessian(
        Tiny(), lambda out, target: ((target - out) ** 2).sum(), x, t, dtype=torch.float64
    )
    torch.testing.assert_close(H, torch.tensor([[0.0, -0.5], [-0.5, 0.0]], dtype=torch.float64))
    assert curvature.classify(H) == "saddle"


def test_bad_inputs():
    model, loss_fn, x, y = _problem()
    with pytest.raises(ValueError, match="parameters"):
        curvature.hvp(model, loss_fn, x, y, torch.zeros(3))
    with pytest.raises(ValueError, match="max_params"):
        curvature.dense_hessian(model, loss_fn, x, y, max_params=10)
    with pytest.raises(ValueError, match="k"):
        curvature.top_eigenvalues(model, loss_fn, x, y, k=0)


def _reference_hessian(model, loss_fn, x, y):
    """torch.autograd.functional.hessian over the trainable parameters, model in eval mode."""
    from nnlib import params

    model.eval()
    theta = params.flatten_params(model).double()
    fixed = [
        *model.named_buffers(),
        *((k, p) for k, p in model.named_parameters() if not p.requires_grad),
    ]
    buffers = {k: v.detach().double() if v.is_floating_point() else v for k, v in fixed}

    def loss_of(vector):
        out = torch.func.functional_call(
            model, (params.unflatten_params(model, vector), buffers), (x.double(),)
        )
        loss = loss_fn(out, y)
        return loss if loss.dim() == 0 else loss.mean()

    return torch.autograd.functional.hessian(loss_of, theta)


@pytest.mark.parametrize(
    "loss_fn, scale",
    [
        (nn.functional.cross_entropy, 1.0),
        (nn.CrossEntropyLoss(), 1.0),
        (nn.CrossEntropyLoss(reduction="none"), 1.0),  # per-example losses are averaged
        (nn.CrossEntropyLoss(reduction="sum"), 40.0),  # the sum: n times the mean's Hessian
        (lambda out, y: nn.functional.nll_loss(out.log_softmax(1), y, reduction="none"), 1.0),
    ],
)
def test_curvature_accepts_every_loss_form_and_reduction(loss_fn, scale):
    model, mean_loss, x, y = _problem(n=40)
    expected = curvature.dense_hessian(model, mean_loss, x, y, dtype=torch.float64)
    got = curvature.dense_hessian(model, loss_fn, x, y, dtype=torch.float64)
    torch.testing.assert_close(got, scale * expected)
    top = curvature.top_eigenvalues(model, loss_fn, x, y, k=1)
    torch.testing.assert_close(top[0], torch.linalg.eigvalsh(got)[-1], rtol=1e-6, atol=1e-8)


def test_curvature_of_models_with_frozen_parameters_batch_norm_and_dropout():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)
    )
    model[0].weight.requires_grad_(False)  # frozen: not part of theta
    x, y = torch.randn(30, 5), torch.randint(0, 3, (30,))
    model.train()
    model(x)  # running statistics that differ from the initial ones
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    H = curvature.dense_hessian(model, nn.functional.cross_entropy, x, y, dtype=torch.float64)
    assert H.shape == (n_trainable, n_trainable) and model.training
    torch.testing.assert_close(H, _reference_hessian(model, nn.functional.cross_entropy, x, y))
    trace, _ = curvature.hutchinson_trace(model, nn.functional.cross_entropy, x, y, samples=400)
    assert abs(trace - H.trace().item()) < 0.1 * abs(H.trace().item())


@pytest.mark.parametrize("loss_fn", [nn.functional.mse_loss, nn.MSELoss(), nn.HuberLoss()])
def test_hvp_with_losses_forward_mode_cannot_differentiate_equals_the_hessian(loss_fn):
    """F.mse_loss's double backward defeats forward-over-reverse ("ZeroTensors are immutable");
    the product falls back to reverse over reverse and still equals torch's own Hessian."""
    torch.manual_seed(1)
    model = models.mlp([3, 5, 2], activation="tanh").double()
    x, y = torch.randn(7, 3, dtype=torch.float64), torch.randn(7, 2, dtype=torch.float64)
    theta = loss_slices.flatten_params(model).detach()

    def loss_of(flat):
        params = loss_slices.unflatten_params(model, flat)
        return loss_fn(torch.func.functional_call(model, params, (x,)), y)

    H = torch.autograd.functional.hessian(loss_of, theta)
    v = torch.randn(theta.numel(), dtype=torch.float64)
    torch.testing.assert_close(curvature.hvp(model, loss_fn, x, y, v), H @ v)
    torch.testing.assert_close(curvature.dense_hessian(model, loss_fn, x, y), H)
