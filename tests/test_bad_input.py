"""Bad input never passes silently: every public function that takes a video, a batch of frames or a
sampling parameter answers a wrong one with an error that says what it expected and what it got."""
import math

import av
import numpy as np
import pytest
import torch

from utils import display, flow, metrics, video, videofile
from utils.models import (convlstm, cyclegan, evalnet, flow_matching, mocogan, space_time_transformer, svg, vgan,
                          videogpt, vqvae)


def _bad_versions(good):
    """The usual ways a tensor arrives wrong: same content, wrong form."""
    with_nan, with_inf = good.clone(), good.clone()
    with_nan.view(-1)[0], with_inf.view(-1)[0] = float("nan"), float("inf")
    return {
        "channels last": good.movedim(-3, -1),
        "uint8": (good * 255).to(torch.uint8),
        "0–255 floats": good * 255,
        "NaN": with_nan,
        "Inf": with_inf,
        "float64": good.double(),
        "a list": good.tolist(),
        "a NumPy array": good.numpy(),
    }


def _assert_explained(call, bad):
    with pytest.raises((TypeError, ValueError)) as error:
        call(bad)
    message = str(error.value)
    assert "expected" in message and "got" in message, message


VIDEO = torch.rand(4, 1, 8, 8)
TAKES_A_VIDEO = {
    "video.to_uint8": video.to_uint8,
    "video.resize": lambda v: video.resize(v, (4, 4)),
    "video.center_crop": lambda v: video.center_crop(v, (2, 2)),
    "video.to_gray": video.to_gray,
    "video.resample_fps": lambda v: video.resample_fps(v, 10, 5),
    "video.frame_differences": video.frame_differences,
    "metrics.psnr": lambda v: metrics.psnr(v, VIDEO),
    "metrics.ssim": lambda v: metrics.ssim(v, VIDEO),
    "display.video_html": display.video_html,
    "display.show_frames": display.show_frames,
    "flow.double_frame_rate": flow.double_frame_rate,
    "flow.midframes": lambda v: flow.midframes(v, VIDEO),
    "flow.backward_warp": lambda v: flow.backward_warp(v, torch.zeros(4, 2, 8, 8)),
    "flow.lucas_kanade": lambda v: flow.lucas_kanade(v, VIDEO),
    "cyclegan.ink_style": cyclegan.ink_style,
    "cyclegan.camera_style": cyclegan.camera_style,
}


@pytest.mark.parametrize("mistake", _bad_versions(VIDEO))
@pytest.mark.parametrize("name", TAKES_A_VIDEO)
def test_functions_that_take_a_video_explain_a_bad_one(name, mistake):
    _assert_explained(TAKES_A_VIDEO[name], _bad_versions(VIDEO)[mistake])


FIRST_FRAMES = torch.rand(2, 1, 64, 64)
torch.manual_seed(0)
MODELS = {"vgan": vgan.VideoGAN(), "svg": svg.StochasticPredictor(), "convlstm": convlstm.ConvLSTMPredictor(),
          "videogpt": videogpt.VideoGPT(), "vqvae": vqvae.VQVAE(), "mocogan": mocogan.MoCoGAN(),
          "flow": space_time_transformer.SpaceTimeTransformer(dim=32, depth=1)}
TAKES_FIRST_FRAMES = {
    "vgan.generate": lambda f: vgan.generate(MODELS["vgan"], f),
    "svg.generate": lambda f: svg.generate(MODELS["svg"], f),
    "convlstm.image_to_video": lambda f: convlstm.image_to_video(MODELS["convlstm"], f),
    "videogpt.generate": lambda f: videogpt.generate(MODELS["videogpt"], MODELS["vqvae"], f),
    "flow_matching.image_to_video": lambda f: flow_matching.image_to_video(MODELS["flow"], f, steps=1),
    "cyclegan.translate": lambda f: cyclegan.translate(cyclegan.CycleGAN(), f if not isinstance(f, torch.Tensor) else f[None]),
}


@pytest.mark.parametrize("mistake", _bad_versions(FIRST_FRAMES))
@pytest.mark.parametrize("name", TAKES_FIRST_FRAMES)
def test_models_explain_bad_first_frames(name, mistake):
    _assert_explained(TAKES_FIRST_FRAMES[name], _bad_versions(FIRST_FRAMES)[mistake])


