"""Video files through PyAV (FFmpeg's Python binding): read, write, inspect.

Decoders give uint8 frames (H, W, C); these functions convert to and from the course convention,
(T, C, H, W) float32 in [0, 1] (utils.video). PyAV is imported inside them, so that the rest of
the course runs without it (a GPU machine that only trains needs no video codecs).
"""
import numbers
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from utils.video import check_count, check_positive, check_video, describe, from_numpy, resize, to_gray, to_uint8


class VideoFileError(ValueError):
    """A video file that exists but cannot be used: empty, corrupt, not a video, no frames."""


def _pyav():
    """PyAV, imported where files are read or written: the rest of the course runs without it
    (a GPU machine that only trains needs no video codecs)."""
    try:
        import av
    except ImportError as err:
        raise ImportError("reading and writing video files needs PyAV (FFmpeg's Python binding): "
                          "pip install av==18.1.0") from err
    return av


def _check_path(path, hint=""):
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path: expected a file path (a str or pathlib.Path); got {describe(path)}.{hint}")
    return Path(path)


def _open(path):
    av = _pyav()
    path = _check_path(path)
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
    """Frame count, frame rate, size, codec and duration of a video file. The frames are counted
    from the packets actually stored (demuxed, not decoded: fast), so a truncated file reports
    what it really holds; `frames_in_header` is what its header claims."""
    av = _pyav()
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate) if stream.average_rate else None
        try:
            stored = sum(1 for packet in container.demux(stream) if packet.size)
        except av.error.FFmpegError as err:
            raise VideoFileError(f"cannot read {path}: the file is corrupt or truncated ({err})") from err
        return {
            "path": str(path),
            "frames": stored,
            "frames_in_header": stream.frames or None,  # some containers do not store it
            "truncated": bool(stream.frames) and stored < stream.frames,
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
    check_count(start, "start", minimum=0, meaning="a frame index")
    check_count(step, "step", meaning="a step between frames")
    if end is not None:
        check_count(end, "end", meaning="a frame index (the first not read)")
    if end is not None and end <= start:
        raise ValueError(f"expected 0 <= start < end and step >= 1; got start={start}, end={end}, step={step}")
    if crop is not None:
        if not (isinstance(crop, (tuple, list)) and len(crop) == 4 and all(isinstance(n, int) for n in crop)):
            raise ValueError(f"crop: expected (top, left, height, width), four whole numbers of source pixels; got {crop!r}")
        top, left, height, width = crop
        if top < 0 or left < 0 or height < 1 or width < 1:
            raise ValueError(f"crop: expected (top, left, height, width) with top, left >= 0 and a size of at least "
                             f"1×1; got {crop}")
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
                if top + height > rgb.shape[0] or left + width > rgb.shape[1]:
                    raise ValueError(f"crop {crop} (top, left, height, width) reaches outside the "
                                     f"{rgb.shape[0]}×{rgb.shape[1]} frames of {path}")
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


def _check_quality(quality, name="quality"):
    if isinstance(quality, bool) or not isinstance(quality, numbers.Integral) or not 0 <= quality <= 51:
        raise ValueError(f"{name}: x264's CRF; expected a whole number from 0 (lossless) to 51 (worst), got {quality!r}")
    return quality


def write_video(path, video, fps=10, quality=18, progress=True):
    """Write a course video to .mp4 (H.264, yuv420p, faststart: plays in browsers) or .gif, with a
    progress bar unless progress=False. Returns the path.

    quality is x264's CRF: 0 is lossless, 18 looks lossless, 28 is small. GIF stores frame delays
    in 1/100 s, so a GIF's frame rate is approximate (12 fps plays at 12.5).
    """
    path = _check_path(path, " A video? The path comes first: write_video(path, video)." if isinstance(path, torch.Tensor) else "")
    check_positive(fps, f"{path}: fps", "frames per second")
    _check_quality(quality, f"{path}: quality")
    if path.suffix.lower() not in (".mp4", ".gif"):
        raise ValueError(f"{path}: expected a path ending in .mp4 or .gif")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: the folder {path.parent} does not exist")
    frames = to_uint8(video)
    if path.suffix.lower() == ".gif":
        from PIL import Image

        images = [Image.fromarray(f) for f in tqdm(frames, desc=f"writing {path.name}", unit="frame", leave=False, disable=not progress)]
        try:
            images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
        except OSError as err:
            raise OSError(f"{path}: cannot write the GIF ({err})") from err
        return path
    # yuv420p halves the chroma resolution, so H.264 needs even sizes: pad by edge replication.
    height, width = frames.shape[1:3]
    frames = np.pad(frames, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    av = _pyav()
    try:
        # faststart: the index (moov) goes before the frames, so a browser can play while downloading
        with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as container:
            stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            # x264's macroblock-tree rate control made the same clip encode to different files from run
            # to run (measured on this machine's x264); without it every encode is reproducible
            stream.options = {"crf": str(quality), "preset": "fast", "x264-params": "mbtree=0"}
            for frame in tqdm(frames, desc=f"writing {path.name}", unit="frame", leave=False, disable=not progress):
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode())
    except (av.error.FFmpegError, OSError) as err:
        raise OSError(f"{path}: cannot write the video ({err})") from err
    return path


def has_audio(path):
    """Whether the file holds a sound stream."""
    with _open(path) as container:
        return bool(container.streams.audio)


def copy_audio(source, target):
    """Put the sound of `source` into `target`, a video-only MP4 made from it by write_video with the
    same timeline: the sound's packets are copied, not re-encoded. Raises OSError when the sound's
    codec cannot go into an MP4 (target is then left as it was)."""
    av = _pyav()
    source, target = Path(source), Path(target)
    combined = target.with_name(f"{target.stem}.with-sound{target.suffix}")
    try:
        with _open(source) as sound, _open(target) as pictures, \
                av.open(str(combined), "w", format="mp4", options={"movflags": "faststart"}) as out:
            streams = (pictures.streams.video[0], sound.streams.audio[0])
            copies = [out.add_stream_from_template(stream) for stream in streams]  # all before the first packet
            for stream, copied in zip(streams, copies):
                for packet in stream.container.demux(stream):
                    if packet.dts is not None:  # the demuxer's final flush packet carries no data
                        packet.stream = copied
                        out.mux(packet)
    except (av.error.FFmpegError, ValueError) as err:
        combined.unlink(missing_ok=True)
        raise OSError(f"cannot copy the sound of {source} into {target} ({err})") from err
    combined.replace(target)
    return target


def read_tag(path, name):
    """The text of the container's metadata tag `name`, or None when the file has none."""
    with _open(path) as container:
        return container.metadata.get(name)


def write_tag(source, target, name, text):
    """Copy the MP4 `source` to `target` with the metadata tag `name` set to `text`. The streams'
    packets are copied, not re-encoded, so the decoded frames are identical."""
    av = _pyav()
    source, target = Path(source), Path(target)
    if source.resolve() == target.resolve():
        raise ValueError(f"{target}: expected a new file; writing the tag in place would overwrite its source")
    try:
        with _open(source) as original, \
                av.open(str(target), "w", format="mp4", options={"movflags": "faststart+use_metadata_tags"}) as out:
            out.metadata[name] = text
            streams = [s for s in original.streams if s.type in ("video", "audio")]
            copies = {stream.index: out.add_stream_from_template(stream) for stream in streams}
            for packet in original.demux(streams):
                if packet.dts is not None:  # the demuxer's final flush packet carries no data
                    packet.stream = copies[packet.stream.index]
                    out.mux(packet)
    except av.error.FFmpegError as err:
        target.unlink(missing_ok=True)
        raise OSError(f"cannot write {target} ({err})") from err
    return target


def reencode(video, quality=23, fps=25):
    """The clip (T, C, H, W) after a trip through H.264 at CRF `quality`: written to a temporary MP4
    and read back, at its own size and channels (write_video pads odd sizes and stores gray as RGB;
    both are undone)."""
    check_video(video)
    _check_quality(quality)
    check_positive(fps, "fps", "frames per second")
    with tempfile.TemporaryDirectory() as folder:
        path = write_video(Path(folder) / "reencoded.mp4", video, fps=fps, quality=quality, progress=False)
        frames, _ = read_video(path)
    frames = frames[..., :video.shape[-2], :video.shape[-1]]
    return to_gray(frames) if video.shape[1] == 1 else frames
