"""The graded path of the exercises: ``grade`` (the hidden tests' call) and the skip of the
experiments while nbgrader grades."""

import contextlib
import io
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from exercise_helpers import distillation_loss_by_hand

from nncourse import grading
from nncourse.grading import Case, CheckResult, Misconception, check


def _square(x):
    return x**2


def check_square(student_fn):
    """A checker as the lectures write them: one call of ``check`` with its table."""
    return check(
        student_fn,
        _square,
        [Case("a vector", torch.tensor([1.0, -2.0, 3.0])), Case("a float", 1.5)],
        name="square",
        misconceptions=[Misconception("you doubled x: squaring is x times x", lambda x: 2 * x)],
    )


@pytest.fixture
def lecture(monkeypatch):
    """A lecture's exercise module, importable by name, as ``grade`` reloads it."""
    module = types.ModuleType("fake_lecture_exercises")
    module.__file__ = __file__
    module.check_square = check_square
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(grading.importlib, "reload", lambda m: m)
    return module.__name__


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    __hash__ = object.__hash__


def test_a_right_answer_passes_its_graded_test(lecture):
    grading.grade(lecture, "check_square", lambda x: x * x)


def test_a_wrong_answer_fails_with_the_mistake_named_and_no_answer(lecture):
    with pytest.raises(AssertionError) as failure:
        grading.grade(lecture, "check_square", lambda x: 2 * x)
    message = str(failure.value)
    assert "known mistake: you doubled x" in message
    assert "x times x" not in message and "expected:" not in message


def test_an_object_equal_to_everything_gets_nothing(lecture):
    with pytest.raises(AssertionError):
        grading.grade(lecture, "check_square", lambda x: AlwaysEqual())
    with pytest.raises(AssertionError):
        grading.grade(lecture, "check_square", lambda x: [AlwaysEqual()] * 3)


def test_answers_stored_for_the_visible_cases_fail_the_fresh_ones(lecture):
    stored = {1.5: 2.25}

    def lookup(x):
        if isinstance(x, float):
            return stored.get(x, 0.0)
        return torch.tensor([1.0, 4.0, 9.0])

    assert check_square(lookup)  # the visible cases pass
    with pytest.raises(AssertionError, match="drawn while grading"):
        grading.grade(lecture, "check_square", lookup)


def test_grading_hides_answers_whatever_the_student_configured(lecture):
    grading.configure(reveal=True)
    try:
        with pytest.raises(AssertionError) as failure:
            grading.grade(lecture, "check_square", lambda x: x + 1)
    finally:
        grading._SETTINGS["reveal"] = None
    assert "expected:" not in str(failure.value)
    assert grading._SETTINGS["grading"] is None, "grading mode ends with the call"


def test_a_failing_checker_result_of_another_kind_is_not_accepted(lecture, monkeypatch):
    monkeypatch.setattr(sys.modules[lecture], "check_square", lambda fn: AlwaysEqual())
    with pytest.raises(AssertionError):
        grading.grade(lecture, "check_square", lambda x: x * x)


def test_fresh_cases_perturb_floats_only():
    rng = np.random.default_rng(0)
    x, n, flag = torch.tensor([1.0, 0.0, -2.0]), 7, torch.tensor([True, False])
    (fresh,) = grading._fresh_cases([Case("c", x, n, flag, 0.5)], rng)
    new_x, new_n, new_flag, new_float = fresh.args
    assert not torch.equal(new_x, x) and new_x[1] == 0 and torch.all(new_x.sign() == x.sign())
    assert new_n == 7 and torch.equal(new_flag, flag)
    assert new_float != 0.5 and abs(new_float - 0.5) < 0.005


class _Shell:
    def __init__(self):
        self.input_transformers_cleanup = []


def _fake_shell(monkeypatch) -> _Shell:
    """An IPython stand-in whose ``get_ipython()`` is a shell with no transformers."""
    shell = _Shell()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    return shell


