"""Exercise checkers of lesson 01 (Overview): see utils.course.checker for how they report."""
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
