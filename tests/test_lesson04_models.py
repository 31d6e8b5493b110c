"""Lesson 04's models (Pix2Pix, CycleGAN, MoCoGAN, the VAE predictor, VQ-VAE, VideoGPT) and their
shared blocks: shapes, clear errors, and the properties the lesson relies on."""
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from utils import blocks, metrics
from utils.models import cyclegan, evalnet, mocogan, pix2pix, svg, videogpt, vqvae


def test_blocks_halve_and_double_the_size():
    x = torch.rand(2, 8, 16, 16)
    assert blocks.down(8, 16)(x).shape == (2, 16, 8, 8)
    assert blocks.up(8, 16)(x).shape == (2, 16, 32, 32)
    assert blocks.down(8, 16, dims=3)(torch.rand(1, 8, 4, 16, 16)).shape == (1, 16, 2, 8, 8)
    assert blocks.ResidualBlock(8)(x).shape == x.shape
    assert blocks.PatchDiscriminator(3)(torch.rand(2, 3, 64, 64)).shape == (2, 16, 16)


# --- Pix2Pix --------------------------------------------------------------------------------

def test_pix2pix_rollout_keeps_the_given_frames_and_predicts_the_rest():
    torch.manual_seed(0)
    model = pix2pix.Pix2Pix().eval()
    context = torch.rand(2, 2, 1, 64, 64)
    clip = pix2pix.rollout(model, context, frames=6)
    assert clip.shape == (2, 6, 1, 64, 64) and torch.equal(clip[:, :2], context)
    assert 0 <= clip.min() and clip.max() <= 1
    assert model.judge(context, clip[:, 2]).shape == (2, 16, 16)
    with pytest.raises(ValueError, match=r"the last 2 gray 64×64 frames"):
        model(torch.rand(2, 1, 1, 64, 64))


def test_pix2pix_train_step_updates_both_players():
    torch.manual_seed(0)
    gan = pix2pix.Pix2Pix()
    before = {k: v.clone() for k, v in gan.state_dict().items()}
    optimizers = [torch.optim.Adam(part.parameters(), 1e-3) for part in (gan.generator, gan.discriminator)]
    losses = pix2pix.train_step(gan, *optimizers, evalnet.benchmark(2, num_frames=3, split="train"))
    assert set(losses) == {"discriminator", "generator (adversarial)", "L1"}
    changed = {k.split(".")[0] for k, v in gan.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"generator", "discriminator"}


# --- CycleGAN and flicker -------------------------------------------------------------------

def test_the_true_motion_warps_each_frame_onto_the_next():
    held_out = evalnet.benchmark(4, num_frames=8)
    flow = cyclegan.digit_flow(held_out["position"])
    assert flow.shape == (4, 7, 2, 64, 64)
    assert metrics.warping_error(held_out["video"], flow) < 1e-6
    assert metrics.warping_error(cyclegan.ink_style(held_out["video"]), flow) < 1e-6   # a style moves with its digit
    assert metrics.warping_error(held_out["video"], torch.zeros_like(flow)) > 0.01     # the wrong motion does not
    noisy = cyclegan.camera_style(held_out["video"], torch.Generator().manual_seed(0))
    assert metrics.warping_error(noisy, flow) > 0.03                                    # noise does not move either


def test_warping_error_explains_a_wrong_flow():
    with pytest.raises(ValueError, match=r"one \(2, H, W\) field per pair of frames, \(3, 2, 8, 8\); got .* shape \(4, 2, 8, 8\)$"):
        metrics.warping_error(torch.rand(4, 1, 8, 8), torch.zeros(4, 2, 8, 8))
    with pytest.raises(ValueError, match=r"\(2, 3, 2, 8, 8\); got .* shape \(3, 2, 8, 8\)$"):
        metrics.warping_error(torch.rand(2, 4, 1, 8, 8), torch.zeros(3, 2, 8, 8))


def test_temporal_loss_is_zero_for_an_output_that_moves_with_the_digit():
    held_out = evalnet.benchmark(3, num_frames=2)
    ink = cyclegan.ink_style(held_out["video"])
    flow = cyclegan.digit_flow(held_out["position"])[:, 0]
    assert cyclegan.temporal_loss(ink, flow) < 1e-6
    assert cyclegan.temporal_loss(ink.flip(1), flow) > 0.01


