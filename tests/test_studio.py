"""`video-studio`, lesson 05's pipeline as a command: run on a real clip and read back, and one
clear line with exit code 2 for each kind of bad input."""
import subprocess
import sys
from pathlib import Path

import pytest

from utils import data, edit, studio, video, videofile

BIKES = str(data.clip_path("bikes"))                                        # 250 frames, 640 × 272, 25 fps


def test_trim_reframe_and_caption_give_the_clip_asked_for(tmp_path, capsys):
    out = tmp_path / "advert.mp4"
    assert studio.main([BIKES, "--trim", "1:2", "--reframe", "9:16", "--grade", "contrast", "--vignette", "0.3",
                        "--caption", "ride", "-o", str(out)]) == 0
    info = videofile.video_info(out)
    assert info["frames"] == 25 and info["fps"] == 25 and info["height"] == 272
    assert info["width"] in (153, 154)                                       # 272 · 9/16, padded to even for H.264
    printed = capsys.readouterr().out
    for step in ("read", "trim", "reframe", "grade", "vignette", "caption", "write"):
        assert step in printed


def test_slow_motion_doubles_the_frames_and_a_gif_can_be_written(tmp_path):
    out = tmp_path / "slow.gif"
    assert studio.main([BIKES, "--trim", "0:0.4", "--slowmo", "4", "-o", str(out)]) == 0
    clip, _ = videofile.read_video(out)
    assert len(clip) == 4 * (10 - 1) + 1                                     # two doublings: 10 → 19 → 37


def test_a_shot_can_be_picked_ramped_and_resampled(tmp_path):
    out = tmp_path / "shot.mp4"
    assert studio.main([BIKES, "--shot", "2", "--ramp", "1:0.5", "--fps", "12", "-o", str(out)]) == 0
    clip, _ = videofile.read_video(BIKES)
    shot = edit.shots(clip)[1]
    expected = video.resample_fps(edit.speed_ramp(shot, 1, 0.5), 25, 12)
    info = videofile.video_info(out)
    assert info["fps"] == 12 and info["frames"] == len(expected) and len(shot) < len(edit.speed_ramp(shot, 1, 0.5))


@pytest.mark.parametrize("arguments, message", [
    ([BIKES, "--shot", "99", "-o", "{tmp}/out.mp4"], "shot: expected a shot number from 1 to "),
    ([BIKES, "--shot", "0", "-o", "{tmp}/out.mp4"], "shot: expected a shot number from 1 to "),
    (["missing.mp4", "-o", "{tmp}/out.mp4"], "missing.mp4"),
    ([BIKES, "--trim", "5:20", "-o", "{tmp}/out.mp4"], "trim: expected 0 ≤ start < end ≤ 10 s"),
    ([BIKES, "-o", BIKES], "would overwrite the input"),
    ([BIKES, "-o", "{tmp}/no/such/folder/out.mp4"], "does not exist"),
    ([BIKES, "-o", "{tmp}/out.avi"], "expected a path ending in .mp4 or .gif"),
])
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, arguments, message):
    arguments = [argument.format(tmp=tmp_path) for argument in arguments]
    assert studio.main(arguments) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error, error


def test_a_corrupt_file_is_one_line_too(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video" * 100)
    assert studio.main([str(broken), "-o", str(tmp_path / "out.mp4")]) == 2
    assert capsys.readouterr().err.startswith("video-studio: read: ")


def test_bad_options_are_refused_by_the_parser_with_exit_code_2():
    for arguments in (["--slowmo", "3"], ["--reframe", "tall"], ["--trim", "2-5"], ["--ramp", "1:0"], ["--fps", "x"], ["--shiny"]):
        result = subprocess.run([sys.executable, "-m", "utils.studio", BIKES, "-o", "out.mp4", *arguments],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and "error:" in result.stderr, (arguments, result.stderr)


def test_help_explains_every_step_with_an_example():
    result = subprocess.run([sys.executable, "-m", "utils.studio", "--help"], capture_output=True, text=True,
                            timeout=120, check=True)
    for option in ("--shot", "--trim", "--reframe", "--ramp", "--slowmo", "--slowmo-method", "--fps", "--grade", "--vignette",
                   "--caption", "examples:"):
        assert option in result.stdout


def test_the_install_declares_the_video_studio_command():
    result = subprocess.run([str(Path(sys.executable).parent / "video-studio"), "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "usage: video-studio" in result.stdout
