"""Findings and checks: each sentence stating a measured result is checked where it is measured.

A notebook backs a sentence such as "BN reaches the plain network's best accuracy at 20x its
learning rate" with a *finding*, a measured result that could have come out the other way:

>>> claim("the gap is below one point", gap < 0.01, basis="control", gap=gap)   # doctest: +SKIP
✓ the gap is below one point [control]
    measured: gap = 0.0042

``basis`` says where the threshold comes from, and is one of :data:`BASES`:

* ``"theory"``: a formula or theorem, named in the statement or a comment beside the call;
* ``"prediction"``: a number computed before the measurement, in an earlier cell;
* ``"control"``: a baseline or control run in the same experiment;
* ``"statistics"``: a test over seeds (:mod:`nncourse.stats`: a paired t-interval, a one-sided
  t-test, a sign count).

A band chosen after seeing the number is none of these. A sanity identity (nnlib equals torch, an
algebraic fact, a bookkeeping property) is a :func:`check`, printed differently, and is not
evidence.

When ``holds`` is false the call raises :class:`ClaimFailed`, naming the statement and the
values, so a notebook whose prose is contradicted by its own numbers fails ``make test`` (and
``make replicate``, which reruns it on new seeds). The measured values are printed on their own
line for the reader, rounded to ``sig`` significant digits; the nbval sanitizer masks that line,
because the finding itself asserts what matters about the numbers, and their last digits depend
on the CPU.

:func:`claims_made` lists the findings and checks so far in this Python process and
:func:`summary` prints the findings, numbered, for a lecture's summary section.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

__all__ = [
    "BASES",
    "FINDING_LINE",
    "Claim",
    "ClaimFailed",
    "check",
    "claim",
    "claims_made",
    "format_value",
    "reset",
    "summary",
]

BASES = ("theory", "prediction", "control", "statistics")
# a finding as printed: "✓ statement [basis]" (an exercise checker's ✓ line names no basis)
FINDING_LINE = re.compile(rf"✓ .* \[({'|'.join(BASES)})\]$")
MEASURED_PREFIX = "\n    measured: "


class ClaimFailed(AssertionError):
    """A claim's condition is false: the evidence contradicts the statement."""


@dataclass(frozen=True)
class Claim:
    """One checked statement, the values measured for it, and its basis (None for a check)."""

    statement: str
    measured: str
    basis: str | None = None

    @property
    def is_finding(self) -> bool:
        return self.basis is not None

    def headline(self) -> str:
        if self.is_finding:
            return f"✓ {self.statement} [{self.basis}]"
        return f"· check: {self.statement}"

    def __str__(self) -> str:
        line = self.headline()
        return f"{line}{MEASURED_PREFIX}{self.measured}" if self.measured else line


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


def _record(statement, holds, basis, sig, measured) -> None:
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"Invalid statement: {statement!r} (must be a non-empty sentence)")
    if isinstance(sig, bool) or not isinstance(sig, Integral) or not 1 <= sig <= 17:
        raise ValueError(f"Invalid sig: {sig!r} (must be an integer in 1..17)")
    ok = _as_bool(holds)
    values = ", ".join(f"{name} = {format_value(v, sig)}" for name, v in measured.items())
    record = Claim(statement.strip(), values, basis)
    if not ok:
        kind = "finding" if basis else "check"
        raise ClaimFailed(f"✗ {kind} does not hold: {record.statement}\n  measured: {values}")
    _CLAIMS.append(record)
    print(record)


def claim(statement: str, holds, *, basis: str, sig: int = 3, **measured) -> None:
    """Check a finding: print ``✓ statement [basis]`` and the measured values, or raise.

    Args:
        statement: the sentence the evidence supports, as the reader will read it.
        holds: the condition that makes the statement true (a bool, or a one-element bool
            tensor/array). It must be able to fail.
        basis: where the condition's threshold comes from, one of :data:`BASES`.
        sig: significant digits of the printed values (the values are only shown).
        **measured: the numbers the condition was computed from.

    Raises:
        ClaimFailed: when ``holds`` is false; the message names the statement and the values.
        ValueError: for an empty statement, an unknown ``basis``, a non-boolean ``holds`` or
            ``sig`` outside 1..17.
    """
    if basis not in BASES:
        raise ValueError(f"Invalid basis: {basis!r} (must be one of {', '.join(BASES)})")
    _record(statement, holds, basis, sig, measured)


def check(statement: str, holds, *, sig: int = 3, **measured) -> None:
    """Check a sanity identity (nnlib equals torch, an algebraic fact, a bookkeeping property):
    print ``· check: statement`` and the values, or raise :class:`ClaimFailed`. Not evidence."""
    _record(statement, holds, None, sig, measured)


def claims_made() -> list[Claim]:
    """The claims checked so far in this process, in order (a copy)."""
    return list(_CLAIMS)


def reset() -> None:
    """Forget the claims checked so far (a notebook's first cell may call it)."""
    _CLAIMS.clear()


def summary() -> None:
    """Print every finding checked so far, numbered, with its basis and without the values, and
    how many checks held beside them."""
    findings = [c for c in _CLAIMS if c.is_finding]
    checks = len(_CLAIMS) - len(findings)
    if not findings:
        print("No findings were checked in this session.")
    else:
        print(f"{len(findings)} findings in this notebook:")
        for number, record in enumerate(findings, start=1):
            print(f"{number:>3}. {record.headline()}")
    if checks:
        print(f"(and {checks} sanity checks, which are not evidence)")
