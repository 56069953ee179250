import os

import matplotlib
import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two xdist workers on two cores: one thread each (and for the notebook kernels they start).
    # Two threads per worker oversubscribe the cores, and torch's small operations then wait on
    # each other's spinning threads, slowing some tests tenfold.
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _seed():
    import nnlib

    nnlib.seed_everything(0)