def test_while_grading_the_experiments_and_follow_ups_are_skipped(monkeypatch):
    shell = _fake_shell(monkeypatch)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    grading._install_grading_skip()
    grading._install_grading_skip()  # a reload installs nothing twice
    (skip,) = shell.input_transformers_cleanup
    run = lambda source: "".join(skip(source.splitlines(keepends=True)))  # noqa: E731
    assert run("train_for_a_minute()\n").startswith("pass")
    assert run("begin_exercises()\n") == "begin_exercises()\n"
    assert run("def f(x):\n    return x\n") == "def f(x):\n    return x\n"
    assert run("# After the experiments: yours\nprint(runs)\n").startswith("pass")


def test_a_hidden_test_is_never_skipped_and_a_late_install_still_ends_the_skip(monkeypatch):
    """Installed by an import in the cell that calls begin_exercises() (the transformer never saw
    that cell), the skip would pass every later cell, the hidden tests included: an untouched
    release would get full points. begin_exercises() ends the skip itself, and a cell calling
    grade() always runs."""
    shell = _fake_shell(monkeypatch)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    grading._install_grading_skip()
    (skip,) = shell.input_transformers_cleanup
    run = lambda source: "".join(skip(source.splitlines(keepends=True)))  # noqa: E731
    test_cell = 'grade("nncourse.lecture0.exercises", "check_x", x)\n'
    assert run(test_cell) == test_cell, "a hidden test runs even among the experiments"
    assert run("upgrade(net)\n").startswith("pass"), "only the call grade( counts"
    assert run("def f(x):\n    return x\n").startswith("pass")
    with contextlib.redirect_stdout(io.StringIO()):
        grading.begin_exercises()  # the cell's source was never seen by the transformer
    assert run("def f(x):\n    return x\n") == "def f(x):\n    return x\n"


def test_hidden_answers_give_no_gap_to_the_answer(monkeypatch):
    # the gap and the student's own value would give the expected value in two tries
    assert "largest gap" in check_square(lambda x: x * x + 0.5).message
    monkeypatch.setenv("NNLIB_EXERCISES_REVEAL", "0")
    result = check_square(lambda x: x * x + 0.5)
    assert "largest gap" not in result.message and "0.5" not in result.message.split("got")[0]
    assert "values differ (3 of 3)" in result.message
    predicted = grading.check_value(lambda: 2.5, lambda: 2.0, name="p")
    assert "largest gap" not in predicted.message
    assert "your value is off: values differ.\n" in predicted.message


def test_while_nbgrader_executes_the_feedback_shows_no_answer(monkeypatch):
    monkeypatch.delenv("NNLIB_EXERCISES_REVEAL", raising=False)
    assert "expected:" in check_square(lambda x: 2 * x).message
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setitem(grading._SETTINGS, "reveal", True)  # as configure(reveal=True) sets it
    assert not grading.reveal_enabled()
    message = check_square(lambda x: 2 * x).message
    assert "expected:" not in message and "known mistake: you doubled x\n" in message


def test_outside_nbgrader_nothing_is_skipped(monkeypatch):
    shell = _fake_shell(monkeypatch)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    grading._install_grading_skip()
    assert shell.input_transformers_cleanup == []


def test_the_skip_can_be_turned_off_to_time_a_whole_lecture(monkeypatch):
    shell = _fake_shell(monkeypatch)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("NNLIB_GRADING_SKIP", "0")
    grading._install_grading_skip()
    assert shell.input_transformers_cleanup == []


def test_a_prediction_is_graded_with_its_exercise():
    passed = grading.with_prediction(CheckResult(True, "fn ok"), lambda: 2.0, 2.0, name="p")
    assert passed and "fn ok" in passed.message and "✓ p" in passed.message
    wrong = grading.with_prediction(CheckResult(True, "fn ok"), lambda: 3.0, 2.0, name="p")
    assert not wrong and "✗ p" in wrong.message
    failed_fn = grading.with_prediction(CheckResult(False, "fn wrong"), 2.0, 2.0, name="p")
    assert not failed_fn and "fn wrong" in failed_fn.message


def _read_expected_from_the_stack(*args):
    """The cheat: walk the caller's frames for a local named ``expected`` and return it."""
    frame = sys._getframe(1)
    while frame is not None:
        if "expected" in frame.f_locals:
            return frame.f_locals["expected"]
        frame = frame.f_back
    return float("nan")


