"""`video-studio`: lesson 05's pipeline as a command, input → preprocess → generate → edit → output.

    video-studio IN.mp4 --trim 2:5 --reframe 9:16 --slowmo 2 --caption "slow motion" -o OUT.mp4
    video-studio PHOTO.jpg --animate 3 --caption "a still, animated" -o OUT.mp4
    python -m utils.studio IN.mp4 --grade contrast --vignette 0.4 -o OUT.gif

The steps run in the order of --help, after reading the input (and animating it, if it is a
still), each a function of utils.edit, utils.flow or lesson 05's learned interpolator on the whole
clip, and the command prints each step's time. Bad input — a missing or corrupt file, a trim
outside the clip, an output that would overwrite an input, a folder that does not exist — is one
line on stderr and exit code 2. The sound is copied unchanged into an MP4 when no step changes the
timeline; a step that cuts or retimes the clip drops it, and the command says so.
"""
import argparse
import functools
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from utils import edit
from utils.applications.slowmotion import FACTORS as SLOWDOWNS
from utils.flow import double_frame_rate
from utils.models.interpolator import load_interpolator
from utils.video import check_image, resample_fps
from utils.videofile import VideoFileError, copy_audio, has_audio, read_video, write_video

SLOW_MOTION_METHODS = {"learned": "learned", "repeat": "repeat", "blend": "blend", "lucas-kanade": "Lucas–Kanade",
                       "horn-schunck": "Horn–Schunck", "tv-l1": "TV-L1 (scikit-image)"}
STILL_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
GRADES = {"contrast": [(0, 0), (0.25, 0.18), (0.75, 0.82), (1, 1)],       # an S-curve
          "fade": [(0, 0.08), (1, 0.92)],                                   # lifted blacks, softer whites
          "bright": [(0, 0), (0.5, 0.62), (1, 1)]}
EXAMPLES = """examples:
  video-studio bikes.mp4 --trim 0:2 -o first_two_seconds.mp4
  video-studio bikes.mp4 --reframe 9:16 --caption "ride" -o vertical.mp4     (a phone-shaped advert)
  video-studio bikes.mp4 --trim 1:3 --slowmo 2 -o slow.mp4                  (the learned interpolator)
  video-studio bikes.mp4 --trim 1:3 --slowmo 4 --slowmo-method lucas-kanade -o slower.mp4
  video-studio a.mp4 --join b.mp4 c.mp4 --transition crossfade -o together.mp4
  video-studio photo.jpg --animate 4 --zoom 1.3 --caption "hello" -o photo.mp4   (a still, animated)
  video-studio bikes.mp4 --grade contrast --vignette 0.4 -o graded.gif
  video-studio bikes.mp4 --shot 2 --ramp 1:0.25 --fps 12 -o second_shot.gif
"""


class StudioError(Exception):
    """A problem with the user's input, reported as one line."""


def _span(text):
    """'2:5' → (2.0, 5.0) seconds."""
    try:
        start, end = (float(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END in seconds, e.g. 2:5; got {text!r}") from None
    return start, end


def _aspect(text):
    """'9:16' → (9, 16)."""
    try:
        width, height = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTH:HEIGHT, e.g. 9:16 or 1:1; got {text!r}") from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive WIDTH:HEIGHT; got {text!r}")
    return width, height


def _positive(text):
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}")
    return value


def _speeds(text):
    """'1:0.25' → (1.0, 0.25)."""
    try:
        start, end = (_positive(part) for part in text.split(":"))
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"expected FROM:TO, two positive speeds, e.g. 1:0.25; got {text!r}") from None
    return start, end


def _slowdown(text):
    factor = int(text) if text.isdigit() else 0
    if factor not in SLOWDOWNS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(map(str, SLOWDOWNS))} (each doubling inserts a frame "
                                         f"between two); got {text!r}")
    return factor


