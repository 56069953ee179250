"""Replications: ``NNLIB_REPLICATION`` shifts every seed of the course at once.

Replication 0 (the variable unset) is the book as published, so its draws must be exactly those
of plain ``torch.Generator().manual_seed(s)``; replications 1 and 2 must change a study's data
split, its loader order and its initial weights; a bad value names the variable.
"""

import numpy as np
import pytest
import torch

from nncourse.lecture5 import optimizers as lecture5_optimizers
from nnlib import data, init, models, utils
from nnlib.utils import REPLICATION_VARIABLE


def _draws() -> dict[str, list]:
    """A data split, a loader's first batch, initial weights and a generator's draw."""
    x = torch.arange(40.0).reshape(20, 2)
    y = torch.arange(20)
    splits = data.split(x, y, fractions=(0.5, 0.25, 0.25), seed=3)
    batches = data.TensorBatches(x, y, batch_size=4, seed=3)
    batched = models.stacked_mlp([2, 3, 2], n_models=2, seed=3)
    net = init.init_model(models.mlp([2, 3, 2]), "kaiming", seed=3)
    race = lecture5_optimizers.SeedBatches(x, y, 4, n_models=2, seed=3)
    return {
        "split": splits.train.tensors[0][:, 0].tolist(),
        "moons": data.moons(n=20, seed=3).train.tensors[0][:3].tolist(),
        "batch": next(iter(batches))[1].tolist(),
        "batched weights": batched.stacked_params()["0.weight"].flatten().tolist(),
        "init_model": net[0].weight.flatten().tolist(),
        "study batches": [b.tolist() for b in next(iter(race))[1]],
        "generator": torch.rand(3, generator=utils.generator(3)).tolist(),
    }


def test_replication_zero_is_the_plain_seed(monkeypatch):
    monkeypatch.delenv(REPLICATION_VARIABLE, raising=False)
    assert utils.replication() == 0 and utils.replicated_seed(7) == 7
    plain = torch.Generator().manual_seed(7)
    assert torch.equal(torch.rand(5, generator=utils.generator(7)), torch.rand(5, generator=plain))
    utils.manual_seed(7)
    ours = torch.rand(5)
    torch.manual_seed(7)
    assert torch.equal(ours, torch.rand(5))
    # an explicit 0 is the same as the variable unset
    unset = _draws()
    monkeypatch.setenv(REPLICATION_VARIABLE, "0")
    assert _draws() == unset


def test_replication_zero_split_is_todays_split(monkeypatch):
    monkeypatch.delenv(REPLICATION_VARIABLE, raising=False)
    x, y = torch.arange(30.0).reshape(15, 2), torch.arange(15) % 3
    order = torch.randperm(15, generator=torch.Generator().manual_seed(5))
    train = data.split(x, y, fractions=(0.6, 0.2, 0.2), seed=5).train.tensors[0]
    assert torch.equal(train, x[order[:9]])


def test_replications_change_every_draw(monkeypatch):
    runs = {}
    for r in ("0", "1", "2"):
        monkeypatch.setenv(REPLICATION_VARIABLE, r)
        runs[r] = _draws()
        assert _draws() == runs[r], "a replication repeats itself"
    for key in runs["0"]:
        values = [runs[r][key] for r in runs]
        assert values[0] != values[1] and values[1] != values[2] and values[0] != values[2], key


def test_mnist1d_is_regenerated_in_a_replication(monkeypatch):
    pytest.importorskip("mnist1d")
    monkeypatch.delenv(REPLICATION_VARIABLE, raising=False)
    first = data.mnist1d(seed=0).test.tensors[0][:2]
    monkeypatch.setenv(REPLICATION_VARIABLE, "1")
    other = data.mnist1d(seed=0).test.tensors[0][:2]
    assert not torch.equal(first, other)


def test_seeds_are_shifted_by_a_thousand_per_replication(monkeypatch):
    monkeypatch.setenv(REPLICATION_VARIABLE, "2")
    assert utils.replication() == 2 and utils.replicated_seed(5) == 2005
    assert np.random.default_rng(utils.replicated_seed(5)).random() == (
        np.random.default_rng(2005).random()
    )


@pytest.mark.parametrize("bad", ["-1", "one", "1.5", "0x1", "1 2"])
def test_a_bad_replication_names_the_variable(monkeypatch, bad):
    monkeypatch.setenv(REPLICATION_VARIABLE, bad)
    with pytest.raises(ValueError, match=REPLICATION_VARIABLE):
        utils.replication()
    with pytest.raises(ValueError, match=REPLICATION_VARIABLE):
        utils.generator(0)
    with pytest.raises(ValueError, match=REPLICATION_VARIABLE):
        data.split(torch.zeros(4, 1), torch.zeros(4), seed=0)


def test_pretraining_the_shipped_weights_refuses_a_replication(monkeypatch):
    from nnlib.transfer import pretrain

    monkeypatch.setenv(REPLICATION_VARIABLE, "1")
    with pytest.raises(ValueError, match=REPLICATION_VARIABLE):
        pretrain.pretrain(**pretrain.QUICK, progress=False)


def _replicate_script():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / ".ci" / "replicate.py"
    spec = importlib.util.spec_from_file_location("replicate", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["replicate"] = module  # its runs are pickled by name for its worker processes
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_the_rotation_covers_every_notebook_in_successive_commits(n):
    replicate = _replicate_script()
    notebooks = [f"{k:02d}.ipynb" for k in range(n)]
    chosen = [replicate.rotation(notebooks, f"{c:040x}") for c in range(20)]
    assert all(len(pair) == min(n, 2) for pair in chosen)
    assert {name for pair in chosen for name in pair} == set(notebooks)
    assert replicate.rotation(notebooks, "ab" * 20) == replicate.rotation(notebooks, "ab" * 20)


def test_the_replicate_script_counts_findings_and_finds_the_first_error():
    import nbformat

    replicate = _replicate_script()
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell(s) for s in ("a", "b", "c")]
    cells[0].outputs = [
        nbformat.v4.new_output("stream", text="✓ a [theory]\n    measured: a = 1\n· check: b\n"),
        nbformat.v4.new_output("stream", text="✓ cubic_gradient: all 5 cases pass.\n"),  # a checker
    ]
    cells[1].outputs = [
        nbformat.v4.new_output("error", ename="ClaimFailed", evalue="✗ finding does not hold: c")
    ]
    cells[2].outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="later")]
    nb.cells = cells
    assert replicate.count_lines(nb) == (1, 1)
    assert replicate.first_error(nb) == "ClaimFailed: ✗ finding does not hold: c"


def test_the_replicate_script_runs_two_at_a_time_with_one_thread_each(tmp_path, capsys):
    import nbformat

    replicate = _replicate_script()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os\n"
            "if os.environ['OMP_NUM_THREADS'] == '1':\n"
            "    print('✓ replication ' + os.environ['NNLIB_REPLICATION'] + ' [theory]')\n"
            "assert os.environ['NNLIB_REPLICATION'] != '2'"
        )
    ]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    assert replicate.main([str(path), "--replications", "1", "2", "--jobs", "2"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("tiny.ipynb replication 1: ok, 1 findings")
    assert lines[1].startswith("tiny.ipynb replication 2: ERROR")
    assert lines[-1] == "replicate: 1 of 2 runs passed"