class _Echo:
    """The cheat an instructor found: an answer object that reads the expected value from the
    comparing frame's locals when it is converted to an array."""

    def __array__(self, dtype=None, copy=None):
        frame = sys._getframe(1)
        while frame is not None:
            if "expected" in frame.f_locals:
                return np.asarray(frame.f_locals["expected"], dtype=dtype)
            frame = frame.f_back
        return np.asarray(0.0, dtype=dtype)

    def __float__(self):
        return float(np.asarray(self))


def test_an_answer_that_computes_when_read_gets_nothing(lecture):
    result = check_square(lambda x: _Echo())
    assert not result and "expected a number, tensor or array, got _Echo" in result.message
    assert not grading.check_value(lambda: _Echo(), lambda: 2.5, name="p")
    assert not check_square(lambda x: [_Echo()] * len(x))  # hidden in a list too
    assert check_square(lambda x: np.asarray(x) ** 2), "plain arrays and numpy numbers pass"


def test_reading_the_expected_value_from_the_stack_fails_check(lecture):
    result = check_square(_read_expected_from_the_stack)
    assert not result and "case 1" in result.message
    with pytest.raises(AssertionError):
        grading.grade(lecture, "check_square", _read_expected_from_the_stack)


def test_reading_the_expected_prediction_from_the_stack_fails():
    from nncourse.lecture7 import exercises as lecture7

    right = distillation_loss_by_hand
    assert lecture7.check_distillation_loss(right, prediction=lambda: 16.0)
    cheat = lecture7.check_distillation_loss(right, prediction=_read_expected_from_the_stack)
    assert not cheat and "✗ gradient_shrink_factor" in cheat.message
    # a prediction that calls the checker's computation of the answer is caught
    calls_it = lecture7.check_distillation_loss(right, prediction=_call_the_expected_function)
    assert not calls_it and "the checker's own computation" in calls_it.message


def _call_the_expected_function():
    frame = sys._getframe(1)
    while frame is not None:
        if callable(frame.f_locals.get("expected")):
            return frame.f_locals["expected"]()
        frame = frame.f_back
    return float("nan")


def test_the_reference_runs_on_inputs_the_student_could_not_change():
    def reference(values):
        return sum(values)

    def appends(values):
        values.append(100.0)
        return sum(values) - 100.0

    assert check(appends, reference, [Case("a list", [1.0, 2.0])], name="s")


def test_hidden_answers_cut_a_mistake_at_its_explanation(monkeypatch):
    monkeypatch.setenv("NNLIB_EXERCISES_REVEAL", "0")
    result = check_square(lambda x: 2 * x)
    assert "known mistake: you doubled x\n" in result.message
    monkeypatch.delenv("NNLIB_EXERCISES_REVEAL")
    assert "x times x" in check_square(lambda x: 2 * x).message


def _cell_function(source: str):
    """A function defined in a notebook cell: the kernel compiles each cell under a file name of
    its own, outside every installed library."""
    namespace: dict = {}
    exec(compile(f"patched = {source}", "/tmp/ipykernel_4242/1234567.py", "exec"), namespace)
    return namespace["patched"]


def test_a_patched_torch_function_gets_zero(lecture, monkeypatch):
    # the exploit: with torch.allclose always true, any answer used to pass
    monkeypatch.setattr(torch, "allclose", _cell_function("lambda *a, **k: True"))
    with pytest.raises(AssertionError) as failure:
        grading.grade(lecture, "check_square", lambda x: x * x)
    message = str(failure.value)
    assert "the library was modified in this notebook" in message and "torch.allclose" in message


def test_a_patched_reference_in_nnlib_gets_zero(lecture, monkeypatch):
    import nnlib.init

    monkeypatch.setattr(nnlib.init, "calculate_gain", _cell_function("lambda *a, **k: 1.0"))
    with pytest.raises(AssertionError, match=r"nnlib\.init\.calculate_gain"):
        grading.grade(lecture, "check_square", lambda x: x * x)


