"""Exercise checkers of lesson 01 (Overview): see utils.course.checker for how they report."""
import numbers

import numpy as np
import torch

from utils import video
from utils.course.checker import rng, run_cases


def check_to_course_video(student_fn):
    """to_course_video(frames): uint8 (T, H, W, C) → float (T, C, H, W) in [0, 1]."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(3, 4, 5, 3), dtype=np.uint8)
    extremes = np.zeros((2, 2, 3, 3), dtype=np.uint8)
    extremes[1] = 255
    gray = rng.integers(0, 256, size=(2, 6, 4, 1), dtype=np.uint8)
    cases = [("3 RGB frames of 4×5 pixels", (rgb,), video.from_numpy(rgb)),
             ("black and white frames: 0 must become 0.0 and 255 must become 1.0", (extremes,), video.from_numpy(extremes)),
             ("2 gray frames (C = 1) of 6×4 pixels: height and width must not be swapped", (gray,), video.from_numpy(gray))]
    return run_cases("to_course_video", student_fn, cases)


def check_resample_fps(student_fn):
    """resample_fps(video, fps_in, fps_out): drop or repeat frames to change the frame rate."""
    clip = torch.linspace(0, 1, 12).view(12, 1, 1, 1).expand(12, 1, 2, 2).contiguous()  # frame t has value t/11
    cases = [("30 → 10 fps keeps every third frame", (clip, 30, 10), video.resample_fps(clip, 30, 10)),
             ("10 → 30 fps shows every frame three times", (clip[:4], 10, 30), video.resample_fps(clip[:4], 10, 30)),
             ("25 → 10 fps: 12 frames last 0.48 s, so 4 frames at 10 fps: floor(i · 2.5) = 0, 2, 5, 7", (clip, 25, 10), video.resample_fps(clip, 25, 10)),
             ("same rate: the video unchanged", (clip, 24, 24), clip)]
    return run_cases("resample_fps", student_fn, cases)


def check_frame_differences(student_fn):
    """frame_differences(video): mean |frame[t+1] − frame[t]| for each t, shape (T − 1,)."""
    still = torch.full((4, 3, 5, 5), 0.5)
    flash = still.clone()
    flash[2] = 1.0
    noisy = torch.rand(6, 1, 8, 8, generator=rng(1))
    cases = [("a still video: all differences 0", (still,), video.frame_differences(still)),
             ("a flash at frame 2: differences 0, 0.5, 0.5", (flash,), video.frame_differences(flash)),
             ("random frames (mean over channels and pixels, absolute values)", (noisy,), video.frame_differences(noisy))]
    return run_cases("frame_differences", student_fn, cases)


def _clip_with_jumps(jumps, frames=12):
    """Gray 4×4 frames that brighten a little each frame (motion-like small differences that vary),
    plus a jump in brightness before each frame in `jumps` {frame: size}."""
    wiggle = torch.rand(frames, generator=rng(5)) * 0.004
    level = 0.2 + 0.01 * torch.arange(frames) + wiggle
    for frame, size in jumps.items():
        level[frame:] += size
    return level.clamp(0, 1).view(frames, 1, 1, 1).expand(frames, 1, 4, 4).contiguous()


def check_detect_cuts(student_fn):
    """detect_cuts(video, sensitivity) → the first frame of each new shot: the frames whose
    difference from the one before exceeds median + sensitivity × median absolute deviation."""
    two_stills = torch.cat([torch.full((4, 3, 4, 4), 0.2), torch.full((3, 3, 4, 4), 0.7)])
    one_cut, small_and_large = _clip_with_jumps({6: 0.4}), _clip_with_jumps({3: 0.012, 8: 0.4})
    modest_cut = _clip_with_jumps({6: 0.05})
    cases = [("two stills joined: the second shot starts at frame 4 (a list of ints, not a tensor)", (two_stills, 8.0), [4]),
             ("a clip that changes a little every frame, with one cut before frame 6", (one_cut, 8.0), video.detect_cuts(one_cut, 8.0)),
             ("no cut: small, varying differences only — the threshold must follow the clip's own median",
              (_clip_with_jumps({}), 8.0), video.detect_cuts(_clip_with_jumps({}), 8.0)),
             ("a small jump before frame 3 and a large one before frame 8, sensitivity 8: only the large one",
              (small_and_large, 8.0), video.detect_cuts(small_and_large, 8.0)),
             ("the same clip with sensitivity 2: both", (small_and_large, 2.0), video.detect_cuts(small_and_large, 2.0)),
             ("a cut about six times the median difference, sensitivity 8: above median + 8 MAD, though not above 8 × median",
              (modest_cut, 8.0), video.detect_cuts(modest_cut, 8.0))]

    def compare(got, expected):
        if isinstance(got, torch.Tensor):
            return f"expected a list of frame indices like {expected}; got a tensor — use .tolist()"
        if not isinstance(got, (list, tuple)) or list(got) != expected:
            return f"expected the cuts {expected}; got {got!r}"
        if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in got):
            return f"expected frame indices as ints, like {expected}; got {got!r}"
        return None

    return run_cases("detect_cuts", student_fn, cases, compare=compare)
