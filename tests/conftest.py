import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _seed():
    import nnlib

    nnlib.seed_everything(0)