def test_a_patched_method_of_a_package_class_or_numpy_is_found(monkeypatch):
    monkeypatch.setattr(grading.Case, "__repr__", _cell_function("lambda self: 'x'"))
    assert "nncourse.grading.Case.__repr__" in grading._modified_libraries()
    monkeypatch.undo()
    monkeypatch.setattr(np, "isclose", _cell_function("lambda *a, **k: True"))
    assert "numpy.isclose" in grading._modified_libraries()


def test_one_c_function_swapped_for_another_gets_zero(lecture, monkeypatch):
    # no Python code in a cell: the swap is found against the snapshot taken at import
    monkeypatch.setattr(torch, "allclose", torch.equal)
    with pytest.raises(AssertionError) as failure:
        grading.grade(lecture, "check_square", lambda x: x * x)
    assert "`torch.allclose` was rebound to another function, `equal`" in str(failure.value)
    monkeypatch.undo()
    monkeypatch.setattr(np, "isclose", np.equal)
    assert "numpy.isclose" in grading._modified_libraries()


def test_a_package_function_swapped_for_another_is_found_after_begin_exercises(monkeypatch, capsys):
    import nnlib.init

    grading.begin_exercises()  # adds the modules loaded since the first import
    assert ("nnlib.init", "calculate_gain") in grading._SNAPSHOT
    monkeypatch.setattr(nnlib.init, "calculate_gain", nnlib.init.kaiming_normal_)
    assert "`nnlib.init.calculate_gain` was rebound" in grading._modified_libraries()


def test_a_library_wrapping_its_own_function_is_not_a_swap(monkeypatch):
    # importing torch._dynamo rewraps torch.manual_seed (functools.wraps): not the student's doing
    original = torch.manual_seed
    monkeypatch.setattr(torch, "manual_seed", torch._disable_dynamo(original))
    assert torch.manual_seed is not original and grading._modified_libraries() is None


def test_removing_the_snapshot_is_reported(monkeypatch):
    monkeypatch.setattr(grading, "_SNAPSHOT", {})
    assert "record of the libraries' functions was removed" in grading._modified_libraries()


def test_the_unmodified_libraries_pass_the_tamper_check_quickly():
    import importlib
    import pkgutil
    import time

    import nncourse
    import nnlib

    for package in (nnlib, nncourse):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if "widgets" not in module.name:
                importlib.import_module(module.name)
    grading.begin_exercises()
    reloaded = [  # the graded tests reload these: not a modification
        sys.modules[name]
        for name in list(sys.modules)
        if name == "nncourse.grading" or re.search(r"exercises$", name)
    ]
    before = [dict(vars(module)) for module in reloaded]
    try:
        for module in reloaded:
            importlib.reload(module)
        start = time.perf_counter()
        assert grading._modified_libraries() is None  # dataclasses' generated methods included
        assert time.perf_counter() - start < 0.2
    finally:  # the other tests keep the classes (Case, CheckResult) they imported
        for module, namespace in zip(reloaded, before, strict=True):
            vars(module).update(namespace)


def test_the_comparison_calls_no_function_a_notebook_can_replace(monkeypatch):
    for name in ("allclose", "isclose", "equal"):
        monkeypatch.setattr(torch, name, lambda *a, **k: True)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    assert not check_square(lambda x: 2 * x)
    assert not grading.check_value(2.0, 1.0, name="a number")
    assert check_square(lambda x: x * x)


@pytest.mark.parametrize(
    ("description", "shown"),
    [
        ("you predicted no change, but the unbiased variance is B/(B-1) times", "no change"),
        ("you used cos(t) without the (1 + ...) / 2", "you used cos(t)"),
        ("you divided by p instead of 1 - p", "you divided by p"),
        ("you kept the part 2 J^T J, which is zero at the origin", "the part 2 J^T J"),
    ],
)
def test_hidden_answers_cut_a_mistake_before_its_answer(monkeypatch, description, shown):
    monkeypatch.setenv("NNLIB_EXERCISES_REVEAL", "0")
    result = grading._explain("✗", mistake=description, inputs=(), expected=1, got=2, hint="")
    line = next(x for x in result.message.splitlines() if "known mistake" in x)
    assert shown in line and line.endswith(description.split(shown)[0] + shown)


