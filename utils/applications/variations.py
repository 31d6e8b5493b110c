"""One master clip made into the variations an advertising campaign delivers: lesson 08's third case.

Each platform wants its own frame — 16:9 for television and the web, 9:16 for phone stories, 1:1
for feeds — and its own length, such as a 6-second bumper and a 15-second spot. Reframing keeps the
full height and moves a narrower window across the frame, and the window must keep the subject in
view. The subject is taken to be the main motion: the pixels whose colour changes by more than
MAIN_MOTION (mean over RGB) from one frame to the next; swaying grass and codec noise change less.
A frame keeps its subject when at least half of its main motion lies inside the crop.

Two ways to place the window: centre it on the mean column of all change (`edit.reframe`, lesson
05), or put it where it holds the most main motion (`most_motion_lefts`), smoothed over a few
frames so that it does not jitter. Both work shot by shot.
"""
from pathlib import Path

import torch
import torch.nn.functional as F

from utils.applications.provenance import verify_video
from utils.edit import check_aspect, crop_columns, motion_lefts, shots, smooth_track
from utils.metrics import psnr
from utils.video import check_count, check_image, check_positive, check_video, describe
from utils.videofile import read_video

MAIN_MOTION = 0.04      # a pixel's change, mean over RGB, above which it counts as the subject's motion
KEEPS_SUBJECT = 0.5     # the share of a frame's main motion that the crop must hold
SMOOTHING = 9           # frames over which the window's position is averaged
FOLLOW = ("centre", "mean motion", "most motion")


def main_motion(video):
    """How much main motion each column of each frame holds: (T, W). Frame 0 takes frame 1's."""
    check_video(video)
    if len(video) < 2:
        raise ValueError(f"video: expected at least 2 frames to see motion; got {describe(video)}")
    change = (video[1:] - video[:-1]).abs().mean(dim=1)                      # (T-1, H, W)
    change = torch.cat([change[:1], change])
    return (change * (change > MAIN_MOTION)).sum(dim=1)                     # (T, W)


def motion_inside(profile, lefts, width):
    """The share of each frame's main motion `profile` (T, W) that lies in the columns
    lefts[t] … lefts[t] + width − 1: (T,). A frame without main motion counts as kept (1.0)."""
    lefts = torch.as_tensor(lefts)
    if not (isinstance(profile, torch.Tensor) and profile.ndim == 2 and lefts.shape == (len(profile),)):
        raise ValueError(f"profile, lefts: expected a motion profile (T, W) and one left column per frame (T,); "
                         f"got {describe(profile)} and {describe(lefts)}")
    inside = torch.stack([row[left:left + width].sum() for row, left in zip(profile, lefts.tolist())])
    total = profile.sum(dim=1)
    return torch.where(total > 0, inside / total.clamp(min=1e-12), torch.ones_like(total))


def keeps_subject(video, lefts, width):
    """The share of frames whose crop holds at least KEEPS_SUBJECT of their main motion."""
    return (motion_inside(main_motion(video), lefts, width) >= KEEPS_SUBJECT).float().mean().item()


def most_motion_lefts(video, width, smoothing=SMOOTHING):
    """The left column of the `width`-wide window that holds the most main motion in each frame,
    averaged over `smoothing` frames, shot by shot (a frame without main motion keeps the last
    position, the frame's middle before any): (T,) long."""
    check_count(smoothing, "smoothing", meaning="frames to average over")
    return torch.cat([_shot_most_motion_lefts(shot, width, smoothing) for shot in shots(video)])


def _shot_most_motion_lefts(shot, width, smoothing):
    if len(shot) == 1:
        return torch.tensor([(shot.shape[-1] - width) // 2])
    held = F.avg_pool1d(main_motion(shot)[:, None], width, stride=1)[:, 0]  # (T, W − width + 1): motion in each window
    return smooth_track(held.argmax(dim=1).float(), held.amax(dim=1) > 0, (shot.shape[-1] - width) / 2, smoothing).round().long()


def reframe(video, aspect, follow="most motion"):
    """Crop `video` (T, C, H, W) to `aspect` = (width, height) narrower than the clip, keeping the
    full height; the window is centred ("centre"), follows the mean motion ("mean motion", as
    edit.reframe) or holds the most main motion ("most motion"). Returns (clip, lefts (T,), width)."""
    check_video(video)
    check_aspect(aspect)
    T, C, H, W = video.shape
    width = round(H * aspect[0] / aspect[1])
    if width > W:
        raise ValueError(f"aspect: expected a frame narrower than the clip's {W}×{H}; {aspect[0]}:{aspect[1]} needs {width} columns")
    if follow == "centre":
        lefts = torch.full((T,), (W - width) // 2)
    elif follow == "mean motion":
        lefts = motion_lefts(video, width)
    elif follow == "most motion":
        lefts = most_motion_lefts(video, width)
    else:
        raise ValueError(f"follow: expected one of {FOLLOW}; got {follow!r}")
    return crop_columns(video, lefts, width), lefts, width


def timed_edit(video, fps, seconds, end_card):
    """An edit of exactly round(seconds · fps) frames: the shots of `video` in order, whole while
    they fit and the next one cut short; if the material runs out first, the image `end_card`
    (C, H, W) holds for the rest. Cuts fall only at shot boundaries and at the edit's end."""
    check_video(video)
    check_positive(fps, "fps", meaning="frames per second")
    check_positive(seconds, "seconds", meaning="the edit's length")
    check_image(end_card, "end_card")
    if end_card.shape != video.shape[1:]:
        raise ValueError(f"end_card: expected an image of the clip's frame size {tuple(video.shape[1:])}; got {tuple(end_card.shape)}")
    slot, parts, used = round(seconds * fps), [], 0
    for shot in shots(video):
        if used == slot:
            break
        parts.append(shot[:slot - used])
        used += len(parts[-1])
    parts.append(end_card.expand(slot - used, -1, -1, -1))
    return torch.cat(parts)


def delivery_check(path, public_key, aspect, seconds, sent):
    """Read a delivered MP4 back and check it against its slot and against `sent`, the frames that
    were encoded: frame shape, length, what the encoder lost (PSNR), and the signed manifest. One
    row of the campaign's report (a dict)."""
    path = Path(path)
    clip, fps = read_video(path)
    height, width = clip.shape[-2:]
    expected_width = round(height * aspect[0] / aspect[1])
    same_shape = clip.shape == sent.shape
    return {"file": path.name, "size": f"{width}×{height}", "aspect ok": abs(width - expected_width) <= 1,
            "seconds": round(len(clip) / fps, 2), "length ok": len(clip) == round(seconds * fps),
            "PSNR vs the edit (dB)": round(psnr(clip, sent), 1) if same_shape else float("nan"),
            "provenance": verify_video(path, public_key, frames=clip)["status"]}
