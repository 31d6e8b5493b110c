"""Editing steps for lesson 05's pipeline (input → preprocess → generate → edit → output): each a
plain function on clips in the course convention (T, C, H, W), float in [0, 1], so that a list of
them composes.

    clip = trim(clip, fps, 2.0, 5.0)
    clip = reframe(clip, (9, 16))          # a vertical crop window that follows the motion
    clip = caption(clip, "慢动作 · slow motion")

Captions are drawn with Pillow. Text in Chinese, Japanese or Korean needs a CJK font on the system;
`find_cjk_font` looks in the usual places and the error says how to install one.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from utils.video import check_count, check_image, check_in_range, check_positive, check_video, describe, detect_cuts, resize

CJK_FONTS = (  # Debian/Ubuntu, Fedora, Arch, macOS, Windows
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc", "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf",
)
INSTALL_CJK_FONT = ("install one: Debian/Ubuntu `sudo apt install fonts-noto-cjk`, Fedora `sudo dnf install "
                    "google-noto-sans-cjk-fonts`, conda `conda install -c conda-forge font-ttf-noto-cjk` (then pass "
                    "its .ttc as font=); macOS and Windows ship one (PingFang, Microsoft YaHei)")


# ---------------------------------------------------------------------------------------------
# a still as a clip

def animate_still(image, frames, zoom=1.2, pan=(0.0, 0.0)):
    """A still image (C, H, W) → a clip (frames, C, H, W) of a slow camera move (a "Ken Burns"
    shot): the view zooms from 1× to `zoom`× while its centre travels by `pan` = (right, down) as
    fractions of the width and height. Zooming out (zoom < 1) repeats the border pixels."""
    check_image(image)
    check_count(frames, "frames", minimum=2, meaning="the clip's length in frames")
    check_positive(zoom, "zoom", meaning="a magnification")
    if not (isinstance(pan, tuple) and len(pan) == 2 and all(isinstance(p, (int, float)) and abs(p) <= 0.5 for p in pan)):
        raise ValueError(f"pan: expected (right, down) as fractions of the frame in [-0.5, 0.5], e.g. (0.1, 0); got {pan!r}")
    t = torch.linspace(0, 1, frames)
    scale = 1 / (1 + (zoom - 1) * t)                                         # the view's size, 1 → 1/zoom of the frame
    theta = torch.zeros(frames, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = scale, scale
    theta[:, 0, 2], theta[:, 1, 2] = 2 * pan[0] * t, 2 * pan[1] * t          # affine_grid's coordinates span [-1, 1]
    grid = F.affine_grid(theta, (frames, *image.shape), align_corners=False)
    return F.grid_sample(image.expand(frames, -1, -1, -1), grid.to(image.device), mode="bilinear",
                         padding_mode="border", align_corners=False).clamp(0, 1)


# ---------------------------------------------------------------------------------------------
# cutting and joining

def trim(video, fps, start, end):
    """The frames shown from `start` to `end` seconds (end excluded)."""
    check_video(video)
    check_positive(fps, "fps", meaning="frames per second")
    duration = len(video) / fps
    if not (isinstance(start, (int, float)) and isinstance(end, (int, float)) and 0 <= start < end <= duration + 1e-9):
        raise ValueError(f"trim: expected 0 ≤ start < end ≤ {duration:g} s (the clip's length); got start={start!r}, end={end!r}")
    part = video[round(start * fps):round(end * fps)]
    if len(part) == 0:
        raise ValueError(f"trim: {start:g} s to {end:g} s holds no frame at {fps:g} fps")
    return part


def _check_same_frame_size(first, second):
    check_video(first, "first")
    check_video(second, "second")
    if first.shape[1:] != second.shape[1:]:
        raise ValueError(f"expected two clips of the same channels and frame size; got {tuple(first.shape[1:])} "
                         f"and {tuple(second.shape[1:])} (resize one with utils.video.resize)")


def _check_transition(first, second, frames):
    _check_same_frame_size(first, second)
    check_count(frames, "frames", meaning="the length of the transition in frames")
    if frames > min(len(first), len(second)):
        raise ValueError(f"frames: expected at most the shorter clip's length ({min(len(first), len(second))}); got {frames}")


def concatenate(first, second):
    """One clip after the other (a hard cut)."""
    _check_same_frame_size(first, second)
    return torch.cat([first, second])


def crossfade(first, second, frames):
    """`first` dissolving into `second` over `frames` frames: the overlap shortens the total by `frames`."""
    _check_transition(first, second, frames)
    alpha = torch.linspace(0, 1, frames + 2, device=first.device)[1:-1].view(-1, 1, 1, 1)   # strictly between the clips
    overlap = (1 - alpha) * first[-frames:] + alpha * second[:frames]
    return torch.cat([first[:-frames], overlap, second[frames:]])


def shots(video, sensitivity=8.0):
    """The clip split at its cuts (utils.video.detect_cuts): a list of shots."""
    check_video(video)
    starts = [0, *detect_cuts(video, sensitivity)] if len(video) > 2 else [0]
    return [video[a:b] for a, b in zip(starts, [*starts[1:], len(video)])]


def speed_ramp_indices(frames, start_speed, end_speed):
    """The frame-index map of a speed ramp: which source frame each output frame shows when the
    playback speed changes linearly from `start_speed` to `end_speed` along the clip (1: as shot;
    0.5: each frame twice, half speed; 2: every other frame)."""
    check_count(frames, "frames", meaning="the clip's length in frames")
    check_positive(start_speed, "start_speed", meaning="a playback speed")
    check_positive(end_speed, "end_speed", meaning="a playback speed")
    position, indices = 0.0, []
    while position < frames:
        indices.append(int(position))
        position += start_speed + (end_speed - start_speed) * position / frames
    return torch.tensor(indices)


def speed_ramp(video, start_speed, end_speed):
    """The clip played at a speed that changes linearly from `start_speed` to `end_speed`."""
    check_video(video)
    return video[speed_ramp_indices(len(video), start_speed, end_speed)]


WIPE_DIRECTIONS = ("left", "right", "up", "down")


def wipe(first, second, frames, direction="right"):
    """`second` replacing `first` behind an edge that sweeps across the frame in `direction`
    over `frames` frames; like a crossfade, the overlap shortens the total by `frames`."""
    _check_transition(first, second, frames)
    if direction not in WIPE_DIRECTIONS:
        raise ValueError(f"direction: expected one of {', '.join(WIPE_DIRECTIONS)}; got {direction!r}")
    horizontal = direction in ("left", "right")
    length = first.shape[-1] if horizontal else first.shape[-2]
    position = (torch.arange(length, device=first.device) + 0.5) / length   # pixel centres, 0 … 1 along the sweep
    position = position.view(1, 1, 1, -1) if horizontal else position.view(1, 1, -1, 1)
    if direction in ("left", "up"):
        position = 1 - position                                              # the edge starts at the far side
    progress = torch.linspace(0, 1, frames + 2, device=first.device)[1:-1].view(-1, 1, 1, 1)
    behind_edge = position < progress                                        # (frames, 1, H or 1, W or 1)
    overlap = torch.where(behind_edge, second[:frames], first[-frames:])
    return torch.cat([first[:-frames], overlap, second[frames:]])


def picture_in_picture(video, inset, scale=0.3, margin=0.04):
    """`inset` shrunk to `scale` of the frame's width and laid over the bottom-right corner of
    `video`, `margin` (a share of the width) from the edges; a shorter inset loops."""
    check_video(video)
    check_video(inset, "inset")
    if not 0 < scale < 1 or not 0 <= margin < (1 - scale) / 2:
        raise ValueError(f"scale, margin: expected 0 < scale < 1 and 0 ≤ margin < (1 − scale) / 2; got {scale!r}, {margin!r}")
    T, C, H, W = video.shape
    width = round(W * scale)
    height = round(width * inset.shape[-2] / inset.shape[-1])
    room = H - 2 * round(W * margin)
    if height > room:
        raise ValueError(f"inset: at scale {scale} it would be {height} px tall, more than the {room} px between the "
                         f"frame's margins ({H} px less 2 × {margin} × the width); use a smaller scale or margin")
    small = resize(inset.expand(-1, C, -1, -1) if inset.shape[1] == 1 else inset, (height, width))
    if small.shape[1] != C:
        small = small.mean(dim=1, keepdim=True)                              # a colour inset on a grey clip
    looped = small[torch.arange(T) % len(small)]
    out = video.clone()
    gap = round(W * margin)
    out[:, :, H - gap - height:H - gap, W - gap - width:W - gap] = looped
    return out


# ---------------------------------------------------------------------------------------------
# reframing: a crop window that follows the motion

def motion_centre(video, window=9):
    """The horizontal centre of the motion in each frame (T,), in pixels, shot by shot (a cut
    starts afresh): the mean column of the frame difference, weighted by its size, then averaged
    over `window` frames centred on each (an editor may look ahead, so the window does not lag).
    Frames without motion keep the last centre that had some (the frame's middle before any)."""
    check_video(video)
    check_count(window, "window", meaning="frames to average over")
    return torch.cat([_shot_motion_centre(shot, window) for shot in shots(video)])


def _shot_motion_centre(shot, window):
    if len(shot) == 1:
        return torch.tensor([(shot.shape[-1] - 1) / 2])
    difference = (shot[1:] - shot[:-1]).abs().sum(dim=(1, 2))               # (T-1, W)
    difference = torch.cat([difference[:1], difference])                     # frame 0 takes frame 1's motion
    columns = torch.arange(shot.shape[-1], dtype=torch.float32, device=shot.device)
    weight = difference.sum(dim=1)
    raw = ((difference * columns).sum(dim=1) / weight.clamp(min=1e-8)).cpu()
    return smooth_track(raw, weight > 1e-3, (shot.shape[-1] - 1) / 2, window)


def smooth_track(raw, moving, start, window):
    """A position per frame from `raw` (T,), where frames that are not `moving` (T,) bool keep the
    last position that was (`start` before any), averaged over `window` frames centred on each
    (the ends repeated): (T,) float."""
    position, track = start, []
    for x, move in zip(raw.tolist(), moving.tolist()):
        position = x if move else position
        track.append(position)
    padded = F.pad(torch.tensor(track, dtype=torch.float32)[None, None], (window // 2, (window - 1) // 2), mode="replicate")
    return F.avg_pool1d(padded, window, stride=1)[0, 0]


def check_aspect(aspect):
    """An aspect ratio (width, height) of two positive whole numbers, or a clear error."""
    if not (isinstance(aspect, tuple) and len(aspect) == 2 and all(isinstance(n, int) and n > 0 for n in aspect)):
        raise ValueError(f"aspect: expected (width, height) as two positive whole numbers, e.g. (9, 16); got {aspect!r}")
    return aspect


def reframe(video, aspect, window=9):
    """Crop to `aspect` = (width, height), e.g. (9, 16) or (1, 1), keeping the full height when
    the target is narrower (the window follows `motion_centre`), else the full width, centred."""
    check_video(video)
    check_aspect(aspect)
    T, C, H, W = video.shape
    width = round(H * aspect[0] / aspect[1])
    if width > W:                                                            # wider than the clip: crop rows
        height = round(W * aspect[1] / aspect[0])
        top = (H - height) // 2
        return video[:, :, top:top + height]
    return crop_columns(video, motion_lefts(video, width, window), width)


def motion_lefts(video, width, window=9):
    """The left column of a `width`-wide window centred on `motion_centre` in each frame, kept
    inside the frame: (T,) long."""
    check_in_range(check_count(width, "width"), "width", 1, check_video(video).shape[-1], meaning="the window's width in pixels")
    return (motion_centre(video, window) - width / 2).round().clamp(0, video.shape[-1] - width).long()


def crop_columns(video, lefts, width):
    """Frame t cropped to the columns lefts[t] … lefts[t] + width − 1: (T, C, H, width)."""
    W, lefts = check_video(video).shape[-1], torch.as_tensor(lefts)
    if not (isinstance(width, (int, np.integer)) and 0 < width <= W and lefts.shape == (len(video),) and not lefts.is_floating_point()
            and 0 <= lefts.min() <= lefts.max() <= W - width):
        raise ValueError(f"lefts, width: expected one whole column per frame ({len(video)}), each in 0 … {W} − width, "
                         f"and 0 < width ≤ {W} (the frame's width); got {describe(lefts)}, {lefts.tolist()[:6]}…, and width {width!r}")
    return torch.stack([frame[:, :, left:left + width] for frame, left in zip(video, lefts)])


# ---------------------------------------------------------------------------------------------
# looks

def grade(video, curve):
    """A tone curve: `curve` is a list of (input, output) points in [0, 1] with increasing
    inputs from 0 to 1, joined by straight lines and applied to every channel (an S-curve adds
    contrast)."""
    check_video(video)
    valid = (isinstance(curve, (list, tuple)) and len(curve) >= 2
             and all(isinstance(p, tuple) and len(p) == 2 and all(0 <= v <= 1 for v in p) for p in curve))
    if not valid or curve[0][0] != 0 or curve[-1][0] != 1 or any(a[0] >= b[0] for a, b in zip(curve, curve[1:])):
        raise ValueError(f"curve: expected (input, output) points in [0, 1], inputs increasing from 0 to 1, "
                         f"e.g. [(0, 0), (0.25, 0.2), (0.75, 0.8), (1, 1)]; got {curve!r}")
    inputs, outputs = (torch.tensor(values, dtype=video.dtype, device=video.device) for values in zip(*curve))
    segment = torch.bucketize(video.contiguous(), inputs[1:-1])              # which straight piece each value is on
    x0, x1, y0, y1 = inputs[segment], inputs[segment + 1], outputs[segment], outputs[segment + 1]
    return y0 + (video - x0) / (x1 - x0) * (y1 - y0)


def vignette(video, strength=0.5):
    """Darken towards the corners: the corners lose `strength` of their brightness, the centre none."""
    check_video(video)
    check_in_range(strength, "strength", 0, 1, meaning="the share of brightness the corners lose")
    H, W = video.shape[-2:]
    y, x = torch.meshgrid(torch.linspace(-1, 1, H, device=video.device), torch.linspace(-1, 1, W, device=video.device),
                          indexing="ij")
    falloff = (x.square() + y.square()) / 2                                  # 0 at the centre, 1 in the corners
    return video * (1 - strength * falloff)


# ---------------------------------------------------------------------------------------------
# captions

def find_cjk_font():
    """The path of the first CJK font found among CJK_FONTS, or None."""
    return next((str(path) for path in map(Path, CJK_FONTS) if path.is_file()), None)


def _needs_cjk(text):
    return any(ord(character) >= 0x2E80 for character in text)


def title_safe_position(frame_size, text_size, margin=0.08):
    """(left, top) in pixels of a text box (text_height, text_width) centred horizontally on a frame
    (height, width), its bottom edge `margin` of the height above the frame's bottom; the title-safe
    area keeps `margin` of the frame clear on every side, so a box wider or taller than it is a ValueError."""
    (height, width), (text_height, text_width) = frame_size, text_size
    for size, extent, side in ((text_width, width, "wide"), (text_height, height, "tall")):
        if size > extent * (1 - 2 * margin):
            raise ValueError(f"a {size} px {side} text does not fit the title-safe area, {extent * (1 - 2 * margin):.0f} px {side} "
                             f"({margin:.0%} of the {extent} px frame kept clear on each side)")
    return (width - text_width) / 2, height * (1 - margin) - text_height


def caption(video, text, size=None, font=None, margin=0.08):
    """Draw `text` centred at the bottom of every frame, white with a dark outline, `margin` (a
    share of the height) above the bottom edge, inside the title-safe area. size: the text height
    in pixels (default a twelfth of the frame's height); font: a TrueType/OpenType file."""
    from PIL import Image, ImageDraw, ImageFont

    check_video(video)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text: expected a non-empty string; got {describe(text) if not isinstance(text, str) else repr(text)}")
    T, C, H, W = video.shape
    size = max(10, H // 12) if size is None else check_count(size, "size", meaning="the text height in pixels")
    if font is None and _needs_cjk(text):
        font = find_cjk_font()
        if font is None:
            raise RuntimeError(f"caption {text!r} has Chinese, Japanese or Korean characters and no CJK font was found; "
                               + INSTALL_CJK_FONT)
    try:
        typeface = ImageFont.truetype(font, size) if font else ImageFont.load_default(size)
    except OSError as error:
        raise ValueError(f"font: expected a TrueType/OpenType file (.ttf, .ttc, .otf); got {font!r}, which does not open ({error})") from None
    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    outline = max(1, size // 12)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=typeface, stroke_width=outline)
    try:
        box_left, box_top = title_safe_position((H, W), (bottom - top, right - left), margin)
    except ValueError as err:
        raise ValueError(f"caption {text!r} at size {size}: {err}; use a smaller size or a shorter text") from None
    draw.text((box_left - left, box_top - top), text, font=typeface, fill="white", stroke_width=outline, stroke_fill="black")
    rgba = torch.from_numpy(np.asarray(layer, dtype=np.float32) / 255).permute(2, 0, 1)   # (4, H, W)
    colour, alpha = (rgba[:3] if C == 3 else rgba[:3].mean(dim=0, keepdim=True)), rgba[3:]
    return video * (1 - alpha) + colour.to(video.device) * alpha.to(video.device)
