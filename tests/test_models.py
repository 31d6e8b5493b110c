"""The models' shapes, their errors on bad input, and the measures of utils.models.evalnet."""
import numpy as np
import pytest
import torch
from torch import nn

from utils import metrics
from utils.blocks import straight_through_clamp
from utils.models import convlstm, evalnet, simvp, vgan


def test_convlstm_predicts_the_requested_frames_in_range():
    torch.manual_seed(0)
    model = convlstm.ConvLSTMPredictor().eval()
    context = torch.rand(2, 3, 1, 64, 64)
    with torch.no_grad():
        future = model(context, 5)
    assert future.shape == (2, 5, 1, 64, 64)
    assert 0 <= future.min() and future.max() <= 1


def test_convlstm_prediction_loss_trains_through_the_fed_back_frames():
    torch.manual_seed(0)
    model = convlstm.ConvLSTMPredictor()
    video = torch.rand(2, 6, 1, 32, 32)
    convlstm.prediction_loss(model, {"video": video, "context": 2}).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("context, words", [
    (torch.rand(3, 1, 64, 64), r"\(B, T, C, H, W\)"),
    (torch.rand(1, 2, 1, 62, 62), "multiples of 4"),
    (torch.rand(1, 2, 1, 64, 64) * 255, "values in"),
])
def test_convlstm_explains_bad_context(context, words):
    with pytest.raises(ValueError, match=words):
        convlstm.ConvLSTMPredictor()(context, 2)


def test_convlstm_teacher_forcing_feeds_the_true_frames():
    torch.manual_seed(0)
    model = convlstm.ConvLSTMPredictor().eval()
    video = torch.rand(2, 6, 1, 32, 32)
    with torch.no_grad():
        forced = model.rollout(video, given=2, steps=5, teacher_share=1.0)
        given_all = model.rollout(video, given=5, steps=5)
        free = model.rollout(video, given=2, steps=5)
    assert torch.allclose(forced, given_all), "with a share of 1 every input is the true frame"
    assert not torch.allclose(forced, free)


def test_convlstm_teacher_forcing_is_drawn_for_each_clip_and_step():
    torch.manual_seed(0)
    model = convlstm.ConvLSTMPredictor()
    nn.init.zeros_(model.readout.weight), nn.init.zeros_(model.readout.bias)  # every prediction is black
    inputs = []
    model.cells[0].register_forward_hook(lambda cell, args, output: inputs.append(args[0].amax(dim=(1, 2, 3))))
    with torch.no_grad():
        model.rollout(torch.ones(64, 12, 1, 8, 8), given=2, steps=11, teacher_share=0.5)
    teacher = torch.stack(inputs[2:], dim=1) > 0.5   # (clips, steps after the context): was the true (white) frame fed?
    assert 0.4 < teacher.float().mean() < 0.6
    assert ((teacher.any(dim=1)) & (~teacher.all(dim=1))).float().mean() > 0.9, "clips mix true and fed-back frames"


