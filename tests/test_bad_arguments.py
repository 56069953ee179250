"""A property-based sweep of the public API with bad arguments (issue 17, item 5).

Each case names a public function, the argument it spoils and the values that spoil it; every
bad value must raise ``ValueError`` whose message names the argument, never ZeroDivisionError,
a NaN result or silent broadcasting.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from nnlib import curvature, data, losses, models, norm, optim, schedules, train
from nnlib.regularization import mc_dropout_predict

NON_POSITIVE_INTS = st.integers(-1000, 0)
NON_POSITIVE_FLOATS = st.one_of(st.floats(-1e6, 0.0), st.just(math.nan), st.just(-math.inf))
NEGATIVE_INTS = st.integers(-1000, -1)


@dataclass
class Case:
    name: str
    call: Callable[[Any], Any]  # bad value -> call the API with it
    bad: st.SearchStrategy
    message: str  # a regex the error message must match: the argument's name


def _tiny_model():
    torch.manual_seed(0)
    return models.mlp([3, 4, 2])


X, Y = torch.randn(8, 3), torch.randint(0, 2, (8,))
CE = nn.functional.cross_entropy


CASES = [
    # schedules: zero or negative periods and sizes
    Case(
        "step_lr step_size", lambda v: schedules.step_lr(5, 0.1, v), NON_POSITIVE_INTS, "step_size"
    ),
    Case("step_lr t", lambda v: schedules.step_lr(v, 0.1, 3), NEGATIVE_INTS, "Invalid t"),
    Case("cosine_lr T_max", lambda v: schedules.cosine_lr(5, 0.1, v), NON_POSITIVE_INTS, "T_max"),
    Case(
        "warm restarts T_0",
        lambda v: schedules.cosine_warm_restarts_lr(5, 0.1, v),
        NON_POSITIVE_INTS,
        "T_0",
    ),
    Case(
        "warm restarts T_mult",
        lambda v: schedules.cosine_warm_restarts_lr(5, 0.1, 3, v),
        NON_POSITIVE_INTS,
        "T_mult",
    ),
    Case(
        "cyclic step_size_up",
        lambda v: schedules.cyclic_lr(5, 0.1, 1.0, v),
        NON_POSITIVE_INTS,
        "step_size_up",
    ),
    Case(
        "one_cycle total_steps",
        lambda v: schedules.one_cycle_lr(0, 0.1, v),
        NON_POSITIVE_INTS,
        "total_steps",
    ),
    Case(
        "one_cycle pct_start",
        lambda v: schedules.one_cycle_lr(0, 0.1, 10, pct_start=v),
        st.one_of(st.floats(-2, 0.1), st.floats(1.0, 3), st.just(math.nan)),
        "pct_start",
    ),
    Case("warmup", lambda v: schedules.linear_warmup_lr(0, 0.1, v), NON_POSITIVE_INTS, "warmup"),
    Case(
        "exponential gamma",
        lambda v: schedules.exponential_lr(3, 0.1, v),
        NON_POSITIVE_FLOATS,
        "gamma",
    ),
    Case(
        "lr_range_test steps",
        lambda v: schedules.lr_range_test(_tiny_model(), CE, [(X, Y)], optim.SGD, steps=v),
        NON_POSITIVE_INTS,
        "steps",
    ),
    # losses: mismatched shapes
    Case(
        "mse_loss shapes",
        lambda n: losses.mse_loss(torch.zeros(n), torch.zeros(n, 1)),
        st.integers(2, 50),
        "shapes",
    ),
    Case(
        "cross_entropy shapes",
        lambda k: losses.cross_entropy(torch.zeros(4, 3), torch.zeros(4 + k, dtype=torch.long)),
        st.integers(1, 10),
        "shapes",
    ),
    Case(
        "per_model_loss shapes",
        lambda k: losses.per_model_loss(torch.zeros(2, 4, 3), torch.zeros(4 + k, dtype=torch.long)),
        st.integers(1, 10),
        "shapes",
    ),
    Case(
        "correct_fraction shapes",
        lambda k: train.correct_fraction(torch.zeros(4, 3), torch.zeros(4 + k, dtype=torch.long)),
        st.integers(1, 10),
        "shapes",
    ),
    # curvature: non-positive widths and counts
    Case(
        "spectral_density sigma",
        lambda v: curvature.spectral_density(_tiny_model(), CE, X, Y, sigma=v),
        NON_POSITIVE_FLOATS,
        "sigma",
    ),
    Case(
        "spectral_density grid_size",
        lambda v: curvature.spectral_density(_tiny_model(), CE, X, Y, grid_size=v),
        NON_POSITIVE_INTS,
        "grid_size",
    ),
    Case(
        "hutchinson samples",
        lambda v: curvature.hutchinson_trace(_tiny_model(), CE, X, Y, samples=v),
        NON_POSITIVE_INTS,
        "samples",
    ),
    Case(
        "top_eigenvalues k",
        lambda v: curvature.top_eigenvalues(_tiny_model(), CE, X, Y, k=v),
        NON_POSITIVE_INTS,
        "Invalid k",
    ),
    # degenerate momentum-rate inputs
    Case(
        "momentum_rate lr", lambda v: optim.momentum_rate(v, 0.5, [1.0]), NON_POSITIVE_FLOATS, "lr"
    ),
    Case(
        "momentum_rate momentum",
        lambda v: optim.momentum_rate(0.1, v, [1.0]),
        st.one_of(st.floats(-5, -1e-9), st.floats(1.0, 5), st.just(math.nan)),
        "momentum",
    ),
    Case(
        "momentum_rate eigenvalues",
        lambda v: optim.momentum_rate(0.1, 0.5, v),
        st.sampled_from([[], [math.nan], [1.0, math.inf]]),
        "eigenvalues",
    ),
    Case(
        "optimal_momentum mu", lambda v: optim.optimal_momentum(v, 1.0), NON_POSITIVE_FLOATS, "mu"
    ),
    Case(
        "optimal_momentum L",
        lambda v: optim.optimal_momentum(1.0, v),
        st.floats(-10, 0.999),
        "Invalid L",
    ),
    Case("predicted_rate lr", lambda v: optim.predicted_rate([1.0], v), NON_POSITIVE_FLOATS, "lr"),
    Case(
        "steps_to_tolerance tol",
        lambda v: optim.steps_to_tolerance(10.0, v),
        st.one_of(st.floats(-1, 0), st.floats(1, 10), st.just(math.nan)),
        "tol",
    ),
    Case(
        "nesterov_lookahead steps",
        lambda v: optim.nesterov_lookahead(lambda x: x, torch.ones(2), 0.1, 0.5, v),
        NON_POSITIVE_INTS,
        "steps",
    ),
    # zero trial, sample and step counts
    Case(
        "mc_dropout n_samples",
        lambda v: mc_dropout_predict(models.mlp([3, 4, 2], dropout=0.5), X, v),
        NON_POSITIVE_INTS,
        "n_samples",
    ),
    Case(
        "fit epochs",
        lambda v: train.fit(_tiny_model(), optim.SGD(_tiny_model().parameters()), [(X, Y)], v),
        NON_POSITIVE_INTS,
        "epochs",
    ),
    Case(
        "fit_steps steps",
        lambda v: train.fit_steps(
            _tiny_model(), optim.SGD(_tiny_model().parameters()), [(X, Y)], v
        ),
        NON_POSITIVE_INTS,
        "steps",
    ),
    Case(
        "stacked_mlp n_models",
        lambda v: models.stacked_mlp([3, 4, 2], n_models=v),
        NON_POSITIVE_INTS,
        "n_models",
    ),
    Case(
        "TensorBatches batch_size",
        lambda v: data.TensorBatches(X, Y, v),
        NON_POSITIVE_INTS,
        "batch_size",
    ),
    Case("mlp widths", lambda v: models.mlp([3, v, 2]), NON_POSITIVE_INTS, "widths"),
    # hyperparameters out of range
    Case(
        "SGD lr",
        lambda v: optim.SGD([torch.zeros(1, requires_grad=True)], lr=v),
        st.floats(-10, -1e-9),
        "learning rate",
    ),
    Case(
        "Adam betas",
        lambda v: optim.Adam([torch.zeros(1, requires_grad=True)], betas=(v, 0.999)),
        st.one_of(st.floats(-5, -1e-9), st.floats(1.0, 5)),
        "beta parameter",
    ),
    Case(
        "BatchNorm1d num_features", lambda v: norm.BatchNorm1d(v), NON_POSITIVE_INTS, "num_features"
    ),
    Case(
        "BatchNorm1d momentum",
        lambda v: norm.BatchNorm1d(3, momentum=v),
        st.one_of(st.floats(-5, -1e-9), st.floats(1.0001, 5), st.just(math.nan)),
        "momentum",
    ),
    Case("GroupNorm num_groups", lambda v: norm.GroupNorm(v, 6), NON_POSITIVE_INTS, "num_groups"),
    Case(
        "weight_norm dim",
        lambda v: norm.weight_norm(nn.Linear(2, 2), dim=v),
        st.integers(2, 9),
        "dim",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bad_argument_raises_value_error_naming_it(case, data):
    bad = data.draw(case.bad, label=case.name)
    with pytest.raises(ValueError, match=case.message):
        case.call(bad)


def test_the_sweep_covers_the_kinds_the_issue_names():
    names = " ".join(case.name for case in CASES)
    for kind in ("step_size", "T_max", "shapes", "sigma", "momentum_rate", "n_samples"):
        assert kind in names
