"""The exercise checkers take their expected answers from the course's reference functions, so
tests/test_checks.py's checker(reference) is circular. These tests pin each reference whose answers
no other test pins to values worked out independently: by hand on tiny inputs (the derivation is in
a comment), or by an implementation written out here from the formula the exercise states.
References already pinned elsewhere (by literal or independent values) are left to those tests."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF

from utils import edit, flow, video
from utils.applications import anonymise, parallax, variations, watermark
from utils.course import quiz
from utils.models import convlstm, cyclegan, flow_matching, space_time_transformer, svg, vgan, videogpt, vqvae


def _levels(*values):
    """A gray 2×2 clip whose frame t is the constant values[t]."""
    return torch.tensor(values).view(-1, 1, 1, 1).expand(-1, 1, 2, 2).contiguous()


# ---------------------------------------------------------------------------------------------
# lesson 01

def test_from_numpy_divides_by_255_and_puts_channels_first():
    rgb = np.array([[[[0, 51, 255], [102, 204, 0]]]], dtype=np.uint8)       # (T, H, W, C) = (1, 1, 2, 3)
    assert torch.allclose(video.from_numpy(rgb), torch.tensor([[[[0, 0.4]], [[0.2, 0.8]], [[1, 0]]]]))   # 51/255 = 0.2 …
    gray = np.array([[[51], [255]], [[0], [102]]], dtype=np.uint8)[None]    # (T, H, W, 1): rows (51, 255) and (0, 102)
    assert torch.allclose(video.from_numpy(gray), torch.tensor([[[[0.2, 1.0], [0, 0.4]]]]))   # rows stay rows


def test_resample_fps_keeps_frame_floor_i_times_the_ratio():
    clip = _levels(*[t / 100 for t in range(12)])                          # frame t holds t/100
    # 25 → 10 fps: 12 frames last 0.48 s → floor(12 · 10/25) = 4 frames; frame floor(i · 25/10) for i = 0…3
    assert (video.resample_fps(clip, 25, 10)[:, 0, 0, 0] * 100).round().tolist() == [0, 2, 5, 7]
    # 10 → 25 fps: 4 frames → floor(4 · 25/10) = 10 frames; frame floor(i · 10/25) for i = 0…9
    assert (video.resample_fps(clip[:4], 10, 25)[:, 0, 0, 0] * 100).round().tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]


def test_frame_differences_take_the_absolute_change_pixel_by_pixel():
    clip = torch.tensor([[0.5, 0.5], [0.1, 0.9], [0.1, 0.9]]).view(3, 1, 1, 2)
    # frame 0 → 1: |0.1 − 0.5| and |0.9 − 0.5|, mean 0.4 (a signed mean would be 0); frame 1 → 2: no change
    assert video.frame_differences(clip).tolist() == pytest.approx([0.4, 0.0])


def test_detect_cuts_thresholds_at_median_plus_sensitivity_times_mad():
    steps = [0.03, 0.02, 0.035, 0.18, 0.04, 0.025, 0.03]                    # the differences, frame t → t + 1
    clip = _levels(*np.cumsum([0.1, *steps]).tolist())
    # sorted: 0.02 0.025 0.03 0.03 0.035 0.04 0.18 → median 0.03; |d − 0.03| sorted: 0 0 .005 .005 .01 .01 .15 → MAD 0.005
    # sensitivity 8: 0.03 + 8 · 0.005 = 0.07 → only 0.18 (into frame 4); 8 × median (0.24) or mean + 8 std would find none
    assert video.detect_cuts(clip, 8.0) == [4]
    # sensitivity 1.5: 0.03 + 1.5 · 0.005 = 0.0375 → 0.18 and 0.04 (into frames 4 and 5)
    assert video.detect_cuts(clip, 1.5) == [4, 5]


# ---------------------------------------------------------------------------------------------
# lesson 02

def test_backward_warp_interpolates_bilinearly_and_repeats_the_border():
    image = torch.tensor([[0.0, 0.2, 0.4], [0.6, 0.8, 1.0]]).view(1, 1, 2, 3)
    right = torch.tensor([0.5, 0.0]).view(1, 2, 1, 1).expand(1, 2, 2, 3)
    # out(x, y) = image(x + 0.5, y): halfway between neighbours; x = 2.5 lies outside, so the last column repeats
    assert torch.allclose(flow.backward_warp(image, right)[0, 0], torch.tensor([[0.1, 0.3, 0.4], [0.7, 0.9, 1.0]]), atol=1e-6)
    diagonal = torch.tensor([0.5, 0.5]).view(1, 2, 1, 1).expand(1, 2, 2, 3)
    # (0.5, 0.5): the mean of 4 pixels, (0 + 0.2 + 0.6 + 0.8) / 4 = 0.4 …; off the bottom or right edge, the border's
    assert torch.allclose(flow.backward_warp(image, diagonal)[0, 0], torch.tensor([[0.4, 0.6, 0.7], [0.7, 0.9, 1.0]]), atol=1e-6)


def _ramp_pair(shift, a=0.1, height=5, width=9):
    """frame0 = a·x + 0.1 and frame1 = frame0 moved right by `shift` pixels: a·(x − shift) + 0.1. In the
    flow convention frame0(x) = frame1(x + shift), so the true flow is (shift, 0). With central differences
    of the mean frame (borders repeated): Ix = a inside, a/2 in the first and last column; Iy = 0; It = −a·shift."""
    x = torch.arange(width, dtype=torch.float32).expand(1, 1, height, width)
    return a * x + 0.1, a * (x - shift) + 0.1


def test_lucas_kanade_step_solves_the_window_least_squares_on_a_ramp():
    a, u, ridge = 0.1, 0.5, 1e-4
    frame0, frame1 = _ramp_pair(u, a)
    estimate = flow.lucas_kanade_step(frame0, frame1, window=3, ridge=ridge)
    # Iy = 0 → v = 0 and u = −mean(Ix·It) / (mean(Ix²) + ridge) over the 3-column window (only the columns inside)
    inside = a * a * u / (a * a + ridge)                                     # columns 2…6: Ix = a throughout
    next_to_border = (a * a * u * (1 + 1 + 0.5) / 3) / (a * a * (1 + 1 + 0.25) / 3 + ridge)    # columns 1 and 7
    at_border = (a * a * u * (1 + 0.5) / 2) / (a * a * (1 + 0.25) / 2 + ridge)                  # columns 0 and 8: 2 columns
    expected = [at_border, next_to_border, *[inside] * 5, next_to_border, at_border]
    assert estimate.shape == (1, 2, 5, 9)
    assert torch.allclose(estimate[0, 0], torch.tensor(expected).expand(5, 9), rtol=1e-4)
    assert torch.allclose(estimate[0, 1], torch.zeros(5, 9), atol=1e-6)


def test_horn_schunck_step_iterates_towards_the_ramps_shift_with_the_8_neighbour_mean():
    a, u, alpha = 0.1, 0.5, 0.2
    frame0, frame1 = _ramp_pair(u, a, height=4, width=12)
    estimate = flow.horn_schunck_step(frame0, frame1, alpha=alpha, iterations=2)
    # u ← ū − Ix·(Ix·ū + It) / (α² + Ix²), from u = 0. Iteration 1 (ū = 0): a²u / (α² + a²) = 0.1 inside,
    # (a/2)·a·u / (α² + a²/4) = 1/17 in the border columns. Iteration 2 inside, k = a² / (α² + a²) = 0.2:
    # u ← ū + k·(u − ū). Columns 2…9 see only 0.1 around them; column 1 sees 3 neighbours of column 0 and 5 of 0.1.
    k, first, border = a * a / (alpha ** 2 + a * a), 0.1, 1 / 17
    deep = first + k * (u - first)                                           # = u·(1 − (1 − k)²) = 0.18
    bar = (3 * border + 5 * first) / 8                                       # the 8 neighbours' mean, not 9 nor 4 of them
    beside = bar + k * (u - bar)
    assert torch.allclose(estimate[0, 0, :, 2:10], torch.full((4, 8), deep), atol=1e-6)
    assert torch.allclose(estimate[0, 0, :, 1], torch.full((4,), beside), atol=1e-6)
    assert torch.allclose(estimate[0, 1], torch.zeros(4, 12), atol=1e-7)


# ---------------------------------------------------------------------------------------------
# lesson 03

def test_convlstm_step_applies_the_gates_in_the_order_i_f_o_g():
    gates = nn.Conv2d(2, 4, 1)                                               # input channels [x, h] → (i, f, o, g)
    with torch.no_grad():
        gates.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]]).view(4, 2, 1, 1))
        gates.bias.copy_(torch.tensor([0.0, 0.0, 0.0, math.log(2)]))
        x, h, c = torch.full((1, 1, 1, 1), math.log(3)), torch.full((1, 1, 1, 1), -math.log(3)), torch.ones(1, 1, 1, 1)
        new_h, new_c = convlstm.convlstm_step(gates, x, h, c)
    # i = σ(ln 3) = 3/4, f = σ(−ln 3) = 1/4, o = σ(0) = 1/2, g = tanh(ln 2) = (4 − 1)/(4 + 1) = 3/5
    # c = f·c + i·g = 1/4 + 3/4 · 3/5 = 0.7; h = o·tanh(c)
    assert new_c.item() == pytest.approx(0.7, abs=1e-6)
    assert new_h.item() == pytest.approx(0.5 * math.tanh(0.7), abs=1e-6)


def _convlstm_rollout(model, context, future):
    """The predictor's loop written out: frames as 4×4 patches (pixel_unshuffle), each cell's ConvLSTM
    equations (gates i, f, o, g), the last cell read out and clamped to [0, 1]; the k given frames in, then
    each prediction fed back; the predictions of frames k … k + future − 1."""
    k, states, predictions = context.shape[1], None, []
    for t in range(k + future - 1):
        x = F.pixel_unshuffle(context[:, t] if t < k else predictions[-1], 4)
        states = states or [(x.new_zeros(len(x), cell.hidden_channels, *x.shape[2:]),) * 2 for cell in model.cells]
        for n, cell in enumerate(model.cells):
            h, c = states[n]
            i, f, o, g = cell.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            x = o.sigmoid() * c.tanh()
            states[n] = (x, c)
        predictions.append(F.pixel_shuffle(model.readout(x).clamp(0, 1), 4))
    return torch.stack(predictions[k - 1:], dim=1)


@torch.no_grad()
def test_convlstm_predictor_rolls_out_as_the_loop_written_out():
    torch.manual_seed(0)
    model = convlstm.ConvLSTMPredictor(hidden=(5, 4), kernel_size=3).eval()
    model.readout.weight.mul_(20)                                            # some predictions leave [0, 1]: the clamp matters
    model.readout.bias.fill_(0.8)
    clips = torch.rand(2, 4, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    for k, future in [(1, 1), (2, 3), (4, 2)]:
        assert torch.allclose(model(clips[:, :k], future), _convlstm_rollout(model, clips[:, :k], future), atol=1e-5)


def test_discriminator_loss_stays_finite_for_a_confident_wrong_logit():
    real, fake = torch.tensor([-200.0, 3.0]), torch.tensor([200.0, -3.0])
    # −log σ(−200) = −log(1 − σ(200)) = softplus(200) = 200; −log σ(3) = −log(1 − σ(−3)) = log(1 + e^−3)
    # → mean(200, log(1 + e^−3)) twice = 200 + log(1 + e^−3)
    assert vgan.discriminator_loss(real, fake).item() == pytest.approx(200 + math.log1p(math.exp(-3)), abs=1e-3)


# ---------------------------------------------------------------------------------------------
# lesson 04

def test_vector_quantize_sends_the_codebook_term_to_the_codes_and_a_quarter_of_the_commitment_to_z_e():
    codebook = torch.tensor([[0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    z_e = torch.tensor([[0.2, 0.4], [0.9, 0.7]], requires_grad=True)        # nearest codes 0 and 1
    _, tokens, loss = vqvae.vector_quantize(z_e, codebook)
    at_z_e, at_codebook = torch.autograd.grad(loss, [z_e, codebook])
    # loss = mse(e, sg[z_e]) + 0.25 · mse(z_e, sg[e]), means over N·D = 4 numbers; z_e − e = [[.2, .4], [−.1, −.3]]
    # value: 1.25 · (.04 + .16 + .01 + .09) / 4 = 0.09375
    # at z_e: 0.25 · 2 (z_e − e) / 4 = 0.125 (z_e − e); at the codebook (the codes used): 2 (e − z_e) / 4 = 0.5 (e − z_e)
    assert tokens.tolist() == [0, 1] and loss.item() == pytest.approx(0.09375)
    assert torch.allclose(at_z_e, torch.tensor([[0.025, 0.05], [-0.0125, -0.0375]]))
    assert torch.allclose(at_codebook, torch.tensor([[-0.1, -0.2], [0.05, 0.15]]))


def test_reparameterize_scales_the_noise_by_the_standard_deviation():
    mu, log_variance, noise = torch.tensor([1.0, -1.0]), torch.tensor([4.0, 0.25]).log(), torch.tensor([0.5, 2.0])
    # σ = exp(½ log σ²) = 2 and 0.5: z = [1 + 2 · 0.5, −1 + 0.5 · 2]
    assert svg.reparameterize(mu, log_variance, noise).tolist() == pytest.approx([2.0, 0.0])


def test_cycle_loss_is_the_mean_l1_error_of_both_round_trips():
    a, b = torch.full((2, 1, 2, 2), 0.4), torch.full((3, 1, 2, 2), 0.6)
    halve, square = (lambda x: 0.5 * x), torch.square                         # G: a → b halves, F: b → a squares
    # F(G(a)) = 0.2² = 0.04: |0.04 − 0.4| = 0.36; G(F(b)) = 0.36 / 2 = 0.18: |0.18 − 0.6| = 0.42
    assert cyclegan.cycle_loss(a, b, halve, square).item() == pytest.approx(0.36 + 0.42)


def test_causal_mask_lets_each_token_see_itself_and_the_past():
    assert videogpt.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert videogpt.causal_mask(3).dtype == torch.bool


# ---------------------------------------------------------------------------------------------
# lesson 05

@pytest.mark.parametrize("frames, start, end, expected", [
    # position p from 0, index int(p), then p += start + (end − start) · p / frames while p < frames:
    (4, 2.0, 1.0, [0, 2, 3]),               # p = 0, 2, 2 + 1.5 = 3.5, 3.5 + 1.125 ≥ 4
    (8, 1.0, 2.0, [0, 1, 2, 3, 4, 6]),      # p = 0, 1, 2.125, 3.390625, 4.814453125, 6.416259765625, ≥ 8
])
def test_speed_ramp_indices_advance_by_the_speed_at_the_current_source_position(frames, start, end, expected):
    assert edit.speed_ramp_indices(frames, start, end).tolist() == expected


# ---------------------------------------------------------------------------------------------
# lesson 06

def test_read_bits_compares_the_spectrum_at_row_v_column_u():
    y, x = np.mgrid[0:watermark.TILE, 0:watermark.TILE]
    tile = np.cos(2 * np.pi * (3 * x + 1 * y) / watermark.TILE) + 0.5 * np.cos(2 * np.pi * (2 * x - 1 * y) / watermark.TILE + 1.0)
    pairs = [((3, 1), (1, 3)), ((1, 3), (3, 1)), ((2, -1), (2, 1)), ((3, 1), (2, -1)), ((2, -1), (3, 1))]
    # |F| is 1 · 64² / 2 at (u, v) = (3, 1), half that at (2, −1), 0 at (1, 3) and (2, 1): bit = first beats second
    assert watermark.read_bits(torch.from_numpy(tile).float(), pairs).tolist() == [1, 0, 1, 1, 0]


@pytest.mark.parametrize("box, sigma, inside", [
    ((0, 0, 4, 3), 1.0, (0, 0, 4, 3)),                  # touching the top-left corner: radius 3, borders repeated
    ((1.6, 0.4, 4.4, 2.7), 0.25, (2, 0, 4, 3)),         # radius int(0.75) = 0 → at least 1; corners rounded
])
def test_gaussian_blur_box_blurs_with_repeated_borders_inside_the_rounded_box(box, sigma, inside):
    image = torch.rand(3, 6, 7, generator=torch.Generator().manual_seed(0))
    radius = max(1, int(3 * sigma))
    # border pixels repeated (np.pad "edge") out to the radius, then torchvision's blur; its own padding is cropped off
    padded = torch.from_numpy(np.pad(image.numpy(), ((0, 0), (radius, radius), (radius, radius)), mode="edge"))
    blurred = TF.gaussian_blur(padded, [2 * radius + 1] * 2, [sigma] * 2)[:, radius:-radius, radius:-radius]
    x0, y0, x1, y1 = inside
    expected = image.clone()
    expected[:, y0:y1, x0:x1] = blurred[:, y0:y1, x0:x1]
    assert torch.allclose(anonymise.gaussian_blur_box(image, box, sigma), expected, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# lesson 08

def test_there_and_back_follows_half_a_cosine_out_and_back():
    # 7 frames, amplitude 4: 4 · (1 − cos(60° · k)) / 2 with cos = 1, ½, −½, −1, −½, ½, 1 (a straight ramp: 4/3, 8/3, …)
    assert parallax.there_and_back(7, 4.0).tolist() == pytest.approx([0, 1, 3, 4, 3, 1, 0], abs=1e-5)


def test_motion_inside_is_the_crop_columns_share_of_the_row_sum():
    profile = torch.tensor([[1.0, 2.0, 3.0, 4.0], [4.0, 0.0, 0.0, 1.0]])
    # row 0, columns 1…2: (2 + 3) / 10; row 1, columns 2…3: (0 + 1) / 5
    assert variations.motion_inside(profile, torch.tensor([1, 2]), 2).tolist() == pytest.approx([0.5, 0.2])


# ---------------------------------------------------------------------------------------------
# lesson 11

def test_is_close_accepts_numbers_and_numeric_text_within_the_tolerance_only():
    answers = [20, 20.005, 19.98, "20", "twenty", None, float("nan"), float("inf"), True]
    # |20.005 − 20| ≤ 0.01; |19.98 − 20| = 0.02 > 0.01; a bool, NaN, ∞, words and None are not close numbers
    assert [quiz.is_close(answer, 20, 0.01) for answer in answers] == [True, True, False, True, False, False, False, False, False]
    assert quiz.is_close(True, 1, 0.5) is False and quiz.is_close(0.125, 0.125, 0) is True


# ---------------------------------------------------------------------------------------------
# lesson 07

def test_flow_matching_pair_uses_each_clips_own_time():
    x, noise = torch.ones(2, 2, 1, 1, 1), -torch.ones(2, 2, 1, 1, 1)      # B = 2 clips of T = 2 frames
    x_t, velocity = flow_matching.flow_matching_pair(x, noise, torch.tensor([0.25, 0.75]))
    # t·x + (1 − t)·noise = 2t − 1 for clip b's t, on both of its frames; velocity x − noise = 2
    assert x_t.flatten().tolist() == [-0.5, -0.5, 0.5, 0.5]
    assert torch.equal(velocity, torch.full((2, 2, 1, 1, 1), 2.0))


def test_euler_step_moves_by_the_time_step_not_the_time():
    # x + (t_next − t)·v = 1 + 0.25 · 2
    assert flow_matching.euler_step(torch.ones(3), torch.full((3,), 2.0), 0.5, 0.75).tolist() == [1.5] * 3


@torch.no_grad()
@pytest.mark.parametrize("given_first, steps, guidance", [(False, 2, 1.0), (False, 2, 3.0), (True, 2, 2.0)])
def test_sample_latents_integrates_the_guided_velocity_as_the_loop_written_out(given_first, steps, guidance):
    torch.manual_seed(0)
    model = space_time_transformer.SpaceTimeTransformer(dim=32, depth=1).eval()
    generator = torch.Generator().manual_seed(1)
    for parameter in model.parameters():
        parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))
    B, labels = 2, torch.tensor([3, 7])
    shape = (B, space_time_transformer.LATENT_FRAMES, model.channels, space_time_transformer.LATENT_SIZE,
             space_time_transformer.LATENT_SIZE)
    noise = torch.randn(shape, generator=generator)
    first = torch.randn(B, *shape[2:], generator=generator) if given_first else None
    # Euler from t = 0 to 1 in equal steps, the velocity taken at each step's start:
    # v = v(∅) + w · (v(first, labels) − v(∅)), v(∅) with no first frame and no label
    x = noise
    for i in range(steps):
        t = torch.full((B,), i / steps)
        v_conditional = model(x, t, first, labels)
        v_unconditional = model(x, t, None, torch.full_like(labels, model.no_label))
        x = x + (1 / steps) * (v_unconditional + guidance * (v_conditional - v_unconditional))
    got = flow_matching.sample_latents(model, first, labels, steps=steps, guidance=guidance, noise=noise)
    assert torch.allclose(got, x, atol=1e-5)
