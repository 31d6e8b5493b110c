"""Every shipped checkpoint: intact (sha256), small, reproducing its card's metrics, and meeting
the course's quality bars on held-out data."""
import math

import pytest
import torch

from utils import checkpoints, train
from utils.models import caption_to_video, evalnet

NAMES = sorted(train.RECIPES)
MAX_BYTES = {"flow_matching": 10 * 1024 * 1024, "caption_to_video": 10 * 1024 * 1024,  # lesson 07's,
             "videogpt": 10 * 1024 * 1024}  # and the prior that lesson 04 says may grow to 10 MB; the others: 5 MB
TIMINGS = "seconds"  # metrics that measure this machine's speed are not compared


def _close(measured, card, path=""):
    """The list of metrics that differ from the card by more than 1% (+ 1e-3)."""
    if isinstance(card, dict):
        return [problem for key, value in card.items() if TIMINGS not in key
                for problem in _close(measured.get(key), value, f"{path}{key}.")]
    if isinstance(card, list):
        if not isinstance(measured, list) or len(measured) != len(card):
            return [f"{path[:-1]}: card {card}, measured now {measured}"]
        return [problem for i, (m, c) in enumerate(zip(measured, card)) for problem in _close(m, c, f"{path}{i}.")]
    if measured is None or not math.isclose(measured, card, rel_tol=0.01, abs_tol=1e-3):
        return [f"{path[:-1]}: card {card}, measured now {measured}"]
    return []


@pytest.fixture(scope="module", params=NAMES)
def shipped(request):
    build, _, evaluate = train.RECIPES[request.param]
    model = build()
    card = checkpoints.load_checkpoint(model, request.param)  # checks the sha256
    return request.param, model, card, evaluate


def test_there_is_a_checkpoint_per_recipe():
    files = {p.stem for p in checkpoints.CHECKPOINTS.glob("*.safetensors")}
    assert files == set(NAMES), f"checkpoints {sorted(files)} vs recipes {NAMES}"


def test_checkpoint_is_small_and_its_card_complete(shipped):
    name, model, card, _ = shipped
    size = (checkpoints.CHECKPOINTS / f"{name}.safetensors").stat().st_size
    assert size == card["file_bytes"] and size < MAX_BYTES.get(name, 5 * 1024 * 1024)
    for key in ("recipe", "seed", "wall_time_s", "device", "metrics", "sha256", "parameters", "torch"):
        assert key in card, f"{name}.json lacks {key!r}"
    assert card["parameters"] == sum(p.numel() for p in model.parameters())


def test_card_metrics_are_reproduced(shipped):
    name, model, card, evaluate = shipped
    torch.manual_seed(0)
    problems = _close(evaluate(model), card["metrics"])
    assert not problems, f"{name}: " + "; ".join(problems)


