import numpy as np
import pytest
import torch

from utils import data
from utils import video as V
from utils import videofile


def test_check_video_accepts_the_convention():
    clip = torch.rand(4, 3, 8, 8)
    assert V.check_video(clip) is clip


@pytest.mark.parametrize("bad, words", [
    (np.zeros((4, 3, 8, 8)), ["float32 tensor", "NumPy array", "from_numpy"]),
    (torch.rand(4, 3, 8, 8, dtype=torch.float64), ["torch.float64", "video.float()"]),
    (torch.rand(4, 3, 8, 8).half(), ["torch.float16", "video.float()"]),
    (torch.rand(3, 8, 8), ["(T, C, H, W)", "(3, 8, 8)", "image[None]"]),
    (torch.rand(2, 4, 3, 8, 8), ["(2, 4, 3, 8, 8)", "batch[0]"]),
    (torch.rand(4, 8, 8, 3), ["(4, 8, 8, 3)", "t h w c -> t c h w"]),
    (torch.zeros(4, 3, 8, 8, dtype=torch.uint8), ["torch.uint8", "/ 255"]),
    (torch.rand(4, 3, 8, 8) * 2 - 1, ["values in", "(video + 1) / 2"]),
    (torch.full((4, 3, 8, 8), 255.0), ["values in [255, 255]"]),
    (torch.full((2, 1, 4, 4), float("nan")), ["values in [nan, nan]"]),
    (torch.rand(0, 3, 8, 8), ["empty tensor"]),
])
def test_check_video_says_what_it_expected_and_got(bad, words):
    with pytest.raises((TypeError, ValueError)) as error:
        V.check_video(bad)
    message = str(error.value)
    assert "expected" in message
    for word in words:
        assert word in message


def test_check_batch_wants_five_dims():
    V.check_batch(torch.rand(2, 3, 1, 4, 4))
    with pytest.raises(ValueError, match=r"video\[None\]"):
        V.check_batch(torch.rand(3, 1, 4, 4))


def test_numpy_round_trip_and_gray_to_rgb():
    frames = np.random.default_rng(0).integers(0, 256, (5, 6, 7, 3), dtype=np.uint8)
    clip = V.from_numpy(frames)
    assert clip.shape == (5, 3, 6, 7) and clip.dtype == torch.float32
    np.testing.assert_array_equal(V.to_uint8(clip), frames)
    assert V.to_uint8(torch.ones(2, 1, 3, 3)).shape == (2, 3, 3, 3)
    with pytest.raises(TypeError, match="uint8"):
        V.from_numpy(frames.astype(np.float32))


def test_resize_crop_gray():
    clip = torch.rand(3, 3, 40, 60)
    assert V.resize(clip, (20, 30)).shape == (3, 3, 20, 30)
    assert V.center_crop(clip, (20, 20)).shape == (3, 3, 20, 20)
    with pytest.raises(ValueError, match="larger"):
        V.center_crop(clip, (50, 50))
    gray = V.to_gray(torch.ones(2, 3, 4, 4))
    assert gray.shape == (2, 1, 4, 4) and torch.allclose(gray, torch.ones_like(gray))


def test_resample_fps_and_frame_differences():
    clip = torch.linspace(0, 1, 12).view(12, 1, 1, 1).expand(12, 1, 2, 2)
    assert torch.equal(V.resample_fps(clip, 30, 10)[:, 0, 0, 0], clip[[0, 3, 6, 9], 0, 0, 0])
    assert len(V.resample_fps(clip, 10, 30)) == 36
    diffs = V.frame_differences(clip)
    assert diffs.shape == (11,) and torch.allclose(diffs, torch.full((11,), 1 / 11))


