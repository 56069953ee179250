import torch

from nncourse.grading import check


def _square(x):
    return x**2


def test_correct_function_passes():
    result = check(lambda x: x * x, _square, [(torch.tensor([1.0, 2.0]),), (3.0,)], name="square")
    assert result
    assert repr(result) == "✓ square: all 2 cases pass."


def test_stub_gets_a_friendly_not_implemented_message():
    def stub(x):
        raise NotImplementedError

    result = check(stub, _square, [(1.0,)], name="square")
    assert not result
    assert "not implemented yet" in result.message
    assert "Traceback" not in result.message


def test_first_mismatch_is_explained_with_inputs_expected_and_got():
    result = check(
        lambda x: x * 2, _square, [(2.0,), (3.0,)], name="square", hint="multiply x by x"
    )
    assert not result
    message = result.message
    assert "case 2 of 2" in message
    assert "inputs" in message and "3" in message
    assert "expected: 9" in message and "got:      6" in message
    assert "hint: multiply x by x" in message


def test_shape_mismatch_and_exceptions_are_reported():
    wrong_shape = check(lambda x: x.sum(), _square, [(torch.ones(3),)], name="square")
    assert "expected shape (3,), got shape ()" in wrong_shape.message
    crashing = check(lambda x: x.nope(), _square, [(torch.ones(3),)], name="square")
    assert "raised AttributeError" in crashing.message


def test_inputs_are_protected_from_in_place_changes():
    def sneaky(x):
        x.mul_(0)
        return x**2

    assert not check(sneaky, _square, [(torch.tensor([2.0]),)], name="square")