def test_quality_bars(shipped):
    name, _, card, _ = shipped
    metrics = card["metrics"]  # reproduced by the test above
    if name == "evalnet":
        assert metrics["digit_accuracy"] >= 0.95
    elif name in ("convlstm", "simvp"):  # 10 → 10: below repeating the last frame, sharp enough to keep SSIM
        assert metrics["mse_10_to_10"] <= 0.5 * metrics["mse_repeat_last"]
        assert metrics["ssim_10_to_10"] > metrics["ssim_repeat_last"]
        assert metrics["mse_per_horizon"][0] < metrics["mse_per_horizon"][-1]  # it uses its context
    elif name in ("vgan", "videogpt"):  # image-to-video: move the digit, look like real clips, keep the digit
        assert metrics["speed_px_per_frame"] >= 1.0  # real clips move 2–4 px/frame; a still frame ~0
        assert metrics["fvd_lite"] < metrics["fvd_lite_static_frame"]
        if name == "vgan":  # videogpt: see test_image_to_video_keeps_the_given_digit
            assert metrics["identity_kept"] >= 0.8
    elif name == "svg":  # several futures: the closest of 5 is closer than one
        assert metrics["best_of_5_mse"] < metrics["best_of_1_mse"]
        assert metrics["speed_px_per_frame"] >= 1.0 and metrics["fvd_lite"] < metrics["fvd_lite_static_frame"]
    elif name == "pix2pix":
        assert metrics["one_step_mse"] < metrics["one_step_mse_repeat_last"]
    elif name.startswith("cyclegan"):
        # it learned the mapping, without ever seeing a pair: well beyond inverting the input's colours
        assert metrics["psnr_vs_true_ink_db"] >= metrics["psnr_inverted_input_db"] + 3
    elif name == "latent_autoencoder":
        assert metrics["psnr_db"] >= 26 and metrics["digit_accuracy"] >= 0.9
    elif name == "flow_matching":  # moves the digit (keeping it: see below); follows labels, more so with guidance
        assert metrics["speed_px_per_frame"] >= 1.0
        assert metrics["fvd_lite"] < metrics["fvd_lite_static_frame"]
        assert metrics["fvd_lite"] < checkpoints.read_card("vgan")["metrics"]["fvd_lite"]
        assert metrics["label_agreement_guidance_3"] >= 0.8
        assert metrics["label_agreement_guidance_3"] > metrics["label_agreement_no_guidance"]
    elif name == "mocogan":
        assert metrics["identity_consistency"] >= 0.8
        assert metrics["digit_classes_seen"] >= 5  # no mode collapse: many content codes, many digits
        assert metrics["speed_px_per_frame"] >= 1.0
        assert metrics["fvd_lite"] < metrics["fvd_lite_static_frame"]
    elif name == "vqvae":
        assert metrics["psnr_db"] >= 26
    elif name == "shape_classifier":
        assert metrics["all"] >= 0.98
    elif name == "caption_to_video":  # follows its captions, never-seen ones too, and steers a given still
        default = metrics[f"guidance_{caption_to_video.CAPTION_GUIDANCE:g}"]  # w = 0 and 1: test_benchmarks' sweep
        assert default["seen_captions"]["all"] >= 0.8 and default["held_out_captions"]["all"] >= 0.8
        assert metrics["image_and_caption"]["direction"] >= 0.8
    elif name == "frame_interpolator":  # issue 18's bars on the held-out triplets of all three clips
        classical = {gap: max(metrics[f"psnr_gap{gap}_Lucas–Kanade"], metrics[f"psnr_gap{gap}_TV-L1 (scikit-image)"])
                     for gap in (2, 4)}
        assert metrics["psnr_gap4_learned"] >= metrics["psnr_gap4_blend"] + 3
        assert metrics["psnr_gap2_learned"] > metrics["psnr_gap2_blend"]
        assert all(metrics[f"psnr_gap{gap}_learned"] >= classical[gap] - 0.5 for gap in (2, 4))
        assert metrics["seconds_per_frame_tvl1"] >= 10 * metrics["seconds_per_frame_learned"]
    elif name == "detector":  # lesson 06: right on the generators it trained against, much worse on the others
        assert metrics["balanced_accuracy_seen"] >= 0.85
        assert metrics["balanced_accuracy_unseen"] <= metrics["balanced_accuracy_seen"] - 0.1
    else:
        pytest.fail(f"no quality bar for {name}")


def test_the_temporal_term_lowers_flicker():
    plain, temporal = (checkpoints.read_card(name)["metrics"] for name in ("cyclegan", "cyclegan_temporal"))  # both re-measured above
    assert temporal["warping_error"] < plain["warping_error"]


def _known_gap(issue, model, percent, where):
    return pytest.mark.xfail(strict=True, reason=f"known gap (issue {issue}): the shipped {model} keeps the given digit in "
                                                 f"~{percent}% of frames; the course's bar is 80%. See {where}.")


@pytest.mark.parametrize("name", [pytest.param("videogpt", marks=_known_gap(23, "VideoGPT", 11, "the videogpt card's notes")),
                                  "flow_matching"])
def test_image_to_video_keeps_the_given_digit(name):
    assert checkpoints.read_card(name)["metrics"]["identity_kept"] >= 0.8


@pytest.mark.parametrize("name, first_stage, key", [("videogpt", "vqvae", "tokenizer"),
                                                    ("flow_matching", "latent_autoencoder", "autoencoder")])
def test_trained_on_the_shipped_first_stage(name, first_stage, key):
    assert checkpoints.read_card(name)[key]["sha256"] == checkpoints.read_card(first_stage)["sha256"]


def test_fvd_lite_ranks_real_noisy_shuffled_static():
    model = evalnet.load_evaluator()
    real = evalnet.benchmark(256)["video"]
    reference = evalnet.benchmark(256, seed=evalnet.REFERENCE_SEED)["video"]
    generator = torch.Generator().manual_seed(0)
    noisy = (real + 0.05 * torch.randn(real.shape, generator=generator)).clamp(0, 1)
    shuffled = real[:, torch.randperm(real.shape[1], generator=generator)]
    static = real[:, :1].expand_as(real)
    scores = [evalnet.fvd_lite(model, clips, reference) for clips in (real, noisy, shuffled, static)]
    assert scores == sorted(scores), f"FVD-lite real, noisy, shuffled, static: {scores}"
