"""Claims as code: every sentence that states a measured result is checked where it is measured.

Foundation module (imports nothing else from nnlib). A notebook backs a sentence such as "BN
reaches the plain network's best accuracy at 20x its learning rate" with

>>> claim("the gap is below one point", gap < 0.01, gap=gap)   # doctest: +SKIP
✓ the gap is below one point | measured: gap = 0.0042

The line prints a check mark, the statement and the measured values, rounded to ``sig``
significant digits (3 unless given). When ``holds`` is false the claim raises
:class:`ClaimFailed`, which names the statement and the values, so a notebook whose prose is
contradicted by its own numbers fails ``make test`` on any machine.

The measured values are shown for the reader; the statement and the check mark are what must
repeat. The nbval sanitizer masks the text after ``| measured:`` because the claim itself asserts
what matters about those numbers, and their last digits depend on the CPU.

:func:`claims_made` lists the claims checked so far in this Python process and
:func:`summary` prints them, numbered, for a lecture's summary section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

__all__ = ["Claim", "ClaimFailed", "claim", "claims_made", "format_value", "reset", "summary"]

MEASURED_SEPARATOR = " | measured: "


class ClaimFailed(AssertionError):
    """A claim's condition is false: the evidence contradicts the statement."""


@dataclass(frozen=True)
class Claim:
    """One checked statement and the values that were measured for it."""

    statement: str
    measured: str

    def __str__(self) -> str:
        line = f"✓ {self.statement}"
        return f"{line}{MEASURED_SEPARATOR}{self.measured}" if self.measured else line


_CLAIMS: list[Claim] = []


def format_value(value, sig: int = 3) -> str:
    """``value`` rounded to ``sig`` significant digits (elementwise for sequences and arrays).

    Booleans and integers print exactly, strings as they are; floats in ``%g`` style, so
    ``0.000123456`` prints as ``0.000123`` and ``123456.0`` as ``1.23e+05``.
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        value = value.item() if value.ndim == 0 else value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str | Integral):
        return str(value)
    if isinstance(value, Real):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.{sig}g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v, sig)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v, sig) for v in value) + "]"
    return str(value)


def _as_bool(holds) -> bool:
    if isinstance(holds, bool | np.bool_):
        return bool(holds)
    if isinstance(holds, torch.Tensor) and holds.dtype == torch.bool and holds.numel() == 1:
        return bool(holds.item())
    if isinstance(holds, np.ndarray) and holds.dtype == np.bool_ and holds.size == 1:
        return bool(holds.item())
    raise ValueError(
        f"Invalid holds: {holds!r} (must be a bool, e.g. `gap < 0.01` or `bool((a < b).all())`)"
    )


def claim(statement: str, holds, *, sig: int = 3, **measured) -> None:
    """Check ``holds`` and print ``✓ statement | measured: name = value, ...``.

    Args:
        statement: the sentence the evidence supports, as the reader will read it.
        holds: the condition that makes the statement true (a bool, or a one-element bool
            tensor/array). It must be able to fail: compare with a threshold justified by the
            seed spread, never with the measurement itself.
        sig: significant digits of the printed values (the values are only shown).
        **measured: the numbers the condition was computed from.

    Raises:
        ClaimFailed: when ``holds`` is false; the message names the statement and the values.
        ValueError: for an empty statement, a non-boolean ``holds`` or ``sig`` outside 1..17.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"Invalid statement: {statement!r} (must be a non-empty sentence)")
    if isinstance(sig, bool) or not isinstance(sig, Integral) or not 1 <= sig <= 17:
        raise ValueError(f"Invalid sig: {sig!r} (must be an integer in 1..17)")
    ok = _as_bool(holds)
    values = ", ".join(f"{name} = {format_value(v, sig)}" for name, v in measured.items())
    record = Claim(statement.strip(), values)
    if not ok:
        raise ClaimFailed(f"✗ claim does not hold: {record.statement}\n  measured: {values}")
    _CLAIMS.append(record)
    print(record)


def claims_made() -> list[Claim]:
    """The claims checked so far in this process, in order (a copy)."""
    return list(_CLAIMS)


def reset() -> None:
    """Forget the claims checked so far (a notebook's first cell may call it)."""
    _CLAIMS.clear()


def summary() -> None:
    """Print every claim checked so far, numbered, without the measured values."""
    if not _CLAIMS:
        print("No claims were checked in this session.")
        return
    print(f"{len(_CLAIMS)} claims checked in this notebook:")
    for number, record in enumerate(_CLAIMS, start=1):
        print(f"{number:>3}. ✓ {record.statement}")
