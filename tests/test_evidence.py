"""nncourse.evidence.claim: passing and failing claims, rounding, bad arguments."""

import numpy as np
import pytest
import torch

from nncourse import evidence
from nncourse.evidence import ClaimFailed, claim, format_value


@pytest.fixture(autouse=True)
def _fresh_registry():
    evidence.reset()
    yield
    evidence.reset()


def test_a_claim_that_holds_prints_statement_and_rounded_values(capsys):
    claim("the gap is small", 0.0012345 < 0.01, basis="theory", gap=0.0012345, steps=300)
    out = capsys.readouterr().out
    assert out == "✓ the gap is small [theory]\n    measured: gap = 0.00123, steps = 300\n"
    assert [c.statement for c in evidence.claims_made()] == ["the gap is small"]


def test_a_claim_without_values_prints_only_the_statement(capsys):
    claim("it converged", True, basis="theory")
    assert capsys.readouterr().out == "✓ it converged [theory]\n"


def test_a_claim_that_fails_raises_naming_statement_and_values(capsys):
    with pytest.raises(ClaimFailed) as error:
        claim("BN is faster", 0.2 > 0.5, basis="theory", bn_loss=0.2, plain_loss=0.123456)
    message = str(error.value)
    assert "BN is faster" in message
    assert "bn_loss = 0.2" in message and "plain_loss = 0.123" in message
    assert capsys.readouterr().out == ""
    assert evidence.claims_made() == []
    assert isinstance(error.value, AssertionError)


@pytest.mark.parametrize(
    ("value", "sig", "text"),
    [
        (3.14159265, 3, "3.14"),
        (3.14159265, 5, "3.1416"),
        (123456.0, 3, "1.23e+05"),
        (7, 3, "7"),
        (True, 3, "True"),
        ("adam", 3, "adam"),
        (np.float32(0.5), 2, "0.5"),
        (torch.tensor(2.71828), 2, "2.7"),
        (torch.tensor([1.23456, 2.0]), 2, "[1.2, 2]"),
        ((0.11111, 0.22222), 1, "[0.1, 0.2]"),
        ({"sgd": 0.12345}, 2, "{sgd: 0.12}"),
        (float("nan"), 3, "nan"),
    ],
)
def test_values_are_rounded_to_the_given_significant_digits(value, sig, text):
    assert format_value(value, sig) == text


def test_sig_is_passed_through(capsys):
    claim("close", True, basis="theory", sig=2, x=0.987654)
    assert capsys.readouterr().out.endswith("x = 0.99\n")


@pytest.mark.parametrize("holds", [torch.tensor(True), np.bool_(True), np.array([True])])
def test_one_element_booleans_are_accepted(holds, capsys):
    claim("ok", holds, basis="theory")
    assert capsys.readouterr().out == "✓ ok [theory]\n"


@pytest.mark.parametrize(
    "holds", [1, 0.0, "yes", None, torch.tensor([True, True]), torch.tensor(1)]
)
def test_a_non_boolean_condition_is_rejected(holds):
    with pytest.raises(ValueError, match="holds"):
        claim("something", holds, basis="theory")


@pytest.mark.parametrize("statement", ["", "   ", None, 3])
def test_an_empty_statement_is_rejected(statement):
    with pytest.raises(ValueError, match="statement"):
        claim(statement, True, basis="theory")


@pytest.mark.parametrize("sig", [0, 18, 2.5, True])
def test_bad_sig_is_rejected(sig):
    with pytest.raises(ValueError, match="sig"):
        claim("fine", True, basis="theory", sig=sig)


def test_summary_numbers_the_claims_without_values(capsys):
    claim("first", True, basis="theory", a=1.0)
    claim("second", True, basis="control")
    evidence.check("torch agrees", True, error=1e-9)
    capsys.readouterr()
    evidence.summary()
    assert capsys.readouterr().out == (
        "2 findings in this notebook:\n  1. ✓ first [theory]\n  2. ✓ second [control]\n"
        "(and 1 sanity checks, which are not evidence)\n"
    )


def test_summary_of_nothing_says_so(capsys):
    evidence.summary()
    assert "No findings" in capsys.readouterr().out


def test_a_finding_needs_a_known_basis_and_a_check_has_none(capsys):
    with pytest.raises(TypeError, match="basis"):
        claim("no basis", True)
    with pytest.raises(ValueError, match="basis"):
        claim("fitted band", True, basis="hindsight")
    evidence.check("nnlib equals torch", True, error=0.0)
    assert capsys.readouterr().out == "· check: nnlib equals torch\n    measured: error = 0\n"
    with pytest.raises(ClaimFailed, match="check does not hold"):
        evidence.check("identity", False)
    assert [c.is_finding for c in evidence.claims_made()] == [False]
