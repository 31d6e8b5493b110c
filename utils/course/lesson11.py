"""Exercise checkers of lesson 11 (Discussion and Q&A): see utils.course.checker for how they report."""
import hashlib
import tempfile
from pathlib import Path

import torch

from utils import flow
from utils.course import quiz
from utils.course.checker import compare_bool, compare_tensors, rng, run_cases


def check_sha256_matches(student_fn):
    """sha256_matches(path, expected): True when the file's sha256 is `expected`; False when it differs
    or the file does not exist."""
    with tempfile.TemporaryDirectory(prefix="check11_") as name:
        folder = Path(name)
        small, large = folder / "small.bin", folder / "large.bin"
        small.write_bytes(b"video")
        large.write_bytes(bytes(range(256)) * 20_000)                      # 5 MB: read it in blocks
        digest = lambda path: hashlib.sha256(path.read_bytes()).hexdigest()  # noqa: E731
        cases = [("a small file and its own sha256", (small, digest(small)), True),
                 ("a 5 MB file and its own sha256", (large, digest(large)), True),
                 ("a file and another file's sha256", (small, digest(large)), False),
                 ("a file whose expected sha256 differs in its last hex digit",
                  (small, digest(small)[:-1] + ("0" if digest(small)[-1] != "0" else "1")), False),
                 ("a path where no file exists", (folder / "missing.bin", digest(small)), False)]
        return run_cases("sha256_matches", student_fn, cases, compare=compare_bool)


def check_mark_number(student_fn):
    """mark_number(answer, expected, tolerance): True only for a number (or text that reads as one)
    within the tolerance; never raises."""
    cases = [(f"answer {answer!r} to 20 ± 0.01", (answer, 20, 0.01), quiz.is_close(answer, 20, 0.01))
             for answer in (20, 20.005, 19.98, "20", "twenty", None, float("nan"), float("inf"), True)]
    cases.append(("answer True to 1 ± 0.5: a bool is not a number, though float(True) is 1", (True, 1, 0.5), quiz.is_close(True, 1, 0.5)))
    cases.append(("answer 0.125 to 0.125 with no tolerance", (0.125, 0.125, 0), True))
    cases.append(("answer infinity with an infinite tolerance: infinity is never an answer", (float("inf"), 20, float("inf")), False))
    return run_cases("mark_number", student_fn, cases, compare=compare_bool)


def check_constant_motion(student_fn):
    """constant_motion(context, frames): the last frame moved again and again by the Lucas–Kanade
    motion between the last two frames."""
    square = torch.zeros(2, 3, 1, 32, 32)
    for t in range(3):
        square[0, t, :, 10:18, 4 + 3 * t:12 + 3 * t] = 1.0
        square[1, t, :, 4 + 2 * t:12 + 2 * t, 12:20] = 1.0
    texture = torch.rand(1, 4, 3, 24, 24, generator=rng(5))
    cases = [("a square moving right (clip 0) and one moving down (clip 1), 4 more frames", (square, 4),
              flow.constant_motion(square, 4)),
             ("a random RGB texture, 2 more frames", (texture, 2), flow.constant_motion(texture, 2))]
    return run_cases("constant_motion", student_fn, cases, compare=lambda got, expected: compare_tensors(got, expected, atol=1e-4))
