"""Exercise checkers of lesson 08 (Case studies): see utils.course.checker for how they report."""
import torch

from utils.applications import parallax, slowmotion, variations
from utils.course.checker import compare_tensors, describe, rng, run_cases


def _compare_held_frames(got, expected):
    first, second = expected[0], expected[-1]
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(expected.shape) or got.dtype != expected.dtype:
        return (f"expected {len(expected)} frames as a {expected.dtype} tensor of shape {tuple(expected.shape)}, copies of "
                f"the two frames; got a {describe(got)}")
    for k, (made, wanted) in enumerate(zip(got, expected), start=1):
        if not torch.equal(made, wanted):
            which = "the earlier frame" if torch.equal(wanted, first) else "the later frame"
            shown = ("the earlier frame" if torch.equal(made, first) else "the later frame" if torch.equal(made, second)
                     else "neither of the two frames (a blend?)")
            return (f"gap frame {k} of {len(expected)} (position {k}/{len(expected) + 1}) should hold {which}; "
                    f"yours shows {shown}")
    return None


def check_hold_across_cut(student_fn):
    """hold_across_cut(first, second, count): the earlier frame before the gap's middle, the later
    one from the middle on; never a blend."""
    black, white = torch.zeros(1, 2, 3), torch.ones(1, 2, 3)
    a, b = torch.rand(3, 4, 5, generator=rng(1)), torch.rand(3, 4, 5, generator=rng(2))
    cases = [(f"black then white, {count} frame{'s' * (count > 1)} in the gap", (black, white, count),
              slowmotion.hold_across_cut(black, white, count)) for count in (3, 1, 2, 7)]
    cases.append(("two random RGB frames, 3 in the gap (slow motion ×4)", (a, b, 3), slowmotion.hold_across_cut(a, b, 3)))
    return run_cases("hold_across_cut", student_fn, cases, compare=_compare_held_frames)


def _compare_path(got, expected):
    if not isinstance(got, torch.Tensor) or got.ndim != 1 or got.dtype != torch.float32:
        return f"expected a 1-D torch.float32 tensor of {len(expected)} camera shifts; got a {describe(got)}"
    return compare_tensors(got, expected, atol=1e-5)


def check_there_and_back(student_fn):
    """there_and_back(frames, amplitude): s_k = amplitude · (1 − cos(2π k / (frames − 1))) / 2."""
    cases = [("24 frames out to 1 baseline and back", (24, 1.0), parallax.there_and_back(24, 1.0)),
             ("5 frames: 0, ½, 1, ½, 0 times the amplitude 2", (5, 2.0), parallax.there_and_back(5, 2.0)),
             ("2 frames: the path starts and ends at 0", (2, 1.0), parallax.there_and_back(2, 1.0)),
             ("a camera that moves left: amplitude −0.5", (9, -0.5), parallax.there_and_back(9, -0.5))]
    return run_cases("there_and_back", student_fn, cases, compare=_compare_path)


def _compare_shares(got, expected):
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(expected.shape) or not got.is_floating_point():
        return f"expected one share per frame, a float tensor of shape {tuple(expected.shape)}; got a {describe(got)}"
    return compare_tensors(got, expected, atol=1e-5)


def check_motion_inside(student_fn):
    """motion_inside(profile, lefts, width): per frame, the share of the frame's main motion that lies in
    the crop's columns; 1.0 for a frame without main motion."""
    profile = torch.rand(6, 20, generator=rng(3)) * (torch.rand(6, 20, generator=rng(4)) > 0.5)
    lefts = torch.tensor([0, 3, 10, 12, 5, 7])
    still = profile.clone()
    still[2] = 0
    spot = torch.zeros(3, 10)
    spot[:, 4] = 1.0
    cases = [("random main motion, crops 8 columns wide at different places", (profile, lefts, 8),
              variations.motion_inside(profile, lefts, 8)),
             ("all motion in column 4: crops [0, 5), [5, 10) and [2, 7) hold 1, 0 and 1 of it",
              (spot, torch.tensor([0, 5, 2]), 5), variations.motion_inside(spot, torch.tensor([0, 5, 2]), 5)),
             ("frame 2 without main motion: it counts as kept (1.0), not 0/0", (still, lefts, 8),
              variations.motion_inside(still, lefts, 8)),
             ("a crop as wide as the frame holds everything", (profile, torch.zeros(6, dtype=torch.long), 20),
              variations.motion_inside(profile, torch.zeros(6, dtype=torch.long), 20))]
    return run_cases("motion_inside", student_fn, cases, compare=_compare_shares)
