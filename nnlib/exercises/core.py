"""The generic checker behind every exercise."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["CheckResult", "check"]

NOT_IMPLEMENTED = "not implemented yet"


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a check. Truthy when every case passed; displays as its message."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=12, edgeitems=3):
            return f"array of shape {value.shape}: {value}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _mismatch(expected, got, atol: float, rtol: float) -> str | None:
    """Why ``got`` differs from ``expected`` (None if they agree)."""
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            return f"expected a sequence of {len(expected)} items, got {_describe(got)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            reason = _mismatch(e, g, atol, rtol)
            if reason:
                return f"item {i}: {reason}"
        return None
    if isinstance(expected, torch.Tensor | np.ndarray | float | int):
        try:
            got_t = torch.as_tensor(
                np.asarray(got.detach() if isinstance(got, torch.Tensor) else got)
            )
        except (TypeError, ValueError, RuntimeError):
            return f"expected a number or tensor, got {type(got).__name__}"
        expected_t = torch.as_tensor(np.asarray(expected))
        if got_t.shape != expected_t.shape:
            return f"expected shape {tuple(expected_t.shape)}, got shape {tuple(got_t.shape)}"
        if not torch.allclose(
            got_t.double(), expected_t.double(), atol=atol, rtol=rtol, equal_nan=True
        ):
            worst = (got_t.double() - expected_t.double()).abs().max().item()
            return (
                f"values differ (largest gap {worst:.3g}; allowed {atol:g} + {rtol:g}*|expected|)"
            )
        return None
    return None if got == expected else "values differ"


def check(
    student_fn: Callable,
    reference_fn: Callable,
    cases: Iterable[Sequence],
    *,
    name: str,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    hint: str = "",
) -> CheckResult:
    """Call ``student_fn(*case)`` and ``reference_fn(*case)`` for each case and compare.

    Stops at the first failing case and explains it; inputs are cloned for each call so a
    function that changes its arguments in place cannot spoil the comparison.
    """
    cases = list(cases)
    for number, case in enumerate(cases, start=1):
        expected = reference_fn(*_copy(case))
        try:
            got = student_fn(*_copy(case))
        except NotImplementedError:
            return CheckResult(
                False,
                f"⏳ {name}: {NOT_IMPLEMENTED}. Replace `raise NotImplementedError` with your code "
                "and run the cell again.",
            )
        except Exception as error:  # the student should see any error, explained
            inputs = ", ".join(_describe(a) for a in case)
            return CheckResult(
                False,
                f"✗ {name}: case {number} raised {type(error).__name__}: {error}\n"
                f"  inputs: {inputs}",
            )
        reason = _mismatch(expected, got, atol, rtol)
        if reason:
            inputs = "\n    ".join(_describe(a) for a in case)
            lines = [
                f"✗ {name}: case {number} of {len(cases)} is wrong: {reason}.",
                f"  inputs:\n    {inputs}",
                f"  expected: {_describe(expected)}",
                f"  got:      {_describe(got)}",
            ]
            if hint:
                lines.append(f"  hint: {hint}")
            return CheckResult(False, "\n".join(lines))
    return CheckResult(True, f"✓ {name}: all {len(cases)} cases pass.")


def _copy(case: Sequence) -> list:
    return [a.clone() if isinstance(a, torch.Tensor) else a for a in case]
