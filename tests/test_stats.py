"""nncourse.stats against scipy's own tests and closed forms, and its bad inputs."""

import math

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from nncourse import stats


def test_the_interval_of_three_seeds_uses_the_t_quantile_not_two():
    iv = stats.mean_interval([1.0, 2.0, 3.0])
    se = 1.0 / math.sqrt(3)  # sample std 1
    assert iv.se == pytest.approx(se)
    assert iv.high - iv.mean == pytest.approx(4.302652729911275 * se)  # t_{2, 0.975}
    assert iv.n == 3 and not iv.excludes(2.0) and iv.excludes(-1.0)
    assert "n = 3" in str(iv) and "95 % t-interval" in str(iv)


def test_the_paired_interval_is_the_interval_of_the_differences_and_narrower_when_seeds_share():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1.0, 8)  # what both arms of one seed share (split, initialization)
    a, b = shared + 0.3 + rng.normal(0, 0.05, 8), shared + rng.normal(0, 0.05, 8)
    paired = stats.paired_difference(a, b)
    assert paired.mean == pytest.approx(float((a - b).mean()))
    assert paired.low > 0
    unpaired = stats.mean_interval(a).se + stats.mean_interval(b).se
    assert paired.se < unpaired / 5
    with pytest.raises(ValueError, match="paired"):
        stats.paired_difference([1.0, 2.0, 3.0], [1.0, 2.0])


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_the_one_sided_test_matches_scipy(alternative):
    x = torch.tensor([0.12, 0.3, 0.05, 0.22, 0.18])
    result = stats.one_sided_test(x, 0.1, alternative=alternative)
    expected = scipy_stats.ttest_1samp(x.numpy(), 0.1, alternative=alternative).pvalue
    assert result.p_value == pytest.approx(expected)
    assert result.holds == (expected < 0.05)


def test_a_sample_without_spread_is_decided_by_its_side():
    assert stats.one_sided_test([0.5, 0.5, 0.5], 0.1).holds
    assert not stats.one_sided_test([0.5, 0.5, 0.5], 0.9).holds


def test_sign_count_is_the_binomial_tail():
    result = stats.sign_count([0.1, 0.2, -0.1, 0.3, 0.4])
    assert result.above == 4 and result.n == 5
    assert result.p_value == pytest.approx(6 / 32)
    assert stats.sign_count([1.0] * 5).p_value == pytest.approx(1 / 32)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: stats.mean_interval([1.0]), "at least 2"),
        (lambda: stats.mean_interval([1.0, float("nan")]), "finite"),
        (lambda: stats.mean_interval([1.0, 2.0], confidence=1.0), "confidence"),
        (lambda: stats.one_sided_test([1.0, 2.0], 0.0, alternative="two"), "alternative"),
        (lambda: stats.one_sided_test([1.0, 2.0], 0.0, alpha=0.0), "alpha"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
