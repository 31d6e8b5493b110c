"""The engine of the exercise checkers: run the student's function on several cases and say, in
plain words, which case failed and why (input, expected, got). It never lets a traceback of its
own reach the student: a failure is an `ExerciseFailed` whose notebook display is just the
explanation.

The checkers themselves live beside this module, one file per lesson (`lesson01.py`, …): each
`check_*` takes the student's function and prints a ✓ line when every case passes, a ○ line when
the exercise is not attempted yet (so that "Run All" runs on), and raises ExerciseFailed for a
wrong answer. Under nbgrader's autograder (which sets NBGRADER_EXECUTION=autograde) an exercise not
attempted fails too, so that its checker cell scores no points. The marks are plain Unicode that
common fonts (DejaVu, Arial) have: no emoji.
"""
import math
import os
import traceback
import types

import numpy as np
import torch


PASSED, FAILED, NOT_YET = "✓", "✗", "○"


class ExerciseFailed(AssertionError):
    """A checked exercise that does not pass yet."""

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"{FAILED} {line}" if i == 0 else f"  {line}" for i, line in enumerate(str(self).splitlines())]


def describe(x):
    """A short description of a value for a report: type, shape, dtype, range, and any NaN or Inf.
    Never raises: whatever a student's function returns can be described."""
    try:
        return _describe(x)
    except Exception:  # a tensor on an exotic device or layout, an object whose repr fails
        return type(x).__name__


def _describe(x):
    if isinstance(x, torch.Tensor):
        text = f"tensor of shape {tuple(x.shape)}, {x.dtype}"
        if x.numel() == 0 or x.dtype == torch.bool or x.is_complex():
            return text
        values = x.detach().cpu()
        if not values.is_floating_point():
            return text + f", values in [{values.min().item()}, {values.max().item()}]"
        finite = values[torch.isfinite(values)]
        span = (f", values in [{finite.min().item() + 0.0:.4g}, {finite.max().item() + 0.0:.4g}]"  # + 0.0: -0 → 0
                if finite.numel() else ", no finite values")
        return text + span + non_finite(values)
    if isinstance(x, np.ndarray):
        return f"NumPy array of shape {x.shape}, {x.dtype} (expected a torch.Tensor: torch.from_numpy turns one into the other)"
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, torch.nn.Module):   # its repr lists every layer
        return f"{type(x).__name__} model ({sum(p.numel() for p in x.parameters()):,} parameters)"
    if isinstance(x, (types.FunctionType, types.BuiltinFunctionType)):   # not "<function f at 0x7f…>"
        return f"function {x.__name__}"
    if isinstance(x, (tuple, list)):
        inner = ", ".join(describe(item) for item in x[:4]) + (", …" if len(x) > 4 else "")
        return f"{type(x).__name__} of {len(x)}: ({inner})"
    return f"{type(x).__name__} {x!r}"[:120]


def non_finite(values):
    """' (3 NaN, 1 Inf)' for a float tensor that holds any, else ''."""
    if not values.is_floating_point():
        return ""
    counts = [(int(values.isnan().sum()), "NaN"), (int(values.isinf().sum()), "Inf")]
    found = ", ".join(f"{n} {name}" for n, name in counts if n)
    return f" ({found})" if found else ""


NAN_HINT = "NaN or Inf usually comes from log(0), a division by 0, or exp of a large number"


def compare_tensors(got, expected, atol=1e-5, rtol=1e-4):
    """None if `got` matches `expected`; otherwise a sentence saying how it differs."""
    if not isinstance(got, torch.Tensor):
        return f"expected a torch.Tensor, got a {describe(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}"
    if got.dtype != expected.dtype:
        return f"expected dtype {expected.dtype}, got {got.dtype}"
    got_, expected_ = got.detach().double().cpu(), expected.detach().double().cpu()
    if non_finite(got_) and not non_finite(expected_):
        return f"your result holds{non_finite(got_)} values where every expected value is finite: {NAN_HINT}"
    error = (got_ - expected_).abs()
    bad = ~(error <= atol + rtol * expected_.abs())
    if bad.any():
        where = tuple(int(i) for i in np.unravel_index(int(bad.flatten().nonzero()[0]), tuple(got.shape)))
        return (f"values differ: at index {where} expected {expected_[where].item():.6g}, got {got_[where].item():.6g} "
                f"(largest difference {error.max().item():.3g}, in {int(bad.sum())} of {bad.numel()} entries)")
    return None


def compare_bool(got, expected):
    """None if `got` is the expected truth value (a bool, or NumPy's); otherwise why not."""
    if not isinstance(got, (bool, np.bool_)):
        return f"expected True or False; got a {describe(got)}"
    return None if bool(got) == expected else f"expected {expected}, got {bool(got)}"