@pytest.mark.parametrize(
    ("description", "visible"),
    [
        ("you left out the factor T² (the loss shrinks as T grows)", "you left out the factor T²"),
        (
            "you used fan_out (the number of outputs) where it needs fan_in",
            "you used fan_out where it needs fan_in",
        ),
        ("you normalized over the batch (dim 0)", "you normalized over the batch"),
        # a formula in brackets is what the student computed: it stays
        ("you used (kappa - 1)/(kappa + 1) as the rate", None),
        ("you left out the rescaling by 1 / (1 - p)", None),
        ("you returned plain batch norm (r = 1, d = 0)", None),
    ],
)
def test_hidden_answers_drop_a_bracketed_explanation(monkeypatch, description, visible):
    monkeypatch.setenv("NNLIB_EXERCISES_REVEAL", "0")
    result = grading._explain("✗", mistake=description, inputs=(), expected=1, got=2, hint="")
    line = next(x for x in result.message.splitlines() if "known mistake" in x)
    assert line == f"  this looks like a known mistake: {visible or description}"
    monkeypatch.delenv("NNLIB_EXERCISES_REVEAL")
    result = grading._explain("✗", mistake=description, inputs=(), expected=1, got=2, hint="")
    assert description in result.message  # shown in full where answers are shown


def test_no_hidden_misconception_states_a_number_of_the_answer():
    """With answers hidden, the visible part of each lecture's misconception names what the
    student did: the brief's leaks (2/n, B/(B-1), the end points -4 and 0, (1 + ...) / 2) stay
    behind the cut."""
    import importlib
    import inspect
    import pkgutil

    import nncourse

    leaks = ("2/n", "B/(B-1)", "-4 and 0", "(1 + ...) / 2")
    for module in pkgutil.walk_packages(nncourse.__path__, "nncourse."):
        if "exercises" not in module.name:
            continue
        source = inspect.getsource(importlib.import_module(module.name))
        for text in re.findall(r'Misconception\(\s*((?:"[^"]*"\s*)+)', source):
            description = "".join(re.findall(r'"([^"]*)"', text))
            visible = grading._hide_explanation(description)
            assert not any(leak in visible for leak in leaks), (module.name, visible)


def _flag_script():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / ".ci" / "flag_submissions.py"
    spec = importlib.util.spec_from_file_location("flag_submissions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _submission(tmp_path, *sources):
    import json

    cells = [
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"solution": True, "grade_id": f"ex_{i}_solution"}},
            "source": source,
        }
        for i, source in enumerate(sources)
    ]
    cells.append(
        {"cell_type": "code", "metadata": {}, "source": "import importlib  # not a solution"}
    )
    path = tmp_path / "submitted" / "student" / "lecture0" / "00.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"cells": cells}))
    return path


def test_the_screen_flags_the_known_cheats_and_not_the_reference_solutions(tmp_path):
    script = _flag_script()
    cheats = [
        "importlib.reload = lambda m: SimpleNamespace(grade=lambda *a, **k: None)",
        "frame = sys._getframe(1)",
        "sys.setprofile(None)",
        "class Echo:\n    def __array__(self, dtype=None):\n        return 0",
        "from nncourse.lecture7.exercises import _stale_bn_output",
        "torch.allclose = torch.equal",
    ]
    found = script.flags(_submission(tmp_path, *cheats))
    assert sorted({g for g, _, _ in found}) == [f"ex_{i}_solution" for i in range(len(cheats))]
    assert not any("not a solution" in line for _, _, line in found), "only solution cells"
    clean = "def f(x):\n    y = torch.allclose(x, x)  # == is fine\n    return x.float() * 2"
    assert script.flags(_submission(tmp_path / "clean", clean)) == []
    root = Path(__file__).resolve().parents[1] / "notebooks"
    assert [f for nb in sorted(root.glob("[0-9]*.ipynb")) for f in script.flags(nb)] == []
