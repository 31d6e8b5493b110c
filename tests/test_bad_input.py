"""Bad input never passes silently: every public function that takes a video, a batch of frames or a
sampling parameter answers a wrong one with an error that says what it expected and what it got."""
import math

import av
import numpy as np
import pandas as pd
import pytest
import torch

import utils
from utils import checkpoints, data, display, edit, flow, leaderboard, metrics, training, video, videofile
from utils.applications import anonymise, provenance, quality, variations, watermark
from utils.models import (caption_to_video, convlstm, cyclegan, evalnet, flow_matching, mocogan, shape_classifier, simvp,
                          space_time_transformer, svg, vgan, videogpt, vqvae)


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
    ({"quality": 99}, "quality: x264's CRF; expected a whole number from 0"),
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


CLIPS = torch.rand(2, 16, 1, 64, 64)
HELD_OUT = {"video": CLIPS, "labels": torch.zeros(2, 16, dtype=torch.long)}
ONE_SET_OF_MEASURES = {flag: torch.zeros(2) for flag in quality.FLAGS}
THRESHOLDS = {flag: (0.0, 1.0) for flag in quality.FLAGS}
CAPTIONS = ["a red circle moves left", "a blue square moves up"]
CAPTION_MODEL = caption_to_video.CaptionToVideo(dim=32, depth=1, text_depth=1)
SHAPE_CLIPS = torch.rand(2, 8, 3, 32, 32)
MIX_UPS = {   # an argument a student could plausibly mix up, and the words that set it right
    "measure given clips for the benchmark batch": (lambda: evalnet.measure(CLIPS, CLIPS), "held_out: expected the benchmark batch"),
    "FVD-lite given a benchmark batch as reference": (lambda: evalnet.fvd_lite(evalnet.VideoClassifier(), CLIPS, HELD_OUT),
                                                      r"reference: .*Pass its clips: batch\['video'\]"),
    "a single clip passed as a batch": (lambda: evalnet.analyse(evalnet.VideoClassifier(), CLIPS[0]), r"video\[None\]"),
    "curves that are a number": (lambda: display.plot_curves(3.0), r"curves: expected \{name: values\} or a list"),
    "fit given one batch": (lambda: training.fit(torch.nn.Linear(2, 1), None, HELD_OUT, 2, live_plot=False, progress=False),
                            r"itertools\.repeat"),
    "a batch function that returns nothing": (lambda: training.fit(torch.nn.Linear(2, 1), lambda m, x: m(x).mean(), lambda step: None, 3,
                                                                  live_plot=False, progress=False), r"batches\(0\) returned None"),
    "fit given fewer batches than steps": (lambda: training.fit(torch.nn.Linear(2, 1), lambda m, x: m(x).mean(), [torch.zeros(1, 2)], 3,
                                                                live_plot=False, progress=False), "ran out after 1 batches"),
    "bit accuracy of read()'s whole result": (lambda: watermark.bit_accuracy({"bits": torch.zeros(32), "score": 0.0}, torch.zeros(32)),
                                              r"found_bits: .*found\['bits'\]"),
    "a report of one unnamed set": (lambda: quality.report(ONE_SET_OF_MEASURES, THRESHOLDS), "Name it"),
    "flags of several sets at once": (lambda: quality.flag({"mine": ONE_SET_OF_MEASURES}, THRESHOLDS), "Use report"),
    "a flag that does not exist": (lambda: quality.furthest_beyond({"mine": ONE_SET_OF_MEASURES}, THRESHOLDS, "blurry"),
                                   "expected one of"),
    "a seed where a generator goes": (lambda: flow_matching.image_to_video(MODELS["flow"], FIRST_FRAMES, steps=1, generator=0),
                                      r"torch\.Generator\(\)\.manual_seed"),
    "one RGB frame as a video": (lambda: video.from_numpy(np.zeros((72, 128, 3), np.uint8)), r"frame\[None\]"),
    "motion codes from NumPy": (lambda: vgan.generate(MODELS["vgan"], FIRST_FRAMES, vgan.random_z(2).numpy()), r"torch\.from_numpy"),
    "a float number of motion codes": (lambda: vgan.random_z(2.0), "n: expected the number of codes"),
    "labels as a list, for agreement": (lambda: flow_matching.label_agreement(CLIPS, [3, 3]), "labels: expected a"),
    "one label for two clips": (lambda: flow_matching.label_agreement(CLIPS, torch.tensor([3])), r"one label per clip \(2\)"),
    "a digit label of 10": (lambda: flow_matching.label_agreement(CLIPS, torch.tensor([3, 10])), "classes 0…9; got values from 3 to 10"),
    "one caption for agreement": (lambda: shape_classifier.agreement(shape_classifier.ShapeClassifier(), SHAPE_CLIPS, CAPTIONS[0]),
                                  "list of captions"),
    "a caption without its article": (lambda: shape_classifier.agreement(shape_classifier.ShapeClassifier(), SHAPE_CLIPS,
                                                                         ["red circle left", CAPTIONS[1]]), "a COLOR SHAPE moves"),
    "a colour the shapes never have": (lambda: shape_classifier.agreement(shape_classifier.ShapeClassifier(), SHAPE_CLIPS,
                                                                          ["a purple circle moves left", CAPTIONS[1]]), r"unknown: \['purple'\]"),
    "NumPy clips for the judge": (lambda: shape_classifier.judge(shape_classifier.ShapeClassifier(), SHAPE_CLIPS.numpy()),
                                  "videos: expected a batch"),
    "checkpoint arguments swapped": (lambda: checkpoints.load_checkpoint("vgan", MODELS["vgan"]), "other way round"),
    "a model class, not a model": (lambda: checkpoints.load_checkpoint(vgan.VideoGAN, "vgan"), "Build the model first"),
    "one video to show side by side": (lambda: display.show_videos(VIDEO), r"got one video.*show_video\(video\)"),
    "no videos to draw": (lambda: display.show_frames([]), "got an empty list"),
    "every 0th frame": (lambda: display.show_frames(VIDEO, every=0), "every: expected a step between frames"),
    "a frame rate doubled from one frame": (lambda: flow.double_frame_rate(VIDEO[:1]), "at least 2 frames"),
    "middle frames in 0…255": (lambda: flow.double_frame_rate(VIDEO, lambda a, b: torch.full_like(a, 255.0)),
                               r"the middle frames of .*got values in \[255, 255\]"),
    "one middle frame for every pair": (lambda: flow.double_frame_rate(VIDEO, lambda a, b: a[:1]), r"one per pair of frames, \(3, 1, 8, 8\)"),
    "best-of-N given one future": (lambda: svg.best_of(CLIPS, CLIPS), r"samples=N"),
    "no manifest to parse": (lambda: provenance.parse(None), "read_tag gives None"),
    "a crop window wider than the frame": (lambda: edit.crop_columns(VIDEO, [0] * 4, 9), r"and width 9$"),
    "a motion-following window wider than the frame": (lambda: edit.motion_lefts(VIDEO, 9),
                                                       "width: expected the window's width in pixels, 1 ≤ width ≤ 8; got 9"),
    "a caption taller than the title-safe area": (lambda: edit.caption(torch.rand(2, 1, 32, 512), "RIDE", size=40),
                                                  "px tall text does not fit the title-safe area, 27 px tall"),
    "a vignette stronger than black": (lambda: edit.vignette(VIDEO, strength=1.5), r"strength: expected the share of brightness the corners lose"),
    "a crop window outside the frame": (lambda: edit.crop_columns(VIDEO, [6] * 4, 4), r"\[6, 6, 6, 6\]…, and width 4$"),
    "one frame's box as the whole list": (lambda: anonymise.anonymise(VIDEO, [[1, 1, 4, 4], [1, 1], [], []]),
                                           r"boxes\[1\]: expected boxes \(N, 4\)"),
    "a box whose corners are swapped": (lambda: anonymise.pixelate_box(VIDEO[0], [6, 1, 2, 4]), r"x0 ≤ x1.*\[\[6\.0, 1\.0, 2\.0, 4\.0\]\]"),
    "several boxes to blur at once": (lambda: anonymise.gaussian_blur_box(VIDEO[0], [[1, 1, 4, 4]] * 2, 1.0),
                                      "one box .*got 2"),
    "faces of 0 pixels": (lambda: anonymise.detect_faces(VIDEO[0], min_size=0), "min_size: expected"),
    "the GAN given to flow matching": (lambda: flow_matching.image_to_video(MODELS["vgan"], FIRST_FRAMES), "expected a SpaceTimeTransformer; got a VideoGAN"),
    "the GAN given to the ConvLSTM": (lambda: convlstm.image_to_video(MODELS["vgan"], FIRST_FRAMES), "expected a ConvLSTMPredictor"),
    "the prior given as VideoGPT's tokenizer": (lambda: videogpt.generate(MODELS["videogpt"], MODELS["videogpt"], FIRST_FRAMES),
                                                "tokenizer: expected a VQVAE; got a VideoGPT"),
    "a model class to generate with": (lambda: svg.generate(svg.StochasticPredictor, FIRST_FRAMES), "Build the model first"),
    "a font by name": (lambda: edit.caption(VIDEO, "RIDE", font="no-such-font"), "font: expected a TrueType/OpenType file"),
    "text 0 pixels high": (lambda: edit.caption(VIDEO, "RIDE", size=0), "size: expected the text height"),
    "a flow window of 0": (lambda: flow.lucas_kanade(VIDEO[:1], VIDEO[1:2], window=0), "window: expected"),
    "SSIM on frames smaller than its window": (lambda: metrics.ssim(VIDEO[:, :, :5, :5], VIDEO[:, :, :5, :5]), "at least 7 × 7"),
    "reading from frame None": (lambda: videofile.read_video("any.mp4", start=None), "start: expected a frame index"),
    "reading up to frame 2.5": (lambda: videofile.read_video("any.mp4", end=2.5), "end: expected a frame index"),
    "a seed as a string": (lambda: utils.setup(seed="0"), "seed: expected a whole number"),
    "clips of 0 frames": (lambda: data.MovingDigits(num_frames=0), "num_frames: expected"),
    "a batch of 0 clips": (lambda: data.MovingDigits(num_frames=2, length=4).batch(0), "size: expected clips in a batch"),
    "a negative watermark": (lambda: watermark.embed(torch.rand(16, 1, 128, 512), torch.zeros(32, dtype=torch.long), 1, strength=-1),
                             "strength: expected"),
    "MoCoGAN codes as whole numbers": (lambda: mocogan.generate(MODELS["mocogan"], *(code.long() for code in mocogan.random_codes(2))),
                                       "content: expected z_C, a float tensor"),
    "a width given as a size": (lambda: data.load_clip_width("bikes", (144, 256)), "width: expected the width in pixels"),
    "fewer crop windows than frames": (lambda: variations.motion_inside(torch.rand(12, 60), [0] * 3, 10),
                                       r"one left column per frame.*shape \(3,\)"),
    "a flow laid out (H, W, 2)": (lambda: flow.motion_compensated_midframe(VIDEO[0], VIDEO[1], torch.zeros(2, 8, 8), torch.zeros(8, 8, 2)),
                                 r"flow10: expected a flow \(2, H, W\) or \(N, 2, H, W\).*shape \(8, 8, 2\)"),
    "a midframe at time 50 %": (lambda: flow.intermediate_flows(torch.zeros(2, 8, 8), torch.zeros(2, 8, 8), 50), "0 ≤ t ≤ 1; got 50"),
    "a leaderboard measure by another name": (lambda: leaderboard.ranking([], "fvd"), "metric: expected one of .FVD-lite., .MSE."),
    "a timeline event without its family": (lambda: display.plot_timeline([(2016, "VGAN", "GAN"), (2018, "MoCoGAN")]),
                                            r"events\[1\]: expected \(year, label, family\); got \(2018, 'MoCoGAN'\)"),
    "a re-encode at CRF 99": (lambda: videofile.reencode(VIDEO, quality=99), r"^quality: x264's CRF; .*got 99$"),
    "a batch sliced past the end of the data": (lambda: training.fit(torch.nn.Linear(2, 1), lambda m, x: m(x).mean(),
                                                                      lambda step: torch.zeros(4, 2)[2 * step:2 * step + 2], 3,
                                                                      live_plot=False, progress=False),
                                                 "the batch of step 2 is empty .* past the end of the data"),
    "a loss as a Python number": (lambda: training.fit(torch.nn.Linear(2, 1), lambda m, x: m(x).mean().item(), [torch.zeros(1, 2)], 1,
                                                       live_plot=False, progress=False), r"returned a float .* not loss\.item\(\)"),
    "a loss per example": (lambda: training.fit(torch.nn.Linear(2, 1), lambda m, x: m(x), [torch.zeros(3, 2)], 1,
                                                live_plot=False, progress=False), r"shape \(3, 1\) .* \.mean\(\)"),
    "a model class to train": (lambda: training.fit(torch.nn.Linear, None, [torch.zeros(1, 2)], 1, live_plot=False, progress=False),
                               "Build the model first"),
    "a number of batches": (lambda: training.fit(torch.nn.Linear(2, 1), None, 5, 5, live_plot=False, progress=False),
                            "batches: expected an iterable of batches .* got an int"),
    "a GAN trainer given a predictor": (lambda: training.fit_gan(MODELS["convlstm"], vgan.train_step, [HELD_OUT], 1, live_plot=False),
                                        "gan: expected a GAN with a .generator and a .discriminator .* got a ConvLSTMPredictor"),
    "a GAN step that returns nothing": (lambda: training.fit_gan(MODELS["vgan"], lambda *parts: None, [HELD_OUT], 1, live_plot=False),
                                        r"train_step returned None at step 0: expected the step's losses"),
    "clips where a batch goes": (lambda: convlstm.prediction_loss(MODELS["convlstm"], CLIPS),
                                 r"batch: expected a data batch, a dict with 'video'; .* \{'video': tensor, ...\}"),
    "tokens where a batch goes": (lambda: videogpt.next_token_loss(MODELS["videogpt"], torch.zeros(2, 320, dtype=torch.long)),
                                  "a dict with 'tokens'"),
    "a seed for VGAN's codes": (lambda: vgan.random_z(2, generator=0), r"generator: expected a torch\.Generator"),
    "a seed for MoCoGAN's codes": (lambda: mocogan.random_codes(2, generator=0), r"generator: expected a torch\.Generator"),
    "a float number of MoCoGAN codes": (lambda: mocogan.random_codes(2.0), "n: expected the number of clips"),
    "a seed for the camera noise": (lambda: cyclegan.camera_style(CLIPS[0], 0), r"generator: expected a torch\.Generator"),
    "the caption model for image-to-video": (lambda: flow_matching.image_to_video(CAPTION_MODEL, FIRST_FRAMES, steps=1),
                                             "expected the digit model, a SpaceTimeTransformer; got a CaptionToVideo"),
    "the digit model for captions": (lambda: caption_to_video.caption_to_video(MODELS["flow"], CAPTIONS, steps=1),
                                     "expected a CaptionToVideo; got a SpaceTimeTransformer"),
    "an even flow window": (lambda: flow.lucas_kanade(VIDEO[:1], VIDEO[1:2], window=4), "window: expected an odd side"),
    "a method name with a hyphen": (lambda: flow.double_frame_rate(VIDEO, "Lucas-Kanade"), "the names use an en dash"),
    "a video where write_video's path goes": (lambda: videofile.write_video(VIDEO, "clip.mp4"), r"The path comes first"),
    "a crop of two numbers": (lambda: videofile.read_video("any.mp4", crop=(100, 100)), r"crop: expected \(top, left, height, width\)"),
    "the leaderboard table for its rows": (lambda: leaderboard.ranking(pd.DataFrame({"model": ["vgan"]}), "MSE"),
                                           "rows: expected the list of rows .* Pass the rows it was made from"),
    "a cost by another name": (lambda: leaderboard.plot_tradeoff([], "ms"), "cost: expected one of 'ms per clip'"),
    "a frame's shape with its channels": (lambda: anonymise.grow(torch.tensor([[1.0, 1.0, 4.0, 4.0]]), 0.2, (3, 8, 8)),
                                          r"size \(the frame's \(H, W\), e\.g\. image\.shape\[-2:\]\)"),
    "a margin in percent": (lambda: anonymise.grow(torch.tensor([[1.0, 1.0, 4.0, 4.0]]), 20, (8, 8)), "share: expected a fraction"),
    "a quantile in percent": (lambda: quality.calibrate(CLIPS, quantile=95), "quantile: expected the share"),
    "the furthest clip of one unnamed set": (lambda: quality.furthest_beyond(ONE_SET_OF_MEASURES, THRESHOLDS, quality.FLAGS[0]), "Name it"),
    "story digits as a list": (lambda: quality.story_drift(CLIPS[:, None], [3, 4]), r"digits: expected a \(B,\) tensor"),
    "a data batch for the digits' flow": (lambda: cyclegan.digit_flow({"position": torch.zeros(2, 4, 3, 2)}), r"Pass its positions"),
    "a GAN to read digits": (lambda: evalnet.analyse(MODELS["vgan"], CLIPS), "model: expected a VideoClassifier; got a VideoGAN"),
    "all of analyse's results as features": (lambda: evalnet.frechet_distance(evalnet.analyse(evalnet.VideoClassifier(), CLIPS), np.zeros((2, 3))),
                                             r"analyse returns \(digits, velocity, features\): pass its \[2\]"),
    "the judge's loader as the judge": (lambda: shape_classifier.agreement(shape_classifier.load_judge, SHAPE_CLIPS, CAPTIONS),
                                        "classifier: expected a ShapeClassifier; got a"),
    "the prior as the tokenizer": (lambda: videogpt.tokenize_clips(MODELS["videogpt"], 2), "tokenizer: expected a VQVAE; got a VideoGPT"),
    "the flow model as the autoencoder": (lambda: flow_matching.encode_clips(MODELS["flow"], 2), "autoencoder: expected a LatentAutoencoder"),
    "frames where encoded frames go": (lambda: flow_matching.sample_latents(MODELS["flow"], FIRST_FRAMES, torch.tensor([1, 2]), steps=1),
                                       r"first_latent: expected encoded first frames \(B, 8, 8, 8\), as encode_frames gives"),
    "one label as a number": (lambda: flow_matching.sample_latents(MODELS["flow"], labels=7, steps=1), "labels: expected a long tensor"),
    "a digit class 12": (lambda: flow_matching.sample_latents(MODELS["flow"], labels=torch.tensor([3, 12]), steps=1),
                         r"labels: expected \(B,\) digit classes 0…9, or 10 for none; got shape \(2,\) with values \[3, 12\]"),
    "caption tokens for the digit model": (lambda: flow_matching.sample_latents(MODELS["flow"], labels=caption_to_video.tokenize(CAPTIONS),
                                                                                steps=1),
                                           r"labels: expected \(B,\) digit classes"),
    "digit classes for the caption model": (lambda: flow_matching.sample_latents(CAPTION_MODEL, labels=torch.tensor([1, 2]), steps=1),
                                            r"labels: expected caption tokens \(B, 5\) of ids 0…13, .* got shape \(2,\)"),
    "fewer labels than first frames": (lambda: flow_matching.sample_latents(MODELS["flow"], torch.zeros(2, 8, 8, 8), torch.tensor([1]), steps=1),
                                       "one label per first frame; got 2 and 1"),
    "blocks of 0 pixels": (lambda: flow.block_matching(VIDEO[0], VIDEO[1], block=0), "block: expected a tile's side"),
    "titled videos for a frame grid": (lambda: display.show_frames({"real": VIDEO}), r"show_frames\(list\(videos\.values\(\)\), titles=list\(videos\)\)"),
    "shapes clips of 0 frames": (lambda: data.BouncingShapes(num_frames=0), "num_frames: expected"),
    "a flow with NaN": (lambda: display.show_flow(torch.full((2, 8, 8), float("nan"))), "flow: expected finite numbers; got 128 NaN"),
    "arrows every 0 pixels": (lambda: display.show_flow(torch.zeros(2, 8, 8), step=0), "step: expected pixels between arrows"),
    "colour clips for the gray ConvLSTM": (lambda: MODELS["convlstm"](torch.rand(1, 4, 3, 64, 64), 2), "expected 1-channel frames"),
    "colour clips for the gray SimVP": (lambda: simvp.SimVP()(torch.rand(1, 10, 3, 64, 64)), r"10 frames of 1 channel\(s\)"),
    "SimVP trained on clips too short": (lambda: simvp.prediction_loss(simvp.SimVP(), {"video": torch.rand(1, 12, 1, 64, 64)}),
                                         "expected clips of 20 frames, 10 given and 10 to predict; got 12"),
    "the VAE given 8-frame clips": (lambda: svg.elbo_loss(MODELS["svg"], {"video": CLIPS[:, :8]}), r"clip: expected one-digit clips \(B, 16, 1, 64, 64\)"),
    "a clip's tokens as a grid": (lambda: videogpt.next_token_loss(MODELS["videogpt"], {"tokens": torch.zeros(2, 5, 8, 8, dtype=torch.long)}),
                                  r"Flatten them: tokens\.flatten\(1\)"),
    "the VGAN for MoCoGAN's codes": (lambda: mocogan.generate(MODELS["vgan"], *mocogan.random_codes(2)), "expected a MoCoGAN or Generator; got a VideoGAN"),
    "the VGAN to translate styles": (lambda: cyclegan.translate(MODELS["vgan"], CLIPS), "gan: expected a CycleGAN; got a VideoGAN"),
    "a video's title as a number": (lambda: display.show_video(VIDEO, title=3), "title: expected a string or None; got an int"),
    "a timeline event with year and label swapped": (lambda: display.plot_timeline([("VGAN", 2016, "GAN")]),
                                                     r"events\[0\]: expected \(year, label, family\); got \('VGAN', 2016, 'GAN'\)"),
    "a whole clip to fold": (lambda: watermark.fold(VIDEO), r"image: expected one gray image \(H, W\), such as residual\(video\) gives"),
    "Pareto points as a list": (lambda: leaderboard.pareto_front([("vgan", 2.47, 41.0)]), r"points: expected \{name: \(quality, cost\)\}.*got a list"),
}


@pytest.mark.parametrize("case", MIX_UPS)
def test_mixed_up_arguments_are_named_with_a_way_out(case):
    call, words = MIX_UPS[case]
    with pytest.raises((TypeError, ValueError, KeyError), match=words):
        call()
