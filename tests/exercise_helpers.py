"""Helpers shared by the exercise-checker tests (pytest puts tests/ on the import path)."""


def stub(*args):
    """A student's untouched exercise: it still raises NotImplementedError."""
    raise NotImplementedError


def assert_named(result, words):
    """The check failed and its feedback names a known mistake containing ``words``."""
    assert not result
    assert "known mistake" in result.message and words in result.message, result.message
