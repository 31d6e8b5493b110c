"""How fast lesson 05's pipeline is on this machine: `video-studio` on the bikes clip (trim + caption +
export), ×2 slow motion of 2 s of it (learned, blend, Lucas–Kanade), and each interpolation
method's time per frame at 256 px width, on the same frames.

    python benchmarks/studio.py                    # on the CPU, with torch's default threads
    python benchmarks/studio.py --repeats 1 --seconds 1 --slowmo-seconds 0.5 --frames 2   # a quick look

Prints one line per measurement (the median of the repeats, after a warm-up for the per-frame
times). Speed is measured here, not in the tests.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from utils import data, flow, studio
from utils.models.interpolator import load_interpolator


def _median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (the median is printed)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of the clip exported with a caption (default 10)")
    parser.add_argument("--slowmo-seconds", type=float, default=2, help="seconds of the clip slowed down (default 2)")
    parser.add_argument("--frames", type=int, default=8, help="frame pairs for the per-frame times (default 8)")
    args = parser.parse_args(argv)
    bikes = data.clip_path("bikes")
    export, slow = f"0:{args.seconds:g}", f"4:{4 + args.slowmo_seconds:g}"
    with tempfile.TemporaryDirectory() as folder:
        commands = {
            f"video-studio bikes.mp4 --trim {export} --caption … (640×272, 25 fps)":
                ["--trim", export, "--caption", "Ride the city", "-o", f"{folder}/captioned.mp4"],
            f"video-studio bikes.mp4 --trim {slow} --slowmo 2 (learned)":
                ["--trim", slow, "--slowmo", "2", "-o", f"{folder}/slow.mp4"],
        }
        for method in ("blend", "lucas-kanade"):  # TV-L1 at 640 px takes seconds a frame: timed per frame below
            commands[f"video-studio bikes.mp4 --trim {slow} --slowmo 2 --slowmo-method {method}"] = \
                ["--trim", slow, "--slowmo", "2", "--slowmo-method", method, "-o", f"{folder}/slow_{method}.mp4"]
        for title, options in commands.items():
            seconds = _median_seconds(lambda: studio.run(studio.parser().parse_args([str(bikes), *options]),
                                                         log=lambda line: None), args.repeats)
            print(f"{title:<80} {seconds:7.2f} s")
    frame0, _, frame1 = data.held_out_triplets(4)["bikes"]
    frame0, frame1 = frame0[:args.frames], frame1[:args.frames]
    interpolator = load_interpolator()
    methods = {"learned": interpolator.midframes,
               **{name: (lambda a, b, name=name: flow.midframes(a, b, name))
                  for name in ("blend", "Lucas–Kanade", "Horn–Schunck", "TV-L1 (scikit-image)")}}
    per_frame = {}
    for name, midframes in methods.items():
        midframes(frame0[:1], frame1[:1])  # warm-up
        per_frame[name] = _median_seconds(lambda: midframes(frame0, frame1), args.repeats) / len(frame0)
        print(f"one middle frame at {frame0.shape[-1]}×{frame0.shape[-2]}, {name:<56} {per_frame[name] * 1000:7.1f} ms")
    print(f"TV-L1 / learned: {per_frame['TV-L1 (scikit-image)'] / per_frame['learned']:.0f}× slower")


if __name__ == "__main__":
    main()
