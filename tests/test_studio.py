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
    ([BIKES, "-o", BIKES], "would overwrite an input"),
    ([BIKES, "--join", BIKES, "{tmp}/x.mp4", "-o", "{tmp}/x.mp4"], "would overwrite an input"),
    ([BIKES, "--join", "{tmp}/missing.mp4", "-o", "{tmp}/out.mp4"], "join: "),
    ([BIKES, "-o", "{tmp}/no/such/folder/out.mp4"], "does not exist"),
    ([BIKES, "-o", "{tmp}/out.avi"], "expected a path ending in .mp4 or .gif"),
])
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, arguments, message):
    arguments = [argument.format(tmp=tmp_path) for argument in arguments]
    assert studio.main(arguments) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error, error


def test_a_still_image_becomes_an_animated_clip(tmp_path):
    from PIL import Image

    photo = tmp_path / "chelsea.png"
    Image.fromarray(video.to_uint8(data.load_still("chelsea")[None])[0]).save(photo)      # 300 × 451
    out = tmp_path / "animated.mp4"
    assert studio.main([str(photo), "--animate", "1.2", "--zoom", "1.5", "--caption", "Chelsea", "-o", str(out)]) == 0
    clip, fps = videofile.read_video(out)
    assert fps == 25 and len(clip) == 30 and clip.shape[-2:] == (300, 452)   # 451 padded to even for H.264
    assert video.frame_differences(clip).min() > 0                              # the camera moves in every frame


def test_animate_is_refused_for_a_video_and_a_broken_image_is_one_line(tmp_path, capsys):
    assert studio.main([BIKES, "--animate", "2", "-o", str(tmp_path / "out.mp4")]) == 2
    assert "--animate makes a clip of a still image" in capsys.readouterr().err
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture" * 10)
    assert studio.main([str(broken), "-o", str(tmp_path / "out.mp4")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("video-studio: read still: cannot read") and error.count("\n") == 1


def test_a_corrupt_file_is_one_line_too(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video" * 100)
    assert studio.main([str(broken), "-o", str(tmp_path / "out.mp4")]) == 2
    assert capsys.readouterr().err.startswith("video-studio: read: ")


@pytest.mark.parametrize("arguments", [["--slowmo", "3"], ["--slowmo", "16"], ["--reframe", "tall"], ["--trim", "2-5"], ["--ramp", "1:0"], ["--fps", "x"],
                                       ["--shiny"]])
def test_bad_options_are_refused_by_the_parser_with_exit_code_2(arguments, capsys):
    with pytest.raises(SystemExit) as refused:   # in-process: the parser exits before any video is read
        studio.main([BIKES, "-o", "out.mp4", *arguments])
    assert refused.value.code == 2 and "error:" in capsys.readouterr().err


def test_help_explains_every_step_with_an_example():
    result = subprocess.run([sys.executable, "-m", "utils.studio", "--help"], capture_output=True, text=True,
                            timeout=120, check=True)
    for option in ("--join", "--transition", "--animate", "--zoom", "--shot", "--trim", "--reframe", "--ramp", "--slowmo", "--slowmo-method", "--fps", "--grade", "--vignette",
                   "--caption", "examples:"):
        assert option in result.stdout


def test_the_install_declares_the_video_studio_command():
    result = subprocess.run([str(Path(sys.executable).parent / "video-studio"), "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "usage: video-studio" in result.stdout


def _clip_with_sound(path, frames=20, fps=10, size=(64, 48), rate=16000):
    """An MP4 with 2 s of pictures and of a 440 Hz tone (AAC), as a camera or a phone records one."""
    import fractions

    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        pictures = container.add_stream("libx264", rate=fps)
        pictures.width, pictures.height, pictures.pix_fmt = *size, "yuv420p"
        sound = container.add_stream("aac", rate=rate)
        sound.layout = "mono"
        for i in range(frames):
            frame = np.full((size[1], size[0], 3), 10 * i, np.uint8)
            container.mux(pictures.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(frames // fps * rate) / rate)).astype(np.float32)[None]
        for start in range(0, tone.shape[1], 1024):
            chunk = av.AudioFrame.from_ndarray(tone[:, start:start + 1024], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = rate, start, fractions.Fraction(1, rate)
            container.mux(sound.encode(chunk))
        container.mux(pictures.encode())
        container.mux(sound.encode())
    return path


def _sound_seconds(path):
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0.0
        return sum(frame.samples for frame in container.decode(audio=0)) / container.streams.audio[0].rate


def test_the_sound_is_carried_through_an_unchanged_timeline_and_dropped_with_a_notice_otherwise(tmp_path, capsys):
    recorded = _clip_with_sound(tmp_path / "recorded.mp4")
    graded, trimmed = tmp_path / "graded.mp4", tmp_path / "trimmed.mp4"
    assert studio.main([str(recorded), "--grade", "contrast", "--caption", "hi", "-o", str(graded)]) == 0
    assert "the sound is copied unchanged" in capsys.readouterr().out
    assert abs(_sound_seconds(graded) - _sound_seconds(recorded)) < 0.1 and _sound_seconds(graded) > 1.9
    assert videofile.video_info(graded)["frames"] == 20
    assert studio.main([str(recorded), "--trim", "0:1", "-o", str(trimmed)]) == 0
    assert "its sound is dropped: --trim changes the timeline" in capsys.readouterr().out
    assert _sound_seconds(trimmed) == 0.0


def test_clips_are_joined_on_one_timeline_with_a_transition(tmp_path, capsys):
    carphone = str(data.clip_path("carphone"))                                # 176 × 144 at 29.97 fps: resized, re-timed
    out = tmp_path / "joined.mp4"
    assert studio.main([BIKES, "--join", carphone, "--transition", "crossfade", "--transition-seconds", "0.4",
                        "-o", str(out)]) == 0
    second, second_fps = videofile.read_video(carphone)
    expected_frames = 250 + len(video.resample_fps(second, second_fps, 25)) - 10      # 0.4 s of overlap at 25 fps
    info = videofile.video_info(out)
    assert (info["frames"], info["width"], info["height"], info["fps"]) == (expected_frames, 640, 272, 25)
    assert "join" in capsys.readouterr().out