def parser():
    p = argparse.ArgumentParser(prog="video-studio", description=__doc__.splitlines()[0],
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="the video to edit (any file FFmpeg reads), or a still image "
                   f"({', '.join(STILL_SUFFIXES)}) to animate with --animate")
    p.add_argument("-o", "--output", type=Path, required=True, help="where to write: .mp4 (H.264) or .gif")
    p.add_argument("--join", type=Path, nargs="+", metavar="MORE", default=[],
                   help="more videos to put after the first on one timeline, resized and re-timed to match it")
    p.add_argument("--transition", choices=TRANSITIONS, default="cut",
                   help="between joined videos: cut, crossfade or wipe (default cut)")
    p.add_argument("--transition-seconds", type=_positive, default=0.5, metavar="S",
                   help="how long a crossfade or wipe lasts (default 0.5 s)")
    p.add_argument("--animate", type=_positive, metavar="SECONDS",
                   help="a still image becomes a clip this long, the camera slowly zooming in (default 3 s at 25 fps)")
    p.add_argument("--zoom", type=_positive, default=1.2, metavar="Z", help="how far --animate zooms in, e.g. 1.3 (default 1.2)")
    p.add_argument("--shot", type=int, metavar="N", help="keep only the N-th shot (1, 2, …), cut where the picture "
                   "changes abruptly (lesson 01's detector); --trim then counts from the shot's start")
    p.add_argument("--trim", type=_span, metavar="START:END", help="keep START to END seconds, e.g. --trim 2:5")
    p.add_argument("--reframe", type=_aspect, metavar="W:H",
                   help="crop to this shape, the window following the motion: --reframe 9:16 (vertical), 1:1")
    p.add_argument("--ramp", type=_speeds, metavar="FROM:TO",
                   help="a speed ramp: playback speed changing from FROM to TO, e.g. --ramp 1:0.25 eases into slow motion")
    p.add_argument("--slowmo", type=_slowdown, metavar="N", help=f"N times slower ({', '.join(map(str, SLOWDOWNS))}) by inserting frames")
    p.add_argument("--slowmo-method", choices=SLOW_MOTION_METHODS, default="learned",
                   help="how the inserted frames are made: learned (lesson 05's interpolator, the default), "
                        "or lesson 02's repeat, blend, or motion-compensated with an optical flow")
    p.add_argument("--fps", type=_positive, metavar="F", help="the output frame rate, frames dropped or repeated: --fps 12")
    p.add_argument("--grade", choices=GRADES, help="a tone curve: contrast (an S-curve), fade or bright")
    p.add_argument("--vignette", type=float, metavar="S", help="darken the corners by a share S in [0, 1], e.g. 0.4")
    p.add_argument("--caption", metavar="TEXT", help='text at the bottom of every frame, e.g. --caption "慢动作"')
    return p


def run(args, log=print):
    """Carry out the steps of parsed `args`; returns the output path. Raises StudioError for bad input."""
    if any(args.output.resolve() == path.resolve() for path in [args.input, *args.join]):
        raise StudioError(f"{args.output}: the output would overwrite an input; choose another name")
    if args.output.suffix.lower() not in (".mp4", ".gif"):
        raise StudioError(f"{args.output}: expected a path ending in .mp4 or .gif")
    if not args.output.parent.is_dir():
        raise StudioError(f"{args.output}: the folder {args.output.parent} does not exist")
    if args.input.suffix.lower() in STILL_SUFFIXES:
        seconds = args.animate or 3.0
        steps = [("read still", lambda clip, fps: (_read_still(args.input), STILL_FPS)),
                 ("animate", lambda still, fps: (edit.animate_still(still[0], max(2, round(seconds * fps)), args.zoom), fps))]
    elif args.animate is not None:
        raise StudioError(f"--animate makes a clip of a still image ({', '.join(STILL_SUFFIXES)}); {args.input} is not one")
    else:
        steps = [("read", lambda clip, fps: read_video(args.input))]
    if args.join:
        steps.append(("join", lambda clip, fps: (_joined(clip, fps, args), fps)))
    if args.shot is not None:
        steps.append(("shot", lambda clip, fps: (_shot(clip, args.shot), fps)))
    if args.trim:
        steps.append(("trim", lambda clip, fps: (edit.trim(clip, fps, *args.trim), fps)))
    if args.reframe:
        steps.append(("reframe", lambda clip, fps: (edit.reframe(clip, args.reframe), fps)))
    if args.ramp:
        steps.append(("speed ramp", lambda clip, fps: (edit.speed_ramp(clip, *args.ramp), fps)))
    for _ in range(int(math.log2(args.slowmo or 1))):
        steps.append(("slow motion ×2", lambda clip, fps: (double_frame_rate(clip, _interpolation(args.slowmo_method)), fps)))
    if args.fps:
        steps.append(("frame rate", lambda clip, fps: (resample_fps(clip, fps, args.fps), args.fps)))
    if args.grade:
        steps.append(("grade", lambda clip, fps: (edit.grade(clip, GRADES[args.grade]), fps)))
    if args.vignette is not None:
        steps.append(("vignette", lambda clip, fps: (edit.vignette(clip, args.vignette), fps)))
    if args.caption:
        steps.append(("caption", lambda clip, fps: (edit.caption(clip, args.caption), fps)))
    steps.append(("write", lambda clip, fps: _written(args.output, clip, fps)))
    clip, fps = None, None
    for name, step in steps:
        start = time.perf_counter()
        try:
            clip, fps = step(clip, fps)
        except (FileNotFoundError, VideoFileError, ValueError, RuntimeError, OSError) as err:
            message = str(err)
            raise StudioError(message if message.startswith(name) else f"{name}: {message}") from err
        log(f"{name:<15}{time.perf_counter() - start:6.2f} s  {len(clip)} frames of {clip.shape[-1]}×{clip.shape[-2]}")
    log(f"wrote {args.output} ({len(clip)} frames at {fps:g} fps, {len(clip) / fps:.2f} s); {_sound(args)}")
    return args.output


