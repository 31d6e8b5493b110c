"""The engine of the exercise checkers: run the student's function on several cases and say, in
plain words, which case failed and why (input, expected, got). It never lets a traceback of its
own reach the student: a failure is an `ExerciseFailed` whose notebook display is just the
explanation.

The checkers themselves live beside this module, one file per lesson (`lesson01.py`, …): each
`check_*` takes the student's function, prints a ✅ line when every case passes, and raises
ExerciseFailed otherwise.
"""
import traceback

import numpy as np
import torch



class ExerciseFailed(AssertionError):
    """A checked exercise that does not pass yet."""

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"❌ {line}" if i == 0 else f"   {line}" for i, line in enumerate(str(self).splitlines())]


def describe(x):
    """A short description of a value for a report: type, shape, dtype, range."""
    if isinstance(x, torch.Tensor):
        if x.numel() and (x.is_floating_point() or x.dtype in (torch.uint8, torch.int64)):
            finite = x[torch.isfinite(x)] if x.is_floating_point() else x
            low, high = finite.min().item() + 0.0, finite.max().item() + 0.0  # + 0.0 turns -0 into 0
            span = f", values in [{low:.4g}, {high:.4g}]" if finite.numel() else ", no finite values"
        else:
            span = ""
        return f"tensor of shape {tuple(x.shape)}, {x.dtype}{span}"
    if isinstance(x, np.ndarray):
        return f"NumPy array of shape {x.shape}, {x.dtype}"
    if isinstance(x, float):
        return f"{x:.6g}"
    return f"{type(x).__name__} {x!r}"[:120]


def compare_tensors(got, expected, atol=1e-5, rtol=1e-4):
    """None if `got` matches `expected`; otherwise a sentence saying how it differs."""
    if not isinstance(got, torch.Tensor):
        return f"expected a torch.Tensor, got a {describe(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}"
    if got.dtype != expected.dtype:
        return f"expected dtype {expected.dtype}, got {got.dtype}"
    got_, expected_ = got.detach().double().cpu(), expected.detach().double().cpu()
    error = (got_ - expected_).abs()
    bad = ~(error <= atol + rtol * expected_.abs())
    if bad.any():
        where = tuple(int(i) for i in np.unravel_index(int(bad.flatten().nonzero()[0]), tuple(got.shape)))
        return (f"values differ: at index {where} expected {expected_[where].item():.6g}, got {got_[where].item():.6g} "
                f"(largest difference {error.max().item():.3g}, in {int(bad.sum())} of {bad.numel()} entries)")
    return None


def compare_numbers(got, expected, atol=1e-4):
    try:
        value = float(got)
    except (TypeError, ValueError):
        return f"expected a number, got a {describe(got)}"
    if not abs(value - expected) <= atol:  # also false for NaN
        return f"expected {expected:.6g}, got {value:.6g}"
    return None


def _where(err):
    """' (at line N: code)' for the innermost frame of the student's own code, if there is one."""
    library = ("site-packages", "/utils/", "\\utils\\")
    frames = [f for f in traceback.extract_tb(err.__traceback__)[1:] if not any(p in f.filename for p in library)]
    return f"\n(at line {frames[-1].lineno}: {frames[-1].line})" if frames and frames[-1].line else ""


def run_cases(title, student_fn, cases, compare=compare_tensors):
    """cases: list of (description, args tuple, expected). Stops at the first failing case."""
    if not callable(student_fn):
        raise ExerciseFailed(f"{title}: expected a function, got {describe(student_fn)}")
    for number, (description, args, expected) in enumerate(cases, start=1):
        inputs = ", ".join(describe(a) for a in args)
        header = f"{title}: case {number} of {len(cases)} failed — {description}\ninput: {inputs}"
        try:
            got = student_fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        except NotImplementedError:
            raise ExerciseFailed(f"{title}: not implemented yet — replace `raise NotImplementedError()` "
                                 "with your code, then run this cell again") from None
        except Exception as err:  # the student's code crashed: say where, in their code
            raise ExerciseFailed(f"{header}\nyour function raised {type(err).__name__}: {err}{_where(err)}") from None
        try:
            problem = compare(got, expected)
        except Exception as err:
            problem = f"the result could not be compared ({type(err).__name__}: {err}); got a {describe(got)}"
        if problem:
            raise ExerciseFailed(f"{header}\nexpected: {describe(expected)}\ngot: {describe(got)}\n{problem}")
    print(f"✅ {title}: all {len(cases)} cases pass")


def rng(seed):
    """A seeded torch.Generator: every checker draws the same cases on every machine."""
    return torch.Generator().manual_seed(seed)
