"""Videos as tensors: the course convention, its checks, and conversions.

The course convention: a video is a float tensor of shape (T, C, H, W) with values in [0, 1]
(C = 1 or 3); a batch of videos is (B, T, C, H, W). Every public function that takes a video
checks this first and says what it expected and what it got.
"""
import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange

EXPECTED = "a float32 tensor of shape (T, C, H, W) with C in {1, 3} and values in [0, 1]"


# ---------------------------------------------------------------------------------------------
# validation

def describe(x):
    """What a value is, for an error message: dtype and shape of a tensor or array, else its type."""
    if isinstance(x, torch.Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)}"
    if isinstance(x, np.ndarray):
        return f"a NumPy array of shape {x.shape} and dtype {x.dtype}"
    if x is None:
        return "None"
    kind = type(x).__name__
    return f"{'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}"


def _mixed_precision(x):
    """Half-precision activations inside torch.autocast (training on CUDA) are expected, not an error."""
    return x.dtype in (torch.bfloat16, torch.float16) and torch.is_autocast_enabled(x.device.type)


def check_video(video, name="video"):
    """Return `video` unchanged if it follows the convention; otherwise raise a clear error."""
    if not isinstance(video, torch.Tensor):
        hint = (" Convert it with utils.video.from_numpy(array) (uint8 frames as decoders give them) or torch.from_numpy(array)."
                if isinstance(video, np.ndarray) else _dict_hint(video))
        raise TypeError(f"{name}: expected {EXPECTED}; got {describe(video)}.{hint}")
    if video.ndim != 4:
        hint = {
            3: " A single image (C, H, W)? Add a time axis: image[None].",
            5: " A batch (B, T, C, H, W)? Pass one video: batch[0].",
        }.get(video.ndim, "")
        raise ValueError(f"{name}: expected {EXPECTED}; got {describe(video)}.{hint}")
    if video.shape[1] not in (1, 3):
        hint = " Channels last? Use rearrange(video, 't h w c -> t c h w')." if video.shape[-1] in (1, 3) else ""
        raise ValueError(f"{name}: expected {EXPECTED}; got {describe(video)} (C = {video.shape[1]}).{hint}")
    if video.dtype != torch.float32 and not _mixed_precision(video):
        hint = {torch.uint8: " uint8 frames? Use video.float() / 255."}.get(
            video.dtype, " Convert it with video.float()." if video.is_floating_point() else "")
        raise TypeError(f"{name}: expected {EXPECTED}; got {describe(video)}.{hint}")
    if video.numel() == 0:
        raise ValueError(f"{name}: expected {EXPECTED}; got an empty tensor of shape {tuple(video.shape)}.")
    low, high = video.min().item(), video.max().item()
    if not (low >= -1e-4 and high <= 1 + 1e-4):  # also catches NaN
        hint = " Values in [-1, 1]? Use (video + 1) / 2." if low >= -1 - 1e-4 and high <= 1 + 1e-4 else ""
        raise ValueError(f"{name}: expected {EXPECTED}; got values in [{low:.4g}, {high:.4g}].{hint}")
    return video


def _dict_hint(x):
    """A data batch (a dict such as evalnet.benchmark's) passed where its clips belong."""
    return " A data batch (a dict)? Pass its clips: batch['video']." if isinstance(x, dict) and "video" in x else ""


def batch_field(batch, key, name="batch"):
    """batch[key] of a data batch (a dict, such as MovingDigits.batch gives), or a clear error."""
    if not isinstance(batch, dict) or key not in batch:
        got = f"a dict with keys {sorted(batch)}" if isinstance(batch, dict) else describe(batch)
        hint = f" A tensor alone? Put it in a dict: {{{key!r}: tensor, ...}}." if isinstance(batch, torch.Tensor) else ""
        raise TypeError(f"{name}: expected a data batch, a dict with {key!r}; got {got}.{hint}")
    return batch[key]