def test_cyclegan_translates_frame_by_frame_and_steps_every_network():
    torch.manual_seed(0)
    gan = cyclegan.CycleGAN()
    video = torch.rand(2, 3, 1, 64, 64)
    assert cyclegan.translate(gan, video).shape == video.shape
    clips = evalnet.benchmark(2, num_frames=4, split="train")
    batch = cyclegan.training_batch(clips, clips, torch.Generator().manual_seed(0))
    assert batch["a"].shape == (2, 2, 1, 64, 64) and batch["flow"].shape == (2, 2, 64, 64) and batch["b"].shape == (4, 1, 64, 64)
    before = {k: v.clone() for k, v in gan.state_dict().items()}
    optimizers = [torch.optim.Adam(part.parameters(), 1e-3) for part in (gan.generator, gan.discriminator)]
    losses = cyclegan.train_step(gan, *optimizers, batch, temporal_weight=1.0)
    assert set(losses) == {"discriminators", "generators (adversarial)", "cycle", "temporal"}
    changed = {k.split(".")[0] for k, v in gan.state_dict().items() if not torch.equal(v, before[k])}
    assert {"a_to_b", "b_to_a", "discriminator_a", "discriminator_b"} <= changed


# --- MoCoGAN --------------------------------------------------------------------------------

def test_bounce_folds_positions_into_the_canvas():
    room = mocogan.ROOM
    folded = mocogan.bounce(torch.tensor([-5.0, 0.0, 17.0, room, room + 5, 2 * room + 3]))
    assert torch.allclose(folded, torch.tensor([5.0, 0.0, 17.0, room, room - 5, 3.0]))


def test_place_draws_the_digit_where_moving_digits_would():
    digit = torch.rand(1, 1, 24, 24)
    frames = mocogan.place(digit, torch.tensor([[[3.0, 30.0], [40.0, 0.0]]]))
    expected = torch.zeros(2, 1, 64, 64)
    expected[0, :, 30:54, 3:27] = digit[0]
    expected[1, :, 0:24, 40:64] = digit[0]
    assert torch.allclose(frames[0], expected, atol=1e-5)


def test_crop_digits_finds_the_digit_of_a_moving_digits_frame():
    clips = evalnet.benchmark(3)
    digits = mocogan.crop_digits(clips["video"][:, 5], clips["position"][:, 5, 0])
    assert digits.shape == (3, 1, 24, 24)
    assert torch.allclose(digits.sum((1, 2, 3)), clips["video"][:, 5].sum((1, 2, 3)))  # all the ink is inside


def test_mocogan_holds_the_content_and_varies_the_motion():
    torch.manual_seed(0)
    gan = mocogan.MoCoGAN().eval()
    content, motion = mocogan.random_codes(2, frames=16, generator=torch.Generator().manual_seed(0))
    same_digit = mocogan.generate(gan, content[:1].expand(2, -1), motion)
    assert same_digit.shape == (2, 16, 1, 64, 64)
    # the same content code draws the same amount of ink; other motion codes move it elsewhere
    assert torch.allclose(same_digit[0].sum((1, 2, 3)), same_digit[1].sum((1, 2, 3)), rtol=0.05)
    assert not torch.allclose(same_digit[0], same_digit[1])
    losses = mocogan.train_step(gan.train(), *[torch.optim.Adam(p.parameters(), 1e-3) for p in (gan.generator, gan.discriminator)],
                                evalnet.benchmark(mocogan.PACK, split="train"))
    assert set(losses) == {"discriminators", "generator (image D)", "generator (video D)"}


# --- the VAE stochastic predictor -----------------------------------------------------------

