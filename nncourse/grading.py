"""The generic checker behind every exercise.

Presentation module. :func:`check` calls a student's function and the nnlib reference on named
:class:`Case` inputs and explains the first difference: the case, its inputs, what was expected and
what came back, and, when the answer matches a known wrong answer (a :class:`Misconception`), which
mistake it looks like. A stub that still raises ``NotImplementedError`` gets "not implemented
yet"; a student function that calls the reference itself (listed in ``forbid``) is caught and
told so. :func:`check_value` does the same for a single predicted number.

So every checker of the lectures' exercise modules is one call of :func:`check` with its own table
(cases, misconceptions, forbidden references, tolerance, hint): the checkers look alike on purpose,
as a form filled in with different answers, and a tool that pairs code of the same shape lists them.
Logic that two checkers share belongs here.

Instructors can hide the expected values and hints (a student then sees which case fails, the
inputs, their own output and the misconception, but not the reference's answer): set the
environment variable ``NNLIB_EXERCISES_REVEAL=0`` before starting the kernel (a graded release:
``configure(reveal=True)`` then changes nothing), or call ``configure(reveal=False)``. While
nbgrader executes a notebook (autograde, validate) nothing is revealed, whatever the setting.

Grading. Each exercise's hidden test (stripped from the student's copy, restored by
``nbgrader autograde``) calls :func:`grade`: it reloads this module and the lecture's exercise
module (so a submission that rebinds a ``check_...`` name grades against the original), gives
zero with "the library was modified in this notebook" when a public function of torch,
torch.linalg, torch.nn.functional, torch.nn.init, numpy, numpy.linalg, math, builtins or a
loaded nnlib.* / nncourse.* module is no longer the one it was when this module was first
imported, in the lecture's set-up cell (``torch.allclose = torch.equal``: one C function
swapped for another), or when a function of those modules (or a method of a class of the two
packages) has its code outside the installed libraries (a lambda assigned to
``torch.allclose`` or ``nnlib.init.calculate_gain`` in a cell), runs the checker on its cases
*and* on fresh copies of them whose floating inputs are perturbed with noise drawn at grading
time (expected values computed then, after the student's function has returned, and never
printed), compares through
``np.asarray(x, dtype=float)`` and array arithmetic after checking that the answer is plain data
(a tensor, an array, a number, or lists of these: an object whose ``==`` is always true, or whose
``__array__`` reads the expected value from the stack, gets nothing; no library function is
called to compare), never reveals an answer, and raises ``AssertionError`` on failure.

While nbgrader grades (it sets ``NBGRADER_EXECUTION`` in the kernel's environment), importing this
module installs an IPython input transformer that skips the lecture's experiments: every code
cell after the one importing this module up to the one calling :func:`begin_exercises`, and the
exercises' follow-up cells (first line ``# After the experiments``), which measure what the
experiments ran. The exercises need neither, and a submission grades in seconds instead of a
minute. A cell that calls :func:`grade` (a hidden test) always runs, and :func:`begin_exercises`
ends the skip itself when the import and the call share a cell.
``NNLIB_GRADING_SKIP=0`` in the kernel's environment turns the skip off.

What this does not stop (it is best effort, and the docs say so): a swap made before this
module is first imported (in an edited set-up cell, which nbgrader does not lock), a
submission that rewrites this module's snapshot (``_SNAPSHOT``) or patches the
import system, ``importlib.reload``, IPython's traceback display or the interpreter itself; a
solution that calls nnlib's or torch's implementation in a way the ``sys.setprofile`` guard does
not see (``sys.setprofile(None)``, a thread, a private torch helper), or that walks the stack to
the checker's ``reference_fn`` and calls it where ``forbid`` does not list it (the student's
function runs before the reference, so no expected value is on the stack to read). The
autograded notebooks keep the students' code for a human to read.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import re
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
import torch

__all__ = [
    "Case",
    "CheckResult",
    "Misconception",
    "begin_exercises",
    "check",
    "check_value",
    "configure",
    "grade",
    "grading_now",
    "named",
    "reveal_enabled",
    "with_prediction",
]

NOT_IMPLEMENTED = "not implemented yet"
GRADED_TEST = re.compile(r"\bgrade\(")  # the call every hidden test cell makes
GRADING_ENV = "NBGRADER_EXECUTION"  # nbgrader sets it ("autograde", "validate") in the kernel
FOLLOW_UP = "# After the experiments"  # first line of an exercise's follow-up cell
SKIP_ENV = "NNLIB_GRADING_SKIP"  # "0": nbgrader runs the whole lecture (to time the difference)
_SETTINGS: dict = {"reveal": None, "grading": None}


def _environment_hides() -> bool:
    return os.environ.get("NNLIB_EXERCISES_REVEAL", "1").strip().lower() in ("0", "false", "no")


def configure(*, reveal: bool) -> None:
    """Show (``True``) or hide (``False``) expected values and hints in checker feedback.

    Where the environment hides them (``NNLIB_EXERCISES_REVEAL=0``, a graded release),
    ``reveal=True`` is refused with a message and changes nothing."""
    if not isinstance(reveal, bool):
        raise ValueError(f"Invalid reveal: {reveal!r} (must be True or False)")
    if reveal and _environment_hides():
        print("Answers stay hidden: this course hides them (NNLIB_EXERCISES_REVEAL=0).")
        return
    _SETTINGS["reveal"] = reveal


def reveal_enabled() -> bool:
    """Whether feedback shows the reference's answer: never while grading (in :func:`grade`, and
    in every cell while nbgrader executes the notebook, so the feedback cells of an autograded
    notebook, which ``nbgrader generate_feedback`` hands back, show no answer), never where the
    environment hides it, else as :func:`configure` set it (default: shown)."""
    if _SETTINGS["grading"] is not None or grading_now() or _environment_hides():
        return False
    if _SETTINGS["reveal"] is not None:
        return bool(_SETTINGS["reveal"])
    return True


def grading_now() -> bool:
    """Whether nbgrader is executing this kernel (autograde or validate)."""
    return bool(os.environ.get(GRADING_ENV))


def begin_exercises() -> None:
    """Mark the start of a lecture's exercises (while grading, the experiments before it are
    skipped) and say whether feedback shows the expected values."""
    for key, identity in _public_functions().items():  # modules the set-up cells loaded since
        _SNAPSHOT.setdefault(key, identity)
    skip = _installed_skip()
    if skip is not None:  # installed by an import in this very cell, it never saw the cell's source
        skip.state["exercises"] = True
    shown = "shows" if reveal_enabled() else "hides"
    print(f"Feedback {shown} the expected values and hints.")


def grade(module: str, checker: str, *args, **kwargs) -> None:
    """The hidden test of one exercise: ``grade("nncourse.lecture0.exercises",
    "check_cubic_gradient", cubic_gradient)``.

    Reloads ``module`` (so the checker and :func:`check` are the package's, whatever the
    submission rebound), runs the checker with fresh perturbed cases added and answers hidden,
    and raises ``AssertionError`` with the feedback unless every case passes."""
    tampered = _modified_libraries()
    if tampered:
        raise AssertionError(
            f"✗ {checker}: the library was modified in this notebook ({tampered}), so this "
            "exercise cannot be graded and gets no points. Restart the kernel, remove the "
            "assignment to the library's attribute and run the notebook again."
        )
    fresh_module = importlib.reload(importlib.import_module(module))
    _SETTINGS["grading"] = np.random.default_rng()  # fresh entropy: cases nobody saw
    try:
        result = getattr(fresh_module, checker)(*args, **kwargs)
    finally:
        _SETTINGS["grading"] = None
    if type(result).__name__ != "CheckResult" or result.passed is not True:
        raise AssertionError(getattr(result, "message", f"{checker} did not pass"))


_LIBRARIES = ("torch", "torch.nn.functional", "numpy", "builtins")
_PACKAGES = ("nnlib", "nncourse")


def _installed_roots() -> tuple[str, ...]:
    """Folders whose code counts as a library's own: the interpreter's standard library, its
    site-packages, and the folders of torch, numpy, nnlib and nncourse."""
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    for name in ("torch", "numpy", *_PACKAGES):
        file = getattr(sys.modules.get(name), "__file__", None)
        if file:
            roots.add(os.path.dirname(file))
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots)


def _modified_libraries() -> str | None:
    """The first function of torch, torch.nn.functional, numpy, builtins or a loaded nnlib.* or
    nncourse.* module (or of a class those two packages define) whose code lives outside the
    installed libraries, e.g. in a notebook cell: ``torch.allclose = lambda *a, **k: True``.
    None when there is none. A public function rebound to another library function (one C
    function swapped for another: ``torch.allclose = torch.equal``) is found by comparing with
    the snapshot taken when this module was first imported (:func:`_rebound_functions`)."""
    roots = _installed_roots()
    modules = [sys.modules[n] for n in _LIBRARIES if n in sys.modules]
    modules += [
        m
        for n, m in list(sys.modules.items())
        if n.partition(".")[0] in _PACKAGES and isinstance(m, types.ModuleType)
    ]
    swapped = _rebound_functions()
    if swapped:
        return swapped
    own: dict[str, bool] = {}
    for module in modules:
        namespaces = [(module.__name__, vars(module))]
        if module.__name__.partition(".")[0] in _PACKAGES:
            namespaces += [
                (f"{module.__name__}.{v.__qualname__}", vars(v))
                for v in list(vars(module).values())
                if isinstance(v, type) and v.__module__ == module.__name__
            ]
        for prefix, namespace in namespaces:
            for attribute, value in list(namespace.items()):
                value = getattr(value, "__func__", value)
                code = (
                    getattr(value, "__code__", None)
                    if isinstance(value, types.FunctionType)
                    else None
                )
                if code is None:
                    continue
                file = code.co_filename
                if prefix != module.__name__ and file == "<string>" and attribute[:2] == "__":
                    continue  # a method that dataclass or namedtuple wrote
                if file not in own:
                    own[file] = os.path.realpath(file).startswith(roots)
                if not own[file]:
                    return f"`{prefix}.{attribute}` is defined in {file}"
    return None


# modules whose public functions are snapshotted, besides every nnlib.* and nncourse.* module
_SNAPSHOT_MODULES = (
    "builtins",
    "math",
    "numpy",
    "numpy.linalg",
    "torch",
    "torch.linalg",
    "torch.nn.functional",
    "torch.nn.init",
)


def _identity(value):
    """What must not change about a public function: the object itself; for one of nnlib or
    nncourse (whose modules the graded tests reload, which re-creates their functions), its type,
    module and qualified name. A bound method counts as its function (IPython rebinds
    ``builtins.input`` to a fresh bound method for every cell)."""
    value = getattr(value, "__func__", value)
    module = getattr(value, "__module__", None)
    if isinstance(module, str) and module.partition(".")[0] in _PACKAGES:
        return (type(value).__name__, module, getattr(value, "__qualname__", None))
    return value


def _public_functions() -> dict[tuple[str, str], object]:
    """(module, attribute) -> :func:`_identity` for every public callable of the snapshotted
    modules and of every loaded nnlib.* and nncourse.* module."""
    names = [n for n in _SNAPSHOT_MODULES if n in sys.modules]
    names += [n for n in list(sys.modules) if n.partition(".")[0] in _PACKAGES]
    found = {}
    for name in names:
        module = sys.modules.get(name)
        if not isinstance(module, types.ModuleType):
            continue
        for attribute, value in list(vars(module).items()):
            if attribute[:1] == "_" or isinstance(value, types.ModuleType) or not callable(value):
                continue
            found[(name, attribute)] = _identity(value)
    return found


def _wraps(now, before) -> bool:
    """Whether ``now`` is ``before`` or a wrapper of it (``functools.wraps``): importing
    ``torch._dynamo`` rewraps ``torch.manual_seed``, a library's own change, not a swap. (A
    wrapper written in a cell is found by the check of where functions are defined.)"""
    for _ in range(8):
        if now is before:
            return True
        now = getattr(now, "__wrapped__", None)
        if now is None:
            return False
    return False


def _rebound_functions() -> str | None:
    """The first public function that is no longer the one the snapshot holds (the snapshot is
    taken when this module is first imported, in a lecture's set-up cell, before any solution
    cell runs, and extended by :func:`begin_exercises`): ``torch.allclose = torch.equal``."""
    snapshot = globals().get("_SNAPSHOT")
    if not isinstance(snapshot, dict) or not snapshot:
        return "the grader's record of the libraries' functions was removed"
    current = _public_functions()
    for key, before in snapshot.items():
        if key not in current:
            continue
        now = current[key]
        both_named = isinstance(before, tuple) and isinstance(now, tuple)
        if not (before == now if both_named else _wraps(now, before)):
            value = getattr(sys.modules[key[0]], key[1], None)
            name = getattr(value, "__name__", type(value).__name__)
            return f"`{key[0]}.{key[1]}` was rebound to another function, `{name}`"
    return None


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a check. Truthy when every case passed; displays as its message."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message


class Case:
    """One named set of inputs: ``Case("a batch of one", x, 1e-5)``."""

    def __init__(self, label: str, *args) -> None:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"Invalid label: {label!r} (must be a non-empty string)")
        self.label = label
        self.args = args

    def __repr__(self) -> str:
        return f"Case({self.label!r})"


@dataclass(frozen=True)
class Misconception:
    """A known wrong answer: ``fn`` takes the reference's arguments and returns what a student
    with this misunderstanding would return; ``description`` says the mistake in words."""

    description: str
    fn: Callable


def named(fn: Callable, description: str) -> Callable:
    """Attach a readable description to a function passed as a case input (e.g. a loss).

    Bound methods and builtins cannot take attributes, so they are wrapped in a function first."""
    try:
        fn.description = description
    except AttributeError:
        original = fn

        def fn(*args, **kwargs):
            return original(*args, **kwargs)

        fn.description = description
    return fn


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=12, edgeitems=3):
            return f"array of shape {value.shape}: {value}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if callable(value) and not isinstance(value, type):
        description = getattr(value, "description", None)
        if description:
            return str(description)
        name = getattr(value, "__qualname__", None) or type(value).__name__
        return "a lambda function" if "<lambda>" in name else f"function {name}"
    return repr(value)


def _plain_data(value) -> bool:
    """Whether ``value`` is plain numeric data, of exactly these types: a tensor, an array of
    numbers, a Python or numpy number, or a list or tuple of these. Anything else could compute
    when it is read (a class whose ``__array__`` looks for the expected value on the stack while
    the answer is compared), so it is refused before it is read."""
    kind = type(value)
    if kind in (torch.Tensor, torch.nn.Parameter, bool, int, float):
        return True
    if kind is np.ndarray:
        return value.dtype != object
    if isinstance(value, np.generic):  # numpy's own scalar types only
        return kind.__module__ == "numpy" and not isinstance(value, np.object_)
    if kind in (list, tuple):
        return all(_plain_data(item) for item in value)
    return False


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
    if isinstance(expected, torch.Tensor | np.ndarray | Real):
        if not _plain_data(got):
            return f"expected a number, tensor or array, got {type(got).__name__}"
        try:
            got_a = np.asarray(got.detach().cpu() if isinstance(got, torch.Tensor) else got)
            if got_a.dtype != bool:
                got_a = np.asarray(got_a, dtype=float)  # an object whose == is always true fails
            got_t = torch.as_tensor(got_a)
        except (TypeError, ValueError, RuntimeError):
            return f"expected a number or tensor, got {type(got).__name__}"
        expected_t = torch.as_tensor(np.asarray(expected))
        if got_t.shape != expected_t.shape:
            return f"expected shape {tuple(expected_t.shape)}, got shape {tuple(got_t.shape)}"
        got_n, expected_n = got_t.numpy(), expected_t.numpy()
        if got_n.dtype == bool or expected_n.dtype == bool:
            same = (got_n.astype(bool) == expected_n.astype(bool)).all()
            return None if same else "values differ"
        # array arithmetic only (no library function a notebook could have replaced)
        got_n, expected_n = got_n.astype(float), expected_n.astype(float)
        with np.errstate(all="ignore"):  # infinities: inf - inf is nan, and equal infinities agree
            gap = abs(got_n - expected_n)
            both_nan = (got_n != got_n) & (expected_n != expected_n)
            close = (gap <= atol + rtol * abs(expected_n)) | both_nan | (got_n == expected_n)
        if not close.all():
            if not reveal_enabled():  # the gap and the student's value would give the answer
                if close.size == 1:
                    return "values differ"
                return f"values differ ({int((~close).sum())} of {close.size})"
            worst = float(gap[~close].max())
            return f"values differ (largest gap {worst:.3g})"
        return None
    if type(got) is not type(expected):
        return f"expected a {type(expected).__name__}, got {type(got).__name__}"
    return None if got == expected else "values differ"


def _codes(forbid: Sequence) -> dict:
    """Code objects (Python functions) and objects (C functions) that count as forbidden calls."""
    codes = {}
    for fn in forbid:
        targets = [fn]
        if isinstance(fn, type):
            targets = [getattr(fn, "__init__", None), getattr(fn, "forward", None)]
        for target in targets:
            target = getattr(target, "__func__", target)
            # decorators such as torch.no_grad share one wrapper code object: look beneath them
            target = inspect.unwrap(target) if callable(target) else target
            code = getattr(target, "__code__", None)
            if code is not None:
                codes[code] = fn
            elif target is not None:
                codes[id(target)] = fn
    return codes


def _qualified(fn) -> str:
    module = getattr(fn, "__module__", "") or ""
    return f"{module}.{getattr(fn, '__qualname__', repr(fn))}".lstrip(".")


def _call_watching(student_fn: Callable, args: Sequence, forbid: Sequence):
    """Call ``student_fn(*args)``; return (result, the forbidden function it called or None)."""
    codes = _codes(forbid)
    if not codes:
        return student_fn(*args), None
    seen: list = []

    def profiler(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            seen.append(codes[frame.f_code])
        elif event == "c_call" and id(arg) in codes:
            seen.append(codes[id(arg)])

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = student_fn(*args)
    finally:
        sys.setprofile(previous)
    return result, (seen[0] if seen else None)


def _label(case, number: int) -> tuple[str, tuple]:
    if isinstance(case, Case):
        return f"case {number} ({case.label})", case.args
    return f"case {number}", tuple(case)


def _recognise(misconceptions, args, got, expected, atol, rtol) -> str | None:
    for mistake in misconceptions:
        try:
            wrong = mistake.fn(*_copy(args))
        except Exception:  # a misconception that cannot run on this case says nothing
            continue
        if _mismatch(expected, wrong, atol, rtol) is None:
            continue  # this mistake gives the right answer here: no evidence either way
        if _mismatch(wrong, got, atol, rtol) is None:
            return mistake.description
    return None


def _not_implemented(name: str) -> CheckResult:
    return CheckResult(
        False,
        f"⏳ {name}: {NOT_IMPLEMENTED}. Replace `raise NotImplementedError` with your code "
        "and run the cell again.",
    )


def check(
    student_fn: Callable,
    reference_fn: Callable,
    cases: Iterable,
    *,
    name: str,
    misconceptions: Sequence[Misconception] = (),
    forbid: Sequence[Callable] = (),
    atol: float = 1e-6,
    rtol: float = 1e-5,
    hint: str = "",
    fresh: bool = True,
) -> CheckResult:
    """Call ``student_fn`` and ``reference_fn`` on each case and compare.

    ``cases`` holds :class:`Case` objects (or plain argument tuples). Stops at the first failing
    case and explains it. Inputs are copied for each call, so a function that changes its
    arguments in place cannot spoil the comparison; the student's function runs before the
    reference, so no expected value exists while student code runs. ``misconceptions`` are
    tried on the failing case; ``forbid`` lists reference functions the student's code must not
    call. While grading, each case also runs on a perturbed copy (``fresh=False``: not, for
    cases that sit on a boundary a perturbation could cross, such as a learning rate just above
    its limit).
    """
    cases = list(cases)
    if not cases:
        raise ValueError("Invalid cases: need at least one case")
    if _SETTINGS["grading"] is not None and fresh:
        cases = cases + _fresh_cases(cases, _SETTINGS["grading"])
    for number, case in enumerate(cases, start=1):
        label, args = _label(case, number)
        # the student's function runs first, on its own copies, so no reference answer exists
        # on the stack while it runs (a solution that walks the caller's frames finds none)
        try:
            got, called = _call_watching(student_fn, _copy(args), forbid)
            error = None
        except Exception as raised:
            got, called, error = None, None, raised
        try:
            expected = reference_fn(*_copy(args))
        except Exception:
            if getattr(case, "fresh", False):
                continue  # a perturbation the reference does not accept: not a test
            raise
        if isinstance(error, NotImplementedError):
            return _not_implemented(name)
        if error is not None:  # the student should see any error, explained
            inputs = ", ".join(_describe(a) for a in args)
            return CheckResult(
                False,
                f"✗ {name}: {label} raised {type(error).__name__}: {error}\n  inputs: {inputs}",
            )
        if called is not None:
            return CheckResult(
                False,
                f"✗ {name}: your function calls `{_qualified(called)}`, the function this "
                "exercise asks you to write. Write the computation yourself.",
            )
        reason = _mismatch(expected, got, atol, rtol)
        if reason:
            return _explain(
                f"✗ {name}: {label} of {len(cases)} is wrong: {reason}.",
                mistake=_recognise(misconceptions, args, got, expected, atol, rtol),
                inputs=args,
                expected=expected,
                got=got,
                hint=hint,
            )
    return CheckResult(True, f"✓ {name}: all {len(cases)} cases pass.")


_EXPLANATION = re.compile(r"[:;] |,? but |, which |, not | instead of | without ")
# a bracketed remark in words, "(the loss shrinks as T grows)"; not a formula such as
# "(kappa - 1)/(kappa + 1)" or "(1 - p)", which names what the student computed
_BRACKETED = re.compile(r" \((?=[a-z]{2})[^()]*\)(?=$|[\s,.;:])")


def _hide_explanation(mistake: str) -> str:
    """A mistake's description without its explanation: bracketed remarks in words removed,
    then cut where the explanation starts (see :func:`_explain`)."""
    return _EXPLANATION.split(_BRACKETED.sub("", mistake), maxsplit=1)[0]


def _explain(headline: str, *, mistake, inputs, expected, got, hint: str) -> CheckResult:
    """A failing result: the headline, the recognised mistake, inputs, expected (if revealed)
    and got, and the hint (if revealed). With answers hidden, a mistake's description is cut
    where its explanation starts (a colon, a semicolon, ", but", ", which", ", not", "instead
    of", "without") and loses its bracketed remarks in words: "you returned 1/L: the limit is
    2/L" and "you left out T² (the loss shrinks as T grows)" name the mistake only."""
    reveal = reveal_enabled()
    lines = [headline]
    if mistake and not reveal:  # the mistake, without the explanation that gives the answer
        mistake = _hide_explanation(mistake)
    if mistake:
        lines.append(f"  this looks like a known mistake: {mistake}")
    if inputs:
        lines.append("  inputs:\n    " + "\n    ".join(_describe(a) for a in inputs))
    if reveal:
        lines.append(f"  expected: {_describe(expected)}")
    lines.append(f"  got:      {_describe(got)}")
    if hint and reveal:
        lines.append(f"  hint: {hint}")
    return CheckResult(False, "\n".join(lines))


def check_value(
    student,
    expected,
    *,
    name: str,
    misconceptions: Mapping[str, object] | None = None,
    atol: float = 0.0,
    rtol: float = 0.05,
    hint: str = "",
) -> CheckResult:
    """Compare one predicted value (or a zero-argument function returning it) with ``expected``.

    ``expected`` may be a zero-argument function computing it: it then runs only after the
    student's function has returned (and the student's function may not call it), so no answer
    exists on the stack while student code runs. ``misconceptions`` maps a description of a
    mistake to the value that mistake produces.
    """
    if callable(student):
        forbid = [expected] if callable(expected) else []
        try:
            student, called = _call_watching(student, (), forbid)
        except NotImplementedError:
            return _not_implemented(name)
        except Exception as error:
            return CheckResult(False, f"✗ {name}: raised {type(error).__name__}: {error}")
        if called is not None:
            return CheckResult(
                False, f"✗ {name}: your function calls the checker's own computation of the answer."
            )
    if callable(expected):
        expected = expected()
    reason = _mismatch(expected, student, atol, rtol)
    if reason is None:
        return CheckResult(True, f"✓ {name}: your value agrees.")
    mistake = next(
        (
            description
            for description, wrong in (misconceptions or {}).items()
            if _mismatch(expected, wrong, atol, rtol)
            and _mismatch(wrong, student, atol, rtol) is None
        ),
        None,
    )
    return _explain(
        f"✗ {name}: your value is off: {reason}.",
        mistake=mistake,
        inputs=(),
        expected=expected,
        got=student,
        hint=hint,
    )


def with_prediction(
    result: CheckResult,
    prediction,
    expected,
    *,
    name: str,
    misconceptions: Mapping[str, object] | None = None,
    atol: float = 0.0,
    rtol: float = 1e-9,
) -> CheckResult:
    """An exercise's ``result`` combined with the check of the number it asked the student to
    predict (``prediction``: a zero-argument function returning it, graded by
    :func:`check_value`; ``expected``: best a zero-argument function computing the answer, which
    then runs after the prediction). Both must pass; the feedback shows both."""
    predicted = check_value(
        prediction, expected, name=name, misconceptions=misconceptions, atol=atol, rtol=rtol
    )
    return CheckResult(bool(result) and bool(predicted), f"{result.message}\n{predicted.message}")


def _perturb(value, rng: np.random.Generator):
    """``value`` with each floating entry scaled by 1 + 0.1 % noise (zeros, integers, booleans,
    and everything that is not a float, a float array or a float tensor stay as they are)."""
    if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel():
        noise = torch.as_tensor(rng.standard_normal(tuple(value.shape)), dtype=value.dtype)
        return (value.detach() * (1 + 1e-3 * noise)).requires_grad_(value.requires_grad)
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating) and value.size:
        return value * (1 + 1e-3 * rng.standard_normal(value.shape))
    if isinstance(value, float):
        return value * (1 + 1e-3 * float(rng.standard_normal()))
    return value


