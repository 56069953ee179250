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


def pytest_collection_modifyitems(config, items):
    """Send each test file to one xdist worker (``--dist loadgroup``), as ``--dist loadfile``
    would, except the nbgrader round trip: each lecture's round trip is its own group, so the two
    workers share the twelve (about 30 s each) instead of one worker running them all."""
    for item in items:
        group = item.path.name
        if item.path.name == "test_nbgrader.py" and hasattr(item, "callspec"):
            group += "::" + item.callspec.id
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _seed():
    import nnlib

    nnlib.seed_everything(0)
