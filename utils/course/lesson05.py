"""Exercise checkers of lesson 05 (Applications): see utils.course.checker for how they report."""
import torch

from utils import edit
from utils.course.checker import PASSED, ExerciseFailed, compare_numbers, describe, message_of, rng, run_cases


def check_crossfade(student_fn):
    """crossfade(first, second, frames): the last `frames` frames of `first` dissolve into the first
    `frames` of `second`, with weights strictly between 0 and 1; the result is `frames` shorter."""
    black, white = torch.zeros(4, 1, 2, 2), torch.ones(5, 1, 2, 2)
    first, second = torch.rand(6, 3, 4, 5, generator=rng(1)), torch.rand(7, 3, 4, 5, generator=rng(2))
    cases = [("black (4 frames) into white (5 frames) over 1 frame: the middle frame is half grey, 8 frames in all",
              (black, white, 1), edit.crossfade(black, white, 1)),
             ("black into white over 3 frames: weights 1/4, 2/4, 3/4 (never 0 or 1: those frames already exist)",
              (black, white, 3), edit.crossfade(black, white, 3)),
             ("two random RGB clips of 6 and 7 frames over 4 frames", (first, second, 4), edit.crossfade(first, second, 4)),
             ("a transition as long as the shorter clip", (black, white, 4), edit.crossfade(black, white, 4))]
    return run_cases("crossfade", student_fn, cases)


def _compare_indices(got, expected):
    if not isinstance(got, torch.Tensor) or got.is_floating_point() or got.ndim != 1:
        return f"expected a 1-D tensor of whole-number frame indices (dtype torch.long); got a {describe(got)}"
    if len(got) != len(expected):
        return (f"expected {len(expected)} output frames, got {len(got)}; the first ones expected {expected[:8].tolist()}, "
                f"got {got[:8].tolist()}")
    differ = (got != expected).nonzero().flatten()
    if len(differ):
        i = int(differ[0])
        return (f"output frame {i} should show source frame {int(expected[i])}, got {int(got[i])} "
                f"(expected around it: {expected[max(0, i - 3):i + 4].tolist()}, got {got[max(0, i - 3):i + 4].tolist()})")
    return None


def check_speed_ramp_indices(student_fn):
    """speed_ramp_indices(frames, start_speed, end_speed) → which source frame each output frame shows."""
    cases = [("constant speed 1: every frame once", (10, 1.0, 1.0), edit.speed_ramp_indices(10, 1.0, 1.0)),
             ("constant speed 0.5: every frame twice (a slow motion by repetition)", (6, 0.5, 0.5),
              edit.speed_ramp_indices(6, 0.5, 0.5)),
             ("constant speed 2: every other frame", (9, 2.0, 2.0), edit.speed_ramp_indices(9, 2.0, 2.0)),
             ("a ramp from 1 down to 0.25: the end slows down", (24, 1.0, 0.25), edit.speed_ramp_indices(24, 1.0, 0.25)),
             ("a ramp from 0.5 up to 3 over 100 frames", (100, 0.5, 3.0), edit.speed_ramp_indices(100, 0.5, 3.0))]
    return run_cases("speed_ramp_indices", student_fn, cases, compare=_compare_indices)


def _compare_box(got, expected):
    try:
        left, top = (float(v) for v in got)
    except (TypeError, ValueError):
        return f"expected (left, top), two numbers of pixels; got a {describe(got)}"
    return compare_numbers(left, expected[0], atol=1e-3) or compare_numbers(top, expected[1], atol=1e-3)


def check_title_safe_position(student_fn):
    """title_safe_position(frame_size, text_size, margin) → (left, top), or ValueError when too wide or tall."""
    cases = [(f"a {text} box on a {frame} frame, margin {margin}", (frame, text, margin),
              edit.title_safe_position(frame, text, margin))
             for frame, text, margin in [((1080, 1920), (60, 800), 0.08), ((272, 640), (22, 300), 0.08),
                                         ((1920, 1080), (80, 900), 0.05), ((100, 100), (10, 84), 0.08)]]
    if not run_cases("title_safe_position", student_fn, cases, compare=_compare_box):
        return False
    # 560 px wide or 235 px tall fits a margin kept on one side only, not on both
    for text_size in ((22, 600), (22, 560), (240, 100), (235, 100)):
        case = (f"title_safe_position: a {text_size[0]} px tall, {text_size[1]} px wide caption on a 272 × 640 frame "
                f"(title-safe area 228 px tall, 538 px wide: a margin on each side) should raise ValueError")
        try:
            got = student_fn((272, 640), text_size, 0.08)
        except ValueError:
            continue
        except KeyboardInterrupt:
            raise
        except BaseException as err:
            raise ExerciseFailed(f"{case}; it raised {type(err).__name__}: {message_of(err)}") from None
        raise ExerciseFailed(f"{case}; it returned {describe(got)}")
    print(f"{PASSED} title_safe_position: a caption wider or taller than the title-safe area raises ValueError")
    return True