PREFIX = torch.zeros(1, 64, dtype=torch.long)
BAD_PARAMETERS = {
    "VideoGPT tokens out of range": lambda: videogpt.sample(MODELS["videogpt"], PREFIX + 10_000),
    "VideoGPT float tokens": lambda: videogpt.sample(MODELS["videogpt"], PREFIX.float()),
    "temperature NaN": lambda: videogpt.sample(MODELS["videogpt"], PREFIX, temperature=math.nan),
    "temperature 0": lambda: videogpt.sample(MODELS["videogpt"], PREFIX, temperature=0),
    "top_k 0": lambda: videogpt.sample(MODELS["videogpt"], PREFIX, top_k=0),
    "top_k above the codebook": lambda: videogpt.sample(MODELS["videogpt"], PREFIX, top_k=100_000),
    "diffusion steps 0": lambda: flow_matching.sample_latents(MODELS["flow"], n=1, steps=0),
    "diffusion steps -1": lambda: flow_matching.sample_latents(MODELS["flow"], n=1, steps=-1),
    "guidance NaN": lambda: flow_matching.sample_latents(MODELS["flow"], n=1, guidance=math.nan),
    "no clips asked for": lambda: flow_matching.sample_latents(MODELS["flow"], n=0),
    "empty label list": lambda: flow_matching.label_to_video(MODELS["flow"], torch.zeros(0, dtype=torch.long)),
    "labels as a list": lambda: flow_matching.label_to_video(MODELS["flow"], [1, 2]),
    "ConvLSTM future 0": lambda: MODELS["convlstm"](torch.rand(1, 3, 1, 64, 64), 0),
    "ConvLSTM clip of 1 frame": lambda: convlstm.image_to_video(MODELS["convlstm"], FIRST_FRAMES, frames=1),
    "SVG samples 0": lambda: svg.generate(MODELS["svg"], FIRST_FRAMES, samples=0),
    "MoCoGAN one motion step": lambda: mocogan.generate(MODELS["mocogan"], *mocogan.random_codes(2, frames=1)),
    "MoCoGAN content of the wrong size": lambda: mocogan.generate(MODELS["mocogan"], torch.randn(2, 3), torch.randn(2, 16, 4)),
    "VGAN z of the wrong size": lambda: vgan.generate(MODELS["vgan"], FIRST_FRAMES, torch.randn(2, 3)),
    "benchmark of 0 clips": lambda: evalnet.benchmark(0),
    "NaN features into the Fréchet distance": lambda: evalnet.frechet_distance(np.full((4, 3), np.nan), np.ones((4, 3))),
    "crop of 0 × 0": lambda: video.center_crop(VIDEO, (0, 0)),
    "resize to a negative size": lambda: video.resize(VIDEO, (-1, 4)),
    "resampling that leaves no frame": lambda: video.resample_fps(VIDEO[:1], 30, 10),
    "fps of 0": lambda: video.resample_fps(VIDEO, 0, 10),
    "no frames to convert": lambda: video.from_numpy(np.zeros((0, 4, 4, 3), np.uint8)),
    "a warp with a NaN flow": lambda: flow.backward_warp(VIDEO, torch.full((4, 2, 8, 8), math.nan)),
    "frames too large for a flow estimator": lambda: flow.lucas_kanade(torch.zeros(1, 4000, 4000), torch.zeros(1, 4000, 4000)),
    "a width that is not a number of pixels": lambda: display.video_html(VIDEO, width="100%"),
}


@pytest.mark.parametrize("case", BAD_PARAMETERS)
def test_bad_parameters_are_explained(case):
    with pytest.raises((TypeError, ValueError)) as error:
        BAD_PARAMETERS[case]()
    message = str(error.value)
    assert "expected" in message or "must" in message or "resize" in message, message
    assert "got" in message or "×" in message, message


@pytest.mark.parametrize("options, words", [
    ({"fps": 0}, "fps: expected frames per second"),
    ({"fps": math.inf}, "fps: expected frames per second"),
    ({"quality": 99}, "quality is x264's CRF"),
])
def test_write_video_errors_name_the_path(tmp_path, options, words):
    path = tmp_path / "clip.mp4"
    with pytest.raises(ValueError, match=words) as error:
        videofile.write_video(path, VIDEO, **options)
    assert str(path) in str(error.value) and not path.exists()


def test_write_video_into_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        videofile.write_video(tmp_path / "nowhere" / "clip.mp4", VIDEO)


def test_read_video_refuses_a_crop_outside_the_frame(tmp_path):
    path = videofile.write_video(tmp_path / "clip.mp4", torch.rand(3, 3, 16, 16))
    with pytest.raises(ValueError, match=r"reaches outside the 16×16 frames"):
        videofile.read_video(path, crop=(10, 10, 20, 20))
    with pytest.raises(ValueError, match="expected \\(top, left, height, width\\)"):
        videofile.read_video(path, crop=(0, 0, 0, 4))


def test_video_info_counts_what_a_truncated_file_really_holds(tmp_path):
    path = tmp_path / "clip.mp4"
    frames = (torch.rand(40, 3, 32, 32) * 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    whole = videofile.video_info(path)
    assert whole["frames"] == whole["frames_in_header"] == 40 and not whole["truncated"]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    cut = videofile.video_info(path)
    assert cut["frames_in_header"] == 40 and cut["frames"] < 40 and cut["truncated"]