def test_gaussian_kl_matches_torch_distributions():
    mu_q, log_var_q, mu_p, log_var_p = torch.randn(4, 3, 5, generator=torch.Generator().manual_seed(0)).unbind(0)
    normal = torch.distributions.Normal
    expected = torch.distributions.kl_divergence(normal(mu_q, (0.5 * log_var_q).exp()), normal(mu_p, (0.5 * log_var_p).exp())).sum(1)
    assert torch.allclose(svg.gaussian_kl(mu_q, log_var_q, mu_p, log_var_p), expected, atol=1e-5)


def test_elbo_trains_the_posterior_the_prior_and_the_decoder():
    torch.manual_seed(0)
    model = svg.StochasticPredictor()
    loss, recon, kl = svg.elbo_loss(model, evalnet.benchmark(2, split="train"))
    assert torch.isclose(loss, recon + svg.KL_WEIGHT * kl) and kl >= 0
    loss.backward()
    for part in (model.posterior, model.prior, model.decoder):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())


def test_samples_from_the_prior_differ_and_best_of_n_never_rises():
    torch.manual_seed(0)
    model = svg.StochasticPredictor()
    held_out = evalnet.benchmark(3)
    futures = svg.generate(model, held_out["video"][:, 0], samples=4)
    assert futures.shape == (4, 3, 16, 1, 64, 64) and not torch.equal(futures[0], futures[1])
    best = svg.best_of(futures, held_out["video"])
    assert len(best) == 4 and all(a >= b for a, b in zip(best, best[1:]))


# --- VQ-VAE and VideoGPT --------------------------------------------------------------------

def test_vqvae_shapes_and_the_first_frame_tokenised_on_its_own():
    torch.manual_seed(0)
    model = vqvae.VQVAE().eval()
    clip = evalnet.benchmark(2, num_frames=vqvae.FRAMES)["video"]
    with torch.no_grad():
        reconstruction, tokens, loss = model(clip)
        alone = model.tokenize(clip[:, :1])
    assert reconstruction.shape == clip.shape and tokens.shape == (2, 5, 8, 8) and loss >= 0
    assert torch.equal(tokens[:, :1], alone), "the first frame's tokens must not depend on later frames"
    assert model.detokenize(tokens).shape == clip.shape
    with pytest.raises(ValueError, match=r"1 \+ 4k frames"):
        model.encode(clip[:, :16])


def test_vector_quantize_picks_the_nearest_code_and_passes_the_gradient_straight_through():
    codebook = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.0]])
    z_e = torch.tensor([[0.9, 1.2], [-1.5, 0.1]], requires_grad=True)
    z_q, tokens, loss = vqvae.vector_quantize(z_e, codebook)
    assert tokens.tolist() == [1, 2] and torch.allclose(z_q, codebook[[1, 2]])
    expected = (1 + vqvae.COMMITMENT) * F.mse_loss(z_e, codebook[[1, 2]])
    assert torch.isclose(loss, expected)
    weights = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    (z_q * weights).sum().backward()
    assert torch.equal(z_e.grad, weights)  # the decoder's gradient, copied to the encoder's output


def test_token_stability_counts_changed_tokens_and_background_codes():
    torch.manual_seed(0)
    model = vqvae.VQVAE()
    clips = torch.zeros(2, vqvae.FRAMES, 1, 64, 64)
    clips[:, :, :, 4:12, 4:12] = 1.0                                  # a square in the top-left corner
    still = vqvae.token_stability(model, clips, noise=0.0)
    assert still["changed"] == 0.0 and 1 <= still["background_codes"] <= vqvae.CODES
    assert vqvae.token_stability(model, clips, noise=0.5, generator=torch.Generator().manual_seed(0))["changed"] > 0
    assert vqvae.token_stability(model, torch.ones(1, vqvae.FRAMES, 1, 64, 64), noise=0.0)["background_codes"] == 0


def test_causal_attention_does_not_look_ahead():
    torch.manual_seed(0)
    model = videogpt.VideoGPT(layers=2).eval()
    tokens = torch.randint(vqvae.CODES, (2, 80))
    changed = tokens.clone()
    changed[:, 70:] = (changed[:, 70:] + 1) % vqvae.CODES
    with torch.no_grad():
        assert torch.allclose(model(tokens)[:, :70], model(changed)[:, :70], atol=1e-5)
        assert not torch.allclose(model(tokens)[:, 70:], model(changed)[:, 70:])