def compare_numbers(got, expected, atol=1e-4):
    if isinstance(got, (str, bytes, bool, np.bool_)):   # float() would read "3.5" and True
        return f"expected a number, got a {describe(got)}"
    try:
        value = float(got)
    except (TypeError, ValueError):
        return f"expected a number, got a {describe(got)}"
    if not math.isfinite(value) and math.isfinite(expected):
        return f"expected {expected:.6g}, got {value}: {NAN_HINT}"
    if not abs(value - expected) <= atol:
        return f"expected {expected:.6g}, got {value:.6g}"
    return None


def message_of(err):
    """str(err), or a note when the student's exception cannot even print itself."""
    try:
        return str(err)
    except Exception as inner:
        return f"(its message could not be printed: {type(inner).__name__}: {inner})"


def _in_library(filename):
    """Whether a traceback frame's file is the course's or an installed package's, not the student's."""
    return any(part in filename for part in ("site-packages", "/utils/", "\\utils\\"))


def _another_stub(err, student_fn):
    """The name of another exercise's function, still its stub, that raised `err` inside the
    student's function (detect_cuts calling a frame_differences not written yet); else None.
    Such a function is one the notebook defines at the top level under a different name."""
    if not isinstance(err, NotImplementedError) or err.args:
        return None
    tb = err.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    defined = tb.tb_frame.f_globals.get(code.co_name)
    if (code.co_name == getattr(student_fn, "__name__", None) or getattr(defined, "__code__", None) is not code
            or _in_library(code.co_filename)):
        return None
    return code.co_name


def _is_the_stub(err, number, student_fn):
    """A NotImplementedError that means "not attempted": the stub's bare `raise NotImplementedError()`,
    on the first case, not from another exercise's stub that the function calls. One with a
    message comes from a library (PyTorch raises them for some inputs) or from the student's own
    code, and one on a later case follows cases that ran."""
    return number == 1 and not err.args and _another_stub(err, student_fn) is None


def _where(err):
    """' (at line N: code)' for the innermost frame of the student's own code, if there is one."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)[1:] if not _in_library(f.filename)]
    return f"\n(at line {frames[-1].lineno}: {frames[-1].line})" if frames and frames[-1].line else ""


def not_attempted(title):
    """Say that an exercise still holds its stub, without raising: later cells use the reference.
    When nbgrader autogrades, raise instead: a stub earns no points."""
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        raise ExerciseFailed(f"{title}: not attempted (the function still raises NotImplementedError)")
    print(f"{NOT_YET} {title}: not attempted yet — replace `raise NotImplementedError()` with your code, "
          "then run this cell again (the rest of the lesson runs on the reference in utils)")
    return False


def yours_if_it_passed(student_fn, reference, passed):
    """What the cells after an exercise use: the student's function once its checker has passed
    (`passed` is what the checker returned), else the reference from utils — said in one line."""
    yours = getattr(student_fn, "__name__", "function")
    if passed is True:
        print(f"{PASSED} the cells below use your {yours}")
        return student_fn
    print(f"{NOT_YET} the cells below use the reference {reference.__module__}.{reference.__qualname__} "
          f"until your {yours} passes its checker")
    return reference


def run_cases(title, student_fn, cases, compare=compare_tensors, shown=describe):
    """cases: list of (description, args tuple, expected). Stops at the first failing case.
    Returns True when every case passes, False when the exercise is not attempted yet.
    `shown` describes the expected and the returned result in a report."""
    if not callable(student_fn):
        raise ExerciseFailed(f"{title}: expected a function, got {describe(student_fn)}")
    for number, (description, args, expected) in enumerate(cases, start=1):
        inputs = ", ".join(describe(a) for a in args)
        header = f"{title}: case {number} of {len(cases)} failed — {description}\ninput: {inputs}"
        try:
            got = student_fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # the student's code crashed (SystemExit too): say where, in their code
            if isinstance(err, NotImplementedError) and _is_the_stub(err, number, student_fn):
                return not_attempted(title)
            if stub := _another_stub(err, student_fn):
                raise ExerciseFailed(f"{header}\nyour function calls {stub}, which still raises NotImplementedError: "
                                     f"write {stub} first (or call the course's version in its place)") from None
            raise ExerciseFailed(f"{header}\nyour function raised {type(err).__name__}: {message_of(err)}{_where(err)}") from None
        try:
            problem = compare(got, expected)
        except Exception as err:
            problem = f"the result could not be compared ({type(err).__name__}: {message_of(err)}); got a {describe(got)}"
        if problem:
            raise ExerciseFailed(f"{header}\nexpected: {shown(expected)}\ngot: {shown(got)}\n{problem}")
    print(f"{PASSED} {title}: all {len(cases)} cases pass")
    return True


def rng(seed):
    """A seeded torch.Generator: every checker draws the same cases on every machine."""
    return torch.Generator().manual_seed(seed)
