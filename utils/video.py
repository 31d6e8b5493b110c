"""Videos as tensors, and video files through PyAV.

The course convention: a video is a float tensor of shape (T, C, H, W) with values in [0, 1]
(C = 1 or 3); a batch of videos is (B, T, C, H, W). Every public function that takes a video
checks this first and says what it expected and what it got.
"""
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange

EXPECTED = "a float tensor of shape (T, C, H, W) with C in {1, 3} and values in [0, 1]"


class VideoFileError(ValueError):
    """A video file that exists but cannot be used: empty, corrupt, not a video, no frames."""


# ---------------------------------------------------------------------------------------------
# validation

def _describe(x):
    if isinstance(x, torch.Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)}"
    if isinstance(x, np.ndarray):
        return f"a NumPy array of shape {x.shape} and dtype {x.dtype}"
    return f"a {type(x).__name__}"


def check_video(video, name="video"):
    """Return `video` unchanged if it follows the convention; otherwise raise a clear error."""
    if not isinstance(video, torch.Tensor):
        hint = " Convert it with utils.video.from_numpy(array)." if isinstance(video, np.ndarray) else ""
        raise TypeError(f"{name}: expected {EXPECTED}; got {_describe(video)}.{hint}")
    if video.ndim != 4:
        hint = {
            3: " A single image (C, H, W)? Add a time axis: image[None].",
            5: " A batch (B, T, C, H, W)? Pass one video: batch[0].",
        }.get(video.ndim, "")
        raise ValueError(f"{name}: expected {EXPECTED}; got {_describe(video)}.{hint}")
    if video.shape[1] not in (1, 3):
        hint = " Channels last? Use rearrange(video, 't h w c -> t c h w')." if video.shape[-1] in (1, 3) else ""
        raise ValueError(f"{name}: expected {EXPECTED}; got {_describe(video)} (C = {video.shape[1]}).{hint}")
    if not video.is_floating_point():
        hint = " uint8 frames? Use video.float() / 255." if video.dtype == torch.uint8 else ""
        raise TypeError(f"{name}: expected {EXPECTED}; got {_describe(video)}.{hint}")
    if video.numel() == 0:
        raise ValueError(f"{name}: expected {EXPECTED}; got an empty tensor of shape {tuple(video.shape)}.")
    low, high = video.min().item(), video.max().item()
    if not (low >= -1e-4 and high <= 1 + 1e-4):  # also catches NaN
        hint = " Values in [-1, 1]? Use (video + 1) / 2." if low >= -1 - 1e-4 and high <= 1 + 1e-4 else ""
        raise ValueError(f"{name}: expected {EXPECTED}; got values in [{low:.4g}, {high:.4g}].{hint}")
    return video


def check_batch(batch, name="batch"):
    """Like `check_video`, for a batch of shape (B, T, C, H, W)."""
    if not isinstance(batch, torch.Tensor) or batch.ndim != 5:
        hint = " One video (T, C, H, W)? Add a batch axis: video[None]." if isinstance(batch, torch.Tensor) and batch.ndim == 4 else ""
        raise ValueError(f"{name}: expected a batch of videos (B, T, C, H, W); got {_describe(batch)}.{hint}")
    check_video(rearrange(batch, "b t c h w -> (b t) c h w"), name)
    return batch


def check_image(image, name="image"):
    """A still image (C, H, W), float in [0, 1]."""
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        raise ValueError(f"{name}: expected an image tensor of shape (C, H, W), float in [0, 1]; got {_describe(image)}.")
    check_video(image[None], name)
    return image


# ---------------------------------------------------------------------------------------------
# conversions

def from_numpy(frames):
    """(T, H, W, C) or (T, H, W) uint8 frames, as decoders give them → a course video (T, C, H, W)."""
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[..., None]
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3):
        raise ValueError(f"expected uint8 frames of shape (T, H, W, C) or (T, H, W); got {_describe(frames)}")
    if frames.dtype != np.uint8:
        raise TypeError(f"expected uint8 frames (0..255); got {_describe(frames)}")
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
    out = F.interpolate(video.float(), size=tuple(size), mode="bilinear", antialias=True, align_corners=False)
    return out.clamp(0, 1)


