"""`video-studio`: lesson 05's pipeline as a command, input → preprocess → generate → edit → output.

    video-studio IN.mp4 --trim 2:5 --reframe 9:16 --slowmo 2 --caption "slow motion" -o OUT.mp4
    python -m utils.studio IN.mp4 --grade contrast --vignette 0.4 -o OUT.gif

The steps run in the order of --help, each a function of utils.edit or utils.flow on the whole clip,
and the command prints each step's time. Bad input — a missing or corrupt file, a trim outside the
clip, an output that would overwrite the input, a folder that does not exist — is one line on
stderr and exit code 2. The sound is not carried over: the output has pictures only.
"""
import argparse
import math
import sys
import time
from pathlib import Path

from utils import edit
from utils.flow import double_frame_rate
from utils.video import resample_fps
from utils.videofile import VideoFileError, read_video, write_video

SLOW_MOTION_METHODS = {"repeat": "repeat", "blend": "blend", "lucas-kanade": "Lucas–Kanade",
                       "horn-schunck": "Horn–Schunck", "tv-l1": "TV-L1 (scikit-image)"}
GRADES = {"contrast": [(0, 0), (0.25, 0.18), (0.75, 0.82), (1, 1)],       # an S-curve
          "fade": [(0, 0.08), (1, 0.92)],                                   # lifted blacks, softer whites
          "bright": [(0, 0), (0.5, 0.62), (1, 1)]}
EXAMPLES = """examples:
  video-studio bikes.mp4 --trim 0:2 -o first_two_seconds.mp4
  video-studio bikes.mp4 --reframe 9:16 --caption "ride" -o vertical.mp4     (a phone-shaped advert)
  video-studio bikes.mp4 --trim 1:3 --slowmo 2 --slowmo-method lucas-kanade -o slow.mp4
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
    if factor < 2 or factor & (factor - 1):
        raise argparse.ArgumentTypeError(f"expected 2, 4 or 8 (each doubling inserts a frame between two); got {text!r}")
    return factor


def parser():
    p = argparse.ArgumentParser(prog="video-studio", description=__doc__.splitlines()[0],
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="the video to edit (any file FFmpeg reads)")
    p.add_argument("-o", "--output", type=Path, required=True, help="where to write: .mp4 (H.264) or .gif")
    p.add_argument("--shot", type=int, metavar="N", help="keep only the N-th shot (1, 2, …), cut where the picture "
                   "changes abruptly (lesson 01's detector); --trim then counts from the shot's start")
    p.add_argument("--trim", type=_span, metavar="START:END", help="keep START to END seconds, e.g. --trim 2:5")
    p.add_argument("--reframe", type=_aspect, metavar="W:H",
                   help="crop to this shape, the window following the motion: --reframe 9:16 (vertical), 1:1")
    p.add_argument("--ramp", type=_speeds, metavar="FROM:TO",
                   help="a speed ramp: playback speed changing from FROM to TO, e.g. --ramp 1:0.25 eases into slow motion")
    p.add_argument("--slowmo", type=_slowdown, metavar="N", help="N times slower (2, 4 or 8) by inserting frames")
    p.add_argument("--slowmo-method", choices=SLOW_MOTION_METHODS, default="blend",
                   help="how the inserted frames are made (lesson 02): repeat, blend, or motion-compensated with "
                        "an optical flow (default: blend)")
    p.add_argument("--fps", type=_positive, metavar="F", help="the output frame rate, frames dropped or repeated: --fps 12")
    p.add_argument("--grade", choices=GRADES, help="a tone curve: contrast (an S-curve), fade or bright")
    p.add_argument("--vignette", type=float, metavar="S", help="darken the corners by a share S in [0, 1], e.g. 0.4")
    p.add_argument("--caption", metavar="TEXT", help='text at the bottom of every frame, e.g. --caption "慢动作"')
    return p


def run(args, log=print):
    """Carry out the steps of parsed `args`; returns the output path. Raises StudioError for bad input."""
    if args.output.resolve() == args.input.resolve():
        raise StudioError(f"{args.output}: the output would overwrite the input; choose another name")
    if args.output.suffix.lower() not in (".mp4", ".gif"):
        raise StudioError(f"{args.output}: expected a path ending in .mp4 or .gif")
    if not args.output.parent.is_dir():
        raise StudioError(f"{args.output}: the folder {args.output.parent} does not exist")
    steps = [("read", lambda clip, fps: read_video(args.input))]
    if args.shot is not None:
        steps.append(("shot", lambda clip, fps: (_shot(clip, args.shot), fps)))
    if args.trim:
        steps.append(("trim", lambda clip, fps: (edit.trim(clip, fps, *args.trim), fps)))
    if args.reframe:
        steps.append(("reframe", lambda clip, fps: (edit.reframe(clip, args.reframe), fps)))
    if args.ramp:
        steps.append(("speed ramp", lambda clip, fps: (edit.speed_ramp(clip, *args.ramp), fps)))
    for _ in range(int(math.log2(args.slowmo or 1))):
        steps.append(("slow motion ×2", lambda clip, fps: (double_frame_rate(clip, SLOW_MOTION_METHODS[args.slowmo_method]), fps)))
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
    log(f"wrote {args.output} ({len(clip)} frames at {fps:g} fps, {len(clip) / fps:.2f} s); no sound")
    return args.output


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