def _fresh_cases(cases: Sequence, rng: np.random.Generator) -> list:
    """A perturbed copy of each case, drawn at grading time."""
    fresh = []
    for number, case in enumerate(cases, start=1):
        _, args = _label(case, number)
        label = case.label if isinstance(case, Case) else f"case {number}"
        copy = Case(f"{label}, inputs drawn while grading", *(_perturb(a, rng) for a in args))
        copy.fresh = True
        fresh.append(copy)
    return fresh


def _install_grading_skip() -> None:
    """While nbgrader grades, skip the lecture's experiments (see the module's docstring)."""
    if not grading_now() or os.environ.get(SKIP_ENV, "1").strip() == "0":
        return
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or any(
        getattr(t, "nncourse_skip", False) for t in shell.input_transformers_cleanup
    ):
        return
    state = {"exercises": False}

    def skip_experiments(lines: list[str]) -> list[str]:
        source = "".join(lines)
        if "begin_exercises(" in source:
            state["exercises"] = True
            return lines
        if GRADED_TEST.search(source):  # a hidden test always runs: skipped, it would pass
            return lines
        if not state["exercises"] or source.lstrip().startswith(FOLLOW_UP):
            return ["pass  # skipped while nbgrader grades: the exercises do not need it\n"]
        return lines

    skip_experiments.nncourse_skip = True
    skip_experiments.state = state  # begin_exercises() sets it too: see there
    shell.input_transformers_cleanup.append(skip_experiments)


def _installed_skip():
    """The skip transformer installed in this kernel, or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    cleanup = getattr(shell, "input_transformers_cleanup", [])
    return next((t for t in cleanup if getattr(t, "nncourse_skip", False)), None)


_install_grading_skip()
# the identities of the libraries' public functions before any solution cell runs; a reload of
# this module (every graded test reloads it) keeps the first snapshot
_SNAPSHOT: dict = globals()["_SNAPSHOT"] if "_SNAPSHOT" in globals() else _public_functions()


def _copy(args: Sequence) -> list:
    """Fresh copies of a case's inputs: tensors cloned, anything else (a model, a list) deep-
    copied where it can be, so what one call changes in place no other call sees."""
    return [a.clone() if isinstance(a, torch.Tensor) else _deep_copy(a) for a in args]


def _deep_copy(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # an object that cannot be copied is passed as it is
        return value
