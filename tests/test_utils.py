import math
import random

import numpy as np
import pytest
import torch

import nnlib
from nnlib.utils import (
    DivergenceError,
    Timer,
    check_finite,
    check_fraction,
    check_positive,
    check_positive_int,
    get_device,
)


def test_seed_everything_repeats_all_generators():
    draws = []
    for _ in range(2):
        nnlib.seed_everything(123)
        draws.append((random.random(), np.random.rand(), torch.rand(3).tolist()))
    assert draws[0] == draws[1]
    nnlib.seed_everything(124)
    assert torch.rand(3).tolist() != draws[0][2]


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        nnlib.seed_everything(seed)


def test_get_device():
    assert get_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected
    with pytest.raises(ValueError, match="prefer"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            get_device("cuda")


def test_timer_measures_elapsed_time():
    import time

    with Timer() as timer:
        time.sleep(0.01)
    assert 0.009 <= timer.seconds < 1.0


def test_check_finite_reports_step_and_value():
    assert check_finite(1.5, step=3) == 1.5
    for bad in (math.inf, math.nan, 1e13):
        with pytest.raises(DivergenceError) as info:
            check_finite(bad, step=7)
        assert info.value.step == 7
        assert "step 7" in str(info.value)


def test_argument_checks_name_the_argument():
    with pytest.raises(ValueError, match="Invalid lr: -1"):
        check_positive("lr", -1)
    with pytest.raises(ValueError, match="Invalid lr"):
        check_positive("lr", math.nan)
    assert check_positive("weight_decay", 0, allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="Invalid batch_size: 0"):
        check_positive_int("batch_size", 0)
    with pytest.raises(ValueError, match="batch_size"):
        check_positive_int("batch_size", 2.0)
    with pytest.raises(ValueError, match=r"Invalid p: 1 .*\[0, 1\)"):
        check_fraction("p", 1)
    assert check_fraction("p", 1, closed=True) == 1.0


@pytest.mark.parametrize("start", [True, False])
@pytest.mark.parametrize("inside", [True, False])
def test_model_mode_switches_for_the_block_and_restores_even_on_an_error(start, inside):
    from torch import nn

    from nnlib.utils import model_mode

    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train(start)
    with model_mode(model, inside) as same:
        assert same is model and model.training == inside and model[1].training == inside
    assert model.training == start and model[1].training == start
    with pytest.raises(RuntimeError, match="boom"), model_mode(model, inside):
        raise RuntimeError("boom")
    assert model.training == start and model[1].training == start