def test_straight_through_clamp_clamps_forwards_and_passes_gradients_back():
    x = torch.tensor([-0.5, 0.25, 1.5], requires_grad=True)
    y = straight_through_clamp(x)
    assert y.tolist() == [0.0, 0.25, 1.0]
    (y * torch.tensor([-1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [-1.0, 2.0, 3.0], "a pixel below 0 must still learn to light up"


def test_simvp_predicts_ten_frames_in_range_and_trains():
    torch.manual_seed(0)
    model = simvp.SimVP()
    video = torch.rand(2, 20, 1, 64, 64)
    with torch.no_grad():
        future = model.eval()(video[:, :10])
    assert future.shape == (2, 10, 1, 64, 64)
    assert 0 <= future.min() and future.max() <= 1
    simvp.prediction_loss(model.train(), {"video": video}).backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("context, words", [
    (torch.rand(1, 9, 1, 64, 64), "10 frames"),
    (torch.rand(1, 10, 1, 62, 62), "multiples of 4"),
    (torch.rand(10, 1, 64, 64), r"\(B, T, C, H, W\)"),
    (torch.rand(1, 10, 1, 64, 64) * 255, "values in"),
])
def test_simvp_explains_bad_context(context, words):
    with pytest.raises(ValueError, match=words):
        simvp.SimVP()(context)


def test_vgan_shapes_streams_and_noise():
    torch.manual_seed(0)
    gan = vgan.VideoGAN().eval()
    first = torch.rand(3, 1, 64, 64)
    with torch.no_grad():
        video, streams = gan.generator(first, return_streams=True)
        other = gan.generator(first)
        logits = gan.discriminator(video)
    assert video.shape == (3, 16, 1, 64, 64) and 0 <= video.min() and video.max() <= 1
    assert streams["foreground"].shape == streams["mask"].shape == (3, 1, 16, 64, 64)
    assert streams["background"].shape == (3, 1, 1, 64, 64)  # one image for all frames
    assert streams["flow"].shape == (3, 2, 16, 64, 64)
    assert not torch.equal(video, other), "a fresh z must give another clip"
    assert logits.shape == (3,)


def test_an_untrained_vgan_foreground_is_the_given_frame_in_every_frame():
    torch.manual_seed(0)
    first = torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        _, streams = vgan.Generator().eval()(first, return_streams=True)
    assert streams["flow"].abs().max() == 0
    assert torch.allclose(streams["foreground"], first[:, :, None].expand(-1, -1, 16, -1, -1), atol=1e-5)


def test_vgan_explains_wrong_inputs():
    gan = vgan.VideoGAN()
    with pytest.raises(ValueError, match=r"\(B, 1, 64, 64\)"):
        gan.generator(torch.rand(1, 3, 64, 64))
    with pytest.raises(ValueError, match="clips of 16 gray 64×64 frames"):
        gan.discriminator(torch.rand(2, 8, 1, 64, 64))


def test_vgan_train_step_updates_each_player_with_its_own_loss():
    torch.manual_seed(0)
    gan = vgan.VideoGAN()
    optimizer_g = torch.optim.Adam(gan.generator.parameters(), lr=1e-3)
    optimizer_d = torch.optim.Adam(gan.discriminator.parameters(), lr=1e-3)
    before = {k: v.clone() for k, v in gan.state_dict().items()}
    batch = evalnet.benchmark(2, split="train")
    losses = vgan.train_step(gan, optimizer_g, optimizer_d, batch)
    assert {"discriminator", "generator (adversarial)", "L1"} <= set(losses) and all(np.isfinite(v) for v in losses.values())
    changed = {k for k, v in gan.state_dict().items() if not torch.equal(v, before[k])}
    assert any(k.startswith("generator.") for k in changed) and any(k.startswith("discriminator.") for k in changed)


def test_random_motion_codes_cover_the_data_speeds():
    z = vgan.random_z(1000, generator=torch.Generator().manual_seed(0))
    speed = (z[:, :2] * vgan.SPEED[1]).norm(dim=1)
    assert z.shape == (1000, vgan.NOISE) and speed.min() >= 2.0 - 1e-4 and speed.max() <= 4.0 + 1e-4
    assert torch.equal(vgan.motion_code(torch.tensor([[4.0, 0.0]])), torch.tensor([[1.0, 0.0]]))


def test_gan_losses_match_the_article_formulas():
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    d_of = torch.sigmoid
    expected_d = -(torch.log(d_of(real)).mean() + torch.log(1 - d_of(fake)).mean())
    assert torch.allclose(vgan.discriminator_loss(real, fake), expected_d)
    assert torch.allclose(vgan.generator_loss(fake), -torch.log(d_of(fake)).mean())


def test_evaluation_network_shapes_and_errors():
    model = evalnet.VideoClassifier()
    logits, velocity, features = model(torch.rand(2, 5, 1, 64, 64))
    assert logits.shape == (2, 5, 10) and velocity.shape == (2, 4, 2) and features.shape[0] == 2
    with pytest.raises(ValueError, match=r"\(B, T ≥ 2, 1, 64, 64\)"):
        evalnet.analyse(model, torch.rand(2, 5, 3, 64, 64))


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert evalnet.frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    shifted = a + np.array([3.0, 0, 0])
    assert evalnet.frechet_distance(a, shifted) == pytest.approx(9.0, rel=1e-6)  # same covariance: ‖Δμ‖²
    wider = a * 2  # covariance 4·Σ: Tr(Σ + 4Σ − 2·2Σ) = Tr(Σ) ≈ 3
    assert evalnet.frechet_distance(a, wider) == pytest.approx(np.trace(np.cov(a, rowvar=False)), rel=1e-3)
    with pytest.raises(ValueError, match="same F"):
        evalnet.frechet_distance(a, a[:, :2])


def test_sharpness_falls_with_blur():
    frame = torch.zeros(1, 1, 16, 16)
    frame[..., 4:12, 4:12] = 1
    blurred = torch.nn.functional.avg_pool2d(frame, 5, stride=1, padding=2)
    assert metrics.sharpness(blurred) < metrics.sharpness(frame)
    assert metrics.sharpness(torch.full((2, 1, 8, 8), 0.3)) == 0


def test_augmentation_keeps_shape_range_and_where_the_digit_is():
    clips = evalnet.benchmark(8)["video"]
    augmented = evalnet.augment(clips, torch.Generator().manual_seed(0))
    assert augmented.shape == clips.shape and 0 <= augmented.min() and augmented.max() <= 1
    assert not torch.equal(augmented, clips)
    ys = torch.arange(64.0).view(1, 1, 1, 64, 1)

    def centre(v):  # the ink's mean row, per frame (the threshold ignores the added noise)
        ink = (v > 0.3).float()
        return (ink * ys).sum((2, 3, 4)) / ink.sum((2, 3, 4))
    assert (centre(augmented) - centre(clips)).abs().max() < 1.5  # pixels


def test_reference_features_are_reused_until_the_clips_change():
    evaluator = evalnet.load_evaluator()
    reference = evalnet.benchmark(8, seed=evalnet.REFERENCE_SEED)["video"].clone()
    features = evalnet.reference_features(evaluator, reference)
    assert torch.allclose(features, evalnet.analyse(evaluator, reference)[2])
    assert evalnet.reference_features(evaluator, reference) is features          # the same clips: not analysed again
    reference.mul_(0.5)                                                            # changed in place: analysed again
    assert torch.allclose(evalnet.reference_features(evaluator, reference), evalnet.analyse(evaluator, reference)[2])
    other = (reference + 0.3).clamp(0, 1)                                        # other clips: their own features
    assert torch.allclose(evalnet.reference_features(evaluator, other), evalnet.analyse(evaluator, other)[2])