def check_batch(batch, name="batch"):
    """Like `check_video`, for a batch of shape (B, T, C, H, W)."""
    if not isinstance(batch, torch.Tensor) or batch.ndim != 5:
        hint = " One video (T, C, H, W)? Add a batch axis: video[None]." if isinstance(batch, torch.Tensor) and batch.ndim == 4 \
            else _dict_hint(batch)
        raise ValueError(f"{name}: expected a batch of videos (B, T, C, H, W); got {describe(batch)}.{hint}")
    check_video(rearrange(batch, "b t c h w -> (b t) c h w"), name)
    return batch


def check_frames(frames, name="first_frames", channels=1, size=(64, 64)):
    """A batch of still frames (B, C, H, W) for a model: float32 in [0, 1], C = `channels`, (H, W) = `size`."""
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4:
        hint = " One frame (C, H, W)? Add a batch axis: frame[None]." if isinstance(frames, torch.Tensor) and frames.ndim == 3 else ""
        raise ValueError(f"{name}: expected a batch of frames (B, {channels}, {size[0]}, {size[1]}); got {describe(frames)}.{hint}")
    check_video(frames, name)
    if tuple(frames.shape[1:]) != (channels, *size):
        raise ValueError(f"{name}: expected frames of shape (B, {channels}, {size[0]}, {size[1]}); got {tuple(frames.shape)}")
    return frames


def check_clips(video, name="video"):
    """One video (T, C, H, W) or a batch (B, T, C, H, W), by the convention."""
    return check_batch(video, name) if isinstance(video, torch.Tensor) and video.ndim == 5 else check_video(video, name)


def check_image(image, name="image"):
    """A still image (C, H, W), float in [0, 1]."""
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        raise ValueError(f"{name}: expected an image tensor of shape (C, H, W), float in [0, 1]; got {describe(image)}.")
    check_video(image[None], name)
    return image


def check_count(value, name, minimum=1, meaning="a count"):
    """A whole number ≥ minimum (a bool is not one), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected {meaning}, a whole number ≥ {minimum}; got {value!r}")
    return int(value)


def check_positive(value, name, meaning="a number"):
    """A finite number > 0 (a bool is not one), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected {meaning}, a finite number > 0; got {value!r}")
    return value


def check_in_range(value, name, low, high, meaning="a number"):
    """A number from `low` to `high`, both included (a bool is not one), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(f"{name}: expected {meaning}, {low} ≤ {name} ≤ {high}; got {value!r}")
    return value


def check_generator(generator):
    """A torch.Generator or None (a seed is not one), or a clear error."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator, such as torch.Generator().manual_seed(0), or None; "
                        f"got {describe(generator)}")
    return generator


def check_model(model, kind, name="model"):
    """An instance of `kind` (a class or a tuple of classes), or a clear error saying what came."""
    if not isinstance(model, kind):
        kinds = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        hint = " A class? Build the model first, then load its checkpoint." if isinstance(model, type) else ""
        raise TypeError(f"{name}: expected a {kinds}; got {describe(model)}.{hint}")
    return model


def check_size(size, name="size"):
    """(H, W) as two positive whole numbers, or a clear error."""
    try:
        height, width = size
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected (height, width); got {size!r}") from None
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in (height, width)):
        raise ValueError(f"{name}: expected (height, width) as positive whole numbers of pixels; got {size!r}")
    return int(height), int(width)


# ---------------------------------------------------------------------------------------------
# conversions