def center_crop(video, size):
    """Crop the central (H, W) region of every frame."""
    check_video(video)
    height, width = size
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
    if fps_in <= 0 or fps_out <= 0:
        raise ValueError(f"frame rates must be positive; got fps_in={fps_in}, fps_out={fps_out}")
    count = int(len(video) * fps_out / fps_in + 1e-9)
    index = (torch.arange(count, dtype=torch.float64) * (fps_in / fps_out) + 1e-9).floor().long()
    return video[index]


def frame_differences(video):
    """Mean absolute change between consecutive frames, shape (T − 1,): spikes mark cuts."""
    check_video(video)
    return (video[1:] - video[:-1]).abs().mean(dim=(1, 2, 3))


# ---------------------------------------------------------------------------------------------
# files

def _pyav():
    """PyAV, imported where files are read or written: the rest of the course runs without it
    (a GPU machine that only trains needs no video codecs)."""
    try:
        import av
    except ImportError as err:
        raise ImportError("reading and writing video files needs PyAV (FFmpeg's Python binding): "
                          "pip install av==18.1.0") from err
    return av


def _open(path):
    av = _pyav()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"video file not found: {path}")
    if path.is_dir():
        raise VideoFileError(f"expected a video file; got a directory: {path}")
    if path.stat().st_size == 0:
        raise VideoFileError(f"video file is empty (0 bytes): {path}")
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as err:
        raise VideoFileError(f"cannot decode {path}: not a video file FFmpeg can read ({err})") from err
    if not container.streams.video:
        container.close()
        raise VideoFileError(f"{path} has no video stream (streams: {[s.type for s in container.streams]})")
    return container


def video_info(path):
    """Frame count, frame rate, size, codec and duration of a video file, without decoding it all."""
    av = _pyav()
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate) if stream.average_rate else None
        return {
            "path": str(path),
            "frames": stream.frames or None,  # some containers do not store it
            "fps": fps,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "codec": stream.codec_context.name,
            "duration_s": float(container.duration / av.time_base) if container.duration else None,
            "file_bytes": Path(path).stat().st_size,
        }


def read_video(path, start=0, end=None, step=1, size=None, crop=None):
    """Decode frames [start, end) (every `step`-th) of a video file → (video (T, 3, H, W), fps).

    crop = (top, left, height, width) in source pixels, applied first; size = (H, W), then.
    Raises FileNotFoundError / VideoFileError for a missing, empty, corrupt or frameless file,
    and ValueError when the requested range holds no frame.
    """
    if start < 0 or step < 1 or (end is not None and end <= start):
        raise ValueError(f"expected 0 <= start < end and step >= 1; got start={start}, end={end}, step={step}")
    av = _pyav()
    frames, index = [], -1
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = float(stream.average_rate) if stream.average_rate else 25.0
        for index, frame in enumerate(container.decode(stream)):
            if end is not None and index >= end:
                break
            if index < start or (index - start) % step:
                continue
            rgb = frame.to_ndarray(format="rgb24")  # (H, W, 3) uint8
            if crop is not None:
                top, left, height, width = crop
                rgb = rgb[top:top + height, left:left + width]
            tensor = from_numpy(rgb[None])
            frames.append(resize(tensor, size) if size is not None else tensor)
    except av.error.FFmpegError as err:
        raise VideoFileError(f"cannot decode {path}: the file is corrupt or truncated ({err})") from err
    finally:
        container.close()
    if index < 0:
        raise VideoFileError(f"{path} contains no decodable frame")
    if not frames:
        raise ValueError(f"{path} has {index + 1} frames; the range start={start}, end={end} holds none")
    return torch.cat(frames), fps


def write_video(path, video, fps=10, quality=18):
    """Write a course video to .mp4 (H.264, plays in browsers) or .gif. Returns the path.

    quality is x264's CRF: 0 is lossless, 18 looks lossless, 28 is small. GIF stores frame delays
    in 1/100 s, so a GIF's frame rate is approximate (12 fps plays at 12.5).
    """
    path = Path(path)
    frames = to_uint8(video)
    if path.suffix.lower() == ".gif":
        from PIL import Image

        images = [Image.fromarray(f) for f in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
        return path
    if path.suffix.lower() != ".mp4":
        raise ValueError(f"expected a path ending in .mp4 or .gif; got {path.name}")
    # yuv420p halves the chroma resolution, so H.264 needs even sizes: pad by edge replication.
    height, width = frames.shape[1:3]
    frames = np.pad(frames, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    av = _pyav()
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(quality), "preset": "fast"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path
