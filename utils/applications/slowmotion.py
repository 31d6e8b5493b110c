"""Slow motion by frame interpolation, with a guard at cuts: lesson 08's first case.

Slow motion ×4 makes three new frames between every two frames of the clip, by interpolating
midframes twice (flow.double_frame_rate): with lesson 02's methods ("repeat", "blend", optical
flow) or with lesson 05's learned interpolator (load_interpolator().midframes). Interpolation
assumes that one motion joins the two frames. Across a cut it does not exist, and the
interpolator blends two shots into ghosts. The guard finds the cuts (utils.video.detect_cuts)
and fills such a gap by holding the nearer frame of the two instead:

    gap position k / (n + 1), k = 1 … n  →  the earlier frame where k / (n + 1) < ½, else the later one

To score a method on real frames, `score` keeps every `factor`-th frame of a clip, rebuilds the
ones in between and compares them with the frames that were dropped.
"""
import torch

from utils.flow import double_frame_rate
from utils.metrics import psnr
from utils.video import check_count, check_video, detect_cuts

FACTORS = (2, 4, 8)


def _check_factor(factor):
    if factor not in FACTORS:
        raise ValueError(f"factor: expected one of {FACTORS} (each doubling interpolates midframes once); got {factor!r}")
    return factor


def hold_across_cut(first, second, count):
    """The `count` frames that fill a gap across a cut: `first` (C, H, W) where the position
    k / (count + 1) lies before the middle, `second` from the middle on. (count, C, H, W)."""
    check_count(count, "count", meaning="frames in the gap")
    return torch.stack([first if k / (count + 1) < 0.5 else second for k in range(1, count + 1)])


def slow_motion(video, factor=4, method="blend", cuts=()):
    """`video` (T, C, H, W) with factor − 1 new frames between every two: ((T − 1)·factor + 1, C, H, W).
    `method` is what flow.double_frame_rate takes (a name or a midframes function). Each gap that
    ends at a frame listed in `cuts` (indices into `video`, as detect_cuts returns them) is filled by
    `hold_across_cut` instead."""
    check_video(video)
    _check_factor(factor)
    if not isinstance(cuts, (list, tuple, range)) or not all(isinstance(cut, int) and 0 < cut < len(video) for cut in cuts):
        raise ValueError(f"cuts: expected a list of frame indices 1…{len(video) - 1} where a new shot starts "
                         f"(as detect_cuts returns them); got {cuts!r}")
    out = video
    for _ in range(factor.bit_length() - 1):
        out = double_frame_rate(out, method)
    out = out.clone()
    for cut in cuts:
        start = (cut - 1) * factor
        out[start + 1:start + factor] = hold_across_cut(video[cut - 1], video[cut], factor - 1)
    return out


def guarded_slow_motion(video, factor=4, method="blend", sensitivity=8.0):
    """slow_motion with the guard: the cuts are found by detect_cuts on `video` itself."""
    return slow_motion(video, factor, method, cuts=detect_cuts(check_video(video), sensitivity))


def score(frames, factor, method, cuts=()):
    """Rebuild the frames that slow motion would make from real ones: keep frames 0, factor, 2·factor,
    … of `frames` (T, C, H, W), slow them down, and compare each new frame with the real frame it
    stands for. `cuts` index the kept frames. Returns (rebuilt frames, PSNR per rebuilt frame (N,),
    their indices into `frames` (N,))."""
    check_video(frames, "frames")
    _check_factor(factor)
    kept = frames[: (len(frames) - 1) // factor * factor + 1: factor]
    if len(kept) < 2:
        raise ValueError(f"frames: expected at least {factor + 1} frames to keep two of them at factor {factor}; got {len(frames)}")
    rebuilt = slow_motion(kept, factor, method, cuts)
    new = torch.tensor([i for i in range(len(rebuilt)) if i % factor])
    scores = torch.tensor([psnr(rebuilt[i:i + 1], frames[i:i + 1]) for i in new.tolist()])
    return rebuilt, scores, new