RETIMING = {"join": "--join", "shot": "--shot", "trim": "--trim", "ramp": "--ramp", "slowmo": "--slowmo", "fps": "--fps"}


def _sound(args):
    """Copy the input's sound into the output when the timeline is unchanged; say what happened to it."""
    if args.input.suffix.lower() in STILL_SUFFIXES or not has_audio(args.input):
        return "the input has no sound"
    retimed = [option for key, option in RETIMING.items() if getattr(args, key)]
    if retimed:
        verb = "changes" if len(retimed) == 1 else "change"
        return f"its sound is dropped: {' and '.join(retimed)} {verb} the timeline, so the sound would not match the pictures"
    if args.output.suffix.lower() == ".gif":
        return "its sound is dropped: a GIF has none"
    try:
        copy_audio(args.input, args.output)
    except OSError as err:
        return f"its sound is dropped: {err}"
    return "the sound is copied unchanged"


STILL_FPS = 25


@functools.lru_cache(maxsize=None)
def _interpolation(name):
    """What double_frame_rate takes for a --slowmo-method: the learned interpolator's midframes, or a method name."""
    return load_interpolator().midframes if name == "learned" else SLOW_MOTION_METHODS[name]


def _read_still(path):
    """An image file → a one-frame clip (1, 3, H, W), so that every later step sees a clip."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as err:
        raise VideoFileError(f"cannot read {path} as an image: the file is corrupt or not a picture ({err})") from None
    return check_image(torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255, str(path))[None]


TRANSITIONS = ("cut", "crossfade", "wipe")


def _joined(clip, fps, args):
    """The clip followed by each --join video (resized and re-timed to the clip), with --transition between."""
    overlap = 0 if args.transition == "cut" else max(1, round(args.transition_seconds * fps))
    for path in args.join:
        more, more_fps = read_video(path, size=tuple(clip.shape[-2:]))
        more = resample_fps(more, more_fps, fps)
        if args.transition == "cut":
            clip = edit.concatenate(clip, more)
        elif args.transition == "crossfade":
            clip = edit.crossfade(clip, more, overlap)
        else:
            clip = edit.wipe(clip, more, overlap)
    return clip


def _written(path, clip, fps):
    write_video(path, clip, fps)
    return clip, fps


def _shot(clip, number):
    found = edit.shots(clip)
    if not 1 <= number <= len(found):
        raise ValueError(f"expected a shot number from 1 to {len(found)} (the cuts found); got {number}")
    return found[number - 1]


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        run(args)
    except StudioError as err:
        print(f"video-studio: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