def from_numpy(frames):
    """(T, H, W, C) or (T, H, W) uint8 frames, as decoders give them → a course video (T, C, H, W)."""
    frames = np.asarray(frames)
    if frames.ndim == 3 and frames.shape[-1] == 3:   # gray frames three pixels wide are not worth the ambiguity
        raise ValueError(f"expected uint8 frames (T, H, W, C) or gray frames (T, H, W); got {describe(frames)}, "
                         f"which looks like one RGB frame (H, W, 3). Add a time axis: frame[None].")
    if frames.ndim == 3:
        frames = frames[..., None]
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3):
        raise ValueError(f"expected uint8 frames of shape (T, H, W, C) or (T, H, W); got {describe(frames)}")
    if frames.dtype != np.uint8:
        raise TypeError(f"expected uint8 frames (0..255); got {describe(frames)}")
    if frames.size == 0:
        raise ValueError(f"expected at least one frame of at least 1×1 pixel; got {describe(frames)}")
    return rearrange(torch.from_numpy(frames.copy()), "t h w c -> t c h w").float() / 255


def to_uint8(video):
    """A course video → (T, H, W, 3) uint8 NumPy frames, ready for an encoder or matplotlib."""
    check_video(video)
    frames = (video.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8)
    if frames.shape[1] == 1:
        frames = frames.expand(-1, 3, -1, -1)
    return rearrange(frames, "t c h w -> t h w c").numpy()


def resize(video, size):
    """Resize every frame to `size` = (H, W) with antialiasing, so downscaling does not alias."""
    check_video(video)
    out = F.interpolate(video, size=check_size(size), mode="bilinear", antialias=True, align_corners=False)
    return out.clamp(0, 1)


def center_crop(video, size):
    """Crop the central (H, W) region of every frame."""
    check_video(video)
    height, width = check_size(size)
    top, left = (video.shape[2] - height) // 2, (video.shape[3] - width) // 2
    if top < 0 or left < 0:
        raise ValueError(f"crop {size} is larger than the frames {tuple(video.shape[2:])}")
    return video[:, :, top:top + height, left:left + width]


def to_gray(video):
    """Luma (ITU-R BT.601) of an RGB video; a gray video passes through. Keeps the (T, 1, H, W) shape."""
    check_video(video)
    if video.shape[1] == 1:
        return video
    weights = torch.tensor([0.299, 0.587, 0.114], device=video.device, dtype=video.dtype).view(1, 3, 1, 1)
    return (video * weights).sum(1, keepdim=True)


def resample_fps(video, fps_in, fps_out):
    """Change the frame rate by dropping or repeating frames.

    Output frame i is shown at time i / fps_out, so it is the source frame on screen then:
    index floor(i · fps_in / fps_out). The output covers the same duration: floor(T · fps_out / fps_in) frames.
    """
    check_video(video)
    check_positive(fps_in, "fps_in", "a frame rate")
    check_positive(fps_out, "fps_out", "a frame rate")
    count = int(len(video) * fps_out / fps_in + 1e-9)
    if count == 0:
        raise ValueError(f"expected a clip that lasts at least one frame at {fps_out:g} fps ({1 / fps_out:.3g} s); "
                         f"got {len(video)} frames at {fps_in:g} fps ({len(video) / fps_in:.3g} s): nothing would be left")
    index = (torch.arange(count, dtype=torch.float64) * (fps_in / fps_out) + 1e-9).floor().long()
    return video[index]


def frame_differences(video):
    """Mean absolute change between consecutive frames, shape (T − 1,): spikes mark cuts."""
    check_video(video)
    return (video[1:] - video[:-1]).abs().mean(dim=(1, 2, 3))


def detect_cuts(video, sensitivity=8.0):
    """Shot boundaries: the first frame of each new shot, as a list of indices. A frame starts a new
    shot when its difference from the frame before exceeds the clip's median difference by more than
    `sensitivity` median absolute deviations: a threshold that one cut cannot raise (a mean and a
    standard deviation would grow with the very spike they should find)."""
    check_positive(sensitivity, "sensitivity", meaning="how many median absolute deviations make a cut")
    differences = frame_differences(video)
    median = differences.median()
    threshold = median + sensitivity * (differences - median).abs().median()
    return ((differences > threshold).nonzero().flatten() + 1).tolist()
