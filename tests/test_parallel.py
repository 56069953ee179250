"""parallel_map: the plain loop's results, in order, from forked workers (or from the loop)."""

import multiprocessing
import os

import pytest
import torch

from nncourse import parallel
from nncourse.parallel import default_workers, parallel_grid, parallel_map


def seeded_draw(seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    return torch.randn(3) @ torch.randn(3, 2)


def test_results_are_the_plain_loops_in_order():
    seeds = [5, 0, 3, 1, 4, 2]
    expected = [seeded_draw(s) for s in seeds]
    got = parallel_map(seeded_draw, seeds, workers=2)
    assert len(got) == len(seeds)
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_items_run_in_other_processes_each_with_one_thread():
    here = os.getpid()
    pids_threads = parallel_map(lambda _: (os.getpid(), torch.get_num_threads()), range(4), 2)
    if "fork" in multiprocessing.get_all_start_methods():
        assert all(pid != here for pid, _ in pids_threads)
        assert {threads for _, threads in pids_threads} == {1}
    assert torch.get_num_threads() >= 1  # the caller's setting is untouched


def test_closures_over_local_state_work():
    offset = torch.tensor(10.0)
    assert parallel_map(lambda k: (offset + k).item(), [1, 2, 3], workers=2) == [11.0, 12.0, 13.0]


def test_an_error_in_fn_is_raised_to_the_caller():
    def fail_on_two(k):
        if k == 2:
            raise ValueError("item two")
        return k

    with pytest.raises(ValueError, match="item two"):
        parallel_map(fail_on_two, range(4), workers=2)


def test_nested_calls_run_as_plain_loops_inside_a_worker():
    inner = parallel_map(lambda k: parallel_map(lambda j: (k, j, os.getpid()), range(2)), [0, 1], 2)
    for outer in inner:
        assert len({pid for _, _, pid in outer}) == 1  # both inner items in the same process


def test_one_worker_or_no_fork_runs_in_this_process(monkeypatch):
    here = os.getpid()
    assert parallel_map(lambda _: os.getpid(), range(3), workers=1) == [here] * 3
    monkeypatch.setattr(parallel.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert parallel_map(lambda _: os.getpid(), range(3), workers=2) == [here] * 3


def test_empty_items_give_an_empty_list():
    assert parallel_map(seeded_draw, [], workers=2) == []


def test_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("NNLIB_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("NNLIB_WORKERS", "0")
    with pytest.raises(ValueError, match="NNLIB_WORKERS"):
        default_workers()
    monkeypatch.delenv("NNLIB_WORKERS")
    assert default_workers() >= 1


def test_bad_worker_count_names_the_argument():
    with pytest.raises(ValueError, match="workers"):
        parallel_map(seeded_draw, [1], workers=0)


def test_grid_groups_results_by_setting_in_seed_order():
    grid = parallel_grid(
        lambda name, seed: (name, seed, seeded_draw(seed).sum().item()), "ab", [2, 0]
    )
    assert list(grid) == ["a", "b"]
    for name, rows in grid.items():
        assert [(n, s) for n, s, _ in rows] == [(name, 2), (name, 0)]
        assert [v for *_, v in rows] == [seeded_draw(2).sum().item(), seeded_draw(0).sum().item()]


def test_one_thread_sets_one_and_restores_the_count_even_on_error():
    before = torch.get_num_threads()
    with parallel.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="inside"), parallel.one_thread():
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before