def _moving_square(frames=12, size=32):
    clip = torch.zeros(frames, 3, size, size)
    for t in range(frames):
        clip[t, 0, 8:16, 2 + t:10 + t] = 1.0
        clip[t, 2] = 0.25
    return clip


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_write_then_read_round_trip(tmp_path, suffix):
    clip = _moving_square()
    path = videofile.write_video(tmp_path / f"clip{suffix}", clip, fps=12)
    back, fps = videofile.read_video(path)
    assert back.shape == clip.shape
    assert fps == pytest.approx(12, rel=0.05)  # GIF stores frame delays in 1/100 s: 12.5 fps
    assert (back - clip).abs().mean() < 0.03  # H.264 at CRF 18 and GIF's palette are close to lossless here


def test_mp4_puts_its_index_first_so_browsers_play_while_loading(tmp_path):
    written = videofile.write_video(tmp_path / "clip.mp4", _moving_square()).read_bytes()
    assert 0 <= written.find(b"moov") < written.find(b"mdat"), "faststart: the moov atom comes before the frames"


def test_the_same_clip_encodes_to_the_same_frames_every_time():
    clip, _ = data.load_clip("bikes", start=100, end=124, size=(240, 576))   # real texture, where it used to vary
    first = videofile.reencode(clip, quality=28)
    assert all(torch.equal(first, videofile.reencode(clip, quality=28)) for _ in range(5))


def test_mp4_with_odd_size_is_padded(tmp_path):
    back, _ = videofile.read_video(videofile.write_video(tmp_path / "odd.mp4", torch.rand(3, 3, 15, 17)))
    assert back.shape == (3, 3, 16, 18)


def test_read_range_step_crop_and_size(tmp_path):
    path = videofile.write_video(tmp_path / "c.mp4", _moving_square(frames=10), fps=10)
    part, _ = videofile.read_video(path, start=2, end=8, step=2)
    assert len(part) == 3
    cropped, _ = videofile.read_video(path, crop=(0, 0, 16, 20), size=(8, 10))
    assert cropped.shape == (10, 3, 8, 10)
    info = videofile.video_info(path)
    assert (info["width"], info["height"], info["codec"]) == (32, 32, "h264")
    with pytest.raises(ValueError, match="has 10 frames"):
        videofile.read_video(path, start=50)
    with pytest.raises(ValueError, match="start"):
        videofile.read_video(path, start=5, end=3)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        videofile.read_video(tmp_path / "nope.mp4")


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(videofile.VideoFileError, match="empty"):
        videofile.read_video(tmp_path / "empty.mp4")


def test_directory(tmp_path):
    with pytest.raises(videofile.VideoFileError, match="directory"):
        videofile.read_video(tmp_path)


def test_not_a_video(tmp_path):
    (tmp_path / "notes.mp4").write_text("these are lecture notes, not a video\n" * 20)
    with pytest.raises(videofile.VideoFileError, match="cannot decode"):
        videofile.read_video(tmp_path / "notes.mp4")


def test_corrupt_and_truncated_files(tmp_path):
    good = videofile.write_video(tmp_path / "good.mp4", _moving_square(), fps=10).read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(good[: len(good) // 2])
    garbage = bytearray(good)
    garbage[: len(garbage)] = np.random.default_rng(0).integers(0, 256, len(garbage), dtype=np.uint8).tobytes()
    (tmp_path / "garbage.mp4").write_bytes(bytes(garbage))
    for name in ("truncated.mp4", "garbage.mp4"):
        with pytest.raises(videofile.VideoFileError):
            videofile.read_video(tmp_path / name)


def test_audio_only_file_has_no_video_stream(tmp_path):
    import av

    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        samples = (np.sin(np.arange(800) / 5) * 3000).astype(np.int16)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    with pytest.raises(videofile.VideoFileError, match="no video stream"):
        videofile.read_video(path)


def test_write_rejects_unknown_suffix_and_bad_video(tmp_path):
    with pytest.raises(ValueError, match=".mp4 or .gif"):
        videofile.write_video(tmp_path / "x.avi", torch.rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match="expected"):
        videofile.write_video(tmp_path / "x.mp4", torch.rand(2, 4, 4, 3))