def test_the_kv_cache_gives_the_logits_of_a_full_forward_pass():
    torch.manual_seed(0)
    model = videogpt.VideoGPT(layers=2).eval()
    tokens = torch.randint(vqvae.CODES, (2, 70))
    caches = [{} for _ in model.blocks]
    with torch.no_grad():
        model(tokens[:, :64], caches)
        model(tokens[:, 64:69], caches)
        step = model(tokens[:, 69:], caches)[:, -1]
        assert torch.allclose(step, model(tokens)[:, -1], atol=1e-4)


def test_videogpt_samples_continue_the_prefix():
    torch.manual_seed(0)
    model, tokenizer = videogpt.VideoGPT(layers=1), vqvae.VQVAE()
    prefix = torch.randint(vqvae.CODES, (2, videogpt.TOKENS_PER_FRAME))
    tokens = videogpt.sample(model, prefix, top_k=5, generator=torch.Generator().manual_seed(0))
    assert tokens.shape == (2, videogpt.SEQUENCE) and torch.equal(tokens[:, :64], prefix)
    clip = videogpt.generate(model, tokenizer, torch.rand(1, 1, 64, 64), generator=torch.Generator().manual_seed(0))
    assert clip.shape == (1, 16, 1, 64, 64)
    with pytest.raises(ValueError, match="temperature"):
        videogpt.sample(model, prefix, temperature=0)


def test_the_gpu_recipe_is_picked_on_cuda():
    assert [videogpt.recipe_for(device) for device in ("cuda", "cuda:1", "cpu", "mps")] == ["gpu", "gpu", "cpu", "cpu"]
    assert videogpt.GPU_RECIPE["batch_size"] > videogpt.CPU_RECIPE["batch_size"] and videogpt.GPU_RECIPE["clips"] > videogpt.CPU_RECIPE["clips"]
    assert videogpt.GPU_RECIPE["wall_budget_s"] <= 420, "ends, evaluated and saved, within a ten-minute GPU call"


def test_the_gpu_recipe_reports_held_out_progress_into_the_card(monkeypatch):
    monkeypatch.setattr(videogpt, "GPU_RECIPE", {"steps": 6, "wall_budget_s": 600, "batch_size": 8, "lr": 3e-3, "clips": 48,
                                                 "report_every": 3})
    monkeypatch.setattr(videogpt, "evaluate", lambda model: {"measured": "at the end"})  # its 256 clips: see test_checkpoints
    torch.manual_seed(0)
    card = videogpt.train(videogpt.VideoGPT(dim=32, layers=1, heads=2), recipe="gpu")
    assert card["recipe"]["for"] == "gpu" and card["recipe"]["steps"] == 6 and "48 MovingDigits clips" in card["recipe"]["data"]
    assert card["recipe"]["wall_budget_s"] == 600 and card["recipe"]["steps_at_most"] == 6
    reports = card["held_out_reports"]
    assert [report["steps"] for report in reports] == [3, 6]
    assert all(0 <= report["identity_kept"] <= 1 and report["fvd_lite"] > 0 for report in reports)
    assert reports[1]["held_out_loss"] < reports[0]["held_out_loss"] < math.log(vqvae.CODES) + 0.5
    assert card["metrics"] == {"measured": "at the end"}


@pytest.mark.parametrize("free_mb, workers", [(30, 0), (64, 1), (2000, 8)])
def test_clip_workers_fit_what_dev_shm_holds(monkeypatch, free_mb, workers):
    monkeypatch.setattr(videogpt.shutil, "disk_usage", lambda path: SimpleNamespace(free=free_mb * 2**20))
    monkeypatch.setattr(videogpt.os, "cpu_count", lambda: 16)
    assert videogpt.clip_workers() == workers


def test_clips_drawn_by_worker_processes_give_the_same_tokens():
    tokenizer = vqvae.VQVAE().eval()
    assert torch.equal(videogpt.tokenize_clips(tokenizer, 70, chunk=32), videogpt.tokenize_clips(tokenizer, 70, chunk=32, workers=2))
